"""snippets/kafka/key_ordered_parallel.py: per-key order, contiguous commits and no loss, against the broker."""

import json
import logging
import random
import signal
import subprocess
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from confluent_kafka import Consumer, KafkaError, KafkaException, Message, TopicPartition
from hypothesis import given
from hypothesis import strategies as st

from kafka.key_ordered_parallel import (
    ContiguousOffsets,
    KeyOrderedConsumer,
    lane_for,
    raise_unless_retriable,
    raise_unless_stale,
)
from kafka_support import DEADLINE, ClientLog, apache_kafka_behaviour, commit_zero, committed_offsets, wait_until

PARTITIONS = 3
LANES = 8


def keyed_records(count: int, keys: int) -> list[tuple[bytes, bytes]]:
    """Record i has key key-(i % keys) and value "<key>:<its position among that key's records>"."""
    return [(f"key-{i % keys}".encode(), f"key-{i % keys}:{i // keys}".encode()) for i in range(count)]


def end_offsets(records) -> dict[int, int]:
    ends: dict[int, int] = {}
    for message in records:
        ends[message.partition()] = max(ends.get(message.partition(), 0), message.offset() + 1)
    return ends


def contiguous_end(done: set[int], start: int = 0) -> int:
    """1 + the largest n such that every offset from start to n is done."""
    offset = start
    while offset in done:
        offset += 1
    return offset


class Running:
    """A KeyOrderedConsumer running in a thread; stop() sets its event and re-raises what run() raised."""

    def __init__(self, processor: KeyOrderedConsumer) -> None:
        self.processor, self.stop_event, self.error = processor, threading.Event(), None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            self.processor.run(self.stop_event)
        except Exception as error:  # re-raised in the test thread by stop()
            self.error = error

    def stop(self) -> None:
        self.stop_event.set()
        self.thread.join(DEADLINE)
        assert not self.thread.is_alive(), "run() did not return after stop was set"
        if self.error is not None:
            raise self.error


# --- The commit rule, as a pure unit -------------------------------------------------------------


@given(start=st.integers(0, 10**6), order=st.integers(1, 60).flatmap(lambda n: st.permutations(range(n))))
def test_any_completion_order_commits_one_past_the_contiguous_prefix(start, order):
    tracker = ContiguousOffsets()
    assert tracker.committable is None
    for offset in range(start, start + len(order)):
        tracker.start(offset)
    assert tracker.committable == start
    done: set[int] = set()
    previous = start
    for position in order:
        tracker.finish(start + position)
        done.add(start + position)
        assert tracker.committable == contiguous_end(done, start)
        assert tracker.committable >= previous
        previous = tracker.committable
    assert tracker.committable == start + len(order)


@given(st.data())
def test_interleaved_starts_and_finishes_with_offset_gaps(data):
    """Offsets may skip (transaction markers); the commit point is the oldest running offset, else last + 1."""
    tracker, running, last, previous = ContiguousOffsets(), [], None, None
    for _ in range(data.draw(st.integers(1, 80))):
        if running and data.draw(st.booleans()):
            offset = data.draw(st.sampled_from(running))
            running.remove(offset)
            tracker.finish(offset)
        else:
            last = (last if last is not None else data.draw(st.integers(0, 1000)) - 1) + data.draw(st.integers(1, 3))
            tracker.start(last)
            running.append(last)
        assert tracker.committable == (min(running) if running else last + 1)
        assert previous is None or tracker.committable >= previous
        previous = tracker.committable


def test_the_tracker_refuses_offsets_out_of_order_and_unknown_finishes():
    tracker = ContiguousOffsets()
    tracker.start(5)
    with pytest.raises(ValueError, match="offset must grow"):
        tracker.start(5)
    with pytest.raises(ValueError, match="offset 6 is not in progress"):
        tracker.finish(6)
    tracker.finish(5)
    with pytest.raises(ValueError, match="offset 5 is not in progress"):
        tracker.finish(5)


