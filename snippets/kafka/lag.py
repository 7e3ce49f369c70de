"""Per-partition and total consumer lag for a group, measured from the AdminClient alone."""

from collections.abc import Iterable
from dataclasses import dataclass

from confluent_kafka import ConsumerGroupTopicPartitions, IsolationLevel, KafkaException, TopicCollection, TopicPartition
from confluent_kafka.admin import AdminClient, OffsetSpec

TIMEOUT = 10.0


# --8<-- [start:result]
@dataclass(frozen=True)
class PartitionLag:
    topic: str
    partition: int
    committed: int | None  # None: the group has never committed an offset here
    end: int  # the high watermark, or the last stable offset for read_committed

    @property
    def lag(self) -> int | None:
        """end - committed, as kafka-consumer-groups.sh prints it; None without a commit."""
        return None if self.committed is None else self.end - self.committed


@dataclass(frozen=True)
class GroupLag:
    group: str
    partitions: tuple[PartitionLag, ...]

    @property
    def total(self) -> int:
        """The sum over partitions with a commit. Alert on the maximum too: a sum hides one stuck partition."""
        return sum(p.lag for p in self.partitions if p.lag is not None)

    @property
    def without_commit(self) -> tuple[PartitionLag, ...]:
        return tuple(p for p in self.partitions if p.committed is None)
# --8<-- [end:result]


# --8<-- [start:lag]
def consumer_lag(
    admin: AdminClient,
    group: str,
    topics: Iterable[str] = (),
    isolation: IsolationLevel = IsolationLevel.READ_UNCOMMITTED,
) -> GroupLag:
    """Lag of every partition the group has committed, plus every partition of `topics`.

    Pass IsolationLevel.READ_COMMITTED when the group consumes with isolation.level=read_committed:
    its end is then the last stable offset, not the high watermark.
    """
    if not group:
        raise ValueError(f"group must be a non-empty consumer group id, got {group!r}")
    committed = committed_offsets(admin, group)
    for topic in topics:
        for partition in partitions_of(admin, topic):
            committed.setdefault((topic, partition), None)
    ends = end_offsets(admin, list(committed), isolation)
    return GroupLag(group, tuple(PartitionLag(t, p, committed[t, p], ends[t, p]) for t, p in sorted(committed)))


def committed_offsets(admin: AdminClient, group: str) -> dict[tuple[str, int], int | None]:
    request = [ConsumerGroupTopicPartitions(group)]  # no partitions: every partition the group committed
    answer = admin.list_consumer_group_offsets(request, request_timeout=TIMEOUT)[group].result()
    return {(tp.topic, tp.partition): committed_offset(tp) for tp in answer.topic_partitions}


def committed_offset(tp: TopicPartition) -> int | None:
    if tp.error is not None:
        raise KafkaException(tp.error)  # not "no commit": an error the caller must see
    return tp.offset if tp.offset >= 0 else None


def partitions_of(admin: AdminClient, topic: str) -> list[int]:
    description = admin.describe_topics(TopicCollection([topic]), request_timeout=TIMEOUT)[topic].result()
    return [p.id for p in description.partitions]


def end_offsets(
    admin: AdminClient, partitions: list[tuple[str, int]], isolation: IsolationLevel
) -> dict[tuple[str, int], int]:
    request = {TopicPartition(t, p): OffsetSpec.latest() for t, p in partitions}
    futures = admin.list_offsets(request, isolation_level=isolation, request_timeout=TIMEOUT)
    return {(tp.topic, tp.partition): future.result().offset for tp, future in futures.items()}
# --8<-- [end:lag]
