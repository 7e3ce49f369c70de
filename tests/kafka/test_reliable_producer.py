"""snippets/kafka/reliable_producer.py against the session's broker: every record acknowledged, or a clear error."""

import time
from collections import defaultdict

import pytest
from confluent_kafka import Consumer, KafkaException, Producer

from kafka.key_partitioner import partition_for
from kafka.reliable_producer import RELIABLE_SETTINGS, DeliveryFailed, ReliableProducer, reliable_config

# A topic the tests never create. With auto-creation off, it stays missing.
NO_AUTO_CREATE = {"allow.auto.create.topics": False}


def causes(error: BaseException):
    """The error and every exception chained to it, through `raise ... from` and during-handling context."""
    seen = []
    while error is not None and error not in seen:
        seen.append(error)
        error = error.__cause__ or error.__context__
    return seen


def test_every_record_is_acknowledged_and_each_key_keeps_its_order(kafka_bootstrap, new_topic, read_topic):
    topic = new_topic("orders", partitions=6)
    keys = [f"customer-{n}" for n in range(40)]
    with ReliableProducer({"bootstrap.servers": kafka_bootstrap}) as producer:
        for sequence in range(25):  # interleave the keys, so every batch mixes them
            for key in keys:
                producer.send(topic, key, str(sequence).encode())
    assert producer.acknowledged == 1000

    records = read_topic(topic)
    assert len(records) == 1000
    values, partitions = defaultdict(list), defaultdict(set)
    for record in records:  # read_topic sorts by (partition, offset): a key's records come in offset order
        values[record.key().decode()].append(int(record.value()))
        partitions[record.key().decode()].add(record.partition())
    assert all(values[key] == list(range(25)) for key in keys), "a key's records are out of order or duplicated"
    assert all(partitions[key] == {partition_for(key, 6)} for key in keys)
    assert set().union(*partitions.values()) == set(range(6)), "the keys should spread over every partition"


def test_a_full_local_queue_makes_send_wait_instead_of_failing(kafka_bootstrap, new_topic, read_topic):
    topic = new_topic("backpressure", partitions=2)
    small_queue = {"bootstrap.servers": kafka_bootstrap, "queue.buffering.max.messages": 10, "linger.ms": 50}
    plain = Producer(small_queue)
    with pytest.raises(BufferError):  # what a bare produce() does once 10 records wait
        for _ in range(11):
            plain.produce(topic, b"plain", b"k")
    plain.purge()
    plain.flush(10)

    with ReliableProducer(small_queue) as producer:
        for n in range(200):
            producer.send(topic, f"k{n % 7}", str(n).encode())
    assert producer.acknowledged == 200
    assert len(read_topic(topic)) == 200


def test_reliable_config_adds_the_settings_and_keeps_the_callers():
    config = reliable_config({"bootstrap.servers": "broker:9092", "linger.ms": 20, "acks": -1})
    assert config == {"bootstrap.servers": "broker:9092", "linger.ms": 20, **RELIABLE_SETTINGS}
    assert config["acks"] == "all" and config["enable.idempotence"] is True
    assert config["partitioner"] == "murmur2_random"


@pytest.mark.parametrize(("name", "value"), [("acks", 1), ("enable.idempotence", False), ("partitioner", "consistent_random")])
def test_a_setting_that_contradicts_reliability_is_a_value_error_naming_it(name, value):
    with pytest.raises(ValueError, match=name):
        reliable_config({"bootstrap.servers": "broker:9092", name: value})


def test_an_unknown_config_key_fails_at_construction_naming_the_property(kafka_bootstrap):
    with pytest.raises(KafkaException) as raised:
        ReliableProducer({"bootstrap.servers": kafka_bootstrap, "delivery.timeout": 5000})
    error = raised.value.args[0]
    assert error.name() == "_INVALID_ARG"
    assert 'No such configuration property: "delivery.timeout"' in error.str()


def test_a_record_over_message_max_bytes_is_refused_at_send(kafka_bootstrap, new_topic, read_topic):
    topic = new_topic("big-local", partitions=1)
    with ReliableProducer({"bootstrap.servers": kafka_bootstrap, "message.max.bytes": 10_000}) as producer:
        with pytest.raises(KafkaException) as raised:
            producer.send(topic, "k", b"x" * 20_000)
        assert raised.value.args[0].name() == "MSG_SIZE_TOO_LARGE"
        producer.send(topic, "k", b"fits")  # the producer is still usable
    assert producer.acknowledged == 1
    assert [r.value() for r in read_topic(topic)] == [b"fits"]


