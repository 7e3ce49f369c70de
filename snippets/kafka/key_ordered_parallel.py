"""Key-ordered parallel consumer: more worker lanes than partitions, per-key order, contiguous commits."""

import logging
import queue
import threading
import time
import zlib
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from confluent_kafka import Consumer, KafkaError, KafkaException, Message, TopicPartition

log = logging.getLogger(__name__)
Partition = tuple[str, int]
POLL_TIMEOUT = 0.1


# --8<-- [start:tracker]
class ContiguousOffsets:
    """One partition's offsets handed to workers, and the next offset that is safe to commit."""

    def __init__(self) -> None:
        self._order: deque[int] = deque()  # started offsets, oldest first
        self._running: set[int] = set()
        self._last: int | None = None

    def accepts(self, offset: int) -> bool:
        return self._last is None or offset > self._last

    def start(self, offset: int) -> None:
        if not self.accepts(offset):
            raise ValueError(f"offset must grow: got {offset} after {self._last}")
        self._last = offset
        self._order.append(offset)
        self._running.add(offset)

    def finish(self, offset: int) -> None:
        if offset not in self._running:
            raise ValueError(f"offset {offset} is not in progress")
        self._running.remove(offset)
        while self._order and self._order[0] not in self._running:
            self._order.popleft()

    @property
    def committable(self) -> int | None:
        """The oldest offset still in progress, or one past the last started; None before any start."""
        if self._order:
            return self._order[0]
        return None if self._last is None else self._last + 1
# --8<-- [end:tracker]


# --8<-- [start:route]
def lane_for(key: bytes | None, topic: str, partition: int, lanes: int) -> int:
    """The same key always lands in the same lane, in every process; keyless records keep partition order."""
    basis = key if key is not None else f"{topic}/{partition}".encode()
    return zlib.crc32(basis) % lanes  # not hash(): Python randomises it per process
# --8<-- [end:route]


# --8<-- [start:errors]
def raise_unless_retriable(error: KafkaError) -> None:
    """A consumer error from poll(): retriable ones are logged (librdkafka retries them), the rest raise."""
    # A consumer reports a fatal error as code _FATAL; fatal() is false on that event itself.
    if error.retriable() and not error.fatal() and error.code() != KafkaError._FATAL:
        log.warning("retriable consumer error: %s", error)
        return
    raise KafkaException(error)


# The broker refuses a commit from a generation that is over: this member was too slow, or the group is
# rebalancing. Whoever owns the partition next starts from the last commit that landed and processes the
# records after it again, which at-least-once allows.
STALE_MEMBER = {KafkaError.UNKNOWN_MEMBER_ID, KafkaError.ILLEGAL_GENERATION, KafkaError.REBALANCE_IN_PROGRESS}


def raise_unless_stale(error: KafkaError) -> None:
    if error.code() in STALE_MEMBER:
        log.warning("commit refused, records after the last commit will be processed again: %s", error.str())
        return
    raise KafkaException(error)
# --8<-- [end:errors]


@dataclass(frozen=True)
class Stats:
    in_flight: int  # records queued in lanes or being processed
    peak_in_flight: int
    paused: int  # partitions paused because the lanes are full
    dropped: int  # records a lane skipped: their partition was revoked, or a handler failed
    owned: frozenset[Partition]


