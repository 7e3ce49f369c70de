"""snippets/kafka/outbox_relay.py: the outbox write, the relay under SIGKILL, and the deduplicating consumer."""

import json
import logging
import random
import select
import socket
import sqlite3
import subprocess
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from confluent_kafka import KafkaError, KafkaException

from kafka.outbox_relay import (
    INBOX_SCHEMA,
    OUTBOX_SCHEMA,
    UNSENT_EVENTS,
    append_event,
    apply_once,
    cancel_order,
    consume_events,
    header,
    open_database,
    outbox_producer,
    place_order,
    publish_batch,
    run_relay,
)
from kafka_support import wait_until

# The relay in a child process. With "pause-before-mark" it stops after its first flush, before it
# marks anything sent, and prints the outbox ids it has just published, so the test kills it there.
RELAY_CHILD = """
import sys, threading
import kafka.outbox_relay as outbox

database, bootstrap, topic, batch_size, mode = sys.argv[1:]
if mode == "pause-before-mark":
    mark_sent = outbox.mark_sent

    def pause_before_mark(connection, event_ids):
        if event_ids:
            print(*event_ids, flush=True)
            threading.Event().wait()
        mark_sent(connection, event_ids)

    outbox.mark_sent = pause_before_mark
connection = outbox.open_database(database, outbox.OUTBOX_SCHEMA)
producer = outbox.outbox_producer({"bootstrap.servers": bootstrap})
outbox.run_relay(connection, producer, topic, threading.Event(), int(batch_size), idle_seconds=0.05)
"""

CUSTOMERS = ["ada", "grace", "linus", "barbara", "edsger"]


def rows(path: Path, sql: str, *args) -> list[tuple]:
    connection = sqlite3.connect(path, timeout=30.0)
    try:
        return connection.execute(sql, args).fetchall()
    finally:
        connection.close()


def unsent_ids(path: Path) -> set[int]:
    return {row[0] for row in rows(path, "SELECT id FROM outbox WHERE sent_at IS NULL")}


def sent_ids(path: Path) -> set[int]:
    return {row[0] for row in rows(path, "SELECT id FROM outbox WHERE sent_at IS NOT NULL")}


def event_ids(records) -> list[int]:
    return [int(header(record, "event-id")) for record in records]


def place_orders(connection: sqlite3.Connection, first: int, count: int) -> None:
    for n in range(first, first + count):
        place_order(connection, f"o-{n:04d}", CUSTOMERS[n % len(CUSTOMERS)], 100 + n)


def cancel_every(connection: sqlite3.Connection, step: int, first: int, count: int) -> None:
    for n in range(first, first + count, step):
        cancel_order(connection, f"o-{n:04d}")


def relay(path: Path, bootstrap: str, topic: str, stop: threading.Event, batch_size: int = 50) -> None:
    connection = open_database(str(path), OUTBOX_SCHEMA)  # sqlite3 connections stay in their thread
    run_relay(connection, outbox_producer({"bootstrap.servers": bootstrap}), topic, stop, batch_size, 0.05)
    connection.close()


def consume(config: dict, topic: str, path: Path, name: str, stop: threading.Event):
    connection = open_database(str(path), INBOX_SCHEMA)
    try:
        return consume_events(config, topic, connection, name, stop)
    finally:
        connection.close()


def read_line(child: subprocess.Popen, timeout: float = 60.0) -> str:
    ready, _, _ = select.select([child.stdout], [], [], timeout)
    assert ready, f"the relay child printed nothing within {timeout}s"
    return child.stdout.readline()


def consume_everything(config: dict, topic: str, path: Path, name: str, caught_up: Callable[[str], bool]):
    stop = threading.Event()
    with ThreadPoolExecutor(1) as pool:
        running = pool.submit(consume, config, topic, path, name, stop)
        try:
            wait_until(lambda: running.done() or caught_up(config["group.id"]),
                       "the consumer to commit the end of the topic", interval=0.2)
        finally:
            stop.set()
        return running.result()


