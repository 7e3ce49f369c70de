"""snippets/kafka/backpressure_consumer.py against the session's broker and a real HTTP gateway on loopback."""

import threading
import time
import urllib.error

import pytest
from confluent_kafka import KafkaException

from kafka.backpressure_consumer import GatewayConsumer, Progress, retriable
from kafka_support import ClientLog, commit_zero, wait_until
from loopback_gateway import MAX_POLL_MS, STALL_SECONDS, running_gateway


class Running:
    """A GatewayConsumer running run(stop) in a thread; stop() joins it and keeps what it raised."""

    def __init__(self, consumer: GatewayConsumer) -> None:
        self.consumer, self.stop_event, self.raised = consumer, threading.Event(), None
        self.thread = threading.Thread(target=self._run)
        self.thread.start()

    def _run(self) -> None:
        try:
            self.consumer.run(self.stop_event)
        except BaseException as error:  # the test asserts on it
            self.raised = error

    def stop(self, timeout: float = 60.0) -> None:
        self.stop_event.set()
        self.thread.join(timeout)
        assert not self.thread.is_alive(), "run() did not return after stop"


@pytest.fixture
def start():
    running: list[Running] = []

    def begin(consumer: GatewayConsumer) -> Running:
        running.append(Running(consumer))
        return running[-1]

    yield begin
    for each in running:
        each.stop()


def ids(n: int, prefix: str = "pay") -> list[bytes]:
    return [f"{prefix}-{i:04d}".encode() for i in range(n)]


def test_a_stall_longer_than_max_poll_interval_costs_no_rebalance_no_error_and_no_message(
    new_topic, produce, consumer_config, unique, start, committed, high_watermarks, kafka_admin
):
    k, partitions = 3, 3
    topic = new_topic("payments", partitions=partitions)
    sent = ids(24)  # k in flight + 10 buffered during the stall, the rest after
    produce(topic, [(payment, payment) for payment in sent])
    group = unique("group")
    commit_zero(kafka_admin, group, topic, range(partitions - 1))  # the last partition looks up its start
    client = ClientLog()
    config = consumer_config(group, {"max.poll.interval.ms": MAX_POLL_MS, "debug": "topic", "logger": client.logger})
    with running_gateway(limit=k) as gateway:
        gateway.stall()
        consumer = GatewayConsumer(config, [topic], gateway.url, max_in_flight=k, rate=1000, max_buffered=10)
        running = start(consumer)
        gateway.wait_for(lambda g: g.held == k)  # k calls hang in the gateway
        wait_until(lambda: consumer.stats.pauses == 1, what="the consumer paused its partitions")
        time.sleep(STALL_SECONDS)  # the scenario itself: the gateway hangs past max.poll.interval.ms
        assert running.thread.is_alive() and running.raised is None
        resumes_before = consumer.stats.resumes
        gateway.release()
        gateway.wait_for(lambda g: len(g.accepted) >= len(sent))
        end = high_watermarks(topic, partitions)
        wait_until(lambda: committed(group, topic, partitions) == end, what="committed == end")
        during = (consumer.stats.assigned, consumer.stats.revoked)
        running.stop()
    assert running.raised is None  # no CommitFailed, no _MAX_POLL_EXCEEDED, no other error
    assert during == (1, 0)  # one assignment at start, not a single rebalance during the stall
    assert gateway.max_active == k and gateway.rejected == 0  # never more than k at once, never a 503
    assert sorted(gateway.accepted) == sorted(sent)  # every payment once: nothing lost, nothing twice
    assert consumer.stats.resumes > resumes_before
    assert consumer.stats.most_buffered <= 10 + partitions  # the mark, plus one first record per partition at most
    assert client.pauses() and client.pauses_before_a_start_offset() == []


