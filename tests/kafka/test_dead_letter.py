"""snippets/kafka/dead_letter.py: poison goes to the dead-letter topic byte for byte, and the flow goes on."""

import json
import logging
import math
import random
import threading
import time
from collections import Counter, defaultdict
from contextlib import contextmanager

import pytest
from confluent_kafka import Consumer, ConsumerGroupTopicPartitions, KafkaError, KafkaException, Producer, TopicPartition
from hypothesis import given
from hypothesis import strategies as st

from kafka import dead_letter
from kafka.dead_letter import (
    CONTEXT,
    DeadLetterConsumer,
    MalformedJson,
    PoisonMessage,
    RetryPolicy,
    SchemaViolation,
    TransientError,
    commit_offsets,
    decode,
    original_of,
    raise_if_fatal,
    raise_partition_errors,
    send_to_dead_letter,
)
from kafka_support import committed_offsets, group_state, wait_until

SCHEMA = {"key": str, "seq": int}
KEYS = [f"k{i}" for i in range(6)]
GOOD_PER_KEY = 10
ODD_HEADERS = [("bin", b"\x00\xff\xfe\x80"), ("trace", b"first"), ("trace", b"second"), ("none", None), ("empty", b"")]
# (key, value, headers, the error class the dead-letter record must name)
POISON = [
    (b"k0", b"{not json", ODD_HEADERS, "MalformedJson"),
    (b"k1", b"\x80\x81\xfe\xff{}", ODD_HEADERS, "MalformedJson"),  # not UTF-8
    (None, None, None, "MalformedJson"),  # a tombstone: no key, no value, no headers
    (b"k2", b"[" * 100_000, [("trace", b"deep")], "MalformedJson"),  # nested deeper than json can parse
    (b"k3", b'{"key": "k3"}', ODD_HEADERS, "SchemaViolation"),  # seq missing
    (b"k4", b'{"key": "k4", "seq": "7"}', ODD_HEADERS, "SchemaViolation"),
    (b"k5", b'{"key": "k5", "seq": true}', ODD_HEADERS, "SchemaViolation"),  # a bool is not an int here
    (b"k0", b"[1, 2]", ODD_HEADERS, "SchemaViolation"),
    (b"\xff\x00k1", b'{"key": "k1", "seq": 1000, "reject": true}', ODD_HEADERS, "PoisonMessage"),  # the handler says so
    (b"k2", b'{"key": "k2", "seq": 2000, "fail": 99}', ODD_HEADERS, "TransientError"),  # fails past its budget
]
FLAKY = ("k3", 4)  # fails twice, then succeeds


def good(key: str, seq: int, **extra) -> tuple:
    return key.encode(), json.dumps({"key": key, "seq": seq, **extra}).encode(), [("trace", f"{key}-{seq}".encode())]


class RecordingHandler:
    """The application's handler: rejects `reject` records, fails `fail` times, and records what it processed."""

    def __init__(self, crash_on: tuple | None = None) -> None:
        self.attempts: Counter = Counter()
        self.attempt_times: dict[tuple, list[float]] = defaultdict(list)
        self.processed: list[tuple[str, int]] = []
        self.crash_on = crash_on

    def __call__(self, record: dict, message) -> None:
        where = (message.topic(), message.partition(), message.offset())
        self.attempts[where] += 1
        self.attempt_times[where].append(time.monotonic())
        if (record["key"], record["seq"]) == self.crash_on:
            raise ZeroDivisionError("a bug in the handler")
        if record.get("reject"):
            raise PoisonMessage("rejected by a business rule")
        if self.attempts[where] <= record.get("fail", 0):
            raise TransientError(f"downstream timed out (attempt {self.attempts[where]})")
        self.processed.append((record["key"], record["seq"]))

    def seqs(self, key: str) -> list[int]:
        return [seq for k, seq in self.processed if k == key]


@contextmanager
def running(loop: DeadLetterConsumer):
    """Run the loop in a thread; on exit stop it and join it. Yields the list that receives its exception."""
    stop, raised = threading.Event(), []

    def target() -> None:
        try:
            loop.run(stop)
        except BaseException as error:  # noqa: BLE001 - handed to the test
            raised.append(error)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    try:
        yield raised
    finally:
        stop.set()
        thread.join(30)
        assert not thread.is_alive(), "run() did not return after stop was set"


@pytest.fixture
def lag(kafka_admin, high_watermarks):
    """lag(group, topics): end offset minus committed offset, per partition (a missing commit counts as 0)."""

    def measure(group: str, topics: list[str]) -> dict[tuple[str, int], int]:
        result = {}
        for topic in topics:
            committed = committed_offsets(kafka_admin, group, topic)
            partitions = len(kafka_admin.list_topics(topic, timeout=10).topics[topic].partitions)
            for partition, end in high_watermarks(topic, partitions).items():
                result[topic, partition] = end - committed.get(partition, 0)
        return result

    return measure


