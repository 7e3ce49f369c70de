import math
from collections import defaultdict

from hypothesis import given, settings
from hypothesis import strategies as st

from rate_limiting.fixed_window import Decision, FixedWindow


def test_usage_prints_what_the_page_shows(run_snippet, snippet):
    assert run_snippet(snippet) == snippet.with_suffix(".out").read_text()


def test_twice_the_limit_passes_across_a_window_boundary(fake_clock):
    clock = fake_clock(59.9)
    limiter = FixedWindow(limit=100, window=60, clock=clock)
    first = sum(limiter.acquire().allowed for _ in range(150))
    clock.now = 60.0
    second = sum(limiter.acquire().allowed for _ in range(150))
    assert (first, second) == (100, 100)  # 200 requests within 0.1 s
    assert limiter.acquire() == Decision(allowed=False, remaining=0, retry_after=60.0)


def test_windows_are_aligned_to_multiples_of_the_window_not_to_the_first_request(fake_clock):
    clock = fake_clock(125.0)
    limiter = FixedWindow(limit=2, window=60, clock=clock)
    assert limiter.acquire(cost=2) == Decision(allowed=True, remaining=0, retry_after=0.0)
    assert limiter.acquire() == Decision(allowed=False, remaining=0, retry_after=55.0)  # [120, 180)
    clock.now = 179.5
    assert not limiter.acquire().allowed
    clock.now = 180.0
    assert limiter.acquire() == Decision(allowed=True, remaining=1, retry_after=0.0)


def test_a_denied_request_consumes_nothing(clock):
    limiter = FixedWindow(limit=4, window=1, clock=clock)
    limiter.acquire(cost=3)
    assert limiter.acquire(cost=2) == Decision(allowed=False, remaining=1, retry_after=1.0)
    assert limiter.acquire(cost=1) == Decision(allowed=True, remaining=0, retry_after=0.0)


def test_a_clock_that_steps_back_does_not_reopen_a_window(fake_clock):
    clock = fake_clock(100.0)
    limiter = FixedWindow(limit=1, window=10, clock=clock)
    assert limiter.acquire().allowed
    clock.now = 50.0  # as if in the window [50, 60), which would be empty
    assert limiter.acquire() == Decision(allowed=False, remaining=0, retry_after=10.0)
    clock.now = 110.0
    assert limiter.acquire().allowed


def test_a_window_edge_is_where_the_rounded_product_puts_it(fake_clock):
    # 4.3 / 0.1 rounds to 42.99999999999999, yet 43 * 0.1 == 4.3: the window [4.3, 4.4) has begun.
    clock = fake_clock(4.25)
    limiter = FixedWindow(limit=1, window=0.1, clock=clock)
    assert limiter.acquire().allowed
    clock.now = 4.3
    assert limiter.acquire().allowed


def test_a_window_edge_is_not_reached_early(fake_clock):
    # 1.7 / 0.1 rounds to 17.0, yet 17 * 0.1 == 1.7000000000000002: at 1.7 the window [1.6, 1.7) still runs.
    clock = fake_clock(1.65)
    limiter = FixedWindow(limit=1, window=0.1, clock=clock)
    assert limiter.acquire().allowed
    clock.now = 1.7
    decision = limiter.acquire()
    assert not decision.allowed
    assert decision.retry_after > 0
    clock.now += decision.retry_after
    assert limiter.acquire().allowed


# Nonsense arguments are rejected by name for every limiter: see test_decision.py.


def test_concurrent_callers_get_exactly_the_limit_in_every_window(frequent_thread_switches, ticking_clock, hammer):
    # The clock ticks once per call, so 2,000 calls cross 20 window edges. Ticks 1-99 fall in
    # window 0, each later 100 ticks in one window, and tick 2,000 opens window 20: 20 × 10 + 1.
    limiter = FixedWindow(limit=10, window=100, clock=ticking_clock())
    assert sum(d.allowed for d in hammer(limiter, threads=8, calls=250)) == 201


# Properties on random request sequences: times, windows and costs on a grid of binary fractions,
# so that the test's arithmetic is exact, and then arbitrary floats.


@settings(max_examples=300)
@given(data=st.data())
def test_each_window_admits_at_most_the_limit_and_refuses_only_when_full(data, streams, fake_clock, replay):
    limit, window = data.draw(streams.grid_limit_and_window, label="limit, window")
    clock = fake_clock()
    limiter = FixedWindow(limit=limit, window=window, clock=clock)
    used = defaultdict(float)
    for now, cost, decision in replay(limiter, clock, data.draw(streams.grid_steps, label="steps"), most=limit):
        k = math.floor(now / window)  # exact on this grid
        assert decision.allowed == (used[k] + cost <= limit)
        if decision.allowed:
            used[k] += cost
        assert decision.remaining == math.floor(limit - used[k])
    assert all(total <= limit for total in used.values())


@settings(max_examples=300)
@given(data=st.data())
def test_any_interval_of_one_window_admits_at_most_twice_the_limit(data, streams, fake_clock, replay):
    limit, window = data.draw(streams.grid_limit_and_window, label="limit, window")
    clock = fake_clock()
    limiter = FixedWindow(limit=limit, window=window, clock=clock)
    history = replay(limiter, clock, data.draw(streams.grid_steps, label="steps"), most=limit)
    admitted = [(now, cost) for now, cost, decision in history if decision.allowed]
    for start, _ in admitted:
        assert sum(cost for now, cost in admitted if start <= now < start + window) <= 2 * limit


@settings(max_examples=300)
@given(data=st.data())
def test_retry_after_points_exactly_at_the_end_of_the_window(data, streams, fake_clock, replay):
    limit, window = data.draw(streams.grid_limit_and_window, label="limit, window")
    clock = fake_clock()
    limiter = FixedWindow(limit=limit, window=window, clock=clock)
    for now, _, decision in replay(limiter, clock, data.draw(streams.grid_steps, label="steps"), most=limit):
        assert decision.allowed == (decision.retry_after == 0)
        if not decision.allowed:
            assert now + decision.retry_after == (math.floor(now / window) + 1) * window


@settings(max_examples=300)
@given(data=st.data())
def test_waiting_retry_after_is_enough_for_any_floats(data, streams, fake_clock, replay):
    limit, window = data.draw(streams.float_limit_and_window, label="limit, window")
    clock = fake_clock()
    limiter = FixedWindow(limit=limit, window=window, clock=clock)
    history = replay(limiter, clock, data.draw(streams.float_steps, label="steps"), most=limit)
    assert all(decision.retry_after >= 0 for _, _, decision in history)
    cost = data.draw(streams.small_cost, label="cost")
    decision = limiter.acquire(cost=cost)
    if not decision.allowed:
        assert decision.retry_after > 0
        clock.now += decision.retry_after * (1 + 1e-9)  # float rounding only
        assert limiter.acquire(cost=cost).allowed
