import math
from collections import defaultdict

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rate_limiting.sliding_window_counter import Decision, SlidingWindowCounter
from rate_limiting.sliding_window_log import SlidingWindowLog


def test_usage_prints_what_the_page_shows(run_snippet, snippet):
    assert run_snippet(snippet) == snippet.with_suffix(".out").read_text()


def test_the_estimate_weights_the_previous_window_by_its_overlap(fake_clock):
    clock = fake_clock(30.0)
    limiter = SlidingWindowCounter(limit=100, window=60, clock=clock)
    assert sum(limiter.acquire().allowed for _ in range(84)) == 84
    clock.now = 75.0  # 15 s into [60, 120): estimate = 84 × 45/60 + current = 63 + current
    assert sum(limiter.acquire().allowed for _ in range(50)) == 37
    assert limiter.acquire().remaining == 0


def test_the_boundary_burst_is_damped(fake_clock):
    clock = fake_clock(59.5)
    limiter = SlidingWindowCounter(limit=100, window=60, clock=clock)
    assert sum(limiter.acquire().allowed for _ in range(150)) == 100
    clock.now = 60.0  # a fixed window would admit 100 more here
    assert sum(limiter.acquire().allowed for _ in range(150)) == 0
    clock.now = 90.0  # half the previous window still counts: 50
    assert sum(limiter.acquire().allowed for _ in range(150)) == 50


def test_worst_case_a_sliding_window_holds_twice_the_limit_minus_one(fake_clock):
    # The previous window's requests bunched at its very end are weighted as if spread out.
    counter_clock, log_clock = fake_clock(59.0), fake_clock(59.0)
    counter = SlidingWindowCounter(limit=10, window=60, clock=counter_clock)
    log = SlidingWindowLog(limit=10, window=60, clock=log_clock)
    admitted = {counter: [], log: []}
    for now in [59.0] * 10 + [60 + i / 4 for i in range(240)]:  # 10 at once, then one every 0.25 s
        for limiter, clock in ((counter, counter_clock), (log, log_clock)):
            clock.now = now
            if limiter.acquire().allowed:
                admitted[limiter].append(now)
    in_59_to_119 = {limiter: sum(59 <= t < 119 for t in times) for limiter, times in admitted.items()}
    assert in_59_to_119 == {counter: 19, log: 10}
    assert admitted[counter][10:] == [66.0, 72.0, 78.0, 84.0, 90.0, 96.0, 102.0, 108.0, 114.0]


def test_it_can_also_refuse_what_an_exact_window_would_admit(fake_clock):
    # The previous window's requests bunched at its start have left the true sliding window.
    counter = SlidingWindowCounter(limit=10, window=60, clock=fake_clock(0.0))
    log = SlidingWindowLog(limit=10, window=60, clock=fake_clock(0.0))
    for limiter in (counter, log):
        assert sum(limiter.acquire().allowed for _ in range(10)) == 10
        limiter._clock.now = 60.0
    assert sum(counter.acquire().allowed for _ in range(10)) == 0
    assert sum(log.acquire().allowed for _ in range(10)) == 10


def test_retry_after_can_reach_past_the_next_window_boundary(fake_clock):
    clock = fake_clock(30.0)
    limiter = SlidingWindowCounter(limit=10, window=60, clock=clock)
    limiter.acquire(cost=10)
    clock.now = 40.0  # window [0, 60) is full, and at 60 s the estimate is 10 × 60/60 = 10
    assert limiter.acquire() == Decision(allowed=False, remaining=0, retry_after=26.0)  # 10 × 54/60 + 1 <= 10
    clock.now = 65.5
    assert not limiter.acquire().allowed
    clock.now = 66.0
    assert limiter.acquire() == Decision(allowed=True, remaining=0, retry_after=0.0)


def test_a_whole_idle_window_forgets_the_previous_count(fake_clock):
    clock = fake_clock(59.0)
    limiter = SlidingWindowCounter(limit=10, window=60, clock=clock)
    limiter.acquire(cost=10)
    clock.now = 120.0  # window [60, 120) was empty, so [120, 180) owes nothing to [0, 60)
    assert limiter.acquire(cost=10) == Decision(allowed=True, remaining=0, retry_after=0.0)


def test_a_denied_request_consumes_nothing(clock):
    limiter = SlidingWindowCounter(limit=4, window=1, clock=clock)
    limiter.acquire(cost=2)
    assert limiter.acquire(cost=3) == Decision(allowed=False, remaining=2, retry_after=1.5)  # 2 × 0.5 + 3 <= 4
    assert limiter.acquire(cost=2) == Decision(allowed=True, remaining=0, retry_after=0.0)


def test_a_clock_that_steps_back_does_not_reopen_a_window(fake_clock):
    clock = fake_clock(100.0)
    limiter = SlidingWindowCounter(limit=1, window=10, clock=clock)
    assert limiter.acquire().allowed
    clock.now = 50.0  # treated as 100 s: the next request fits once [100, 110) weighs nothing, at 120 s
    assert limiter.acquire() == Decision(allowed=False, remaining=0, retry_after=20.0)
    clock.now = 120.0
    assert limiter.acquire().allowed


