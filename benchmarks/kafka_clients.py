"""Producer and consumer settings compared side by side on one broker, in one run, as ratios.

Starts its own noida-db broker on a free loopback port (or uses KAFKA_BOOTSTRAP_SERVERS), then
- produces the same records with every combination of linger.ms, batch.size and compression.type;
- consumes the same records committing offsets three ways: synchronously after every message,
  synchronously after every batch, and asynchronously after every batch with a final synchronous commit.
Rounds are interleaved and repeated; the tables show medians and ratios to a baseline, and go to
docs/includes/benchmarks/kafka-producer.md and kafka-commits.md, which the tuning pages embed.

    make bench          # or: .venv/bin/python benchmarks/kafka_clients.py --records 100000 --repeats 5
"""

import argparse
import datetime
import json
import os
import random
import statistics
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import confluent_kafka
from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "snippets"), str(ROOT / "tests")]

from conftest import kafka_broker  # noqa: E402
from kafka.admin import create_topic  # noqa: E402
from report import machine, write_tables  # noqa: E402

OUTPUT = ROOT / "docs" / "includes" / "benchmarks"
PARTITIONS = 3
LINGERS = (0, 5, 50)
BATCH_SIZES = (16_384, 1_000_000)  # the Java client's default, and librdkafka's
COMPRESSIONS = ("none", "lz4", "zstd")
BASELINE = (5, 1_000_000, "none")  # librdkafka's defaults
COMMIT_BATCH = 500


@dataclass(frozen=True)
class ProducerSetting:
    linger_ms: int
    batch_size: int
    compression: str


def events(count: int) -> list[tuple[bytes, bytes]]:
    """Order events as JSON, about 200 bytes each: repetitive enough that compression has work to do."""
    rng = random.Random(7)
    statuses = ["created", "paid", "shipped", "delivered", "cancelled"]
    records = []
    for n in range(count):
        user = rng.randrange(10_000)
        event = {"order_id": n, "user_id": user, "status": rng.choice(statuses), "amount_cents": rng.randrange(100, 100_000),
                 "currency": "EUR", "created_at": f"2026-11-{1 + n % 28:02d}T{n % 24:02d}:{n % 60:02d}:00Z",
                 "items": rng.randrange(1, 9)}
        records.append((f"user-{user}".encode(), json.dumps(event).encode()))
    return records


def produce_rate(bootstrap: str, topic: str, setting: ProducerSetting, records: list[tuple[bytes, bytes]]) -> float:
    producer = Producer({
        "bootstrap.servers": bootstrap, "acks": "all", "enable.idempotence": True,
        "linger.ms": setting.linger_ms, "batch.size": setting.batch_size, "compression.type": setting.compression,
    })
    failures = []
    producer.produce(topic, b"warm-up")  # connect and get a producer id before the clock starts
    producer.flush(30)
    start = time.perf_counter()
    for key, value in records:
        while True:
            try:
                producer.produce(topic, value, key, on_delivery=lambda error, _: error and failures.append(error))
                break
            except BufferError:  # the local queue is full: serve delivery reports, then try again
                producer.poll(0.01)
        producer.poll(0)
    if producer.flush(60) or failures:
        raise RuntimeError(f"{setting}: {len(failures)} deliveries failed, first {failures[:1]}")
    return len(records) / (time.perf_counter() - start)


def commit_every_message(consumer: Consumer, count: int) -> None:
    for _ in range(count):
        message = next_message(consumer)
        consumer.commit(message=message, asynchronous=False)


def commit_every_batch(consumer: Consumer, count: int) -> None:
    for batch in batches(consumer, count):
        consumer.commit(message=batch[-1], asynchronous=False)  # one partition: the last message covers the batch


def commit_async_then_sync(consumer: Consumer, count: int) -> None:
    for batch in batches(consumer, count):
        consumer.commit(message=batch[-1], asynchronous=True)
    # explicit offsets: without them, librdkafka answers _NO_OFFSET when the async commits already stored all
    consumer.commit(message=batch[-1], asynchronous=False)


COMMIT_STRATEGIES: dict[str, Callable[[Consumer, int], None]] = {
    "Synchronous commit after every message": commit_every_message,
    f"Synchronous commit after every batch of {COMMIT_BATCH}": commit_every_batch,
    f"Asynchronous commit after every batch of {COMMIT_BATCH}, synchronous at the end": commit_async_then_sync,
}


def next_message(consumer: Consumer):
    while True:
        message = consumer.poll(5)
        if message is None:
            raise TimeoutError("the topic ran dry before the benchmark read every record")
        if message.error():
            raise KafkaException(message.error())
        return message