def retries_logged(caplog) -> dict[tuple, list[tuple[int, float]]]:
    """(topic, partition, offset) -> [(attempt, scheduled delay), ...] from the snippet's retry log lines."""
    scheduled = defaultdict(list)
    for entry in caplog.records:
        if entry.name == dead_letter.log.name and entry.msg.startswith("retrying"):
            topic, partition, offset, delay, attempt, _ = entry.args
            scheduled[topic, partition, offset].append((attempt, delay))
    return scheduled


def context_of(message) -> dict[str, bytes]:
    return dict(message.headers()[-len(CONTEXT):])


# --- the whole flow, on the real broker ------------------------------------------------------------------------


def test_the_flow_continues_past_poison_and_keeps_per_key_order(
        new_topic, produce, read_topic, consumer_config, kafka_bootstrap, unique, lag, caplog):
    caplog.set_level(logging.WARNING, logger=dead_letter.log.name)
    topic, dlq, group = new_topic("orders", partitions=3), new_topic("orders-dlq", partitions=1), unique("group")
    records = []
    for seq in range(GOOD_PER_KEY):
        records += [good(key, seq, **({"fail": 2} if (key, seq) == FLAKY else {})) for key in KEYS]
        records.append(POISON[seq][:3])
    produce(topic, records)
    policy = RetryPolicy(max_attempts=4, base_delay=0.02, max_delay=0.05, max_total_delay=0.08)
    handler = RecordingHandler()
    loop = DeadLetterConsumer(consumer_config(group), {"bootstrap.servers": kafka_bootstrap}, [topic], handler,
                              SCHEMA, dlq, policy, draw=random.Random(6).random)

    with running(loop) as raised:
        wait_until(lambda: raised or not any(lag(group, [topic]).values()), "the committed offsets to reach the end")
    assert not raised, raised

    # Every good record was processed exactly once, in per-key order; the committed offsets are at the end.
    assert {key: handler.seqs(key) for key in KEYS} == {key: list(range(GOOD_PER_KEY)) for key in KEYS}
    assert len(handler.processed) == len(KEYS) * GOOD_PER_KEY
    assert set(lag(group, [topic]).values()) == {0}

    # Each poison record is in the dead-letter topic once, with its exact key, value and headers, then the context.
    source = {(m.partition(), m.offset()): m for m in read_topic(topic)}
    dead = read_topic(dlq)
    expected = {(key, value): (headers or [], error) for key, value, headers, error in POISON}
    assert sorted((m.key() or b"", m.value() or b"") for m in dead) == sorted((k or b"", v or b"") for k, v in expected)
    for message in dead:
        context = context_of(message)
        original = source[int(context["dlq.original.partition"]), int(context["dlq.original.offset"])]
        headers, error = expected[message.key(), message.value()]
        assert (message.key(), message.value()) == (original.key(), original.value())
        assert message.headers()[: -len(CONTEXT)] == headers == (original.headers() or [])
        assert [name for name, _ in message.headers()[-len(CONTEXT):]] == list(CONTEXT)
        assert context["dlq.original.topic"] == topic.encode()
        assert context["dlq.original.timestamp"] == str(original.timestamp()[1]).encode()
        assert context["dlq.consumer.group"] == group.encode()
        assert context["dlq.error.class"] == error.encode()
        assert original_of(message) == (topic, headers)
        where = (topic, original.partition(), original.offset())
        attempts = int(context["dlq.attempts"])
        if error == "TransientError":
            assert attempts == handler.attempts[where] > 1
            delays = [delay for _, delay in retries_logged(caplog)[where]]
            assert attempts == policy.max_attempts or math.isclose(sum(delays), policy.max_total_delay)
        else:
            handler_calls = 1 if error == "PoisonMessage" else 0  # decode() stops the others before the handler
            assert attempts == 1 and handler.attempts[where] == handler_calls
    missing_seq = next(m for m in dead if m.value() == b'{"key": "k3"}')
    assert context_of(missing_seq)["dlq.error.message"] == b"required field 'seq' is missing"

    # The record that failed twice was retried in place, processed once, and never dead-lettered.
    flaky = next(m for m in source.values() if m.value() == good(*FLAKY, fail=2)[1])
    assert handler.attempts[topic, flaky.partition(), flaky.offset()] == 3
    assert handler.processed.count(FLAKY) == 1

    # Every wait stayed under its cap and the record's budget, and no retry came before its wait was over.
    scheduled = retries_logged(caplog)
    assert len(scheduled) == 2  # the flaky record and the one that always fails
    for where, retries in scheduled.items():
        assert [attempt for attempt, _ in retries] == list(range(1, len(retries) + 1))
        for attempt, delay in retries:
            assert 0 <= delay <= min(policy.max_delay, policy.base_delay * 2 ** (attempt - 1))
        assert sum(delay for _, delay in retries) <= policy.max_total_delay + 1e-9
        times = handler.attempt_times[where]
        assert all(later - earlier >= delay for earlier, later, (_, delay) in zip(times, times[1:], retries))