@pytest.mark.parametrize(
    ("edge", "later", "allowed_later"),
    [
        (4.3, 4.38, False),  # 4.3 / 0.1 rounds to 42.99999999999999, yet 43 * 0.1 == 4.3: a new window
        (1.7, 1.78, True),  # 1.7 / 0.1 rounds to 17.0, yet 17 * 0.1 == 1.7000000000000002: the old one
    ],
)
def test_a_request_at_a_window_edge_counts_in_the_window_that_holds_it(edge, later, allowed_later, fake_clock):
    clock = fake_clock(edge - 0.05)
    limiter = SlidingWindowCounter(limit=2, window=0.1, clock=clock)
    assert limiter.acquire().allowed
    clock.now = edge
    assert limiter.acquire().allowed
    # At 4.38 the window [4.3, 4.4) holds 1 and weighs [4.2, 4.3) at 0.2: 0.2 + 1 + 1 > 2.
    # At 1.78 the window [1.7, 1.8) holds 0 and weighs [1.6, 1.7), which holds 2, at 0.2: 0.4 + 0 + 1 <= 2.
    clock.now = later
    assert limiter.acquire().allowed == allowed_later


# Nonsense arguments are rejected by name for every limiter: see test_decision.py.


def test_eight_threads_make_the_decisions_one_thread_makes(frequent_thread_switches, ticking_clock, hammer):
    # The clock ticks once per call, so the calls cross 20 window edges and about 180 thresholds.
    def admitted_by(threads):
        limiter = SlidingWindowCounter(limit=10, window=100, clock=ticking_clock())
        return sum(d.allowed for d in hammer(limiter, threads=threads, calls=2000 // threads))

    alone = admitted_by(threads=1)
    assert alone == 182
    assert admitted_by(threads=8) == alone


# Properties on random request sequences: times, windows and costs on a grid of binary fractions,
# so that the test's arithmetic is exact, and then arbitrary floats.


@settings(max_examples=300)
@given(data=st.data())
def test_decisions_follow_the_weighted_estimate(data, streams, fake_clock, replay):
    limit, window = data.draw(streams.grid_limit_and_window, label="limit, window")
    clock = fake_clock()
    limiter = SlidingWindowCounter(limit=limit, window=window, clock=clock)
    used = defaultdict(float)  # cost admitted per fixed window
    for now, cost, decision in replay(limiter, clock, data.draw(streams.grid_steps, label="steps"), most=limit):
        k = math.floor(now / window)  # exact on this grid
        elapsed = now - k * window
        estimate = used[k - 1] * (window - elapsed) / window + used[k]
        if abs(estimate + cost - limit) > 1e-9:  # ties are decided by rounding
            assert decision.allowed == (estimate + cost <= limit)
        if decision.allowed:
            used[k] += cost
    assert all(total <= limit for total in used.values())  # so no fixed window exceeds the limit


@settings(max_examples=300)
@given(data=st.data())
def test_any_interval_of_one_window_admits_less_than_twice_the_limit(data, streams, fake_clock, replay):
    limit, window = data.draw(streams.grid_limit_and_window, label="limit, window")
    clock = fake_clock()
    limiter = SlidingWindowCounter(limit=limit, window=window, clock=clock)
    history = replay(limiter, clock, data.draw(streams.grid_steps, label="steps"), most=limit)
    admitted = [(now, cost) for now, cost, decision in history if decision.allowed]
    per_window = defaultdict(float)
    for now, cost in admitted:
        per_window[math.floor(now / window)] += cost
    for start, _ in admitted:  # the fullest half-open interval [a, a + window) starts at an admission
        total = sum(cost for now, cost in admitted if start <= now < start + window)
        assert total < 2 * limit
        # Sharper: if it ends s seconds into window k, it holds at most limit + previous × s / window.
        k = math.floor(start / window) + 1
        s = start + window - k * window
        assert total <= limit + per_window[k - 1] * s / window + 1e-9


@settings(max_examples=300)
@given(data=st.data())
def test_retry_after_is_the_shortest_wait_that_is_enough(data, streams, fake_clock, replay):
    limit, window = data.draw(streams.grid_limit_and_window, label="limit, window")
    clock = fake_clock()
    limiter = SlidingWindowCounter(limit=limit, window=window, clock=clock)
    replay(limiter, clock, data.draw(streams.grid_steps, label="steps"), most=limit)
    cost = min(data.draw(streams.grid_cost, label="cost"), limit)
    decision = limiter.acquire(cost=cost)
    assert decision.allowed == (decision.retry_after == 0)
    if not decision.allowed:
        start = clock.now
        clock.now = start + decision.retry_after * (1 - 1e-6)  # a little short: still refused
        assert not limiter.acquire(cost=cost).allowed
        clock.now = start + decision.retry_after
        assert limiter.acquire(cost=cost).allowed


@settings(max_examples=300)
@given(data=st.data())
def test_waiting_retry_after_is_enough_for_any_floats(data, streams, fake_clock, replay):
    limit, window = data.draw(streams.float_limit_and_window, label="limit, window")
    clock = fake_clock()
    limiter = SlidingWindowCounter(limit=limit, window=window, clock=clock)
    history = replay(limiter, clock, data.draw(streams.float_steps, label="steps"), most=limit)
    assert all(decision.retry_after >= 0 and decision.remaining >= 0 for _, _, decision in history)
    cost = data.draw(streams.small_cost, label="cost")
    decision = limiter.acquire(cost=cost)
    if not decision.allowed:
        assert decision.retry_after > 0
        clock.now += decision.retry_after * (1 + 1e-9)  # float rounding only
        assert limiter.acquire(cost=cost).allowed