def expected_totals(service: Path) -> list[tuple]:
    """What the consumer must end with: placed orders count once, cancelled ones cancel out."""
    return rows(service, "SELECT customer, SUM(status = 'placed'), SUM(IIF(status = 'placed', total_cents, 0))"
                         " FROM orders GROUP BY customer ORDER BY customer")


def totals(inbox: Path) -> list[tuple]:
    return rows(inbox, "SELECT customer, orders, total_cents FROM customer_totals ORDER BY customer")


def test_a_committed_order_and_its_event_are_written_together(tmp_path):
    path = tmp_path / "service.db"
    service = open_database(str(path), OUTBOX_SCHEMA)
    place_order(service, "o-1", "ada", 250)
    cancel_order(service, "o-1")
    assert rows(path, "SELECT id, customer, total_cents, status FROM orders") == [("o-1", "ada", 250, "cancelled")]
    events = rows(path, "SELECT aggregate_id, event_type, payload, sent_at FROM outbox ORDER BY id")
    payload = {"order_id": "o-1", "customer": "ada", "total_cents": 250}
    assert [(a, t, json.loads(p), s) for a, t, p, s in events] == [
        ("o-1", "OrderPlaced", payload, None), ("o-1", "OrderCancelled", payload, None)]


def test_no_event_is_published_for_a_rolled_back_transaction(tmp_path, new_topic, kafka_bootstrap, read_topic):
    topic = new_topic("orders", partitions=1)
    path = tmp_path / "service.db"
    service = open_database(str(path), OUTBOX_SCHEMA)
    # The database refuses this one event after its order row was written, as a full disk would.
    service.execute("CREATE TRIGGER refuse BEFORE INSERT ON outbox WHEN NEW.aggregate_id = 'o-doomed'"
                    " BEGIN SELECT RAISE(ABORT, 'outbox refused the event'); END")
    place_order(service, "o-1", "ada", 100)
    with pytest.raises(sqlite3.IntegrityError, match="outbox refused the event"):
        place_order(service, "o-doomed", "ada", 200)
    with pytest.raises(sqlite3.IntegrityError, match="UNIQUE"):
        place_order(service, "o-1", "grace", 300)
    with pytest.raises(ValueError, match="order_id 'o-missing' is not a placed order"):
        cancel_order(service, "o-missing")

    assert rows(path, "SELECT id, customer, total_cents FROM orders") == [("o-1", "ada", 100)]
    assert rows(path, "SELECT aggregate_id, event_type FROM outbox") == [("o-1", "OrderPlaced")]
    result = publish_batch(service, outbox_producer({"bootstrap.servers": kafka_bootstrap}), topic)
    assert not result.failed and result.sent == [row[0] for row in rows(path, "SELECT id FROM outbox")]
    records = read_topic(topic)
    assert [(r.key(), header(r, "event-type"), json.loads(r.value())) for r in records] == [
        (b"o-1", "OrderPlaced", {"order_id": "o-1", "customer": "ada", "total_cents": 100})]
    assert unsent_ids(path) == set()


def test_the_relay_finds_unsent_rows_through_the_partial_index(tmp_path):
    service = open_database(str(tmp_path / "service.db"), OUTBOX_SCHEMA)
    plan = " ".join(row[3] for row in service.execute("EXPLAIN QUERY PLAN " + UNSENT_EVENTS, (100,)))
    assert "USING INDEX outbox_unsent" in plan


@pytest.mark.parametrize(("topic", "batch_size", "named"), [("", 10, "topic"), ("t", 0, "batch_size"),
                                                             ("t", -3, "batch_size")])
