"""Proves snippets/building_blocks/backpressure_pipeline.py on a virtual clock: the bucket's sleeps move it, nothing waits."""

import asyncio

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from building_blocks.backpressure_pipeline import Stats, TokenBucket, run_pipeline


class VirtualTime:
    """A clock that only the bucket's sleep moves; the sleep still yields to the event loop."""

    def __init__(self) -> None:
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        await asyncio.sleep(0)


class Run:
    """One pipeline run that records, on the virtual clock, when each item was drawn by the producer and handled."""

    def __init__(self, items: int, queue_size: int, rate: float, burst: int) -> None:
        self.time = VirtualTime()
        self.queue_size, self.rate, self.burst = queue_size, rate, burst
        self.items = list(range(items))
        self.handled: list[int] = []
        self.handled_at: list[float] = []
        self.lead: list[int] = []  # items drawn minus items handled, at each draw

    def source(self):
        for item in self.items:
            self.lead.append(item + 1 - len(self.handled))
            yield item

    async def handle(self, item: int) -> None:
        self.handled.append(item)
        self.handled_at.append(self.time.now)

    def run(self) -> Stats:
        bucket = TokenBucket(self.rate, self.burst, clock=self.time.clock, sleep=self.time.sleep)
        return asyncio.run(run_pipeline(self.source(), self.handle, self.queue_size, bucket))


runs = st.builds(
    Run,
    items=st.integers(0, 100),
    queue_size=st.integers(1, 20),
    rate=st.sampled_from([0.5, 3.0, 10.0, 100.0, 1000.0]),
    burst=st.integers(1, 10),
)


@settings(max_examples=25)
@given(runs)
def test_memory_stays_bounded_by_the_queue(run):
    stats = run.run()
    assert stats.max_queue_size <= run.queue_size
    # Independent of the snippet's own count: items drawn but not handled are at most those in the queue,
    # the one the consumer holds and the one being drawn. The fast producer is held back, not buffered.
    assert all(lead <= run.queue_size + 2 for lead in run.lead)


@settings(max_examples=25)
@given(runs)
def test_no_item_is_lost_or_reordered(run):
    stats = run.run()
    assert run.handled == run.items
    assert stats.produced == stats.consumed == len(run.items)


@settings(max_examples=25)
@given(runs)
def test_throughput_never_exceeds_the_rate_plus_the_burst(run):
    run.run()
    for count, at in enumerate(run.handled_at, start=1):
        assert count <= run.rate * at + run.burst + 1e-9


@settings(max_examples=25)
@given(runs)
def test_throughput_equals_the_consumer_rate(run):
    """After the burst, one item per 1/rate seconds: the whole run takes exactly (items - burst) / rate."""
    run.run()
    expected = max(0, len(run.items) - run.burst) / run.rate
    assert run.time.now == pytest.approx(expected, rel=1e-9, abs=1e-9)


def test_a_long_run_at_50_items_per_second():
    run = Run(items=2_000, queue_size=10, rate=50, burst=5)
    stats = run.run()
    assert stats == Stats(produced=2_000, consumed=2_000, max_queue_size=10)
    assert run.time.now == pytest.approx(1_995 / 50)  # 39.9 virtual seconds: 50 items/s after the burst


def test_an_idle_bucket_refills_only_up_to_its_burst():
    async def scenario(time: VirtualTime) -> list[float]:
        bucket = TokenBucket(rate=2, burst=3, clock=time.clock, sleep=time.sleep)
        taken = []
        for _ in range(4):
            await bucket.take()
            taken.append(time.now)
        time.now = 100.0  # idle for a long time
        for _ in range(4):
            await bucket.take()
            taken.append(time.now)
        return taken

    assert asyncio.run(scenario(VirtualTime())) == [0, 0, 0, 0.5, 100, 100, 100, 100.5]


@pytest.mark.parametrize(
    "argument, kwargs",
    [("rate", {"rate": 0}), ("rate", {"rate": float("nan")}), ("burst", {"rate": 1, "burst": 0})],
)
def test_nonsense_bucket_arguments_are_rejected_by_name(argument, kwargs):
    with pytest.raises(ValueError, match=argument):
        TokenBucket(**kwargs)


def test_a_queue_size_below_one_is_rejected_by_name():
    async def handle(item: int) -> None:
        pass

    with pytest.raises(ValueError, match="queue_size"):
        asyncio.run(run_pipeline([1], handle, queue_size=0, bucket=TokenBucket(rate=1)))