def test_a_partition_whose_fetch_position_goes_back_finishes_its_work_then_counts_afresh(caplog):
    handled: list[int] = []
    release = threading.Event()

    def handler(message: Message) -> None:
        release.wait(DEADLINE)
        handled.append(message.offset())

    consumer = KeyOrderedConsumer({"group.id": "g"}, ["t"], handler, lanes=2)
    consumer._on_assign(None, [TopicPartition("t", 0)])
    workers = [threading.Thread(target=consumer._work, args=(lane,)) for lane in consumer._lanes]
    for worker in workers:
        worker.start()
    for offset in (86, 87):
        consumer._dispatch(Message(topic="t", partition=0, offset=offset, key=str(offset).encode()))
    threading.Timer(0.2, release.set).start()
    consumer._dispatch(Message(topic="t", partition=0, offset=0, key=b"0"))
    assert release.is_set() and {86, 87} <= set(handled)  # the dispatch waited for them
    assert "t [0] went back to offset 0" in caplog.text
    for lane in consumer._lanes:
        lane.put(None)
    for worker in workers:
        worker.join()
    assert sorted(handled) == [0, 86, 87]
    assert consumer._trackers[("t", 0)].committable == 1


# --- Routing and arguments -----------------------------------------------------------------------


def test_held_records_wait_for_room_so_the_lanes_never_pass_max_in_flight():
    gates: defaultdict[tuple[int, int], threading.Event] = defaultdict(threading.Event)
    handled: list[tuple[int, int]] = []

    def handler(message: Message) -> None:
        gates[message.partition(), message.offset()].wait(DEADLINE)
        handled.append((message.partition(), message.offset()))

    processor = KeyOrderedConsumer({"group.id": "g"}, ["t"], handler, lanes=2, max_in_flight=2)
    client = Consumer({"group.id": "g", "bootstrap.servers": "127.0.0.1:1"})  # pause and resume need no broker
    processor._on_assign(None, [TopicPartition("t", p) for p in range(4)])
    workers = [threading.Thread(target=processor._work, args=(lane,)) for lane in processor._lanes]
    for worker in workers:
        worker.start()
    for partition, offset in [(0, 0), (0, 1), (1, 0), (2, 0), (3, 0)]:
        message = Message(topic="t", partition=partition, offset=offset, key=f"{partition}".encode())
        if not processor._held_back(client, message):
            processor._dispatch(message)
    assert (processor.stats().in_flight, processor.stats().paused) == (2, 3)  # partitions 1, 2 and 3 hold one each

    gates[0, 0].set()
    wait_until(lambda: processor.stats().in_flight == 1, "one record to finish")
    processor._resume_when_drained(client)
    assert (processor.stats().in_flight, processor.stats().paused) == (2, 2)  # room for one: the others wait

    for gate in [(0, 1), (1, 0), (2, 0), (3, 0)]:
        gates[gate].set()
    for _ in range(2):
        wait_until(lambda: processor.stats().in_flight == 0, "the lanes to drain")
        processor._resume_when_drained(client)
    wait_until(lambda: len(handled) == 5, "every record to be handled")
    for lane in processor._lanes:
        lane.put(None)
    for worker in workers:
        worker.join()
    client.close()
    assert processor.stats().peak_in_flight == 2 and processor.stats().paused == 0


def test_lanes_come_from_a_stable_hash_not_pythons_randomised_one(spawn, monkeypatch):
    keys = [f"customer-{i}".encode() for i in range(50)]
    here = [lane_for(key, "orders", 0, LANES) for key in keys]
    assert set(here) == set(range(LANES)), "50 keys should use all 8 lanes"
    code = ("from kafka.key_ordered_parallel import lane_for; "
            "print(*(lane_for(f'customer-{i}'.encode(), 'orders', 0, 8) for i in range(50)))")
    for seed in ("1", "2"):
        monkeypatch.setenv("PYTHONHASHSEED", seed)  # hash(bytes) differs between these two children
        out, _ = spawn(code, stdout=subprocess.PIPE, text=True).communicate(timeout=DEADLINE)
        assert [int(lane) for lane in out.split()] == here


