"""Transactional outbox on SQLite: write an order and its event together, relay to Kafka, apply each event once."""

import json
import logging
import sqlite3
import threading
from dataclasses import dataclass, field
from functools import partial

from confluent_kafka import Consumer, KafkaError, KafkaException, Message, Producer

log = logging.getLogger(__name__)


# --8<-- [start:schema]
OUTBOX_SCHEMA = """
CREATE TABLE IF NOT EXISTS orders (
    id          TEXT PRIMARY KEY,
    customer    TEXT NOT NULL,
    total_cents INTEGER NOT NULL,
    status      TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS outbox (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused, even after old rows are purged
    aggregate_id TEXT NOT NULL,
    event_type   TEXT NOT NULL,
    payload      TEXT NOT NULL,
    created_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ')),
    sent_at      TEXT
);
CREATE INDEX IF NOT EXISTS outbox_unsent ON outbox (id) WHERE sent_at IS NULL;
"""


def open_database(path: str, schema: str) -> sqlite3.Connection:
    connection = sqlite3.connect(path, timeout=30.0)  # wait up to 30 s for another process's write lock
    connection.execute("PRAGMA journal_mode=WAL")  # the relay reads while the service writes
    connection.executescript(schema)
    return connection
# --8<-- [end:schema]


# --8<-- [start:write]
def append_event(connection: sqlite3.Connection, aggregate_id: str, event_type: str, payload: dict) -> None:
    """Add an event to the outbox. Call it inside the transaction that makes the change."""
    connection.execute(
        "INSERT INTO outbox (aggregate_id, event_type, payload) VALUES (?, ?, ?)",
        (aggregate_id, event_type, json.dumps(payload)),
    )


def place_order(connection: sqlite3.Connection, order_id: str, customer: str, total_cents: int) -> None:
    with connection:  # one transaction: both rows commit, or any exception rolls both back
        connection.execute(
            "INSERT INTO orders (id, customer, total_cents, status) VALUES (?, ?, ?, 'placed')",
            (order_id, customer, total_cents),
        )
        event = {"order_id": order_id, "customer": customer, "total_cents": total_cents}
        append_event(connection, order_id, "OrderPlaced", event)


def cancel_order(connection: sqlite3.Connection, order_id: str) -> None:
    with connection:
        rows = connection.execute(
            "UPDATE orders SET status = 'cancelled' WHERE id = ? AND status = 'placed'"
            " RETURNING customer, total_cents",
            (order_id,),
        ).fetchall()
        if not rows:
            raise ValueError(f"order_id {order_id!r} is not a placed order")
        customer, total_cents = rows[0]
        event = {"order_id": order_id, "customer": customer, "total_cents": total_cents}
        append_event(connection, order_id, "OrderCancelled", event)
# --8<-- [end:write]


# --8<-- [start:relay]
RELAY_SETTINGS = {
    "enable.idempotence": True,  # the producer's own retries neither duplicate nor reorder records
    "acks": "all",  # delivered means written to every in-sync replica
}
UNSENT_EVENTS = (
    "SELECT id, aggregate_id, event_type, payload FROM outbox"
    " WHERE sent_at IS NULL ORDER BY id LIMIT ?"
)


@dataclass
class RelayRound:
    sent: list[int] = field(default_factory=list)  # outbox ids delivered and marked sent
    failed: dict[int, KafkaError] = field(default_factory=dict)  # left unsent for the next round


def outbox_producer(config: dict) -> Producer:
    return Producer({**config, **RELAY_SETTINGS})


def publish_batch(
    connection: sqlite3.Connection, producer: Producer, topic: str, batch_size: int = 100
) -> RelayRound:
    """Publish the oldest unsent events, wait for every delivery report, then mark the delivered ones sent."""
    if not topic:
        raise ValueError("topic must be a non-empty topic name")
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size!r}")
    result = RelayRound()

    def report(event_id: int, error: KafkaError | None, _message: Message) -> None:
        if error is None:
            result.sent.append(event_id)
        else:
            result.failed[event_id] = error

    rows = connection.execute(UNSENT_EVENTS, (batch_size,)).fetchall()
    for event_id, aggregate_id, event_type, payload in rows:
        headers = [("event-id", str(event_id).encode()), ("event-type", event_type.encode())]
        producer.produce(topic, payload.encode(), aggregate_id.encode(), headers=headers,
                         on_delivery=partial(report, event_id))
    producer.flush()  # every report arrives within about message.timeout.ms; fatal errors raise here
    mark_sent(connection, result.sent)
    return result


