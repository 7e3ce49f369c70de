"""Unique names per test, and helpers to create topics, produce, read, spawn and read offsets, on the session's broker.

The broker itself is `kafka_bootstrap` in tests/conftest.py: noida-db on a free loopback port, or
your own Apache Kafka when KAFKA_BOOTSTRAP_SERVERS is set.
"""

import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Iterable
from pathlib import Path

import pytest
from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient

from kafka.admin import create_topic

SNIPPETS = Path(__file__).parents[2] / "snippets"

# The shortest session timeout the default broker accepts; a dead member is noticed within it.
CONSUMER_TIMEOUTS = {"session.timeout.ms": 6000, "heartbeat.interval.ms": 500}


@pytest.fixture(scope="session")
def kafka_admin(kafka_bootstrap):
    return AdminClient({"bootstrap.servers": kafka_bootstrap})


@pytest.fixture
def consumer_config(kafka_bootstrap):
    """consumer_config(group, {"max.poll.interval.ms": 7000}): bootstrap, group and short timeouts, as a dict."""

    def config(group: str, overrides: dict | None = None) -> dict:
        return {"bootstrap.servers": kafka_bootstrap, "group.id": group, "auto.offset.reset": "earliest",
                **CONSUMER_TIMEOUTS, **(overrides or {})}

    return config


@pytest.fixture
def unique(request):
    """unique("orders"): a topic or group name that no other test, run or rerun, shares."""
    test = re.sub(r"[^A-Za-z0-9._-]+", "-", request.node.name)[:80]
    return lambda what: f"{test}.{what}.{uuid.uuid4().hex[:8]}"


@pytest.fixture
def new_topic(kafka_admin, unique):
    """new_topic("orders", partitions=3, config={...}): create a fresh topic and return its name."""

    def make(what: str = "topic", partitions: int = 3, config: dict[str, str] | None = None) -> str:
        name = unique(what)
        create_topic(kafka_admin, name, partitions, config)
        return name

    return make


@pytest.fixture
def produce(kafka_bootstrap):
    """produce(topic, [(key, value, headers?), ...]): write records and fail unless each is acknowledged."""

    def send(topic: str, records: Iterable[tuple]) -> None:
        producer = Producer({"bootstrap.servers": kafka_bootstrap, "enable.idempotence": True})
        failures = []
        for key, value, *headers in records:
            producer.produce(topic, value, key, headers=headers[0] if headers else None,
                             on_delivery=lambda error, _: error and failures.append(error))
            producer.poll(0)
        assert producer.flush(30) == 0 and not failures, failures

    return send


@pytest.fixture
def read_topic(kafka_bootstrap, kafka_admin):
    """read_topic(topic): every record up to the current end of each partition, in partition then offset order.

    Reads with isolation.level=read_committed by default, so aborted transactional records stay hidden.
    A partition is done when the position reaches its end, checked after every poll, empty ones too:
    a transaction's commit marker takes the last offset, and skipping it delivers no record.
    """

    def read(topic: str, isolation: str = "read_committed", timeout: float = 30.0) -> list:
        consumer = Consumer({"bootstrap.servers": kafka_bootstrap, "group.id": "read-topic",
                             "enable.auto.commit": False, "isolation.level": isolation})
        try:
            partitions = kafka_admin.list_topics(topic, timeout=10).topics[topic].partitions
            ends = {p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1] for p in partitions}
            consumer.assign([TopicPartition(topic, p, 0) for p in partitions])
            records, deadline = [], time.monotonic() + timeout
            remaining = {p for p, end in ends.items() if end > 0}
            while remaining and time.monotonic() < deadline:
                message = consumer.poll(0.2)
                if message is not None and message.error():
                    raise KafkaException(message.error())
                if message is not None:
                    records.append(message)
                positions = consumer.position([TopicPartition(topic, p) for p in remaining])
                remaining -= {tp.partition for tp in positions if tp.offset >= ends[tp.partition]}
            assert not remaining, f"partitions {remaining} of {topic} not read to their end within {timeout}s"
            return sorted(records, key=lambda m: (m.partition(), m.offset()))
        finally:
            consumer.close()

    return read


@pytest.fixture
def committed(kafka_bootstrap):
    """committed(group, topic, partitions=3): {partition: committed offset} of the group, -1001 where none."""
    readers: dict[str, Consumer] = {}

    def read(group: str, topic: str, partitions: int = 3) -> dict[int, int]:
        if group not in readers:  # a consumer that never subscribes does not join the group
            readers[group] = Consumer({"bootstrap.servers": kafka_bootstrap, "group.id": group})
        offsets = readers[group].committed([TopicPartition(topic, p) for p in range(partitions)], timeout=10)
        return {tp.partition: tp.offset for tp in offsets}

    yield read
    for reader in readers.values():
        reader.close()


@pytest.fixture
def high_watermarks(kafka_bootstrap):
    """high_watermarks(topic, partitions): {partition: end offset}, the offset the next record will take."""
    reader = Consumer({"bootstrap.servers": kafka_bootstrap, "group.id": "watermarks"})

    def read(topic: str, partitions: int) -> dict[int, int]:
        return {p: reader.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1] for p in range(partitions)}

    yield read
    reader.close()


@pytest.fixture
def spawn():
    """spawn(code, *args): run Python code in a child process that can import the snippets; killed at teardown."""
    children: list[subprocess.Popen] = []

    def start(code: str, *args: str, **popen) -> subprocess.Popen:
        env = {**os.environ, "PYTHONPATH": str(SNIPPETS)}
        child = subprocess.Popen([sys.executable, "-c", code, *args], env=env, **popen)
        children.append(child)
        return child

    yield start
    for child in children:
        if child.poll() is None:
            child.kill()
        child.wait()
