"""Retry transient failures with capped, jittered backoff, and send poison records to a dead-letter topic."""

import json
import logging
import math
import random
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from confluent_kafka import Consumer, KafkaError, KafkaException, Message, Producer, TopicPartition

log = logging.getLogger(__name__)

BATCH_SIZE = 100
POLL_TIMEOUT = 0.5  # seconds: the longest consume() call, so also how soon run() notices `stop`
FLUSH_TIMEOUT = 30.0  # seconds to wait for the dead-letter topic's acknowledgement

Headers = list[tuple[str, bytes | None]]
Handler = Callable[[dict, Message], None]


# --8<-- [start:errors]
class TransientError(Exception):
    """Raise from a handler when a later attempt may succeed: a timeout, an HTTP 503, a lock conflict."""


class PoisonMessage(Exception):
    """The record can never be processed as it is, so it goes to the dead-letter topic at once."""


class MalformedJson(PoisonMessage):
    """The value is missing, is not UTF-8, or is not JSON."""


class SchemaViolation(PoisonMessage):
    """The JSON parses, but a required field is missing or has the wrong type."""
# --8<-- [end:errors]


# --8<-- [start:decode]
def decode(value: bytes | None, schema: Mapping[str, type]) -> dict:
    """Parse a JSON object and check that every field named in `schema` is present with its type."""
    try:
        record = json.loads(value)  # None raises TypeError, bad UTF-8 a ValueError
    except (TypeError, ValueError, RecursionError) as error:  # RecursionError: b"[[[[..." nested too deep
        raise MalformedJson(f"value is not JSON: {error}") from None
    if not isinstance(record, dict):
        raise SchemaViolation(f"value must be a JSON object, got {type(record).__name__}")
    for field, kind in schema.items():
        if field not in record:
            raise SchemaViolation(f"required field {field!r} is missing")
        found = record[field]
        if not isinstance(found, kind) or (isinstance(found, bool) and kind is not bool):  # True is an int
            raise SchemaViolation(f"field {field!r} must be {kind.__name__}, got {type(found).__name__}")
    return record
# --8<-- [end:decode]


