"""snippets/kafka/admin.py against the session's broker, and what the topic configs it sets do."""

import time

import pytest
from confluent_kafka import KafkaException, Producer

from kafka.admin import add_partitions, create_topic, describe_topic


def test_create_topic_with_partitions_and_configs(kafka_admin, unique):
    name = unique("events")
    config = {"retention.ms": "86400000", "cleanup.policy": "compact"}
    create_topic(kafka_admin, name, 3, config)
    described = describe_topic(kafka_admin, name)
    assert described.partitions == 3
    assert described.config["retention.ms"] == "86400000"
    assert described.config["cleanup.policy"] == "compact"


def test_add_partitions_grows_a_topic(kafka_admin, new_topic):
    name = new_topic(partitions=3)
    add_partitions(kafka_admin, name, 6)
    assert describe_topic(kafka_admin, name).partitions == 6


def test_a_topic_cannot_shrink(kafka_admin, new_topic):
    name = new_topic(partitions=3)
    with pytest.raises(KafkaException) as raised:
        add_partitions(kafka_admin, name, 2)
    assert raised.value.args[0].name() == "INVALID_PARTITIONS"


def test_creating_an_existing_topic_names_the_error(kafka_admin, new_topic):
    name = new_topic(partitions=1)
    with pytest.raises(KafkaException) as raised:
        create_topic(kafka_admin, name, 1)
    assert raised.value.args[0].name() == "TOPIC_ALREADY_EXISTS"


def test_an_unknown_topic_config_is_refused_by_the_broker(kafka_admin, unique):
    with pytest.raises(KafkaException) as raised:
        create_topic(kafka_admin, unique("bad"), 1, {"retention.msec": "1000"})
    assert raised.value.args[0].name() == "INVALID_CONFIG"
    assert "retention.msec" in raised.value.args[0].str()


def test_zero_partitions_is_a_value_error_naming_the_argument(kafka_admin, unique):
    with pytest.raises(ValueError, match="partitions"):
        create_topic(kafka_admin, unique("none"), 0)


COMPACT_QUICKLY = {
    "cleanup.policy": "compact",
    "segment.ms": "100",  # roll segments at once, so that the cleaner may touch them
    "min.cleanable.dirty.ratio": "0.01",
    "delete.retention.ms": "100",  # tombstones may go soon after the cleaner has seen them
}


def latest_by_key(records) -> dict:
    latest = {}
    for record in records:
        latest[record.key()] = (record.offset(), record.value())
    return latest


def test_a_compacted_topic_keeps_the_latest_record_of_each_key(kafka_admin, new_topic, produce, read_topic):
    name = new_topic("profiles", partitions=1, config=COMPACT_QUICKLY)
    updates = [(f"user-{i % 3}".encode(), f"version {i}".encode()) for i in range(300)]
    produce(name, updates)
    produce(name, [(b"user-0", None)])  # a tombstone: a null value deletes the key
    expected = latest_by_key(read_topic(name))

    def compacted(records) -> bool:
        return len(records) <= 10 and b"user-0" not in latest_by_key(records)

    deadline = time.monotonic() + 60
    while not compacted(records := read_topic(name)) and time.monotonic() < deadline:
        produce(name, [(b"heartbeat", b"roll")])  # a new record lets the active segment roll
        time.sleep(0.5)

    kept = latest_by_key(records)
    assert compacted(records), "the broker did not compact the topic and drop the tombstone within 60 s"
    assert kept[b"user-1"] == expected[b"user-1"]  # same offset and value: compaction never renumbers
    assert kept[b"user-2"] == expected[b"user-2"]
    offsets = [record.offset() for record in records]
    assert offsets == sorted(offsets) and offsets[0] > 0, "gaps where records were removed"


def test_a_compacted_topic_refuses_a_record_without_a_key(kafka_bootstrap, new_topic):
    name = new_topic("profiles", partitions=1, config={"cleanup.policy": "compact"})
    failures = []
    producer = Producer({"bootstrap.servers": kafka_bootstrap})
    producer.produce(name, b"no key", on_delivery=lambda error, _: failures.append(error))
    producer.flush(10)
    assert [error.name() for error in failures] == ["INVALID_RECORD"]