def test_a_waiting_record_holds_back_its_partition_only_and_survives_a_stop(
        new_topic, produce, consumer_config, kafka_bootstrap, unique, lag, read_topic, caplog):
    caplog.set_level(logging.WARNING, logger=dead_letter.log.name)
    slow, fast, dlq = new_topic("slow", partitions=1), new_topic("fast", partitions=1), new_topic("dlq", partitions=1)
    produce(slow, [good("a", seq, **({"fail": 1} if seq == 0 else {})) for seq in range(3)])
    produce(fast, [good("b", seq) for seq in range(10)])
    group, missing = unique("group"), unique("missing-topic")
    long_wait = RetryPolicy(max_attempts=2, base_delay=600, max_delay=600, max_total_delay=600)
    handler = RecordingHandler()

    def consumer(policy: RetryPolicy) -> DeadLetterConsumer:
        return DeadLetterConsumer(consumer_config(group), {"bootstrap.servers": kafka_bootstrap},
                                  [slow, fast, missing], handler, SCHEMA, dlq, policy, draw=lambda: 1.0)

    with running(consumer(long_wait)) as raised:
        wait_until(lambda: raised or (handler.seqs("b") == list(range(10)) and sum(handler.attempts.values()) == 11
                                      and "Unknown topic" in caplog.text), "b0..b9 and the first attempt at a0")
        assert handler.seqs("a") == []  # a1 and a2 wait behind a0, which waits 600 s for its second attempt
    assert not raised, raised  # stopped while a0 waited; the unknown topic was logged, not raised
    assert lag(group, [slow, fast]) == {(slow, 0): 3, (fast, 0): 0}

    with running(consumer(RetryPolicy())) as raised:  # a restart reads a0 again from the last commit
        wait_until(lambda: raised or not any(lag(group, [slow, fast]).values()), "the restart to finish")
    assert not raised, raised
    assert handler.seqs("a") == [0, 1, 2] and handler.seqs("b") == list(range(10))
    assert read_topic(dlq) == []


def test_no_offset_is_committed_past_a_record_the_dead_letter_topic_refused(
        new_topic, produce, consumer_config, kafka_bootstrap, unique, lag, read_topic):
    topic, group = new_topic("orders", partitions=1), unique("group")
    tiny_dlq = new_topic("tiny-dlq", partitions=1, config={"max.message.bytes": "1000"})
    too_big = b"{" + b"x" * 5000  # malformed JSON, and larger than the dead-letter topic accepts
    produce(topic, [good("a", 0), (b"a", too_big, ODD_HEADERS), good("a", 1)])
    handler = RecordingHandler()

    def consumer(dlq: str) -> DeadLetterConsumer:
        return DeadLetterConsumer(consumer_config(group), {"bootstrap.servers": kafka_bootstrap}, [topic],
                                  handler, SCHEMA, dlq)

    with running(consumer(tiny_dlq)) as raised:
        wait_until(lambda: raised, "the refused dead-letter write to stop the loop")
    assert raised[0].args[0].code() == KafkaError.MSG_SIZE_TOO_LARGE
    uncommitted = lag(group, [topic])[topic, 0]
    assert uncommitted >= 2  # the poison record (offset 1) and a1 are not committed; a0 may be
    assert handler.processed == [("a", 0)]

    big_dlq = new_topic("dlq", partitions=1)
    with running(consumer(big_dlq)) as raised:
        wait_until(lambda: raised or not any(lag(group, [topic]).values()), "the restart to finish")
    assert not raised, raised
    assert handler.processed == [("a", 0)] * (uncommitted - 1) + [("a", 1)]  # a duplicate at most, never a loss
    [dead] = read_topic(big_dlq)
    assert (dead.key(), dead.value(), dead.headers()[: -len(CONTEXT)]) == (b"a", too_big, ODD_HEADERS)


