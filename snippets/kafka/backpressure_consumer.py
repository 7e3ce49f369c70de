"""A consumer that keeps a slow HTTP gateway within its limits: k calls in flight, a token-bucket rate, pause/resume."""

import logging
import math
import random
import threading
import time
import urllib.error
import urllib.request
from collections import Counter, deque
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from confluent_kafka import Consumer, KafkaException, Message, TopicPartition

from rate_limiting.token_bucket import TokenBucket

Partition = tuple[str, int]
log = logging.getLogger(__name__)
MAX_BACKOFF = 2.0  # seconds between retries of one record, at most


def partition_of(message: Message) -> Partition:
    return message.topic(), message.partition()


# --8<-- [start:config]
def gateway_consumer_config(config: dict) -> dict:
    """The caller's settings (bootstrap.servers, group.id, ...) plus the one this pattern relies on."""
    return {
        **config,
        "enable.auto.commit": False,  # commit only records the gateway accepted, and all before them
    }
# --8<-- [end:config]


# --8<-- [start:call]
def post(url: str, message: Message, timeout: float) -> None:
    """POST one record's value. A non-2xx answer raises urllib.error.HTTPError."""
    key = f"{message.topic()}-{message.partition()}-{message.offset()}"  # lets the gateway drop a retry it has seen
    request = urllib.request.Request(url, data=message.value(), method="POST", headers={"Idempotency-Key": key})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        response.read()


def retriable(error: Exception) -> bool:
    """Worth another try: the gateway is overloaded (429, 5xx), slow or unreachable."""
    if isinstance(error, urllib.error.HTTPError):
        return error.code == 429 or error.code >= 500
    return isinstance(error, (urllib.error.URLError, TimeoutError, ConnectionError))
# --8<-- [end:call]


# --8<-- [start:progress]
class Progress:
    """Per partition, the offsets polled so far in order; the commit point stops at the first one not done."""

    def __init__(self) -> None:
        self._pending: dict[Partition, dict[int, bool]] = {}  # offset -> done, in poll order
        self._next: dict[Partition, int] = {}  # first offset not done: what to commit
        self._committed: dict[Partition, int] = {}

    def started(self, partition: Partition, offset: int) -> None:
        self._pending.setdefault(partition, {})[offset] = False

    def finished(self, partition: Partition, offset: int) -> None:
        pending = self._pending[partition]
        pending[offset] = True
        while pending and pending[first := next(iter(pending))]:
            del pending[first]
            self._next[partition] = first + 1

    def delivering(self) -> set[Partition]:
        """The partitions that have delivered a record since they were assigned."""
        return set(self._pending)

    def to_commit(self, partitions: Iterable[Partition]) -> list[TopicPartition]:
        moved = {p: self._next[p] for p in partitions if p in self._next and self._next[p] != self._committed.get(p)}
        self._committed.update(moved)
        return [TopicPartition(topic, number, offset) for (topic, number), offset in moved.items()]

    def forget(self, partitions: Iterable[Partition]) -> None:
        for partition in partitions:
            for table in (self._pending, self._next, self._committed):
                table.pop(partition, None)
# --8<-- [end:progress]


@dataclass
class Stats:
    assigned: int = 0  # on_assign calls
    revoked: int = 0  # on_revoke calls
    pauses: int = 0
    resumes: int = 0  # including the one the loop states after each assignment
    most_buffered: int = 0  # records waiting for a free call slot, at the fullest
    revoke_commits_refused: int = 0  # the next owner repeats what these would have covered


