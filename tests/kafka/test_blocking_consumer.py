"""snippets/kafka/blocking_consumer.py: the notes' blocking loop, evicted from its group by the same stalled gateway."""

import threading
import time

import pytest
from confluent_kafka import Consumer, KafkaError, KafkaException

from kafka.blocking_consumer import run_blocking
from kafka_support import wait_until
from loopback_gateway import MAX_POLL_MS, STALL_SECONDS, running_gateway


class Member:
    """A group member whose rebalance callbacks are recorded as (event, partitions)."""

    def __init__(self, config: dict, topic: str) -> None:
        self.consumer, self.events = Consumer(config), []
        self.consumer.subscribe([topic], on_assign=self._record("assign"), on_revoke=self._record("revoke"),
                                on_lost=self._record("lost"))

    def _record(self, event: str):
        return lambda _, partitions: self.events.append((event, sorted(tp.partition for tp in partitions)))

    def assigned(self) -> list[int]:
        latest = [partitions for event, partitions in self.events if event == "assign"]
        return latest[-1] if latest else []


def test_the_blocking_loop_is_evicted_its_commit_fails_and_another_member_repeats_its_batch(
    kafka_bootstrap, new_topic, produce, consumer_config, unique
):
    topic = new_topic("payments", partitions=2)
    produce(topic, [(f"key-{i}".encode(), f"pay-{i:04d}".encode()) for i in range(12)])
    group = unique("group")
    config = consumer_config(group, {"enable.auto.commit": False, "max.poll.interval.ms": MAX_POLL_MS})

    standby, received, standby_stop = Member(config, topic), [], threading.Event()

    def standby_loop() -> None:  # polls all along, as a healthy member does; processes nothing
        while not standby_stop.is_set():
            if (message := standby.consumer.poll(0.1)) is not None and not message.error():
                received.append((message.partition(), message.value()))

    standby_thread = threading.Thread(target=standby_loop)
    standby_thread.start()
    wait_until(lambda: standby.assigned() == [0, 1], what="the standby member owns both partitions")

    naive, outcome = Member(config, topic), []
    try:
        with running_gateway(limit=2) as gateway:
            gateway.stall()
            thread = threading.Thread(target=lambda: outcome.append(capture(naive.consumer, gateway.url)))
            thread.start()
            gateway.wait_for(lambda g: g.held == 1)  # the naive loop waits inside its first call
            (mine,) = naive.assigned()
            assert len(naive.events) == 1 and standby.assigned() == [1 - mine]
            time.sleep(STALL_SECONDS)  # the same stall the backpressure consumer survives
            taken_over = standby.assigned()
            gateway.release()
            thread.join(60)
            again = capture(naive.consumer, gateway.url)  # what its next poll reports
            delivered = list(gateway.accepted)
    finally:
        standby_stop.set()
        standby_thread.join()
        naive.consumer.close()
        standby.consumer.close()

    assert taken_over == [0, 1]  # during the stall, the other member got the blocked member's partition
    assert outcome[0].code() == KafkaError._ASSIGNMENT_LOST  # its commit after the batch is refused
    assert "Commit failed" in outcome[0].str()
    assert again.code() == KafkaError._MAX_POLL_EXCEEDED  # and the next poll says why
    assert ("lost", [mine]) in naive.events  # librdkafka treats the partition as lost, not revoked
    assert delivered and all((mine, payment) in received for payment in delivered)  # processed twice


def capture(consumer: Consumer, url: str) -> KafkaError | None:
    """Run the blocking loop until it raises; return the Kafka error it raised."""
    try:
        run_blocking(consumer, url, rate=2, stop=threading.Event())
    except KafkaException as error:
        return error.args[0]
    return None


def test_the_loop_stops_when_asked(new_topic, consumer_config, unique):
    stop = threading.Event()
    consumer = Consumer(consumer_config(unique("group"), {"enable.auto.commit": False}))
    consumer.subscribe([new_topic("empty", partitions=1)], on_assign=lambda *_: stop.set())
    try:
        run_blocking(consumer, "http://127.0.0.1:9/unused", rate=1, stop=stop)  # returns once assigned
    finally:
        consumer.close()
    assert stop.is_set()


@pytest.mark.parametrize(("argument", "value"), [("rate", 0), ("rate", -1), ("rate", float("nan")), ("timeout", 0)])
def test_bad_arguments_are_value_errors_naming_them(argument, value):
    arguments = {"rate": 1.0, "timeout": 5.0, argument: value}
    consumer = Consumer({"group.id": "unused"})
    try:
        with pytest.raises(ValueError, match=argument):
            run_blocking(consumer, "http://127.0.0.1:9/unused", stop=threading.Event(), **arguments)
    finally:
        consumer.close()