def test_bad_relay_arguments_are_value_errors_naming_them(tmp_path, kafka_bootstrap, topic, batch_size, named):
    service = open_database(str(tmp_path / "service.db"), OUTBOX_SCHEMA)
    place_order(service, "o-1", "ada", 100)
    producer = outbox_producer({"bootstrap.servers": kafka_bootstrap})
    with pytest.raises(ValueError, match=named):
        publish_batch(service, producer, topic, batch_size)
    with pytest.raises(ValueError, match=named):
        run_relay(service, producer, topic, threading.Event(), batch_size)
    assert unsent_ids(tmp_path / "service.db") == {1}


def test_an_unreachable_broker_leaves_every_row_unsent_for_the_next_round(tmp_path, new_topic, kafka_bootstrap,
                                                                         read_topic):
    topic = new_topic("orders", partitions=3)
    path = tmp_path / "service.db"
    service = open_database(str(path), OUTBOX_SCHEMA)
    place_orders(service, 0, 5)
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        nowhere = f"127.0.0.1:{closed.getsockname()[1]}"
    unreachable = outbox_producer({"bootstrap.servers": nowhere, "message.timeout.ms": 1000})
    failed = publish_batch(service, unreachable, topic)
    del unreachable  # stop its reconnect attempts
    assert failed.sent == [] and sorted(failed.failed) == [1, 2, 3, 4, 5]
    assert {error.code() for error in failed.failed.values()} == {KafkaError._MSG_TIMED_OUT}
    assert unsent_ids(path) == {1, 2, 3, 4, 5}

    delivered = publish_batch(service, outbox_producer({"bootstrap.servers": kafka_bootstrap}), topic)
    assert sorted(delivered.sent) == [1, 2, 3, 4, 5] and not delivered.failed
    assert sorted(event_ids(read_topic(topic))) == [1, 2, 3, 4, 5]
    assert unsent_ids(path) == set()


def test_a_row_whose_delivery_fails_is_never_marked_sent(tmp_path, new_topic, kafka_bootstrap, read_topic, caplog):
    topic = new_topic("small", partitions=8, config={"max.message.bytes": "2000"})
    path = tmp_path / "service.db"
    service = open_database(str(path), OUTBOX_SCHEMA)
    place_orders(service, 0, 8)
    with service:
        append_event(service, "o-huge", "OrderNote", {"note": "x" * 5000})  # over the topic's limit
    huge = rows(path, "SELECT id FROM outbox WHERE aggregate_id = 'o-huge'")[0][0]

    result = publish_batch(service, outbox_producer({"bootstrap.servers": kafka_bootstrap}), topic)
    assert result.failed[huge].code() == KafkaError.MSG_SIZE_TOO_LARGE
    assert result.sent, "events in other partitions than the huge one are delivered"
    assert set(result.sent) | set(result.failed) == set(range(1, 10)) and not set(result.sent) & set(result.failed)
    assert sent_ids(path) == set(result.sent) and unsent_ids(path) == set(result.failed)
    assert sorted(event_ids(read_topic(topic))) == sorted(result.sent)

    stop = threading.Event()
    with caplog.at_level(logging.WARNING, logger="kafka.outbox_relay"), ThreadPoolExecutor(1) as pool:
        running = pool.submit(relay, path, kafka_bootstrap, topic, stop)
        try:
            wait_until(lambda: running.done() or f"outbox event {huge} not delivered" in caplog.text,
                       "the relay to log the failed delivery")
        finally:
            stop.set()
        running.result()
    assert "Message size too large" in caplog.text
    assert huge in unsent_ids(path)
    assert huge not in event_ids(read_topic(topic))