def positive(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a positive number, got {value!r}")
    return value


def count(name: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a whole number of at least 1, got {value!r}")
    return value


class GatewayConsumer:
    """Consume `topics` and POST every record to `url`, never faster or wider than the gateway takes."""

    # --8<-- [start:init]
    def __init__(
        self,
        config: dict,
        topics: list[str],
        url: str,
        *,
        max_in_flight: int,  # the gateway's concurrency, divided by the number of consumer processes
        rate: float,  # calls per second, divided the same way
        burst: int | None = None,  # calls allowed at once after a quiet spell; default max_in_flight
        max_buffered: int = 100,  # records polled but waiting for a call slot: pause at this many
        timeout: float = 30.0,  # one call; cover the gateway's slowest answer, stay below max.poll.interval.ms
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not topics:
            raise ValueError("topics must name at least one topic")
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"url must be an http:// or https:// URL, got {url!r}")
        self._config, self._topics, self._url = gateway_consumer_config(config), list(topics), url
        self._limit = count("max_in_flight", max_in_flight)
        self._max_buffered = count("max_buffered", max_buffered)
        self._timeout = positive("timeout", timeout)
        burst = count("burst", max_in_flight if burst is None else burst)
        self._bucket = TokenBucket(capacity=burst, refill_rate=positive("rate", rate), clock=clock)
        self._lock = threading.Condition()  # guards everything below; workers wait on it
        self._buffer: deque[Message] = deque()
        self._busy = 0  # worker threads with a record in hand
        self._in_flight: Counter[Partition] = Counter()
        self._owned: set[Partition] = set()
        self._progress = Progress()
        self._failure: Exception | None = None
        self._paused: set[Partition] = set()  # paused by the loop because the buffer is full
        self._resumed_since_assign = False
        self.stats = Stats()
    # --8<-- [end:init]

    # --8<-- [start:loop]
    def run(self, stop: threading.Event) -> None:
        consumer = Consumer(self._config)
        consumer.subscribe(self._topics, on_assign=self._on_assign, on_revoke=self._on_revoke)
        workers = ThreadPoolExecutor(self._limit, thread_name_prefix="gateway-call")
        try:
            while not stop.is_set():
                message = consumer.poll(0.1)  # also while paused: heartbeats, rebalances, max.poll.interval.ms
                if message is not None:
                    self._accept(message)
                self._dispatch(workers)
                self._pause_or_resume(consumer)
                self._commit(consumer, list(self._owned))
        finally:
            consumer.close()  # revokes every partition: waits for calls in flight and commits them
            workers.shutdown()

    def _accept(self, message: Message) -> None:
        if message.error():
            raise KafkaException(message.error())
        with self._lock:
            self._buffer.append(message)
            self._progress.started(partition_of(message), message.offset())
            self.stats.most_buffered = max(self.stats.most_buffered, len(self._buffer))

    def _dispatch(self, workers: ThreadPoolExecutor) -> None:
        with self._lock:
            if self._failure:
                raise self._failure
            while self._buffer and self._busy < self._limit:
                message = self._buffer.popleft()
                self._in_flight[partition_of(message)] += 1
                self._busy += 1
                workers.submit(self._work, message)
    # --8<-- [end:loop]

    # --8<-- [start:pause]
    def _pause_or_resume(self, consumer: Consumer) -> None:
        with self._lock:
            waiting = len(self._buffer)
            delivering = self._progress.delivering()
        if waiting >= self._max_buffered:  # every call slot busy and the buffer full
            pause = True
        elif waiting <= self._max_buffered // 2:  # refetching takes a moment: resume before the buffer runs dry
            pause = False
        else:
            pause = bool(self._paused)
        if pause:
            # Only partitions that have delivered a record: librdkafka 2.16 can later rewind a partition that was
            # paused and resumed while it looked up its start offset (it has no commit), and deliver records again.
            newly = delivering - self._paused
            if newly:
                consumer.pause([TopicPartition(*p) for p in newly])
                if not self._paused:
                    self.stats.pauses += 1
                self._paused |= newly
        elif self._paused or not self._resumed_since_assign:  # librdkafka keeps a kept partition paused: resume it
            consumer.resume(consumer.assignment())
            self.stats.resumes += 1
            self._paused, self._resumed_since_assign = set(), True

    def _commit(self, consumer: Consumer, partitions: list[Partition]) -> None:
        with self._lock:
            offsets = self._progress.to_commit(partitions)
        if offsets:
            consumer.commit(offsets=offsets, asynchronous=False)  # raises KafkaException if refused
    # --8<-- [end:pause]

    # --8<-- [start:rebalance]
    def _on_assign(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        with self._lock:
            self._owned.update((tp.topic, tp.partition) for tp in partitions)
            self._resumed_since_assign = False
            self.stats.assigned += 1

    def _on_revoke(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        revoked = {(tp.topic, tp.partition) for tp in partitions}
        with self._lock:
            self.stats.revoked += 1
            self._owned -= revoked
            self._paused -= revoked
            self._buffer = deque(m for m in self._buffer if partition_of(m) not in revoked)  # never sent
            self._lock.notify_all()  # workers waiting for a token or a retry on these partitions give up
            self._lock.wait_for(lambda: not any(self._in_flight[p] for p in revoked))
        try:
            self._commit(consumer, list(revoked))  # the next owner starts after the last finished record
        except KafkaException as error:  # the group moved on without us: the next owner repeats these records
            self.stats.revoke_commits_refused += 1
            log.warning("offsets of revoked partitions %s not committed: %s", sorted(revoked), error)
        with self._lock:
            self._progress.forget(revoked)
    # --8<-- [end:rebalance]

    # --8<-- [start:worker]
    def _work(self, message: Message | None) -> None:
        while message is not None:
            partition = partition_of(message)
            try:
                delivered = self._deliver(message, partition)
            except Exception as error:  # not worth retrying: run() raises it, nothing after it is committed
                delivered = False
                with self._lock:
                    self._failure = self._failure or error
            message = self._finish(message, partition, delivered)

    def _deliver(self, message: Message, partition: Partition) -> bool:
        """True once the gateway took the record; False if its partition was revoked first."""
        backoff = 0.05
        while partition in self._owned:
            decision = self._bucket.acquire()
            if not decision.allowed:
                self._wait_while_owned(partition, decision.retry_after)
                continue
            try:
                post(self._url, message, self._timeout)
                return True
            except Exception as error:
                if not retriable(error):
                    raise
            self._wait_while_owned(partition, random.uniform(backoff / 2, backoff))  # jitter: no retry storm
            backoff = min(2 * backoff, MAX_BACKOFF)
        return False

    def _wait_while_owned(self, partition: Partition, seconds: float) -> None:
        with self._lock:
            self._lock.wait_for(lambda: partition not in self._owned, seconds)

    def _finish(self, message: Message, partition: Partition, delivered: bool) -> Message | None:
        """Record the outcome, then keep this call slot busy with the next waiting record, if any."""
        with self._lock:
            self._in_flight[partition] -= 1
            if delivered:
                self._progress.finished(partition, message.offset())
            following = self._buffer.popleft() if self._buffer and not self._failure else None
            if following is None:
                self._busy -= 1
            else:
                self._in_flight[partition_of(following)] += 1
            self._lock.notify_all()
            return following
    # --8<-- [end:worker]
