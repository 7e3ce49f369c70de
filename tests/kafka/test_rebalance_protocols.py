"""Eager, cooperative and KIP-848 rebalancing, seen from snippets/kafka/at_least_once_consumer.py.

The session's noida-db broker speaks only the classic protocol with eager assignors, so these tests
run on librdkafka's built-in mock cluster, which also implements cooperative-sticky and KIP-848.
"""

import threading

import pytest
from confluent_kafka import Message, Producer

from kafka.at_least_once_consumer import PendingOffsets, consume_at_least_once
from kafka_support import wait_until

PARTITIONS = 4  # the mock cluster creates every topic with four partitions
BATCH = 10
PROTOCOLS = {
    "eager range": {"partition.assignment.strategy": "range", "session.timeout.ms": 6000, "heartbeat.interval.ms": 500, "max.poll.interval.ms": 6000},
    "cooperative-sticky": {"partition.assignment.strategy": "cooperative-sticky", "session.timeout.ms": 6000, "max.poll.interval.ms": 6000,
                           "heartbeat.interval.ms": 500},
    "KIP-848": {"group.protocol": "consumer"},
}


@pytest.fixture
def mock_cluster():
    """bootstrap.servers of a one-broker mock cluster that lives as long as the client that created it."""
    owner = Producer({"test.mock.num.brokers": 1})
    brokers = owner.list_topics(timeout=10).brokers.values()
    yield ",".join(f"{broker.host}:{broker.port}" for broker in brokers)
    owner.flush(10)


class Member:
    """One consume_at_least_once loop in a thread named after the member; records what it processed."""

    def __init__(self, name: str, config: dict, topic: str) -> None:
        self.processed: list[tuple[int, int]] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(name=name, target=consume_at_least_once, daemon=True,
                                       args=(config, [topic], self.process, self.stop), kwargs={"batch_size": BATCH})
        self.thread.start()

    def process(self, message: Message) -> None:
        self.processed.append((message.partition(), message.offset()))


def finish(*members: Member) -> None:
    for member in members:  # both at once: a member closing alone would wait out the rebalance it starts
        member.stop.set()
    for member in members:
        member.thread.join(60)
        assert not member.thread.is_alive()


@pytest.mark.parametrize(("protocol", "revoked_from_first"), [("eager range", 4), ("cooperative-sticky", 2), ("KIP-848", 2)])
def test_a_joining_member_takes_partitions_from_the_first_one_eagerly_or_incrementally(
        mock_cluster, monkeypatch, unique, protocol, revoked_from_first):
    revocations: list[tuple[str, list[int]]] = []
    original = PendingOffsets.on_revoke

    def recording(self, consumer, partitions):
        revocations.append((threading.current_thread().name, sorted(p.partition for p in partitions)))
        original(self, consumer, partitions)

    monkeypatch.setattr(PendingOffsets, "on_revoke", recording)
    topic = unique("orders")
    config = {"bootstrap.servers": mock_cluster, "group.id": unique("group"), **PROTOCOLS[protocol]}
    with Writer(mock_cluster, topic) as writer:  # records keep arriving until the second member has some
        first = Member("first", config, topic)
        wait_until(lambda: first.processed, "the first member to start")
        second = Member("second", config, topic)
        wait_until(lambda: second.processed, "the second member to get partitions")
    wait_until(lambda: len({*first.processed, *second.processed}) == writer.written, "every record to be processed")
    finish(first, second)

    during_join = [partitions for member, partitions in revocations if member == "first"][0]
    assert len(during_join) == revoked_from_first
    kept = set(range(PARTITIONS)) - set(during_join)
    second_partitions = {partition for partition, _ in second.processed}
    assert second_partitions and not second_partitions & kept, "the partitions the first member kept stay its own"
    assert len({*first.processed, *second.processed}) == writer.written, "nothing lost"


class Writer:
    """Produces a record every millisecond or so in a thread, until the `with` block ends."""

    def __init__(self, bootstrap: str, topic: str) -> None:
        self.producer, self.topic, self.written = Producer({"bootstrap.servers": bootstrap}), topic, 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._write, daemon=True)

    def _write(self) -> None:
        while not self.stop.is_set():
            self.producer.produce(self.topic, f"v{self.written}", f"k{self.written}")
            self.written += 1
            self.producer.poll(0.001)

    def __enter__(self) -> "Writer":
        self.producer.produce(self.topic, "v", "k")  # the mock cluster creates the topic on its first record
        assert self.producer.flush(30) == 0
        self.written = 1
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.thread.join(10)
        assert self.producer.flush(30) == 0