def test_an_unclassified_handler_error_stops_the_loop_without_committing_past_it(
        new_topic, produce, consumer_config, kafka_bootstrap, unique, lag, read_topic):
    topic, dlq, group = new_topic("orders", partitions=1), new_topic("dlq", partitions=1), unique("group")
    produce(topic, [good("a", seq) for seq in range(3)])
    handler = RecordingHandler(crash_on=("a", 1))
    loop = DeadLetterConsumer(consumer_config(group), {"bootstrap.servers": kafka_bootstrap}, [topic], handler,
                              SCHEMA, dlq)
    with running(loop) as raised:
        wait_until(lambda: raised, "the handler's bug to stop the loop")
    assert isinstance(raised[0], ZeroDivisionError)
    assert lag(group, [topic])[topic, 0] >= 2  # a1 and a2 stay uncommitted: a bug is not a poison record
    assert handler.processed == [("a", 0)] and read_topic(dlq) == []


def test_an_unanswered_dead_letter_write_raises(new_topic, produce, read_topic, monkeypatch):
    topic = new_topic("orders", partitions=1)
    produce(topic, [(b"k", b"{oops", ODD_HEADERS)])
    [message] = read_topic(topic)
    monkeypatch.setattr(dead_letter, "FLUSH_TIMEOUT", 0.5)
    nobody = Producer({"bootstrap.servers": "127.0.0.1:1"})  # nothing listens on port 1
    try:
        with pytest.raises(KafkaException) as raised:
            send_to_dead_letter(nobody, "dlq", message, MalformedJson("bad"), 1, "group")
        assert raised.value.args[0].code() == KafkaError._TIMED_OUT
    finally:
        nobody.purge()
        nobody.flush(0)
    with pytest.raises(ValueError, match="dead_letter"):
        original_of(message)  # not a dead-letter record: no dlq.* context at the end


def test_a_failed_commit_raises_and_keeps_the_offsets(new_topic, consumer_config, unique, kafka_admin):
    topic, missing, group = new_topic("orders", partitions=1), unique("missing"), unique("group")
    consumer = Consumer(consumer_config(group, {"enable.auto.commit": False}))
    done = {(topic, 0): 0, (missing, 0): 5}
    try:
        with pytest.raises(KafkaException) as raised:
            commit_offsets(consumer, done)  # librdkafka raises when any partition fails
        assert raised.value.args[0].code() == KafkaError.UNKNOWN_TOPIC_OR_PART
        assert len(done) == 2
    finally:
        consumer.close()
    # The API also allows an answer whose partitions carry their own errors: a real one, from the broker.
    request = [ConsumerGroupTopicPartitions(group, [TopicPartition(missing, 0, 5)])]
    answer = kafka_admin.alter_consumer_group_offsets(request)[group].result().topic_partitions
    with pytest.raises(KafkaException) as raised:
        raise_partition_errors(answer)
    assert raised.value.args[0].code() == KafkaError.UNKNOWN_TOPIC_OR_PART
    raise_partition_errors([TopicPartition(topic, 0, 0)])  # no error: returns


def test_a_static_member_fenced_by_a_second_instance_stops_with_the_fatal_error(
        new_topic, consumer_config, kafka_bootstrap, kafka_admin, unique):
    topic, dlq, group = new_topic("orders"), new_topic("orders-dlq", partitions=1), unique("group")
    config = consumer_config(group, {"group.instance.id": "worker-0"})

    def loop() -> DeadLetterConsumer:
        return DeadLetterConsumer(config, {"bootstrap.servers": kafka_bootstrap}, [topic], RecordingHandler(),
                                  SCHEMA, dlq)

    with running(loop()) as first:
        wait_until(lambda: group_state(kafka_admin, group).members, "the first instance to join")
        with running(loop()) as second:  # same group.instance.id: the broker fences the first instance
            wait_until(lambda: first, "the fenced instance to stop")
            assert not second
    assert isinstance(first[0], KafkaException), first
    assert first[0].args[0].code() == KafkaError._FATAL
    assert "group.instance.id" in first[0].args[0].str()


def test_fatal_consumer_errors_raise_and_others_are_logged(caplog):
    with pytest.raises(KafkaException):
        raise_if_fatal(KafkaError(KafkaError._FATAL, "producer fenced", fatal=True))
    with caplog.at_level(logging.WARNING, logger=dead_letter.log.name):
        raise_if_fatal(KafkaError(KafkaError._TRANSPORT, "connection refused"))
    assert "connection refused" in caplog.text