@pytest.mark.parametrize(("arguments", "named"), [
    ({"lanes": 0}, "lanes"),
    ({"lanes": 8, "max_in_flight": 7}, "max_in_flight"),
    ({"commit_interval": 0}, "commit_interval"),
    ({"topics": []}, "topics"),
    ({"config": {"bootstrap.servers": "127.0.0.1:9"}}, "group.id"),
])
def test_bad_arguments_are_value_errors_naming_them(arguments, named):
    given_arguments = {"config": {"group.id": "g"}, "topics": ["t"], "handler": print, **arguments}
    with pytest.raises(ValueError, match=named):
        KeyOrderedConsumer(**given_arguments)


def test_retriable_poll_errors_and_stale_commits_are_logged_and_the_rest_raise(caplog):
    with caplog.at_level(logging.WARNING, logger="kafka.key_ordered_parallel"):
        raise_unless_retriable(KafkaError(KafkaError._TRANSPORT, "connection reset", retriable=True))
        raise_unless_stale(KafkaError(KafkaError.ILLEGAL_GENERATION, "generation is over"))
    assert "connection reset" in caplog.text and "commit refused" in caplog.text
    for error in (KafkaError(KafkaError._FATAL, "fenced", retriable=True),
                  KafkaError(KafkaError.UNKNOWN_TOPIC_OR_PART, "no such topic", fatal=True, retriable=True),
                  KafkaError(KafkaError.TOPIC_AUTHORIZATION_FAILED, "denied")):
        with pytest.raises(KafkaException):
            raise_unless_retriable(error)
    for error in (KafkaError(KafkaError.FENCED_INSTANCE_ID, "fenced"), KafkaError(KafkaError.UNKNOWN_TOPIC_OR_PART)):
        with pytest.raises(KafkaException):
            raise_unless_stale(error)


def test_a_missing_topic_raises_instead_of_waiting_forever(consumer_config, unique):
    processor = KeyOrderedConsumer(consumer_config(unique("group")), [unique("missing")], print)
    with pytest.raises(KafkaException) as raised:
        processor.run(threading.Event())
    assert raised.value.args[0].code() == KafkaError.UNKNOWN_TOPIC_OR_PART


# --- Against the broker --------------------------------------------------------------------------


class Recorder:
    """A handler that records what it processed, in order, and how many records ran at once."""

    def __init__(self, delay: Callable[[], float] = lambda: 0.0, gate: threading.Event | None = None) -> None:
        self.lock, self.delay, self.gate = threading.Lock(), delay, gate
        self.processed: list[tuple[int, int, bytes | None, bytes]] = []  # partition, offset, key, value
        self.active = self.most_active = 0
        self.entered_before_gate: set[tuple[int, int]] = set()
        self.running_keys: set[bytes] = set()
        self.overlaps: list[bytes] = []  # keys seen running twice at the same moment

    def __call__(self, message) -> None:
        key = identity(message.key(), message.partition())
        with self.lock:
            self.active += 1
            self.most_active = max(self.most_active, self.active)
            if key in self.running_keys:
                self.overlaps.append(key)
            self.running_keys.add(key)
            if self.gate is not None and not self.gate.is_set():
                self.entered_before_gate.add((message.partition(), message.offset()))
        if self.gate is not None:
            assert self.gate.wait(DEADLINE), "the test never opened the gate"
        time.sleep(self.delay())
        with self.lock:
            self.active -= 1
            self.running_keys.discard(key)
            self.processed.append((message.partition(), message.offset(), message.key(), message.value()))

    def count(self) -> int:
        with self.lock:
            return len(self.processed)

    def per_key(self) -> dict[bytes, list[bytes]]:
        with self.lock:
            keys: dict[bytes, list[bytes]] = defaultdict(list)
            for partition, _, key, value in self.processed:
                keys[identity(key, partition)].append(value)
            return keys

    def offsets(self) -> list[tuple[int, int]]:
        with self.lock:
            return [(partition, offset) for partition, offset, _, _ in self.processed]