def test_the_broker_refuses_a_record_over_the_topics_max_message_bytes(kafka_bootstrap, new_topic, read_topic):
    topic = new_topic("big-broker", partitions=1, config={"max.message.bytes": "1024"})
    with ReliableProducer({"bootstrap.servers": kafka_bootstrap}) as producer:
        producer.send(topic, "big", b"x" * 4096)  # under the client's 1 MB message.max.bytes
        with pytest.raises(DeliveryFailed) as raised:
            producer.flush()
        producer.send(topic, "small", b"fits")
    [failed] = raised.value.failed
    assert (failed.topic, failed.partition, failed.key, failed.error) == (topic, 0, b"big", "MSG_SIZE_TOO_LARGE")
    assert failed.value == b"x" * 4096
    assert "MSG_SIZE_TOO_LARGE" in str(raised.value) and topic in str(raised.value)
    assert producer.acknowledged == 1
    assert [r.key() for r in read_topic(topic)] == [b"small"]


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        # The client waits topic.metadata.propagation.max.ms (30 s by default) before it believes the topic is missing.
        ({"topic.metadata.propagation.max.ms": 1000, "message.timeout.ms": 20_000}, "UNKNOWN_TOPIC_OR_PART"),
        # With a shorter delivery timeout, the record times out first.
        ({"message.timeout.ms": 1500}, "_MSG_TIMED_OUT"),
    ],
)
def test_a_missing_topic_with_auto_create_off_fails_the_delivery(kafka_bootstrap, kafka_admin, unique, settings, expected):
    topic = unique("missing")
    producer = ReliableProducer({"bootstrap.servers": kafka_bootstrap, **NO_AUTO_CREATE, **settings})
    for n in range(7):
        producer.send(topic, f"k{n}", b"lost")
    with pytest.raises(DeliveryFailed) as raised:
        producer.close()
    failed = raised.value.failed
    assert [(r.topic, r.partition, r.error) for r in failed] == [(topic, None, expected)] * 7
    assert sorted(r.key for r in failed) == [f"k{n}".encode() for n in range(7)]
    assert str(raised.value).startswith("7 record(s) failed, 0 not flushed") and "and 2 more" in str(raised.value)
    assert topic not in kafka_admin.list_topics(timeout=10).topics


def test_a_consumer_subscribed_to_a_missing_topic_gets_unknown_topic_or_part(consumer_config, kafka_admin, unique):
    topic = unique("missing")
    consumer = Consumer(consumer_config(unique("group")))  # librdkafka consumers never auto-create topics
    try:
        consumer.subscribe([topic])
        deadline, message = time.monotonic() + 20, None
        while message is None and time.monotonic() < deadline:
            message = consumer.poll(0.2)
        assert message is not None and message.error() is not None
        assert message.error().name() == "UNKNOWN_TOPIC_OR_PART"
        assert topic in message.error().str()
    finally:
        consumer.close()
    assert topic not in kafka_admin.list_topics(timeout=10).topics


def test_close_purges_and_reports_what_did_not_flush(kafka_bootstrap, unique):
    topic = unique("stuck")  # missing, and the client waits 30 s before giving up on it: the record stays queued
    producer = ReliableProducer({"bootstrap.servers": kafka_bootstrap, **NO_AUTO_CREATE, "message.timeout.ms": 60_000})
    producer.send(topic, "k", b"queued")
    with pytest.raises(DeliveryFailed) as flushed:
        producer.flush(timeout=0.5)
    assert (flushed.value.failed, flushed.value.unflushed) == ([], 1)

    with pytest.raises(DeliveryFailed) as closed:
        producer.close(timeout=0.5)
    assert closed.value.unflushed == 1
    assert [(r.key, r.error) for r in closed.value.failed] == [(b"k", "_PURGE_QUEUE")]
    with pytest.raises(RuntimeError):  # closed for good
        producer.send(topic, "k", b"again")


def test_bad_arguments_are_value_errors_naming_them(kafka_bootstrap, new_topic):
    topic = new_topic("bad-arguments", partitions=1)
    producer = ReliableProducer({"bootstrap.servers": kafka_bootstrap})
    with pytest.raises(ValueError, match="key"):
        producer.send(topic, None, b"v")
    with pytest.raises(ValueError, match="timeout"):
        producer.flush(timeout=0)
    with pytest.raises(ValueError, match="timeout"):
        producer.close(timeout=-1)  # a negative timeout would mean "wait forever" to confluent-kafka
    with pytest.raises(RuntimeError):  # close() still closed the producer
        producer.send(topic, "k", b"v")


def test_a_fatal_error_is_raised_not_swallowed(kafka_bootstrap, new_topic):
    # With enable.gapless.guarantee, a batch the broker refuses is a fatal error: the producer is unusable.
    topic = new_topic("fatal", partitions=1, config={"max.message.bytes": "1024"})
    config = {"bootstrap.servers": kafka_bootstrap, "enable.gapless.guarantee": True}
    with pytest.raises(Exception) as raised:
        with ReliableProducer(config) as producer:
            producer.send(topic, "big", b"x" * 4096)
            producer.flush()
    fatal = [e.args[0] for e in causes(raised.value) if isinstance(e, KafkaException) and e.args[0].fatal()]
    print("fatal error chain:", [type(e).__name__ for e in causes(raised.value)])
    assert fatal and fatal[0].name() == "_GAPLESS_GUARANTEE", causes(raised.value)