def test_a_fatal_producer_error_stops_the_relay_and_marks_nothing(tmp_path, new_topic, kafka_bootstrap):
    topic = new_topic("small", partitions=1, config={"max.message.bytes": "2000"})
    path = tmp_path / "service.db"
    service = open_database(str(path), OUTBOX_SCHEMA)
    place_orders(service, 0, 3)
    with service:
        append_event(service, "o-huge", "OrderNote", {"note": "x" * 5000})
    # With the gap-less guarantee, a record that fails after later ones could be written is fatal.
    gapless = outbox_producer({"bootstrap.servers": kafka_bootstrap, "enable.gapless.guarantee": True})
    # confluent-kafka raises the fatal error from flush(); when a delivery callback runs after it, the
    # KafkaException arrives as the cause of a SystemError (measured with confluent-kafka 2.16.2).
    with pytest.raises((KafkaException, SystemError)) as raised:
        run_relay(service, gapless, topic, threading.Event())
    cause = raised.value if isinstance(raised.value, KafkaException) else raised.value.__cause__
    assert isinstance(cause, KafkaException) and cause.args[0].fatal()
    assert cause.args[0].code() == KafkaError._GAPLESS_GUARANTEE
    assert unsent_ids(path) == {1, 2, 3, 4}


def test_apply_once_applies_an_event_once_and_skips_its_redelivery(tmp_path, new_topic, produce, read_topic):
    topic = new_topic("events", partitions=1)
    placed = json.dumps({"order_id": "o-1", "customer": "ada", "total_cents": 250}).encode()
    produce(topic, [
        (b"o-1", placed, [("event-id", b"7"), ("event-type", b"OrderPlaced")]),
        (b"o-1", b'{"order_id": "o-1"}', [("event-id", b"8"), ("event-type", b"OrderShipped")]),
        (b"o-2", b'{"order_id": "o-2"}', [("event-id", b"9"), ("event-type", b"OrderPlaced")]),
        (b"o-3", b"{}", [("event-type", b"OrderPlaced")]),
    ])
    first, shipped, broken, anonymous = read_topic(topic)
    path = tmp_path / "inbox.db"
    inbox = open_database(str(path), INBOX_SCHEMA)

    assert apply_once(inbox, "billing", first) is True
    assert apply_once(inbox, "billing", first) is False
    assert totals(path) == [("ada", 1, 250)]
    assert apply_once(inbox, "billing", shipped) is True  # not an event billing uses: recorded, no effect
    assert totals(path) == [("ada", 1, 250)]
    with pytest.raises(KeyError, match="customer"):
        apply_once(inbox, "billing", broken)  # the effect fails, so its id is rolled back with it
    with pytest.raises(ValueError, match="no 'event-id' header"):
        apply_once(inbox, "billing", anonymous)
    assert rows(path, "SELECT consumer, event_id FROM processed_events ORDER BY event_id") == [
        ("billing", "7"), ("billing", "8")]


def test_the_consumer_raises_the_error_of_a_topic_that_does_not_exist(tmp_path, unique, consumer_config):
    stop = threading.Event()
    with ThreadPoolExecutor(1) as pool:
        running = pool.submit(consume, consumer_config(unique("group")), unique("missing"),
                            tmp_path / "inbox.db", "billing", stop)
        timer = threading.Timer(60, stop.set)
        timer.start()
        try:
            with pytest.raises(KafkaException) as raised:
                running.result()
        finally:
            timer.cancel()
    assert raised.value.args[0].code() == KafkaError.UNKNOWN_TOPIC_OR_PART