def identity(key: bytes | None, partition: int) -> bytes:
    """What must stay in order: the key, or for keyless records their partition."""
    return key if key is not None else f"no key, partition {partition}".encode()


def produced_per_key(records) -> dict[bytes, list[bytes]]:
    keys: dict[bytes, list[bytes]] = defaultdict(list)
    for message in records:
        keys[identity(message.key(), message.partition())].append(message.value())
    return keys


def test_per_key_order_holds_under_random_delays_with_more_lanes_than_partitions(
        new_topic, produce, read_topic, consumer_config, unique, kafka_admin):
    topic, group = new_topic("orders", partitions=PARTITIONS), unique("group")
    produce(topic, keyed_records(1200, keys=60) + [(None, f"keyless:{i}".encode()) for i in range(60)])
    records = read_topic(topic)
    recorder = Recorder(delay=lambda: random.uniform(0, 0.002))
    processor = KeyOrderedConsumer(consumer_config(group), [topic], recorder, lanes=LANES, max_in_flight=512,
                                   commit_interval=0.1)
    running = Running(processor)
    wait_until(lambda: recorder.count() >= len(records), "every record to be processed")
    running.stop()

    assert recorder.per_key() == produced_per_key(records)  # each key's records once, in produce order
    assert recorder.overlaps == []  # and never two records of one key at the same moment
    assert committed_offsets(kafka_admin, group, topic) == end_offsets(records)
    stats = processor.stats()
    assert stats.peak_in_flight <= 512 and stats.in_flight == 0 and stats.dropped == 0
    print(f"most records processed at once: {recorder.most_active} (partitions: {PARTITIONS})")


def test_full_lanes_pause_each_partition_after_its_first_record_and_work_runs_beyond_the_partition_count(
        new_topic, produce, read_topic, consumer_config, unique, kafka_admin):
    topic, group = new_topic("orders", partitions=PARTITIONS), unique("group")
    produce(topic, keyed_records(90, keys=30))
    records = read_topic(topic)
    # More than 16 records in every partition, so each delivers one while the lanes are full, and pauses.
    assert all(sum(m.partition() == p for m in records) > 16 for p in range(PARTITIONS))
    commit_zero(kafka_admin, group, topic, range(PARTITIONS - 1))
    client = ClientLog()
    recorder = Recorder(gate=threading.Event())
    config = {**consumer_config(group), "debug": "topic", "logger": client.logger}
    processor = KeyOrderedConsumer(config, [topic], recorder, lanes=LANES, max_in_flight=16, commit_interval=0.1)
    running = Running(processor)
    try:
        wait_until(lambda: processor.stats().in_flight == 16 and processor.stats().paused == PARTITIONS,
                   "the lanes to fill and every partition to pause")
        pauses, pauses_before_a_start_offset = client.pauses(), client.pauses_before_a_start_offset()
        # Whatever order the partitions are fetched in, the first 16 records use at least 6 different lanes.
        wait_until(lambda: recorder.most_active > PARTITIONS, "more records running at once than partitions")
        assert set(committed_offsets(kafka_admin, group, topic).values()) <= {0}  # nothing finished, nothing past 0
    finally:
        recorder.gate.set()
    # The last partition, without a commit, was paused only after its first record, not while looking up its start.
    assert len(pauses) >= PARTITIONS and pauses_before_a_start_offset == []
    wait_until(lambda: recorder.count() >= len(records), "every record to be processed")
    running.stop()

    assert sorted(recorder.offsets()) == sorted((m.partition(), m.offset()) for m in records)  # each exactly once
    assert recorder.per_key() == produced_per_key(records) and recorder.overlaps == []
    assert processor.stats().peak_in_flight == 16  # the cap was reached and never passed
    assert committed_offsets(kafka_admin, group, topic) == end_offsets(records)
    print(f"most records processed at once: {recorder.most_active} (partitions: {PARTITIONS}, lanes: {LANES})")


