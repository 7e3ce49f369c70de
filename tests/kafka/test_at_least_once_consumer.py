"""snippets/kafka/at_least_once_consumer.py against the session's broker: commits, rebalances, errors, kills."""

import json
import logging
import os
import random
import signal
import subprocess
import threading
from collections import Counter
from collections.abc import Callable

import pytest
from confluent_kafka import Consumer, KafkaError, KafkaException, Message
from hypothesis import given
from hypothesis import strategies as st

from kafka.at_least_once_consumer import (
    UpsertSink,
    at_least_once_config,
    consume_at_least_once,
    message_id,
    run_until_sigterm,
)
from kafka_support import DEADLINE, apache_kafka_behaviour, group_state, wait_until


class LoopThread:
    """consume_at_least_once in a background thread, stopped with its event; keeps what it raised."""

    def __init__(self, config: dict, topics: list[str], process: Callable[[Message], None], **options) -> None:
        self.stop = threading.Event()
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, args=(config, topics, process), kwargs=options, daemon=True)
        self.thread.start()

    def _run(self, config: dict, topics: list[str], process: Callable[[Message], None], **options) -> None:
        try:
            consume_at_least_once(config, topics, process, self.stop, **options)
        except BaseException as error:  # noqa: BLE001 - handed to the test
            self.error = error

    def join(self) -> BaseException | None:
        self.thread.join(DEADLINE)
        assert not self.thread.is_alive(), "the loop did not stop"
        return self.error

    def finish(self) -> None:
        self.stop.set()
        assert self.join() is None


def partition_offset(message_id: str) -> tuple[int, int]:
    partition, offset = message_id.rsplit("-", 2)[1:]
    return int(partition), int(offset)


def next_offsets(ids: list[str]) -> dict[int, int]:
    """{partition: last offset + 1} for message ids topic-partition-offset."""
    result: dict[int, int] = {}
    for partition, offset in map(partition_offset, ids):
        result[partition] = max(result.get(partition, 0), offset + 1)
    return result


# ---------------------------------------------------------------- arguments and config


@pytest.mark.parametrize(
    ("arguments", "name"),
    [
        ({"topics": []}, "topics"),
        ({"batch_size": 0}, "batch_size"),
        ({"batch_size": -5}, "batch_size"),
        ({"batch_size": 1_000_001}, "batch_size"),
        ({"poll_timeout": 0}, "poll_timeout"),
        ({"poll_timeout": -1.0}, "poll_timeout"),
        ({"poll_timeout": float("nan")}, "poll_timeout"),
    ],
)
def test_bad_arguments_raise_a_value_error_naming_them(arguments, name):
    call = {"config": {"group.id": "never-used"}, "topics": ["orders"], "process": print,
            "stop": threading.Event(), **arguments}
    with pytest.raises(ValueError, match=rf"^{name} must"):
        consume_at_least_once(**call)


@given(st.dictionaries(st.sampled_from(["group.id", "auto.offset.reset", "enable.auto.commit", "client.id"]),
                       st.one_of(st.booleans(), st.text(max_size=8))))
def test_the_config_keeps_the_callers_settings_but_never_auto_commits(config):
    result = at_least_once_config(config)
    assert result["enable.auto.commit"] is False
    assert result["auto.offset.reset"] == config.get("auto.offset.reset", "earliest")
    assert {k: v for k, v in result.items() if k != "enable.auto.commit"} == {
        "auto.offset.reset": "earliest", **{k: v for k, v in config.items() if k != "enable.auto.commit"}}


# ---------------------------------------------------------------- commits


def test_at_most_one_batch_is_uncommitted_and_the_commit_is_the_next_offset(
        new_topic, unique, consumer_config, produce, committed):
    topic, group, batch_size = new_topic("orders"), unique("group"), 20
    produce(topic, [(f"k{i}", f"v{i}") for i in range(90)])
    seen: list[str] = []
    gaps: list[int] = []

    def process(message: Message) -> None:
        done = sum(max(offset, 0) for offset in committed(group, topic).values())  # records committed so far
        gaps.append(len(seen) - done)
        seen.append(message_id(message))
        if len(seen) == 90:
            loop.stop.set()

    loop = LoopThread(consumer_config(group), [topic], process, batch_size=batch_size, poll_timeout=0.2)
    assert loop.join() is None
    assert sorted(Counter(seen).values()) == [1] * 90
    assert min(gaps) >= 0 and max(gaps) < batch_size  # earlier batches committed, never beyond what was processed
    assert max(gaps) > 0  # the check saw records processed and not yet committed
    assert committed(group, topic) == next_offsets(seen)  # the next offset to read, per partition

    produce(topic, [(f"k{i}", f"new{i}") for i in range(6)])
    again: list[str] = []

    def process_again(message: Message) -> None:
        again.append(message.value().decode())
        if len(again) == 6:
            restarted.stop.set()

    restarted = LoopThread(consumer_config(group), [topic], process_again, poll_timeout=0.2)
    assert restarted.join() is None
    assert sorted(again) == sorted(f"new{i}" for i in range(6))  # resumed at the committed offsets, nothing twice


