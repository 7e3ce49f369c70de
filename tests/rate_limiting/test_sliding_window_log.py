import itertools
import math
import tracemalloc

from hypothesis import given, settings
from hypothesis import strategies as st

from rate_limiting.sliding_window_log import Decision, SlidingWindowLog


def test_usage_prints_what_the_page_shows(run_snippet, snippet):
    assert run_snippet(snippet) == snippet.with_suffix(".out").read_text()


def test_no_boundary_burst_the_window_slides_with_time(fake_clock):
    clock = fake_clock(59.5)
    limiter = SlidingWindowLog(limit=100, window=60, clock=clock)
    assert sum(limiter.acquire().allowed for _ in range(150)) == 100
    clock.now = 60.0  # where a fixed window would start afresh
    assert limiter.acquire() == Decision(allowed=False, remaining=0, retry_after=59.5)
    clock.now = 119.5  # the 100 requests at 59.5 s have left the window (59.5, 119.5]
    assert sum(limiter.acquire().allowed for _ in range(150)) == 100


def test_retry_after_waits_for_just_enough_old_entries_to_expire(clock):
    limiter = SlidingWindowLog(limit=5, window=10, clock=clock)
    for now, cost in [(0, 2), (1, 1), (3, 2)]:
        clock.now = now
        limiter.acquire(cost=cost)
    clock.now = 4.0
    assert limiter.acquire(cost=3) == Decision(allowed=False, remaining=0, retry_after=7.0)  # at 11 s, 2 + 1 are gone
    clock.now = 10.999
    assert not limiter.acquire(cost=3).allowed
    clock.now = 11.0
    assert limiter.acquire(cost=3) == Decision(allowed=True, remaining=0, retry_after=0.0)


def test_a_denied_request_consumes_nothing(clock):
    limiter = SlidingWindowLog(limit=4, window=1, clock=clock)
    limiter.acquire(cost=3)
    assert limiter.acquire(cost=2) == Decision(allowed=False, remaining=1, retry_after=1.0)
    assert limiter.acquire(cost=1) == Decision(allowed=True, remaining=0, retry_after=0.0)


def test_a_clock_that_steps_back_expires_nothing(fake_clock):
    clock = fake_clock(100.0)
    limiter = SlidingWindowLog(limit=1, window=10, clock=clock)
    assert limiter.acquire().allowed
    clock.now = 50.0
    assert limiter.acquire() == Decision(allowed=False, remaining=0, retry_after=10.0)
    clock.now = 110.0
    assert limiter.acquire().allowed


def test_rounding_leftovers_never_block_a_request_of_the_full_limit(clock):
    # 0.1 + 0.1 + 0.6 == 0.8, but 0.8 - 0.1 - 0.1 - 0.6 leaves 1.1e-16, which would block cost 0.8 forever.
    limiter = SlidingWindowLog(limit=0.8, window=1, clock=clock)
    for cost in (0.1, 0.1, 0.6):
        assert limiter.acquire(cost=cost).allowed
    assert limiter.acquire(cost=0.8) == Decision(allowed=False, remaining=0, retry_after=1.0)
    clock.now = 1.0
    assert limiter.acquire(cost=0.8).allowed


def test_memory_grows_with_the_limit_about_112_bytes_per_admitted_request():
    ticks = itertools.count()
    limit = 10_000
    limiter = SlidingWindowLog(limit=limit, window=1e9, clock=lambda: next(ticks) / 1000)
    limiter.acquire()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(limit - 1):
            assert limiter.acquire().allowed
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert not limiter.acquire().allowed
    assert len(limiter._log) == limit  # one entry per admitted request still in the window
    assert 90 <= grown / (limit - 1) <= 130  # a (expiry, cost) tuple, two floats and a deque slot


# Nonsense arguments are rejected by name for every limiter: see test_decision.py.


def test_concurrent_callers_get_exactly_the_limit_per_window(frequent_thread_switches, ticking_clock, hammer):
    # The clock ticks once per call: ticks 1-10 pass, expire at 101-110, where 10 more pass, and so on.
    limiter = SlidingWindowLog(limit=10, window=100, clock=ticking_clock())
    assert sum(d.allowed for d in hammer(limiter, threads=8, calls=250)) == 200


# Properties on random request sequences: times, windows and costs on a grid of binary fractions,
# so that the test's arithmetic is exact, and then arbitrary floats.


@settings(max_examples=300)
@given(data=st.data())
def test_any_interval_of_one_window_admits_at_most_the_limit(data, streams, fake_clock, replay):
    limit, window = data.draw(streams.grid_limit_and_window, label="limit, window")
    clock = fake_clock()
    limiter = SlidingWindowLog(limit=limit, window=window, clock=clock)
    history = replay(limiter, clock, data.draw(streams.grid_steps, label="steps"), most=limit)
    admitted = [(now, cost) for now, cost, decision in history if decision.allowed]
    for start, _ in admitted:  # the fullest half-open interval [a, a + window) starts at an admission
        assert sum(cost for now, cost in admitted if start <= now < start + window) <= limit


@settings(max_examples=300)
@given(data=st.data())
def test_it_refuses_only_what_would_break_the_limit(data, streams, fake_clock, replay):
    limit, window = data.draw(streams.grid_limit_and_window, label="limit, window")
    clock = fake_clock()
    limiter = SlidingWindowLog(limit=limit, window=window, clock=clock)
    admitted = []
    for now, cost, decision in replay(limiter, clock, data.draw(streams.grid_steps, label="steps"), most=limit):
        in_window = sum(c for t, c in admitted if now - window < t)  # (now - window, now]
        assert decision.allowed == (in_window + cost <= limit)
        if decision.allowed:
            admitted.append((now, cost))
            in_window += cost
        assert decision.remaining == math.floor(limit - in_window)


@settings(max_examples=300)
@given(data=st.data())
def test_retry_after_is_the_shortest_wait_that_is_enough(data, streams, fake_clock, replay):
    limit, window = data.draw(streams.grid_limit_and_window, label="limit, window")
    clock = fake_clock()
    limiter = SlidingWindowLog(limit=limit, window=window, clock=clock)
    replay(limiter, clock, data.draw(streams.grid_steps, label="steps"), most=limit)
    cost = min(data.draw(streams.grid_cost, label="cost"), limit)
    decision = limiter.acquire(cost=cost)
    assert decision.allowed == (decision.retry_after == 0)
    if not decision.allowed:
        start = clock.now
        clock.now = start + decision.retry_after - 1 / 128  # a grid step short: still refused
        assert not limiter.acquire(cost=cost).allowed
        clock.now = start + decision.retry_after
        assert limiter.acquire(cost=cost).allowed


@settings(max_examples=300)
@given(data=st.data())
def test_waiting_retry_after_is_enough_for_any_floats(data, streams, fake_clock, replay):
    limit, window = data.draw(streams.float_limit_and_window, label="limit, window")
    clock = fake_clock()
    limiter = SlidingWindowLog(limit=limit, window=window, clock=clock)
    history = replay(limiter, clock, data.draw(streams.float_steps, label="steps"), most=limit)
    assert all(decision.retry_after >= 0 for _, _, decision in history)
    cost = data.draw(streams.small_cost, label="cost")
    decision = limiter.acquire(cost=cost)
    if not decision.allowed:
        assert decision.retry_after > 0
        clock.now += decision.retry_after * (1 + 1e-9)  # float rounding only
        assert limiter.acquire(cost=cost).allowed