def test_librdkafka_rewinds_a_partition_paused_and_resumed_while_it_looks_up_its_start_offset(
        new_topic, produce, unique, kafka_bootstrap, kafka_admin):
    """The hazard the loop avoids: pause and resume during the lookup, and the partition later starts over."""
    topic = new_topic("orders", partitions=PARTITIONS)
    produce(topic, keyed_records(600, keys=45))

    def rewinds(group: str) -> int:
        commit_zero(kafka_admin, group, topic, range(PARTITIONS - 1))
        consumer = Consumer({"bootstrap.servers": kafka_bootstrap, "group.id": group, "auto.offset.reset": "earliest",
                             "enable.auto.commit": False})
        assigned: list[TopicPartition] = []
        consumer.subscribe([topic], on_assign=lambda _, partitions: assigned.extend(partitions))
        last: dict[int, int] = {}
        went_back, deadline, toggle_until = 0, time.monotonic() + DEADLINE, None
        try:
            while time.monotonic() < deadline and not went_back:
                if assigned and toggle_until is None:
                    toggle_until = time.monotonic() + 0.5
                if toggle_until is not None and time.monotonic() < toggle_until:
                    consumer.pause(assigned)
                    consumer.resume(assigned)
                message = consumer.poll(0.001)
                if message is None or message.error():
                    if toggle_until is not None and time.monotonic() > toggle_until + 2:
                        break  # everything read, and no rewind within 2 s
                    continue
                went_back += message.offset() <= last.get(message.partition(), -1)
                last[message.partition()] = message.offset()
        finally:
            consumer.close()
        return went_back

    assert any(rewinds(unique("group")) for _ in range(8)), "no rewind in 8 tries: has librdkafka fixed it?"


def test_a_handler_error_stops_the_lanes_and_commits_only_the_contiguous_finished_offsets(
        new_topic, produce, consumer_config, unique, kafka_admin):
    topic, group = new_topic("orders", partitions=1), unique("group")
    produce(topic, keyed_records(100, keys=20))
    poison_offset = 30
    finished: set[int] = set()

    def handler(message) -> None:
        if message.offset() == poison_offset:
            raise RuntimeError("cannot process record 30")
        time.sleep(random.uniform(0, 0.002))
        finished.add(message.offset())

    processor = KeyOrderedConsumer(consumer_config(group), [topic], handler, lanes=4, max_in_flight=40,
                                   commit_interval=0.1)
    with pytest.raises(RuntimeError, match="cannot process record 30"):
        processor.run(threading.Event())

    assert poison_offset not in finished
    assert committed_offsets(kafka_admin, group, topic) == {0: contiguous_end(finished)}
    assert contiguous_end(finished) <= poison_offset
    assert processor.stats().in_flight == 0


def never_skips_ahead(values: list[bytes]) -> bool:
    """Each record of a key comes at most one past the furthest one processed before it (replays allowed)."""
    furthest = -1
    for value in values:
        sequence = int(value.split(b":")[1])
        if sequence > furthest + 1:
            return False
        furthest = max(furthest, sequence)
    return True


@dataclass
class Handover:
    group: str
    topic: str
    records: list
    recorder: Recorder
    first: KeyOrderedConsumer
    second: KeyOrderedConsumer
    running_at_revoke: set[tuple[int, int]]