# --8<-- [start:policy]
@dataclass(frozen=True)
class RetryPolicy:
    """How long one record may hold up its partition: a number of attempts and a total of waits."""

    max_attempts: int = 5  # 1 means no retry
    base_delay: float = 0.5  # seconds: the ceiling of the first wait
    max_delay: float = 10.0  # seconds: the ceiling of any wait
    max_total_delay: float = 30.0  # seconds: the sum of the waits for one record

    def __post_init__(self) -> None:
        if isinstance(self.max_attempts, bool) or not isinstance(self.max_attempts, int) or self.max_attempts < 1:
            raise ValueError(f"max_attempts must be an integer >= 1, got {self.max_attempts!r}")
        for name in ("base_delay", "max_delay", "max_total_delay"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < math.inf:
                raise ValueError(f"{name} must be a positive, finite number of seconds, got {value!r}")
        if self.max_delay < self.base_delay:
            raise ValueError(f"max_delay must be >= base_delay, got {self.max_delay!r} < {self.base_delay!r}")

    def backoff(self, retry: int, draw: Callable[[], float] = random.random) -> float:
        """Full jitter: uniform between 0 and min(max_delay, base_delay * 2 ** (retry - 1))."""
        ceiling = min(self.max_delay, self.base_delay * 2.0 ** min(retry - 1, 1000))
        return draw() * ceiling

    def next_delay(self, attempts: int, waited: float, draw: Callable[[], float] = random.random) -> float | None:
        """The wait before attempt `attempts + 1`, or None once the attempts or the total wait are used up."""
        remaining = self.max_total_delay - waited
        if attempts >= self.max_attempts or remaining <= 0:
            return None
        return min(self.backoff(attempts, draw), remaining)
# --8<-- [end:policy]


# --8<-- [start:headers]
CONTEXT = (
    "dlq.original.topic", "dlq.original.partition", "dlq.original.offset", "dlq.original.timestamp",
    "dlq.consumer.group", "dlq.error.class", "dlq.error.message", "dlq.attempts",
)
MAX_ERROR_MESSAGE = 1000  # characters; a header is no place for a megabyte of text


def dead_letter_headers(message: Message, error: Exception, attempts: int, group: str) -> Headers:
    """The original headers, unchanged and in order, then the failure's context as UTF-8 text."""
    _, timestamp = message.timestamp()
    context = (message.topic(), message.partition(), message.offset(), timestamp,
               group, type(error).__name__, str(error)[:MAX_ERROR_MESSAGE], attempts)
    added = [(name, str(value).encode("utf-8", "backslashreplace")) for name, value in zip(CONTEXT, context)]
    return [*(message.headers() or []), *added]


def original_of(dead_letter: Message) -> tuple[str, Headers]:
    """For a replay: the topic the record came from, and its headers without the dlq.* context."""
    headers = dead_letter.headers() or []
    context = headers[-len(CONTEXT):]
    if [name for name, _ in context] != list(CONTEXT):
        raise ValueError(f"dead_letter (offset {dead_letter.offset()}) does not end with the dlq.* context headers")
    return dict(context)["dlq.original.topic"].decode(), headers[: -len(CONTEXT)]
# --8<-- [end:headers]


# --8<-- [start:consumer]
@dataclass
class Pending:
    """A record between attempts. Its partition is paused, so later records of its keys wait behind it."""

    message: Message
    attempts: int = 0
    waited: float = 0.0  # the sum of the waits so far, in seconds
    due: float = 0.0  # time.monotonic() of the next attempt


class DeadLetterConsumer:
    """At-least-once: commit a record's offset only once it is handled, or acknowledged by the dead-letter topic."""

    def __init__(self, consumer_config: Mapping[str, object], producer_config: Mapping[str, object],
                 topics: Iterable[str], handler: Handler, schema: Mapping[str, type], dlq_topic: str,
                 policy: RetryPolicy = RetryPolicy(), draw: Callable[[], float] = random.random) -> None:
        self._topics = list(topics)
        if not self._topics:
            raise ValueError("topics must name at least one topic")
        if not isinstance(dlq_topic, str) or not dlq_topic.strip():
            raise ValueError(f"dlq_topic must be a non-empty topic name, got {dlq_topic!r}")
        if dlq_topic in self._topics:
            raise ValueError(f"dlq_topic must not be one of the topics it serves, got {dlq_topic!r}")
        if not consumer_config.get("group.id"):
            raise ValueError("consumer_config must set group.id")
        self._consumer_config = {**consumer_config, "enable.auto.commit": False}  # commit only what is finished
        self._producer_config = {**producer_config, "acks": "all", "enable.idempotence": True}
        self._handler, self._schema, self._dlq_topic = handler, schema, dlq_topic
        self._policy, self._draw = policy, draw
        self._parked: dict[tuple[str, int], Pending] = {}
        self._done: dict[tuple[str, int], int] = {}  # the next offset to commit, per partition

    def run(self, stop: threading.Event) -> None:
        """Consume until `stop` is set. Kafka errors, a failed dead-letter write and any handler
        exception other than TransientError and PoisonMessage stop the loop, and are raised."""
        self._consumer = Consumer(self._consumer_config)
        self._producer = Producer(self._producer_config)
        self._consumer.subscribe(self._topics, on_revoke=self._forget_revoked)
        try:
            while not stop.is_set():
                for message in self._consumer.consume(BATCH_SIZE, timeout=self._poll_timeout()):
                    self._handle(message)
                self._retry_due()
                commit_offsets(self._consumer, self._done)
        finally:
            self._consumer.close()

    def _handle(self, message: Message) -> None:
        if message.error():
            raise_if_fatal(message.error())
        elif (message.topic(), message.partition()) not in self._parked:  # else it is read again after the retry
            self._attempt(Pending(message))

    def _poll_timeout(self) -> float:
        soonest = min((pending.due for pending in self._parked.values()), default=math.inf)
        return min(POLL_TIMEOUT, max(0.0, soonest - time.monotonic()))
# --8<-- [end:consumer]

    # --8<-- [start:retry]
    def _attempt(self, pending: Pending) -> bool:
        """One attempt. True when the record is finished (handled or dead-lettered), False when it waits."""
        message = pending.message
        pending.attempts += 1
        try:
            self._handler(decode(message.value(), self._schema), message)
        except PoisonMessage as error:
            self._dead_letter(message, error, pending.attempts)
        except TransientError as error:
            delay = self._policy.next_delay(pending.attempts, pending.waited, self._draw)
            if delay is not None:
                self._park(pending, delay, error)
                return False
            self._dead_letter(message, error, pending.attempts)
        self._done[message.topic(), message.partition()] = message.offset() + 1
        return True

    def _park(self, pending: Pending, delay: float, error: TransientError) -> None:
        """Pause the partition instead of sleeping: the loop keeps polling, so the consumer stays in its group."""
        message = pending.message
        pending.waited += delay
        pending.due = time.monotonic() + delay
        self._parked[message.topic(), message.partition()] = pending
        self._consumer.pause([TopicPartition(message.topic(), message.partition())])
        log.warning("retrying %s [%d] @ %d in %.3f s after attempt %d: %r",
                    message.topic(), message.partition(), message.offset(), delay, pending.attempts, error)

    def _retry_due(self) -> None:
        now = time.monotonic()
        for (topic, partition), pending in list(self._parked.items()):
            if pending.due <= now and self._attempt(pending):
                del self._parked[topic, partition]
                self._consumer.seek(TopicPartition(topic, partition, pending.message.offset() + 1))
                self._consumer.resume([TopicPartition(topic, partition)])

    def _forget_revoked(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        """A revoked partition's waiting record belongs to its next owner, who reads it from the last commit."""
        revoked = [tp for tp in partitions if self._parked.pop((tp.topic, tp.partition), None) is not None]
        consumer.resume(revoked)

    def _dead_letter(self, message: Message, error: Exception, attempts: int) -> None:
        group = str(self._consumer_config["group.id"])
        send_to_dead_letter(self._producer, self._dlq_topic, message, error, attempts, group)
    # --8<-- [end:retry]


# --8<-- [start:dead_letter]
def send_to_dead_letter(producer: Producer, dlq_topic: str, message: Message, error: Exception,
                        attempts: int, group: str) -> None:
    """Copy the record, byte for byte, to the dead-letter topic, and return only once it is acknowledged."""
    outcome: list[KafkaError | None] = []
    producer.produce(dlq_topic, message.value(), message.key(),
                     headers=dead_letter_headers(message, error, attempts, group),
                     on_delivery=lambda failure, _: outcome.append(failure))
    producer.flush(FLUSH_TIMEOUT)
    failure = outcome[0] if outcome else KafkaError(KafkaError._TIMED_OUT, f"no answer from {dlq_topic}")
    if failure is not None:
        raise KafkaException(failure)
    log.warning("dead-lettered %s [%d] @ %d after %d attempt(s): %r",
                message.topic(), message.partition(), message.offset(), attempts, error)


def commit_offsets(consumer: Consumer, done: dict[tuple[str, int], int]) -> None:
    """Commit synchronously, raise on any partition's error, and forget what was committed."""
    if done:
        offsets = [TopicPartition(topic, partition, offset) for (topic, partition), offset in done.items()]
        raise_partition_errors(consumer.commit(offsets=offsets, asynchronous=False))
        done.clear()


def raise_partition_errors(partitions: list[TopicPartition]) -> None:
    """A synchronous commit can succeed for some partitions and fail for others: check each one."""
    for partition in partitions:
        if partition.error is not None:
            raise KafkaException(partition.error)


def raise_if_fatal(error: KafkaError) -> None:
    """A fatal error ends the consumer; librdkafka recovers from the others by itself, so log them."""
    # A consumer reports a fatal error as code _FATAL; fatal() is false on that event itself.
    if error.fatal() or error.code() == KafkaError._FATAL:
        raise KafkaException(error)
    log.warning("consumer error: %s", error)
# --8<-- [end:dead_letter]