def test_a_processing_error_commits_the_records_before_it_and_the_sink_absorbs_the_redelivery(
        new_topic, unique, consumer_config, produce, read_topic, committed, tmp_path):
    topic, group = new_topic("orders"), unique("group")
    produce(topic, [(f"k{i}", f"v{i}") for i in range(30)])
    database, local = str(tmp_path / "sink.db"), threading.local()

    def sink() -> UpsertSink:  # one connection per loop thread, as sqlite3 requires
        if not hasattr(local, "sink"):
            local.sink = UpsertSink(database)
        return local.sink

    first: list[str] = []

    def fail_while_records_are_pending(message: Message) -> None:
        sink().write(message)  # written, but this record's offset is never committed
        done = sum(max(offset, 0) for offset in committed(group, topic).values())
        first.append(message_id(message))
        if done < len(first) - 1:  # the records before this one in its batch are processed, not committed
            raise RuntimeError("processing failed")

    loop = LoopThread(consumer_config(group), [topic], fail_while_records_are_pending, poll_timeout=0.2)
    assert str(loop.join()) == "processing failed"
    *before, failed = first
    offsets = committed(group, topic)
    assert {p: o for p, o in offsets.items() if o >= 0} == next_offsets(before)  # on_revoke ran in close()

    second: list[str] = []

    def write(message: Message) -> None:
        sink().write(message)
        second.append(message_id(message))
        if len(set(first) | set(second)) == 30:
            restarted.stop.set()

    restarted = LoopThread(consumer_config(group), [topic], write, poll_timeout=0.2)
    assert restarted.join() is None
    assert failed in second and not set(before) & set(second)  # only the failed record came again
    assert len(second) == 30 - len(before)
    expected = {message_id(m): m.value().decode() for m in read_topic(topic)}
    assert UpsertSink(database).rows() == expected  # one row per record, the redelivered one included


def test_an_unknown_topic_is_raised(consumer_config, unique):
    called = []
    with pytest.raises(KafkaException) as raised:
        consume_at_least_once(consumer_config(unique("group")), [unique("missing")], called.append,
                              threading.Event(), poll_timeout=0.2)
    assert raised.value.args[0].code() == KafkaError.UNKNOWN_TOPIC_OR_PART
    assert not called


# ---------------------------------------------------------------- rebalances


class TwoMembers:
    """Two loops in one group, each recording the ids it processed."""

    def __init__(self, consumer_config, group: str, topic: str, gate: Callable[[str, int], None]) -> None:
        self.seen: dict[str, list[str]] = {"a": [], "b": []}
        self.config, self.topic, self.gate, self.loops = consumer_config(group), topic, gate, {}

    def start(self, name: str) -> None:
        def process(message: Message) -> None:
            self.seen[name].append(message_id(message))
            self.gate(name, len(self.seen[name]))

        self.loops[name] = LoopThread(self.config, [self.topic], process, batch_size=10, poll_timeout=0.2)

    def all(self) -> list[str]:
        return self.seen["a"] + self.seen["b"]

    def finish(self) -> None:
        for loop in self.loops.values():
            loop.finish()


def assert_handed_over_exactly(members: TwoMembers, total: int) -> None:
    both = members.all()
    assert members.seen["a"] and members.seen["b"]
    assert len(both) == len(set(both)) == total  # nothing lost, nothing read twice across the handover
    for partition in range(3):
        offsets = sorted(o for p, o in map(partition_offset, both) if p == partition)
        assert offsets == list(range(len(offsets)))  # each partition read from 0 without a gap