def hand_over(new_topic, produce, read_topic, consumer_config, unique, kafka_admin) -> Handover:
    """A first member fills its lanes with records held at a gate; a second member joins and takes partitions."""
    topic, group = new_topic("orders", partitions=PARTITIONS), unique("group")
    produce(topic, keyed_records(72, keys=24))
    records = read_topic(topic)
    recorder = Recorder(gate=threading.Event())
    first = KeyOrderedConsumer(consumer_config(group), [topic], recorder, lanes=4, max_in_flight=24,
                               commit_interval=0.1)
    second = KeyOrderedConsumer(consumer_config(group), [topic], recorder, lanes=4, commit_interval=0.1)
    running = [Running(first)]
    try:
        wait_until(lambda: first.stats().in_flight == 24, "the first member to fill its lanes")
        running.append(Running(second))  # its join revokes every partition from the first member
        wait_until(lambda: not first.stats().owned, "the first member to start revoking")
    finally:
        recorder.gate.set()  # the records it is running may finish now; its queued ones are dropped
    wait_until(lambda: processed_everything(recorder, records) and all(not m.processor.stats().in_flight
                                                                        for m in running),
               "every record to be processed and the lanes to empty")
    # Commit while the group is stable: the member stopped last sees a rebalance when the other one leaves.
    wait_until(lambda: committed_offsets(kafka_admin, group, topic) == end_offsets(records), "the periodic commits")
    for member in running:
        member.stop()
    return Handover(group, topic, records, recorder, first, second, recorder.entered_before_gate)


def processed_everything(recorder: Recorder, records) -> bool:
    return set(recorder.offsets()) >= {(m.partition(), m.offset()) for m in records}


def test_a_revoke_finishes_running_records_and_drops_queued_ones(
        new_topic, produce, read_topic, consumer_config, unique, kafka_admin):
    run = hand_over(new_topic, produce, read_topic, consumer_config, unique, kafka_admin)

    assert sorted(set(run.recorder.offsets())) == sorted((m.partition(), m.offset()) for m in run.records)
    assert run.recorder.overlaps == []  # the new owner started a key only after the old one finished it
    assert all(never_skips_ahead(values) for values in run.recorder.per_key().values())
    assert run.first.stats().dropped == 24 - len(run.running_at_revoke) and run.second.stats().dropped == 0
    assert len(run.recorder.offsets()) <= len(run.records) + len(run.running_at_revoke)  # only those can repeat
    assert committed_offsets(kafka_admin, run.group, run.topic) == end_offsets(run.records)


@apache_kafka_behaviour  # on noida-db the new owner starts from the last periodic commit instead
def test_the_commit_on_revoke_lands_so_only_work_past_the_contiguous_offset_repeats(
        new_topic, produce, read_topic, consumer_config, unique, kafka_admin, caplog):
    caplog.set_level(logging.WARNING, logger="kafka.key_ordered_parallel")
    run = hand_over(new_topic, produce, read_topic, consumer_config, unique, kafka_admin)
    commit_at_revoke = {p: contiguous_end({o for q, o in run.running_at_revoke if q == p}) for p in range(PARTITIONS)}
    repeated = {(p, o) for p, o in run.running_at_revoke if o >= commit_at_revoke[p]}
    assert "commit refused" not in caplog.text
    assert len(run.recorder.offsets()) == len(run.records) + len(repeated)


# --- SIGKILL mid-way, in a child process ---------------------------------------------------------

CHILD = """
import json, random, signal, sys, threading, time
from kafka.key_ordered_parallel import KeyOrderedConsumer

config, topic, log_path, run, stop_after = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
lock, started, stop = threading.Lock(), [0], threading.Event()
log = open(log_path, "a", buffering=1)
signal.signal(signal.SIGTERM, lambda *_: stop.set())

def handle(message):
    with lock:
        started[0] += 1
        stuck = 0 < stop_after < started[0]
    if stuck:
        threading.Event().wait()  # this record is still running when the kill comes
    time.sleep(random.uniform(0, 0.002))
    with lock:
        log.write(f"{run} {message.partition()} {message.offset()} {message.value().decode()}\\n")

KeyOrderedConsumer(config, [topic], handle, lanes=8, max_in_flight=128, commit_interval=0.1).run(stop)
"""


