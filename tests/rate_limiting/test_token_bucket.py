import itertools
import math
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rate_limiting.token_bucket import Decision, TokenBucket

SNIPPET = Path(__file__).parents[2] / "snippets" / "rate_limiting" / "token_bucket.py"


class FakeClock:
    def __init__(self, now: float = 0.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_usage_prints_what_the_page_shows():
    shown = SNIPPET.with_suffix(".out").read_text()
    run = subprocess.run([sys.executable, str(SNIPPET)], capture_output=True, text=True, check=True)
    assert run.stdout == shown


def test_full_bucket_admits_a_burst_of_capacity_then_says_when_to_retry():
    clock = FakeClock()
    bucket = TokenBucket(capacity=4, refill_rate=2, clock=clock)
    assert [bucket.acquire().allowed for _ in range(5)] == [True, True, True, True, False]
    assert bucket.acquire() == Decision(allowed=False, remaining=0, retry_after=0.5)


def test_refill_is_proportional_to_elapsed_time_and_capped_at_capacity():
    clock = FakeClock()
    bucket = TokenBucket(capacity=4, refill_rate=2, clock=clock)
    bucket.acquire(cost=4)
    clock.now = 1.0
    assert bucket.acquire(cost=2) == Decision(allowed=True, remaining=0, retry_after=0.0)
    clock.now = 1_000.0
    assert bucket.acquire(cost=1).remaining == 3


def test_a_denied_request_consumes_nothing():
    clock = FakeClock()
    bucket = TokenBucket(capacity=4, refill_rate=1, clock=clock)
    bucket.acquire(cost=3)
    assert bucket.acquire(cost=2) == Decision(allowed=False, remaining=1, retry_after=1.0)
    assert bucket.acquire(cost=1).allowed


def test_a_clock_that_steps_back_refills_nothing():
    clock = FakeClock(now=100.0)
    bucket = TokenBucket(capacity=2, refill_rate=1, clock=clock)
    bucket.acquire(cost=2)
    clock.now = 50.0
    assert not bucket.acquire().allowed
    clock.now = 100.5
    assert bucket.acquire() == Decision(allowed=False, remaining=0, retry_after=0.5)


@pytest.mark.parametrize("name", ["capacity", "refill_rate"])
@pytest.mark.parametrize("bad", [0, -1, math.nan, math.inf, -math.inf])
def test_nonsense_limits_are_rejected_by_name(name, bad):
    kwargs = {"capacity": 10, "refill_rate": 1, name: bad}
    with pytest.raises(ValueError, match=name):
        TokenBucket(**kwargs)


@pytest.mark.parametrize("bad", ["10", None, True])
def test_non_numbers_are_rejected_by_name(bad):
    with pytest.raises(TypeError, match="capacity"):
        TokenBucket(capacity=bad, refill_rate=1)


@pytest.mark.parametrize("bad", [0, -1, math.nan, math.inf, 10.5])
def test_nonsense_costs_are_rejected_by_name(bad):
    bucket = TokenBucket(capacity=10, refill_rate=1)
    with pytest.raises(ValueError, match="cost"):
        bucket.acquire(cost=bad)


@pytest.fixture
def frequent_thread_switches():
    # Switching threads every microsecond makes races between check and update show up.
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(previous)


def test_concurrent_callers_never_share_a_token(frequent_thread_switches):
    # Each call moves the clock a nanosecond, so every acquire refills (read, min(), write back),
    # while 2,000 calls add under a millionth of a token: exactly the capacity may be admitted.
    ticks = itertools.count(1)
    bucket = TokenBucket(capacity=1000, refill_rate=1e-3, clock=lambda: next(ticks) * 1e-9)
    admitted = []
    start = threading.Barrier(8)

    def hammer():
        start.wait()
        admitted.append(sum(bucket.acquire().allowed for _ in range(250)))

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(admitted) == 1000


steps = st.lists(
    st.tuples(
        st.floats(min_value=0, max_value=5, allow_nan=False),  # seconds since the previous request
        st.floats(min_value=0.01, max_value=4),  # cost
    ),
    max_size=60,
)
limits = st.tuples(st.floats(min_value=1, max_value=50), st.floats(min_value=0.01, max_value=100))


@settings(max_examples=300, deadline=None)
@given(limits=limits, steps=steps)
def test_no_interval_admits_more_than_capacity_plus_rate_times_its_length(limits, steps):
    capacity, rate = limits
    clock = FakeClock()
    bucket = TokenBucket(capacity=capacity, refill_rate=rate, clock=clock)
    admitted = []  # (time, cost)
    for gap, cost in steps:
        clock.now += gap
        decision = bucket.acquire(cost=min(cost, capacity))
        assert decision.retry_after >= 0
        assert decision.allowed == (decision.retry_after == 0)
        if decision.allowed:
            admitted.append((clock.now, min(cost, capacity)))
    for i, (start, _) in enumerate(admitted):
        for j in range(i, len(admitted)):
            end = admitted[j][0]
            total = sum(cost for _, cost in admitted[i : j + 1])
            assert total <= capacity + rate * (end - start) + 1e-9 * capacity


@settings(max_examples=300, deadline=None)
@given(limits=limits, steps=steps, cost=st.floats(min_value=0.01, max_value=1))
def test_waiting_retry_after_is_enough(limits, steps, cost):
    capacity, rate = limits
    clock = FakeClock()
    bucket = TokenBucket(capacity=capacity, refill_rate=rate, clock=clock)
    for gap, step_cost in steps:
        clock.now += gap
        bucket.acquire(cost=min(step_cost, capacity))
    decision = bucket.acquire(cost=cost)
    if not decision.allowed:
        clock.now += decision.retry_after * (1 + 1e-9)  # float rounding only
        assert bucket.acquire(cost=cost).allowed
