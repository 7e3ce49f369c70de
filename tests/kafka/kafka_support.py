"""What the Kafka tests share: a deadline wait, group state and offsets, and where noida-db differs from Kafka."""

import os
import time
from collections.abc import Callable

import pytest
from confluent_kafka import ConsumerGroupTopicPartitions

DEADLINE = 60.0  # seconds; generous for a loaded machine, never reached when things work

# Apache Kafka accepts a commit from the current generation until the rebalance's join phase completes (the group
# coordinator's validateOffsetCommit refuses only a stale generation, or any commit while completing the rebalance).
# noida-db 0.2.3 refuses it with ILLEGAL_GENERATION as soon as a member joins. Tests marked so keep Kafka's assertion.
apache_kafka_behaviour = pytest.mark.xfail(
    not os.environ.get("KAFKA_BOOTSTRAP_SERVERS"), strict=True, raises=AssertionError,
    reason="noida-db refuses commits from the current generation once a rebalance starts, which Apache Kafka accepts")


def wait_until(condition: Callable[[], object], what: str, timeout: float = DEADLINE, interval: float = 0.02) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out after {timeout}s waiting for {what}"
        time.sleep(interval)


def group_state(admin, group: str):
    return admin.describe_consumer_groups([group])[group].result()


def committed_offsets(admin, group: str, topic: str) -> dict[int, int]:
    """{partition: committed offset} of the group on the topic, from the admin API; uncommitted partitions left out."""
    answer = admin.list_consumer_group_offsets([ConsumerGroupTopicPartitions(group)])[group].result()
    return {tp.partition: tp.offset for tp in answer.topic_partitions if tp.topic == topic and tp.offset >= 0}
