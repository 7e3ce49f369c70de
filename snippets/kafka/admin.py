"""Create, grow and describe topics with confluent-kafka's AdminClient."""

from dataclasses import dataclass

from confluent_kafka import TopicCollection
from confluent_kafka.admin import AdminClient, ConfigResource, NewPartitions, NewTopic

TIMEOUT = 10.0


# --8<-- [start:create]
def create_topic(
    admin: AdminClient,
    name: str,
    partitions: int,
    config: dict[str, str] | None = None,
    replication_factor: int = -1,  # -1: the broker's default.replication.factor
) -> None:
    """Create one topic and wait for the controller's answer; errors raise KafkaException."""
    if partitions < 1:
        raise ValueError(f"partitions must be at least 1, got {partitions!r}")
    topic = NewTopic(name, partitions, replication_factor, config=config or {})
    futures = admin.create_topics([topic], operation_timeout=TIMEOUT, request_timeout=TIMEOUT)
    futures[name].result()
# --8<-- [end:create]


# --8<-- [start:grow]
def add_partitions(admin: AdminClient, name: str, total: int) -> None:
    """Grow a topic to `total` partitions. Kafka never removes partitions, and keys remap."""
    futures = admin.create_partitions([NewPartitions(name, total)], request_timeout=TIMEOUT)
    futures[name].result()
# --8<-- [end:grow]


# --8<-- [start:describe]
@dataclass(frozen=True)
class TopicDescription:
    name: str
    partitions: int
    config: dict[str, str]


def describe_topic(admin: AdminClient, name: str) -> TopicDescription:
    topic = admin.describe_topics(TopicCollection([name]), request_timeout=TIMEOUT)[name].result()
    resource = ConfigResource(ConfigResource.Type.TOPIC, name)
    entries = admin.describe_configs([resource], request_timeout=TIMEOUT)[resource].result()
    config = {key: entry.value for key, entry in entries.items()}
    return TopicDescription(name, len(topic.partitions), config)
# --8<-- [end:describe]