class KeyOrderedConsumer:
    """Poll in one thread, process in `lanes` threads, one lane per key hash; commit contiguous offsets."""

    # --8<-- [start:init]
    def __init__(self, config: dict, topics: list[str], handler: Callable[[Message], None], *,
                 lanes: int = 8, max_in_flight: int = 256, commit_interval: float = 1.0) -> None:
        if "group.id" not in config:
            raise ValueError("config must set group.id: offsets are committed for a group")
        if not topics:
            raise ValueError(f"topics must name at least one topic, got {topics!r}")
        if lanes < 1:
            raise ValueError(f"lanes must be at least 1, got {lanes!r}")
        if max_in_flight < lanes:
            raise ValueError(f"max_in_flight must be at least lanes ({lanes}), got {max_in_flight!r}")
        if commit_interval <= 0:
            raise ValueError(f"commit_interval must be positive, got {commit_interval!r}")
        self._config = {**config, "enable.auto.commit": False}  # only run() commits, and only finished work
        self._topics, self._handler = topics, handler
        self._lanes: list[queue.SimpleQueue] = [queue.SimpleQueue() for _ in range(lanes)]
        self._max_in_flight, self._commit_interval = max_in_flight, commit_interval
        self._lock = threading.Condition()
        self._trackers: dict[Partition, ContiguousOffsets] = {}
        self._pending: dict[Partition, int] = {}  # in flight, per partition
        self._committed: dict[Partition, int] = {}
        self._owned: set[Partition] = set()
        self._paused: set[Partition] = set()
        self._held: list[Message] = []  # at most one record per paused partition, dispatched on resume
        self._in_flight = self._peak = self._dropped = 0
        self._failure: Exception | None = None
    # --8<-- [end:init]

    # --8<-- [start:run]
    def run(self, stop: threading.Event) -> None:
        """Consume until `stop` is set; a handler's exception stops every lane and is raised here."""
        consumer = Consumer(self._config)
        workers = [threading.Thread(target=self._work, args=(lane,), daemon=True) for lane in self._lanes]
        for worker in workers:
            worker.start()
        try:
            consumer.subscribe(self._topics, on_assign=self._on_assign, on_revoke=self._on_revoke)
            next_commit = time.monotonic() + self._commit_interval
            while not stop.is_set():
                if self._failure is not None:
                    raise self._failure
                self._resume_when_drained(consumer)
                message = consumer.poll(POLL_TIMEOUT)  # also while paused: poll keeps the member in the group
                if message is not None and not self._held_back(consumer, message):
                    self._dispatch(message)
                if time.monotonic() >= next_commit:
                    self._commit(consumer, self.stats().owned)
                    next_commit = time.monotonic() + self._commit_interval
            self._release(consumer, self.stats().owned)
        finally:
            try:
                consumer.close()  # revokes what is still owned, so on_revoke commits after a failure too
            finally:
                for lane in self._lanes:
                    lane.put(None)
                for worker in workers:
                    worker.join()

    def _dispatch(self, message: Message) -> None:
        if (error := message.error()) is not None:
            raise_unless_retriable(error)
        else:
            partition = (message.topic(), message.partition())
            with self._lock:
                if not self._trackers[partition].accepts(message.offset()):
                    # The fetch position went back (an offset reset): let the records in flight finish,
                    # then count this partition's offsets afresh from here.
                    log.warning("%s [%d] went back to offset %d", *partition, message.offset())
                    self._lock.wait_for(lambda: self._pending[partition] == 0)
                    self._trackers[partition] = ContiguousOffsets()
                    self._committed.pop(partition, None)
                self._trackers[partition].start(message.offset())
                self._pending[partition] += 1
                self._in_flight += 1
                self._peak = max(self._peak, self._in_flight)
            self._lanes[lane_for(message.key(), *partition, len(self._lanes))].put(message)
    # --8<-- [end:run]

    # --8<-- [start:lane]
    def _work(self, lane: queue.SimpleQueue) -> None:
        while (message := lane.get()) is not None:
            partition = (message.topic(), message.partition())
            with self._lock:
                wanted = partition in self._owned and self._failure is None
            finished = False
            if wanted:
                try:
                    self._handler(message)
                    finished = True
                except Exception as error:  # run() raises it in the polling thread
                    with self._lock:
                        self._failure = self._failure or error
            with self._lock:
                if finished:
                    self._trackers[partition].finish(message.offset())
                else:
                    self._dropped += 1
                self._pending[partition] -= 1
                self._in_flight -= 1
                self._lock.notify_all()
    # --8<-- [end:lane]

    # --8<-- [start:backpressure]
    def _held_back(self, consumer: Consumer, message: Message) -> bool:
        """With the lanes full, keep the record back and pause its partition; True if it was held."""
        partition = (message.topic(), message.partition())
        with self._lock:
            if message.error() is not None or self._in_flight < self._max_in_flight:
                return False
            self._held.append(message)
            self._paused.add(partition)
        # Paused right after it delivered a record, the partition resumes from the next offset. Never pause
        # one that has delivered nothing yet: while librdkafka 2.16 still looks up its start offset (there is
        # no commit), a pause and resume can make it rewind to that start later and deliver records again.
        consumer.pause(topic_partitions([partition]))
        return True

    def _resume_when_drained(self, consumer: Consumer) -> None:
        with self._lock:
            if not self._paused or self._in_flight > self._max_in_flight // 2:
                return
            held, self._held = self._held, []
            paused, self._paused = self._paused, set()
        for message in held:
            if not self._held_back(consumer, message):
                self._dispatch(message)
        with self._lock:
            resume = paused - self._paused
        consumer.resume(topic_partitions(resume))
    # --8<-- [end:backpressure]

    # --8<-- [start:rebalance]
    def _on_assign(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        with self._lock:
            for tp in partitions:
                partition = (tp.topic, tp.partition)
                self._owned.add(partition)
                self._trackers[partition] = ContiguousOffsets()
                self._pending[partition] = 0

    def _on_revoke(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        self._release(consumer, [(tp.topic, tp.partition) for tp in partitions])

    def _release(self, consumer: Consumer, partitions: Iterable[Partition]) -> None:
        """Take no more work for these partitions, wait for the records running now, commit, forget them."""
        with self._lock:
            mine = [p for p in partitions if p in self._owned]  # close() revokes again what run() released
            self._owned.difference_update(mine)  # lanes now skip their queued records
            self._lock.wait_for(lambda: all(self._pending[p] == 0 for p in mine))
            paused = [p for p in mine if p in self._paused]
            self._paused.difference_update(paused)
            self._held = [m for m in self._held if (m.topic(), m.partition()) not in mine]  # the next owner's
        if paused:
            consumer.resume(topic_partitions(paused))  # a partition assigned again must not stay paused
        self._commit(consumer, mine)
        with self._lock:
            for partition in mine:
                del self._trackers[partition], self._pending[partition]
                self._committed.pop(partition, None)

    def _commit(self, consumer: Consumer, partitions: Iterable[Partition]) -> None:
        with self._lock:
            offsets = [TopicPartition(*p, self._trackers[p].committable) for p in partitions
                       if self._trackers[p].committable not in (None, self._committed.get(p))]
        if not offsets:
            return
        try:
            consumer.commit(offsets=offsets, asynchronous=False)
        except KafkaException as error:
            raise_unless_stale(error.args[0])
            return
        with self._lock:
            self._committed.update({(tp.topic, tp.partition): tp.offset for tp in offsets})
    # --8<-- [end:rebalance]

    def stats(self) -> Stats:
        with self._lock:
            return Stats(self._in_flight, self._peak, len(self._paused), self._dropped, frozenset(self._owned))


def topic_partitions(partitions: Iterable[Partition]) -> list[TopicPartition]:
    return [TopicPartition(topic, partition) for topic, partition in partitions]