def mark_sent(connection: sqlite3.Connection, event_ids: list[int]) -> None:
    with connection:
        connection.executemany(
            "UPDATE outbox SET sent_at = strftime('%Y-%m-%dT%H:%M:%fZ') WHERE id = ?",
            [(event_id,) for event_id in event_ids],
        )
# --8<-- [end:relay]


# --8<-- [start:loop]
def run_relay(
    connection: sqlite3.Connection,
    producer: Producer,
    topic: str,
    stop: threading.Event,
    batch_size: int = 100,
    idle_seconds: float = 0.5,
) -> None:
    """Relay rounds until `stop` is set, resting `idle_seconds` after a round that sent nothing."""
    while not stop.is_set():
        result = publish_batch(connection, producer, topic, batch_size)
        for event_id, error in result.failed.items():
            log.warning("outbox event %d not delivered, retrying next round: %s", event_id, error)
        if not result.sent:
            stop.wait(idle_seconds)
# --8<-- [end:loop]


# --8<-- [start:dedupe]
INBOX_SCHEMA = """
CREATE TABLE IF NOT EXISTS processed_events (
    consumer TEXT NOT NULL,
    event_id TEXT NOT NULL,
    PRIMARY KEY (consumer, event_id)
);
CREATE TABLE IF NOT EXISTS customer_totals (
    customer    TEXT PRIMARY KEY,
    orders      INTEGER NOT NULL,
    total_cents INTEGER NOT NULL
);
"""


def header(message: Message, name: str) -> str:
    for key, value in message.headers() or []:
        if key == name:
            return value.decode()
    raise ValueError(f"message at offset {message.offset()} has no {name!r} header")


def apply_once(connection: sqlite3.Connection, consumer_name: str, message: Message) -> bool:
    """Apply the event unless this consumer already did; False means a duplicate was skipped."""
    with connection:  # the processed id and the effect commit together, or neither does
        claimed = connection.execute(
            "INSERT INTO processed_events (consumer, event_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
            (consumer_name, header(message, "event-id")),
        ).rowcount
        if claimed:
            apply_event(connection, header(message, "event-type"), json.loads(message.value()))
    return claimed == 1
# --8<-- [end:dedupe]


# --8<-- [start:effect]
SIGNS = {"OrderPlaced": 1, "OrderCancelled": -1}


def apply_event(connection: sqlite3.Connection, event_type: str, event: dict) -> None:
    """Running totals per customer: an increment, so a duplicate would count twice."""
    sign = SIGNS.get(event_type)
    if sign is None:
        return  # an event this consumer does not use: recorded as processed, no effect
    connection.execute(
        "INSERT INTO customer_totals (customer, orders, total_cents) VALUES (?, ?, ?)"
        " ON CONFLICT (customer) DO UPDATE SET orders = orders + excluded.orders,"
        " total_cents = total_cents + excluded.total_cents",
        (event["customer"], sign, sign * event["total_cents"]),
    )
# --8<-- [end:effect]


# --8<-- [start:consumer]
@dataclass
class ConsumeStats:
    applied: int = 0
    duplicates: int = 0


def consume_events(
    config: dict, topic: str, connection: sqlite3.Connection, consumer_name: str, stop: threading.Event
) -> ConsumeStats:
    """Apply each event once until `stop` is set; offsets are committed after the effects."""
    consumer = Consumer({**config, "enable.auto.commit": False})
    consumer.subscribe([topic])
    stats = ConsumeStats()
    try:
        while not stop.is_set():
            messages = consumer.consume(100, timeout=0.5)
            for message in messages:
                if message.error():
                    raise KafkaException(message.error())
                if apply_once(connection, consumer_name, message):
                    stats.applied += 1
                else:
                    stats.duplicates += 1
            if messages:
                consumer.commit(asynchronous=False)
    finally:
        consumer.close()
    return stats
# --8<-- [end:consumer]
