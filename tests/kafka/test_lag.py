"""snippets/kafka/lag.py against the session's broker: lag is produced minus consumed, per partition."""

import time

import pytest
from confluent_kafka import (
    Consumer,
    ConsumerGroupTopicPartitions,
    IsolationLevel,
    KafkaException,
    Producer,
    TopicPartition,
)
from hypothesis import given
from hypothesis import strategies as st

from kafka.lag import GroupLag, PartitionLag, committed_offset, consumer_lag

PRODUCED = {0: 8, 1: 5, 2: 3}
CONSUMED = {0: 3, 1: 5, 2: 1}


@pytest.fixture
def produce_to(kafka_bootstrap):
    """produce_to(topic, {partition: count}): write `count` records to each partition and wait for every ack."""

    def send(topic: str, counts: dict[int, int]) -> None:
        producer = Producer({"bootstrap.servers": kafka_bootstrap, "enable.idempotence": True})
        failures = []
        for partition, count in counts.items():
            for n in range(count):
                producer.produce(topic, f"{partition}-{n}".encode(), partition=partition,
                                 on_delivery=lambda error, _: error and failures.append(error))
        assert producer.flush(30) == 0 and not failures, failures

    return send


@pytest.fixture
def consume_and_commit(consumer_config):
    """consume_and_commit(group, topic, {partition: count}): read `count` more records per partition, then commit."""

    def consume(group: str, topic: str, counts: dict[int, int]) -> None:
        consumer = Consumer(consumer_config(group, {"enable.auto.commit": False}))
        try:
            for partition, count in counts.items():
                consumer.assign([TopicPartition(topic, partition)])  # resumes from the group's commit
                records, deadline = [], time.monotonic() + 30
                while len(records) < count and time.monotonic() < deadline:
                    records += consumer.consume(count - len(records), timeout=0.5)
                assert len(records) == count and not any(r.error() for r in records), records
                consumer.commit(message=records[-1], asynchronous=False)
        finally:
            consumer.close()

    return consume


def lags(result: GroupLag) -> dict[int, int | None]:
    return {p.partition: p.lag for p in result.partitions}


def test_lag_is_produced_minus_consumed_and_drops_to_zero(kafka_admin, new_topic, unique, produce_to,
                                                          consume_and_commit):
    topic, group = new_topic("orders", partitions=3), unique("group")
    produce_to(topic, PRODUCED)
    consume_and_commit(group, topic, CONSUMED)

    result = consumer_lag(kafka_admin, group)
    assert lags(result) == {p: PRODUCED[p] - CONSUMED[p] for p in PRODUCED} == {0: 5, 1: 0, 2: 2}
    assert result.total == sum(PRODUCED.values()) - sum(CONSUMED.values()) == 7
    assert [(p.committed, p.end) for p in result.partitions] == [(3, 8), (5, 5), (1, 3)]
    assert consumer_lag(kafka_admin, group, [topic]) == result  # naming the topic adds nothing new here

    consume_and_commit(group, topic, {0: 5, 2: 2})  # the rest; partition 1 was already read to its end
    caught_up = consumer_lag(kafka_admin, group)
    assert lags(caught_up) == {0: 0, 1: 0, 2: 0} and caught_up.total == 0


def test_a_group_that_never_committed_reports_no_commit_not_a_number(kafka_admin, new_topic, unique, produce_to):
    topic, group = new_topic("orders", partitions=3), unique("idle")
    produce_to(topic, PRODUCED)

    assert consumer_lag(kafka_admin, group).partitions == ()  # the group has no offsets to find
    named = consumer_lag(kafka_admin, group, [topic])
    assert [(p.partition, p.committed, p.end, p.lag) for p in named.partitions] == [
        (0, None, 8, None), (1, None, 5, None), (2, None, 3, None)]
    assert named.total == 0 and named.without_commit == named.partitions


def test_partitions_without_a_commit_are_listed_but_not_summed(kafka_admin, new_topic, unique, produce_to,
                                                               consume_and_commit):
    topic, group = new_topic("orders", partitions=3), unique("partial")
    produce_to(topic, PRODUCED)
    consume_and_commit(group, topic, {0: 2})

    assert lags(consumer_lag(kafka_admin, group)) == {0: 6}
    named = consumer_lag(kafka_admin, group, [topic])
    assert lags(named) == {0: 6, 1: None, 2: None} and named.total == 6
    assert [p.partition for p in named.without_commit] == [1, 2]