def test_relay_killed_between_publish_and_mark_loses_nothing_and_the_consumer_applies_each_event_once(
        tmp_path, new_topic, kafka_bootstrap, spawn, read_topic, consumer_config, unique, committed, high_watermarks):
    partitions = 3
    topic = new_topic("orders", partitions=partitions)
    path = tmp_path / "service.db"
    service = open_database(str(path), OUTBOX_SCHEMA)
    place_orders(service, 0, 60)
    cancel_every(service, 4, 0, 40)

    # Kill 1, deterministic: the child has flushed its first batch and not yet marked it sent.
    child = spawn(RELAY_CHILD, str(path), kafka_bootstrap, topic, "10", "pause-before-mark",
                  stdout=subprocess.PIPE, text=True)
    flushed = sorted(int(n) for n in read_line(child).split())
    assert flushed == list(range(1, 11))
    assert sorted(event_ids(read_topic(topic))) == flushed, "published"
    assert unsent_ids(path) >= set(flushed), "not marked"
    child.kill()
    child.wait()
    kills = 1

    # Kills 2 to 5 at random points, with new orders and cancellations between the restarts.
    for life in range(4):
        first = 60 + 20 * life
        place_orders(service, first, 20)
        cancel_every(service, 3, first - 20, 20)
        before = len(sent_ids(path))
        child = spawn(RELAY_CHILD, str(path), kafka_bootstrap, topic, "5", "run")
        wait_until(lambda: child.poll() is not None or len(sent_ids(path)) > before,
                   "the restarted relay to mark a batch sent")
        assert child.poll() is None, f"the relay child exited with {child.returncode}"
        time.sleep(random.uniform(0, 0.05))
        child.kill()
        child.wait()
        kills += 1

    # Orders placed while no relay runs wait in the outbox; the last restart, in this process, drains it.
    place_orders(service, 140, 20)
    cancel_every(service, 3, 120, 40)
    stop = threading.Event()
    with ThreadPoolExecutor(1) as pool:
        running = pool.submit(relay, path, kafka_bootstrap, topic, stop)
        try:
            wait_until(lambda: running.done() or not unsent_ids(path), "the relay to drain the outbox")
        finally:
            stop.set()
        running.result()

    outbox = {event_id: (aggregate, event_type, payload)
              for event_id, aggregate, event_type, payload in rows(path, "SELECT id, aggregate_id, event_type,"
                                                                         " payload FROM outbox")}
    records = read_topic(topic)
    ids = event_ids(records)
    copies = Counter(ids)
    assert set(ids) == set(outbox), "every event reaches the topic at least once"
    assert all(copies[event_id] >= 2 for event_id in flushed), "the kill before the mark republishes its batch"
    for record, event_id in zip(records, ids, strict=True):
        aggregate, event_type, payload = outbox[event_id]
        assert (record.key(), header(record, "event-type"), record.value()) == (
            aggregate.encode(), event_type, payload.encode())

    first_seen, partitions_of = defaultdict(list), defaultdict(set)
    for record, event_id in zip(records, ids, strict=True):  # in partition, then offset order
        partitions_of[record.key()].add(record.partition())
        if event_id not in first_seen[record.key()]:
            first_seen[record.key()].append(event_id)
    assert all(len(found) == 1 for found in partitions_of.values()), "one aggregate, one partition"
    assert all(seen == sorted(seen) for seen in first_seen.values()), "each aggregate's events in outbox id order"
    assert sum(len(seen) > 1 for seen in first_seen.values()) > 20, "many aggregates have several events"

    def caught_up(group: str) -> bool:  # an empty partition has nothing to commit
        ends, offsets = high_watermarks(topic, partitions), committed(group, topic, partitions)
        return all(end == 0 or offsets[p] == end for p, end in ends.items())

    inbox = tmp_path / "inbox.db"
    group = consumer_config(unique("billing"))
    stats = consume_everything(group, topic, inbox, "billing", caught_up)
    assert (stats.applied, stats.duplicates) == (len(outbox), len(ids) - len(outbox))
    assert rows(inbox, "SELECT COUNT(*) FROM processed_events") == [(len(outbox),)]
    assert totals(inbox) == expected_totals(path), "each event applied exactly once"

    # A replay of the whole topic (a new group, an offset reset) changes nothing.
    replay = consumer_config(unique("billing-replay"))
    again = consume_everything(replay, topic, inbox, "billing", caught_up)
    assert (again.applied, again.duplicates) == (0, len(ids))
    assert totals(inbox) == expected_totals(path)
    print(f"\noutbox events {len(outbox)}, records on the topic {len(ids)}, duplicates {len(ids) - len(outbox)},"
          f" kills {kills}")