def batches(consumer: Consumer, count: int) -> Iterator[list]:
    read = 0
    while read < count:
        batch = consumer.consume(min(COMMIT_BATCH, count - read), 5)
        if not batch:
            raise TimeoutError("the topic ran dry before the benchmark read every record")
        if errors := [message.error() for message in batch if message.error()]:
            raise KafkaException(errors[0])
        read += len(batch)
        yield batch


def consume_rate(bootstrap: str, topic: str, strategy: Callable[[Consumer, int], None], count: int) -> float:
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"bench-{uuid.uuid4().hex}",
                         "enable.auto.commit": False, "auto.offset.reset": "earliest"})
    try:
        consumer.assign([TopicPartition(topic, 0, 0)])  # assign, not subscribe: no group join in the timing
        start = time.perf_counter()
        strategy(consumer, count)
        elapsed = time.perf_counter() - start
        committed = consumer.committed([TopicPartition(topic, 0)], timeout=10)[0].offset
        if committed != count:
            raise RuntimeError(f"{strategy.__name__} committed {committed}, expected {count}")
        return count / elapsed
    finally:
        consumer.close()


def broker_name() -> str:
    if os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        return "the broker at KAFKA_BOOTSTRAP_SERVERS"
    from importlib.metadata import version

    return f"noida-db {version('noida-db')} (one node, on loopback)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000, help="records per producer measurement")
    parser.add_argument("--commit-records", type=int, default=3_000, help="records per consumer measurement")
    parser.add_argument("--repeats", type=int, default=5, help="rounds; the tables show medians")
    parser.add_argument("--output", type=Path, default=OUTPUT, help="directory for the two tables")
    args = parser.parse_args()
    if min(args.records, args.commit_records, args.repeats) < 1:
        parser.error("--records, --commit-records and --repeats must be at least 1")

    records = events(args.records)
    settings = [ProducerSetting(*combination) for combination in
                ((linger, batch, compression) for linger in LINGERS for batch in BATCH_SIZES for compression in COMPRESSIONS)]
    produced: dict[ProducerSetting, list[float]] = {setting: [] for setting in settings}
    consumed: dict[str, list[float]] = {name: [] for name in COMMIT_STRATEGIES}
    with kafka_broker() as bootstrap:
        admin = AdminClient({"bootstrap.servers": bootstrap})
        source = f"bench-commits-{uuid.uuid4().hex[:8]}"
        create_topic(admin, source, 1)
        produce_rate(bootstrap, source, ProducerSetting(*BASELINE), events(args.commit_records))
        for round_number in range(args.repeats):
            order = random.Random(round_number).sample(settings, len(settings))
            for setting in order:
                topic = f"bench-produce-{uuid.uuid4().hex[:8]}"
                create_topic(admin, topic, PARTITIONS)
                produced[setting].append(produce_rate(bootstrap, topic, setting, records))
            for name in random.Random(round_number).sample(list(COMMIT_STRATEGIES), len(COMMIT_STRATEGIES)):
                consumed[name].append(consume_rate(bootstrap, source, COMMIT_STRATEGIES[name], args.commit_records))
            print(f"round {round_number + 1}/{args.repeats} done", file=sys.stderr)

    footer = (f"Measured {datetime.date.today().isoformat()} on {machine()}, against {broker_name()}, with "
              f"confluent-kafka {confluent_kafka.version()} (librdkafka {confluent_kafka.libversion()[0]}). "
              f"Medians of {args.repeats} interleaved rounds. Produced by `benchmarks/kafka_clients.py`.")
    write_tables(args.output, {"kafka-producer.md": producer_table(produced, args.records),
                               "kafka-commits.md": commit_table(consumed, args.commit_records)}, footer)


def producer_table(produced: dict[ProducerSetting, list[float]], count: int) -> str:
    medians = {setting: statistics.median(rates) for setting, rates in produced.items()}
    baseline = medians[ProducerSetting(*BASELINE)]
    lines = [f"| `linger.ms` | `batch.size` | `compression.type` | Records/s ({count:,} records, `acks=all`) | vs. librdkafka's defaults |",
             "| ---: | ---: | --- | ---: | ---: |"]
    for setting, rate in medians.items():
        lines.append(f"| {setting.linger_ms} | {setting.batch_size:,} | {setting.compression} | {rate:,.0f} | {rate / baseline:.2f}× |")
    return "\n".join(lines) + "\n"


def commit_table(consumed: dict[str, list[float]], count: int) -> str:
    medians = {name: statistics.median(rates) for name, rates in consumed.items()}
    fastest = max(medians.values())
    lines = [f"| Offset commits | Records/s ({count:,} records) | vs. the fastest |", "| --- | ---: | ---: |"]
    lines += [f"| {name} | {rate:,.0f} | {rate / fastest:.2f}× |" for name, rate in medians.items()]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