def test_read_committed_lag_stops_at_the_last_stable_offset(kafka_bootstrap, kafka_admin, new_topic, unique,
                                                            produce_to, consume_and_commit):
    topic, group = new_topic("payments", partitions=1), unique("group")
    produce_to(topic, {0: 4})
    consume_and_commit(group, topic, {0: 4})

    producer = Producer({"bootstrap.servers": kafka_bootstrap, "transactional.id": unique("txn")})
    producer.init_transactions(10)
    producer.begin_transaction()
    for _ in range(3):
        producer.produce(topic, b"open", partition=0)
    assert producer.flush(30) == 0

    def lag_at(isolation: IsolationLevel) -> int:
        return consumer_lag(kafka_admin, group, isolation=isolation).total

    assert lag_at(IsolationLevel.READ_UNCOMMITTED) == 3  # the high watermark counts the open records
    assert lag_at(IsolationLevel.READ_COMMITTED) == 0  # the last stable offset stops before them
    producer.commit_transaction(10)
    # Three records plus the commit marker, which takes an offset of its own.
    assert lag_at(IsolationLevel.READ_COMMITTED) == lag_at(IsolationLevel.READ_UNCOMMITTED) == 4


def test_a_commit_marker_keeps_a_lag_of_one_until_the_position_is_committed(kafka_bootstrap, kafka_admin, new_topic,
                                                                          unique, consume_and_commit):
    topic, group = new_topic("payments", partitions=1), unique("group")
    producer = Producer({"bootstrap.servers": kafka_bootstrap, "transactional.id": unique("txn")})
    producer.init_transactions(10)
    producer.begin_transaction()
    for n in range(3):
        producer.produce(topic, f"paid-{n}".encode(), partition=0)
    producer.commit_transaction(10)

    consume_and_commit(group, topic, {0: 3})  # commits the last record's offset + 1
    stuck = consumer_lag(kafka_admin, group, isolation=IsolationLevel.READ_COMMITTED)
    assert [(p.committed, p.end, p.lag) for p in stuck.partitions] == [(3, 4, 1)]  # the marker sits at offset 3

    consumer = Consumer({"bootstrap.servers": kafka_bootstrap, "group.id": group, "enable.auto.commit": False})
    try:
        consumer.assign([TopicPartition(topic, 0)])
        deadline, position = time.monotonic() + 30, None
        while position != 4 and time.monotonic() < deadline:
            assert consumer.poll(0.2) is None  # nothing left to read, but the position moves past the marker
            [position] = [tp.offset for tp in consumer.position([TopicPartition(topic, 0)])]
        consumer.commit(offsets=consumer.position([TopicPartition(topic, 0)]), asynchronous=False)
    finally:
        consumer.close()
    assert consumer_lag(kafka_admin, group, isolation=IsolationLevel.READ_COMMITTED).total == 0


def test_an_unknown_topic_raises(kafka_admin, unique):
    with pytest.raises(KafkaException) as raised:
        consumer_lag(kafka_admin, unique("group"), [unique("missing")])
    assert raised.value.args[0].name() == "UNKNOWN_TOPIC_OR_PART"


def test_a_partition_error_raises_instead_of_reading_as_no_commit(kafka_admin, unique):
    """A real per-partition error, from committing to a topic that does not exist."""
    group, topic = unique("group"), unique("missing")
    request = [ConsumerGroupTopicPartitions(group, [TopicPartition(topic, 0, 5)])]
    [failed] = kafka_admin.alter_consumer_group_offsets(request)[group].result().topic_partitions
    assert failed.error is not None
    with pytest.raises(KafkaException) as raised:
        committed_offset(failed)
    assert raised.value.args[0] == failed.error


@pytest.mark.parametrize("group", ["", None])
def test_an_empty_group_id_is_a_value_error_naming_it(kafka_admin, group):
    with pytest.raises(ValueError, match="group must be"):
        consumer_lag(kafka_admin, group)


partition_lags = st.builds(
    lambda partition, committed, ahead: PartitionLag("t", partition, committed, (committed or 0) + ahead),
    st.integers(0, 50), st.one_of(st.none(), st.integers(0, 10**12)), st.integers(0, 10**6))


@given(st.lists(partition_lags, max_size=20))
def test_the_total_sums_exactly_the_partitions_with_a_commit(partitions):
    result = GroupLag("g", tuple(partitions))
    assert result.total == sum(p.end - p.committed for p in partitions if p.committed is not None)
    assert result.without_commit == tuple(p for p in partitions if p.lag is None)