# --- bad arguments ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("arguments", "named"), [
    ({"max_attempts": 0}, "max_attempts"),
    ({"max_attempts": 2.5}, "max_attempts"),
    ({"max_attempts": True}, "max_attempts"),
    ({"base_delay": 0}, "base_delay"),
    ({"base_delay": -1.0}, "base_delay"),
    ({"base_delay": math.nan}, "base_delay"),
    ({"base_delay": "1"}, "base_delay"),
    ({"max_delay": math.inf}, "max_delay"),
    ({"base_delay": 2.0, "max_delay": 1.0}, "max_delay must be >= base_delay"),
    ({"max_total_delay": 0}, "max_total_delay"),
    ({"max_total_delay": math.inf}, "max_total_delay"),
])
def test_a_bad_policy_is_a_value_error_naming_the_argument(arguments, named):
    with pytest.raises(ValueError, match=named):
        RetryPolicy(**arguments)


@pytest.mark.parametrize(("changes", "named"), [
    ({"topics": []}, "topics"),
    ({"dlq_topic": ""}, "dlq_topic"),
    ({"dlq_topic": "  "}, "dlq_topic"),
    ({"dlq_topic": None}, "dlq_topic"),
    ({"dlq_topic": "orders"}, "dlq_topic must not be one of the topics"),
    ({"consumer_config": {"bootstrap.servers": "127.0.0.1:9092"}}, "group.id"),
])
def test_a_bad_consumer_argument_is_a_value_error_naming_it(changes, named):
    arguments = {"consumer_config": {"group.id": "g"}, "producer_config": {}, "topics": ["orders"],
                 "handler": RecordingHandler(), "schema": SCHEMA, "dlq_topic": "orders-dlq", **changes}
    with pytest.raises(ValueError, match=named):
        DeadLetterConsumer(**arguments)


# --- pure functions: properties --------------------------------------------------------------------------------

policies = st.builds(
    lambda attempts, base, factor, budget: RetryPolicy(attempts, base, base * factor, budget),
    st.integers(1, 60), st.floats(1e-3, 100), st.floats(1, 1000), st.floats(1e-3, 1e5),
)
draws = st.floats(0, 1, exclude_max=True)


@given(policies, st.integers(1, 5000), draws)
def test_backoff_is_full_jitter_under_a_capped_exponential(policy, retry, u):
    ceiling = min(policy.max_delay, policy.base_delay * 2.0 ** min(retry - 1, 1000))
    delay = policy.backoff(retry, lambda: u)
    assert delay == u * ceiling and 0 <= delay <= policy.max_delay


@given(policies, st.lists(draws, min_size=60, max_size=60))
def test_a_record_never_waits_longer_or_retries_more_than_its_budget(policy, values):
    draw = iter(values).__next__
    attempts, waited = 1, 0.0
    while (delay := policy.next_delay(attempts, waited, draw)) is not None:
        assert 0 <= delay <= min(policy.max_delay, policy.base_delay * 2 ** (attempts - 1))
        attempts, waited = attempts + 1, waited + delay
    assert attempts <= policy.max_attempts
    assert waited <= policy.max_total_delay * (1 + 1e-12)
    assert attempts == policy.max_attempts or waited >= policy.max_total_delay * (1 - 1e-12)


json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
                           lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner), max_leaves=8)
candidate_values = st.none() | st.binary() | json_values.map(lambda v: json.dumps(v).encode()) | st.dictionaries(
    st.sampled_from(["key", "seq", "other"]), json_values).map(lambda d: json.dumps(d).encode())


@given(candidate_values)
def test_decode_either_returns_a_valid_record_or_raises_poison(value):
    try:
        record = decode(value, SCHEMA)
    except (MalformedJson, SchemaViolation):
        return
    assert isinstance(record["key"], str) and type(record["seq"]) is int


@given(st.text(), st.integers(), st.dictionaries(st.text(max_size=8), json_values, max_size=3))
def test_decode_accepts_every_record_that_fits_the_schema(key, seq, extra):
    record = {**extra, "key": key, "seq": seq}
    assert decode(json.dumps(record).encode(), SCHEMA) == record


@pytest.mark.parametrize(("value", "error", "message"), [
    (None, MalformedJson, "not JSON"),
    (b"\x80abc", MalformedJson, "not JSON"),
    (b"[" * 100_000, MalformedJson, "not JSON"),
    (b'"just a string"', SchemaViolation, "must be a JSON object, got str"),
    (b'{"seq": 1}', SchemaViolation, "required field 'key' is missing"),
    (b'{"key": "a", "seq": 1.0}', SchemaViolation, "field 'seq' must be int, got float"),
    (b'{"key": "a", "seq": false}', SchemaViolation, "field 'seq' must be int, got bool"),
])
def test_decode_names_what_is_wrong(value, error, message):
    with pytest.raises(error, match=message):
        decode(value, SCHEMA)
