"""snippets/kafka/key_partitioner.py: Kafka's murmur2 in Python, checked against Kafka's vectors and the broker."""

import math

import pytest
from confluent_kafka import Producer
from hypothesis import given
from hypothesis import strategies as st

from kafka.admin import add_partitions
from kafka.key_partitioner import moved_keys, murmur2, partition_for, to_positive
from kafka.reliable_producer import ReliableProducer

# The expected hashes are the Java implementation's, pinned in Apache Kafka's own UtilsTest.testMurmur2.
KAFKA_UTILS_TEST_VECTORS = {
    b"21": -973932308,
    b"foobar": -790332482,
    b"a-little-bit-long-string": -985981536,
    b"a-little-bit-longer-string": -1486304829,
    b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8": -58897971,
    b"abc": 479470107,
}

# Strings, non-ASCII text, every tail length (0-3 bytes after the 4-byte blocks), the empty key and raw bytes.
SAMPLE_KEYS = [f"user-{n}" for n in range(600)] + [f"clé-{n}-ü" for n in range(200)] + [
    "", "a", "ab", "abc", "abcd", b"\x00", b"\xff\xfe\xfd", bytes(range(256)),
] + [n.to_bytes(8, "big") for n in range(192)]

keys = st.one_of(st.binary(max_size=64), st.text(max_size=32))
partition_counts = st.integers(min_value=1, max_value=10_000)


@pytest.mark.parametrize(("data", "java_hash"), KAFKA_UTILS_TEST_VECTORS.items())
def test_murmur2_returns_what_kafkas_java_utils_returns(data, java_hash):
    assert murmur2(data) == java_hash


def test_to_positive_clears_the_sign_bit_where_abs_would_not():
    assert to_positive(-1) == 2**31 - 1 != abs(-1)
    assert to_positive(-(2**31)) == 0
    assert to_positive(12345) == 12345


@given(keys)
def test_murmur2_is_a_signed_32_bit_int(key):
    data = key.encode() if isinstance(key, str) else key
    assert -(2**31) <= murmur2(data) < 2**31


@given(keys, partition_counts)
def test_partition_is_in_range_and_the_same_every_time(key, partitions):
    partition = partition_for(key, partitions)
    assert 0 <= partition < partitions
    assert partition_for(key, partitions) == partition


@given(st.text(max_size=32), partition_counts)
def test_a_str_key_is_hashed_as_its_utf8_bytes(key, partitions):
    assert partition_for(key, partitions) == partition_for(key.encode("utf-8"), partitions)


@given(keys, st.integers(min_value=1, max_value=5_000))
def test_doubling_the_partitions_keeps_a_key_or_moves_it_by_exactly_n(key, partitions):
    before = partition_for(key, partitions)
    assert partition_for(key, 2 * partitions) in {before, before + partitions}


@pytest.mark.parametrize(("before", "after"), [(3, 6), (3, 4), (3, 7), (4, 6), (6, 12)])
def test_a_key_stays_put_with_probability_gcd_over_new_count(before, after):
    sample = [f"user-{n}" for n in range(10_000)]
    moved = len(moved_keys(sample, before, after)) / len(sample)
    expected = 1 - math.gcd(before, after) / after
    print(f"{before} -> {after} partitions: {moved:.2%} of {len(sample)} keys moved (expected {expected:.2%})")
    assert abs(moved - expected) < 0.02  # 10,000 keys: one standard deviation is at most 0.5 points


def test_bad_arguments_are_value_errors_naming_them():
    with pytest.raises(ValueError, match="partitions"):
        partition_for("k", 0)
    with pytest.raises(ValueError, match="key"):
        partition_for(None, 3)
    with pytest.raises(ValueError, match="after"):
        moved_keys(["k"], 6, 3)


def placements(records) -> dict:
    return {record.key(): record.partition() for record in records}


def as_bytes(key: bytes | str) -> bytes:
    return key.encode() if isinstance(key, str) else key


def test_the_broker_stores_each_key_where_partition_for_says(kafka_bootstrap, new_topic, read_topic):
    topic = new_topic("placement", partitions=7)
    with ReliableProducer({"bootstrap.servers": kafka_bootstrap}) as producer:
        for key in SAMPLE_KEYS:
            producer.send(topic, key, b"v")
    stored = placements(read_topic(topic))
    assert len(stored) == len(SAMPLE_KEYS) == 1000
    wrong = {key: partition for key, partition in stored.items() if partition != partition_for(key, 7)}
    assert not wrong, f"{len(wrong)} keys stored outside their murmur2 partition: {list(wrong.items())[:5]}"
    assert set(stored.values()) == set(range(7))


def test_librdkafkas_default_partitioner_puts_most_keys_elsewhere(kafka_bootstrap, new_topic, read_topic):
    topic = new_topic("crc32", partitions=7)
    producer = Producer({"bootstrap.servers": kafka_bootstrap, "enable.idempotence": True})  # partitioner left unset
    failures = []
    for key in SAMPLE_KEYS:
        producer.produce(topic, b"v", key, on_delivery=lambda error, _: error and failures.append(error))
    assert producer.flush(30) == 0 and not failures
    stored = placements(read_topic(topic))
    differ = sum(1 for key in SAMPLE_KEYS if stored[as_bytes(key)] != partition_for(key, 7))
    print(f"consistent_random (CRC32) placed {differ} of {len(SAMPLE_KEYS)} keys away from the Java partition")
    assert differ > len(SAMPLE_KEYS) // 2  # about 6 in 7 by chance; a Java-compatible hash would give 0


def test_growing_3_to_6_partitions_on_the_broker_moves_the_predicted_keys(
    kafka_bootstrap, kafka_admin, new_topic, read_topic
):
    topic = new_topic("grow", partitions=3)
    sample = [f"order-{n}" for n in range(300)]
    with ReliableProducer({"bootstrap.servers": kafka_bootstrap}) as producer:
        for key in sample:
            producer.send(topic, key, b"before")
    add_partitions(kafka_admin, topic, 6)
    with ReliableProducer({"bootstrap.servers": kafka_bootstrap}) as producer:  # a new client sees 6 partitions
        for key in sample:
            producer.send(topic, key, b"after")
    records = read_topic(topic)
    before = placements(r for r in records if r.value() == b"before")
    after = placements(r for r in records if r.value() == b"after")
    assert before == {key.encode(): partition_for(key, 3) for key in sample}
    assert after == {key.encode(): partition_for(key, 6) for key in sample}
    moved = {key.decode() for key in before if before[key] != after[key]}
    assert moved == set(moved_keys(sample, 3, 6))
    print(f"on the broker, {len(moved)} of {len(sample)} keys moved after growing 3 -> 6 partitions")
    assert 0.4 < len(moved) / len(sample) < 0.6