def processed_lines(log: Path) -> list[tuple[int, int, int, bytes]]:
    """(run, partition, offset, value) for every complete line the children wrote."""
    if not log.exists():
        return []
    lines = [line.split() for line in log.read_text().splitlines(keepends=True) if line.endswith("\n")]
    return [(int(run), int(partition), int(offset), value.encode()) for run, partition, offset, value in lines]


def committed_or_zero(admin, group: str, topic: str) -> dict[int, int]:
    committed = committed_offsets(admin, group, topic)
    return {p: committed.get(p, 0) for p in range(PARTITIONS)}


def test_sigkill_mid_way_loses_nothing_and_repeats_only_work_past_the_contiguous_offset(
        new_topic, produce, read_topic, consumer_config, unique, kafka_admin, spawn, tmp_path):
    topic, group = new_topic("orders", partitions=PARTITIONS), unique("group")
    produce(topic, keyed_records(900, keys=45))
    records = read_topic(topic)
    every_record = {(m.partition(), m.offset()) for m in records}
    log = tmp_path / "processed.log"
    # A static member: the restarted process takes over the dead one's partitions at once, without waiting
    # for session.timeout.ms (noida-db did not expire a killed dynamic member within 60 s; Kafka takes 6 s).
    config = json.dumps({**consumer_config(group), "group.instance.id": unique("instance")})
    starts = [dict.fromkeys(range(PARTITIONS), 0)]  # the committed offsets each run starts from
    finished_past_commit = []
    for run in (0, 1):
        child = spawn(CHILD, config, topic, str(log), str(run), "250")
        wait_until(lambda: len(lines_of(log, run)) == 250, f"run {run} to finish 250 records, then hang")
        done = {p: {o for _, q, o, _ in lines_of(log, run) if q == p} for p in range(PARTITIONS)}
        contiguous = {p: contiguous_end(done[p], start=starts[run][p]) for p in range(PARTITIONS)}
        wait_until(lambda: committed_or_zero(kafka_admin, group, topic) == contiguous,
                   f"run {run} to commit exactly its contiguous finished offsets {contiguous}")
        child.send_signal(signal.SIGKILL)
        assert child.wait(DEADLINE) == -signal.SIGKILL
        processed = {(p, o) for _, p, o, _ in processed_lines(log)}
        assert all((p, o) in processed for p in range(PARTITIONS) for o in range(contiguous[p]))
        finished_past_commit.append(sum(1 for p in done for o in done[p] if o >= contiguous[p]))
        starts.append(contiguous)

    last = spawn(CHILD, config, topic, str(log), "2", "0")
    wait_until(lambda: committed_offsets(kafka_admin, group, topic) == end_offsets(records), "the last run to finish")
    last.send_signal(signal.SIGTERM)
    assert last.wait(DEADLINE) == 0
    assert committed_offsets(kafka_admin, group, topic) == end_offsets(records)

    lines = processed_lines(log)
    assert {(p, o) for _, p, o, _ in lines} == every_record
    assert all(o >= starts[run][p] for run, p, o, _ in lines)  # no run went back behind its start
    per_key: dict[bytes, list[bytes]] = defaultdict(list)
    for _, _, _, value in lines:
        per_key[value.split(b":")[0]].append(value)
    assert all(never_skips_ahead(values) for values in per_key.values())
    duplicates = len(lines) - len(every_record)
    assert duplicates == sum(finished_past_commit)  # exactly the work finished past each kill's commit
    print(f"kills: 2, records: {len(every_record)}, processed: {len(lines)}, duplicates: {duplicates}, "
          f"finished past the commit at each kill: {finished_past_commit}")


def lines_of(log: Path, run: int) -> list[tuple[int, int, int, bytes]]:
    return [line for line in processed_lines(log) if line[0] == run]
