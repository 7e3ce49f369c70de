"""An at-least-once consumer loop: process a batch, then commit the next offset per partition, synchronously."""

import logging
import signal
import sqlite3
import threading
from collections.abc import Callable, Iterator

from confluent_kafka import Consumer, KafkaError, KafkaException, Message, TopicPartition

Partition = tuple[str, int]
log = logging.getLogger(__name__)
MAX_BATCH = 1_000_000  # the most that Consumer.consume() accepts


# --8<-- [start:config]
def at_least_once_config(config: dict) -> dict:
    """The caller's settings (bootstrap.servers, group.id, ...) plus the ones this loop relies on."""
    return {
        "auto.offset.reset": "earliest",  # a group with no commit starts at the oldest record, not the newest
        **config,
        "enable.auto.commit": False,  # only the loop commits, and only what was processed
    }
# --8<-- [end:config]


# --8<-- [start:revoke]
class PendingOffsets:
    """Per partition, the next offset to read after the records processed but not committed yet."""

    def __init__(self) -> None:
        self.offsets: dict[Partition, int] = {}

    def processed(self, message: Message) -> None:
        self.offsets[(message.topic(), message.partition())] = message.offset() + 1

    def commit(self, consumer: Consumer, partitions: set[Partition] | None = None) -> None:
        """Commit synchronously (all partitions, or only `partitions`), then forget what was committed."""
        chosen = {p: o for p, o in self.offsets.items() if partitions is None or p in partitions}
        if not chosen:
            return  # nothing processed since the last commit
        consumer.commit(offsets=[TopicPartition(t, p, o) for (t, p), o in chosen.items()], asynchronous=False)
        for partition in chosen:
            del self.offsets[partition]

    def on_revoke(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        """The partitions go to another member after this returns: commit what was processed on them."""
        revoked = {(p.topic, p.partition) for p in partitions}
        commit_processed(consumer, self, revoked)
        for partition in revoked:
            self.offsets.pop(partition, None)  # left only if the commit was refused: the next owner rereads them

    def on_lost(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        """The partitions may belong to another member already: do not commit, their records come again."""
        for p in partitions:
            self.offsets.pop((p.topic, p.partition), None)
# --8<-- [end:revoke]


# --8<-- [start:errors]
# The broker refused the commit because this member's generation is over: a batch took longer than
# max.poll.interval.ms, or the group is rebalancing. The partitions are revoked or lost in the next
# consume(), and whoever owns them next reads the records again. Any other error, fatal ones included, raises.
STALE_MEMBER = {KafkaError.UNKNOWN_MEMBER_ID, KafkaError.ILLEGAL_GENERATION, KafkaError.REBALANCE_IN_PROGRESS}


def commit_processed(consumer: Consumer, pending: PendingOffsets, partitions: set[Partition] | None = None) -> None:
    try:
        pending.commit(consumer, partitions)
    except KafkaException as error:
        if error.args[0].code() not in STALE_MEMBER:
            raise
        log.warning("commit refused, these records will be read again: %s", error.args[0].str())


def records(batch: list[Message]) -> Iterator[Message]:
    """The records of a batch. An error in it is raised, except the note that this member left the group."""
    for message in batch:
        error = message.error()
        if error is None:
            yield message
        elif error.code() == KafkaError._MAX_POLL_EXCEEDED:
            log.warning("%s: rejoining the group", error.str())  # consume() rejoins by itself
        else:
            raise KafkaException(error)
# --8<-- [end:errors]


def check_arguments(topics: list[str], batch_size: int, poll_timeout: float) -> None:
    if not topics:
        raise ValueError(f"topics must name at least one topic, got {topics!r}")
    if not 1 <= batch_size <= MAX_BATCH:
        raise ValueError(f"batch_size must be between 1 and {MAX_BATCH}, got {batch_size!r}")
    if not poll_timeout > 0:
        raise ValueError(f"poll_timeout must be a positive number of seconds, got {poll_timeout!r}")


# --8<-- [start:loop]
def consume_at_least_once(
    config: dict,
    topics: list[str],
    process: Callable[[Message], None],
    stop: threading.Event,
    batch_size: int = 500,
    poll_timeout: float = 1.0,
) -> None:
    """Until `stop` is set: take a batch, process every record, then commit the batch's next offsets."""
    check_arguments(topics, batch_size, poll_timeout)
    consumer = Consumer(at_least_once_config(config))
    pending = PendingOffsets()
    consumer.subscribe(topics, on_revoke=pending.on_revoke, on_lost=pending.on_lost)
    try:
        while not stop.is_set():
            for message in records(consumer.consume(batch_size, poll_timeout)):
                process(message)  # raises: the loop stops, close() below commits the records before it
                pending.processed(message)
            commit_processed(consumer, pending)
    finally:
        consumer.close()  # on_revoke commits what is pending; a dynamic member then leaves the group at once
# --8<-- [end:loop]


# --8<-- [start:sigterm]
def run_until_sigterm(
    config: dict, topics: list[str], process: Callable[[Message], None], batch_size: int = 500
) -> None:
    """Run the loop in the main thread. SIGTERM lets it finish the batch, commit and close."""
    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: stop.set())
    try:
        consume_at_least_once(config, topics, process, stop, batch_size)
    finally:
        signal.signal(signal.SIGTERM, previous)
# --8<-- [end:sigterm]


# --8<-- [start:sink]
def message_id(message: Message) -> str:
    """Unique and stable across redeliveries. An event id in the payload also absorbs producer duplicates."""
    return f"{message.topic()}-{message.partition()}-{message.offset()}"


class UpsertSink:
    """An idempotent SQLite sink: one row per message id, so a redelivered record changes nothing."""

    def __init__(self, path: str) -> None:
        self.db = sqlite3.connect(path)
        with self.db:
            self.db.execute("CREATE TABLE IF NOT EXISTS events (id TEXT PRIMARY KEY, value TEXT NOT NULL)")

    def write(self, message: Message) -> None:
        with self.db:  # the row is committed before the loop commits the record's offset to Kafka
            self.db.execute(
                "INSERT INTO events (id, value) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET value = excluded.value",
                (message_id(message), message.value().decode()),
            )

    def rows(self) -> dict[str, str]:
        return dict(self.db.execute("SELECT id, value FROM events"))
# --8<-- [end:sink]