def test_the_token_bucket_admits_the_burst_then_one_call_per_token(new_topic, produce, consumer_config, unique, start):
    clock = type("Clock", (), {"now": 0.0})()
    topic = new_topic("payments", partitions=1)
    produce(topic, [(b"k", payment) for payment in ids(20)])
    with running_gateway(limit=10) as gateway:
        consumer = GatewayConsumer(consumer_config(unique("group")), [topic], gateway.url, max_in_flight=4,
                                   rate=4, burst=2, max_buffered=2, clock=lambda: clock.now)
        running = start(consumer)
        gateway.wait_for(lambda g: len(g.accepted) == 2)  # the burst, with the clock standing still
        wait_until(lambda: consumer.stats.pauses >= 1, what="out of tokens, the buffer fills and the consumer pauses")
        for step in range(1, 4):
            clock.now += 0.25  # one token at 4 per second
            gateway.wait_for(lambda g: len(g.accepted) == 2 + step)
        running.stop()
    assert running.raised is None
    assert len(gateway.accepted) == len(set(gateway.accepted)) == 5  # burst 2 + 3 tokens; 15 records waited


def test_retries_until_accepted_and_commits_stop_at_the_first_record_not_done(
    new_topic, produce, consumer_config, unique, start, committed
):
    topic = new_topic("payments", partitions=1)
    sent = ids(12)
    produce(topic, [(b"k", payment) for payment in sent])
    group = unique("group")
    with running_gateway(limit=3) as gateway:
        gateway.answers = {sent[3]: [500, 502], sent[7]: [503] * 10_000}  # one flaky, one refused for now
        first = start(GatewayConsumer(consumer_config(group), [topic], gateway.url, max_in_flight=3, rate=1000))
        gateway.wait_for(lambda g: len(g.accepted) == len(sent) - 1)
        first.stop()
        assert first.raised is None
        assert committed(group, topic, 1) == {0: 7}  # 8..11 are done but wait behind 7
        assert set(gateway.accepted) == set(sent) - {sent[7]}
        assert [status for body, status in gateway.scripted if body == sent[3]] == [500, 502]

        gateway.answers = {}  # the gateway recovers; a restart redelivers from the commit point
        second = start(GatewayConsumer(consumer_config(group), [topic], gateway.url, max_in_flight=3, rate=1000))
        wait_until(lambda: committed(group, topic, 1) == {0: len(sent)}, what="committed == end")
        second.stop()
    assert second.raised is None and gateway.rejected == 0
    duplicates = sorted(body for body in set(gateway.accepted) if gateway.accepted.count(body) > 1)
    assert set(gateway.accepted) == set(sent) and duplicates == sent[8:]  # nothing lost; replays bounded


def test_a_refusal_that_retrying_cannot_fix_stops_the_consumer_without_committing_past_it(
    new_topic, produce, consumer_config, unique, start, committed
):
    topic = new_topic("payments", partitions=1)
    sent = ids(6)
    produce(topic, [(b"k", payment) for payment in sent])
    group = unique("group")
    with running_gateway(limit=2) as gateway:
        gateway.answers = {sent[2]: [400]}
        running = start(GatewayConsumer(consumer_config(group), [topic], gateway.url, max_in_flight=2, rate=1000))
        running.thread.join(30)
    assert isinstance(running.raised, urllib.error.HTTPError) and running.raised.code == 400
    assert committed(group, topic, 1) == {0: 2}