def test_a_member_that_joins_starts_at_the_committed_offsets(
        new_topic, unique, consumer_config, produce, committed, kafka_admin):
    topic, group = new_topic("orders"), unique("group")
    produce(topic, [(f"k{i}", f"v{i}") for i in range(90)])
    members = TwoMembers(consumer_config, group, topic, gate=lambda name, count: None)
    members.start("a")
    wait_until(lambda: committed(group, topic) == next_offsets(members.all()) and len(members.all()) == 90,
               "the first member to process and commit every record")
    members.start("b")
    wait_until(lambda: (g := group_state(kafka_admin, group)).state.name == "STABLE" and len(g.members) == 2,
               "the second member to get partitions")
    produce(topic, [(f"k{i}", f"new{i}") for i in range(60)])
    wait_until(lambda: len(members.all()) >= 150 and committed(group, topic) == next_offsets(members.all()),
               "both members to process and commit the new records")
    members.finish()
    assert_handed_over_exactly(members, 150)
    assert {p for p, _ in map(partition_offset, members.seen["a"][:90])} == {0, 1, 2}  # a read every partition


@apache_kafka_behaviour  # on noida-db the batch in flight is redelivered
def test_a_batch_in_flight_when_a_member_joins_is_committed_before_the_handover(
        new_topic, unique, consumer_config, produce, committed, kafka_admin, caplog):
    topic, group = new_topic("orders"), unique("group")
    produce(topic, [(f"k{i}", f"v{i}") for i in range(300)])
    joining = threading.Event()

    def gate(name: str, count: int) -> None:
        if name == "a" and count == 15:  # mid-batch: hold the first member until the rebalance has begun
            assert joining.wait(DEADLINE), "the second member never started to join"

    members = TwoMembers(consumer_config, group, topic, gate)
    members.start("a")
    wait_until(lambda: len(members.seen["a"]) >= 15, "the first member's records")
    members.start("b")
    wait_until(lambda: "PREPARING" in group_state(kafka_admin, group).state.name, "the rebalance to start")
    joining.set()  # the first member finishes its batch, commits, and revokes in its next consume()
    wait_until(lambda: len(members.all()) >= 300 and committed(group, topic) == next_offsets(members.all()),
               "both members to process and commit every record")
    members.finish()
    assert "commit refused" not in caplog.text
    assert_handed_over_exactly(members, 300)