def test_a_rebalance_waits_for_the_calls_in_flight_and_loses_nothing(
    new_topic, produce, consumer_config, unique, start, committed, high_watermarks
):
    k, partitions = 2, 4
    topic = new_topic("payments", partitions=partitions)
    sent = ids(16)
    produce(topic, [(payment, payment) for payment in sent])
    group = unique("group")
    with running_gateway(limit=2 * k) as gateway:  # two consumers, each with half the gateway
        gateway.stall()
        def make() -> GatewayConsumer:
            return GatewayConsumer(consumer_config(group), [topic], gateway.url, max_in_flight=k, rate=1000,
                                   max_buffered=4)

        first = start(make())
        gateway.wait_for(lambda g: g.held == k)
        wait_until(lambda: first.consumer.stats.pauses == 1, what="the first consumer paused")  # paused across it
        second = start(make())
        wait_until(lambda: first.consumer.stats.revoked == 1, what="the first consumer is revoking")
        gateway.release()  # its calls finish inside on_revoke, which commits them before the partitions move
        gateway.wait_for(lambda g: len(set(g.accepted)) == len(sent))
        end = high_watermarks(topic, partitions)
        wait_until(lambda: committed(group, topic, partitions) == end, what="committed == end")
        first.stop()
        second.stop()
    assert first.raised is None and second.raised is None
    assert first.consumer.stats.assigned == 2 and second.consumer.stats.assigned == 1
    assert gateway.max_active <= 2 * k and gateway.rejected == 0
    assert set(gateway.accepted) == set(sent)  # nothing lost
    held = set(gateway.held_ids)  # the calls in flight when the rebalance began; they finished in on_revoke
    assert len(held) == k
    repeated = {body for body in gateway.accepted if gateway.accepted.count(body) > 1}
    # A broker that accepts the revoke-time commit (Apache Kafka does, for the current generation while the
    # group prepares to rebalance) repeats nothing; one that refuses it repeats exactly those calls, no more.
    assert repeated == (held if first.consumer.stats.revoke_commits_refused else set())


def test_a_subscription_to_a_missing_topic_raises(consumer_config, unique, start):
    with running_gateway(limit=1) as gateway:
        running = start(GatewayConsumer(consumer_config(unique("group")), [unique("missing")], gateway.url,
                                        max_in_flight=1, rate=1))
        running.thread.join(30)
    assert isinstance(running.raised, KafkaException)
    assert running.raised.args[0].name() == "UNKNOWN_TOPIC_OR_PART"


@pytest.mark.parametrize(
    ("argument", "value"),
    [("max_in_flight", 0), ("max_in_flight", -2), ("max_in_flight", 1.5), ("max_in_flight", True),
     ("rate", 0), ("rate", -1.0), ("rate", float("nan")), ("rate", float("inf")), ("burst", 0),
     ("max_buffered", 0), ("timeout", 0), ("topics", []), ("url", "ftp://gateway/pay")],
)
def test_bad_arguments_are_value_errors_naming_them(argument, value):
    arguments = {"topics": ["payments"], "url": "http://127.0.0.1:1/pay", "max_in_flight": 2, "rate": 10.0}
    with pytest.raises(ValueError, match=argument):
        GatewayConsumer({"group.id": "g"}, **{**arguments, argument: value})


def test_which_failures_are_worth_retrying():
    def http(code: int) -> urllib.error.HTTPError:
        return urllib.error.HTTPError("http://gateway/pay", code, "status", None, None)

    assert all(retriable(e) for e in [http(429), http(500), http(503), urllib.error.URLError("refused"),
                                      TimeoutError(), ConnectionResetError()])
    assert not any(retriable(e) for e in [http(400), http(404), http(409), ValueError("bad body")])


def test_progress_commits_only_the_contiguous_prefix_of_finished_offsets():
    def commit(partitions):  # TopicPartition equality ignores the offset, so compare tuples
        return [(tp.topic, tp.partition, tp.offset) for tp in progress.to_commit(partitions)]

    progress, partition = Progress(), ("payments", 0)
    for offset in (10, 11, 13, 14):  # 12 is a transaction marker: never polled
        progress.started(partition, offset)
    progress.finished(partition, 11)
    assert commit([partition]) == []
    progress.finished(partition, 10)
    progress.finished(partition, 14)
    assert commit([partition]) == [("payments", 0, 12)]
    assert commit([partition]) == []  # already committed
    progress.finished(partition, 13)
    assert commit([partition]) == [("payments", 0, 15)]
    progress.forget([partition])
    assert commit([partition]) == []