def test_a_batch_slower_than_max_poll_interval_is_read_again_and_not_committed(
        new_topic, unique, consumer_config, produce, committed, kafka_admin, caplog):
    topic, group = new_topic("orders"), unique("group")
    produce(topic, [(f"k{i}", f"v{i}") for i in range(40)])
    seen: list[str] = []

    def process(message: Message) -> None:
        if not seen:  # the first record takes longer than max.poll.interval.ms
            wait_until(lambda: not group_state(kafka_admin, group).members, "the member to leave the group")
        seen.append(message_id(message))
        if len(set(seen)) == 40:
            loop.stop.set()

    caplog.set_level(logging.WARNING, logger="kafka.at_least_once_consumer")
    config = consumer_config(group, {"max.poll.interval.ms": 6000})  # the least librdkafka allows here
    loop = LoopThread(config, [topic], process, batch_size=10, poll_timeout=0.2)
    assert loop.join() is None
    counts = Counter(seen)
    twice = [i for i in seen if counts[i] == 2]
    assert set(counts.values()) == {1, 2} and len(counts) == 40
    assert set(twice) == set(seen[: len(twice) // 2])  # exactly the slow batch came again
    assert committed(group, topic) == next_offsets(seen)
    messages = caplog.text
    assert "commit refused" in messages and "Unknown member" in messages  # on_lost committed nothing
    assert "maximum poll interval" in messages


def test_a_fenced_static_member_stops_with_the_error(
        kafka_bootstrap, new_topic, unique, consumer_config, produce, committed):
    topic, group, instance = new_topic("orders"), unique("group"), unique("instance")
    produce(topic, [(f"k{i}", f"v{i}") for i in range(20)])
    started, replaced = threading.Event(), threading.Event()

    def process(message: Message) -> None:
        started.set()
        assert replaced.wait(DEADLINE)

    config = consumer_config(group, {"group.instance.id": instance})
    old = LoopThread(config, [topic], process, poll_timeout=0.2)
    assert started.wait(DEADLINE)
    new = Consumer({**config, "enable.auto.commit": False})  # a second instance with the same static id
    try:
        new.subscribe([topic])
        wait_until(lambda: bool(new.consume(1, 0.2)), "the new instance's first record")
        replaced.set()
        error = old.join()
    finally:
        new.close()
    assert isinstance(error, KafkaException)
    assert error.args[0].code() in {KafkaError.FENCED_INSTANCE_ID, KafkaError._FATAL}
    assert all(offset < 0 for offset in committed(group, topic).values())  # the fenced member committed nothing


# ---------------------------------------------------------------- shutdown


def test_sigterm_finishes_the_batch_commits_and_leaves_the_group(
        new_topic, unique, consumer_config, produce, committed, kafka_admin):
    topic, group, batch_size = new_topic("orders"), unique("group"), 10
    produce(topic, [(f"k{i}", f"v{i}") for i in range(60)])
    seen: list[str] = []

    def process(message: Message) -> None:
        seen.append(message_id(message))
        if len(seen) == 3:
            os.kill(os.getpid(), signal.SIGTERM)

    before = signal.getsignal(signal.SIGTERM)
    run_until_sigterm(consumer_config(group), [topic], process, batch_size=batch_size)
    assert signal.getsignal(signal.SIGTERM) is before
    assert 3 <= len(seen) <= 3 + batch_size - 1  # it finished the batch it was in, and took no other
    assert committed(group, topic) == {p: next_offsets(seen).get(p, -1001) for p in range(3)}
    assert not group_state(kafka_admin, group).members  # close() left the group; no session timeout to wait for


# ---------------------------------------------------------------- SIGKILL at random points

CHILD = """
import os, sys, json
from kafka.at_least_once_consumer import UpsertSink, message_id, run_until_sigterm
config, topic, database, journal, batch_size = json.loads(sys.argv[1]), *sys.argv[2:5], int(sys.argv[5])
sink = UpsertSink(database)
log = os.open(journal, os.O_WRONLY | os.O_APPEND | os.O_CREAT)

def process(message):
    sink.write(message)
    os.write(log, (message_id(message) + "\\n").encode())
    os.fsync(log)

run_until_sigterm(config, [topic], process, batch_size)
"""


def test_sigkill_at_random_points_loses_nothing_and_the_sink_is_exact(
        new_topic, unique, consumer_config, produce, read_topic, committed, spawn, tmp_path):
    topic, group, batch_size, kills = new_topic("orders"), unique("group"), 100, 6
    produce(topic, [(f"k{i}", f"v{i}") for i in range(2000)])
    expected = {message_id(m): m.value().decode() for m in read_topic(topic)}
    assert len(expected) == 2000
    # A static member: the restarted process takes over the killed one's partitions at once. A dynamic
    # member would wait for session.timeout.ms to expire the dead one (on noida-db 0.2.3 it waits for ever:
    # the broker keeps electing the dead member as leader).
    config = consumer_config(group, {"group.instance.id": unique("instance")})
    journal, database, errors = tmp_path / "processed.log", tmp_path / "sink.db", tmp_path / "child.err"

    def processed() -> list[str]:
        return journal.read_text().splitlines() if journal.exists() else []

    seed = random.randrange(2**32)
    rng = random.Random(seed)
    with errors.open("a") as stderr:
        def start() -> subprocess.Popen:
            return spawn(CHILD, json.dumps(config), topic, str(database), str(journal), str(batch_size), stderr=stderr)

        for _ in range(kills):
            child = start()
            target = len(processed()) + rng.randint(1, 300)
            wait_until(lambda: len(processed()) >= target or child.poll() is not None, "records to be processed")
            assert child.poll() is None, errors.read_text()[-2000:]
            child.kill()
            child.wait()

        child = start()
        wait_until(lambda: set(processed()) >= expected.keys(), "every record")
        child.send_signal(signal.SIGTERM)
        assert child.wait(DEADLINE) == 0, errors.read_text()[-2000:]

    lines = processed()
    duplicates = len(lines) - len(set(lines))
    print(f"\nseed {seed}: {kills} kills, {len(lines)} deliveries of {len(expected)} records, {duplicates} duplicates")
    assert set(lines) == expected.keys()  # no record lost
    assert duplicates <= kills * batch_size  # at most the uncommitted batch per kill
    assert UpsertSink(str(database)).rows() == expected  # every id exactly once, with its value
    assert committed(group, topic) == next_offsets(list(expected))  # SIGTERM committed the last batch
