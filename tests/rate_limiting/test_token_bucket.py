from hypothesis import given, settings
from hypothesis import strategies as st

from rate_limiting.token_bucket import Decision, TokenBucket


def test_usage_prints_what_the_page_shows(run_snippet, snippet):
    assert run_snippet(snippet) == snippet.with_suffix(".out").read_text()


def test_full_bucket_admits_a_burst_of_capacity_then_says_when_to_retry(clock):
    bucket = TokenBucket(capacity=4, refill_rate=2, clock=clock)
    assert [bucket.acquire().allowed for _ in range(5)] == [True, True, True, True, False]
    assert bucket.acquire() == Decision(allowed=False, remaining=0, retry_after=0.5)


def test_refill_is_proportional_to_elapsed_time_and_capped_at_capacity(clock):
    bucket = TokenBucket(capacity=4, refill_rate=2, clock=clock)
    bucket.acquire(cost=4)
    clock.now = 1.0
    assert bucket.acquire(cost=2) == Decision(allowed=True, remaining=0, retry_after=0.0)
    clock.now = 1_000.0
    assert bucket.acquire(cost=1).remaining == 3


def test_a_denied_request_consumes_nothing(clock):
    bucket = TokenBucket(capacity=4, refill_rate=1, clock=clock)
    bucket.acquire(cost=3)
    assert bucket.acquire(cost=2) == Decision(allowed=False, remaining=1, retry_after=1.0)
    assert bucket.acquire(cost=1).allowed


def test_a_clock_that_steps_back_refills_nothing(fake_clock):
    clock = fake_clock(now=100.0)
    bucket = TokenBucket(capacity=2, refill_rate=1, clock=clock)
    bucket.acquire(cost=2)
    clock.now = 50.0
    assert not bucket.acquire().allowed
    clock.now = 100.5
    assert bucket.acquire() == Decision(allowed=False, remaining=0, retry_after=0.5)


# Nonsense arguments are rejected by name for every limiter: see test_decision.py.


def test_concurrent_callers_never_share_a_token(frequent_thread_switches, ticking_clock, hammer):
    # Each call moves the clock a nanosecond, so every acquire refills (read, min(), write back),
    # while 2,000 calls add under a millionth of a token: exactly the capacity may be admitted.
    bucket = TokenBucket(capacity=1000, refill_rate=1e-3, clock=ticking_clock(1e-9))
    assert sum(d.allowed for d in hammer(bucket, threads=8, calls=250)) == 1000


@settings(max_examples=300)
@given(data=st.data())
def test_no_interval_admits_more_than_capacity_plus_rate_times_its_length(
    data, streams, fake_clock, replay, assert_within_burst_plus_rate
):
    capacity, rate = data.draw(streams.capacity_and_rate, label="capacity, rate")
    clock = fake_clock()
    bucket = TokenBucket(capacity=capacity, refill_rate=rate, clock=clock)
    history = replay(bucket, clock, data.draw(streams.steps, label="steps"), most=capacity)
    for _, _, decision in history:
        assert decision.retry_after >= 0
        assert decision.allowed == (decision.retry_after == 0)
    admitted = [(now, cost) for now, cost, decision in history if decision.allowed]
    assert_within_burst_plus_rate(admitted, capacity, rate)


@settings(max_examples=300)
@given(data=st.data())
def test_waiting_retry_after_is_enough(data, streams, fake_clock, replay):
    capacity, rate = data.draw(streams.capacity_and_rate, label="capacity, rate")
    clock = fake_clock()
    bucket = TokenBucket(capacity=capacity, refill_rate=rate, clock=clock)
    replay(bucket, clock, data.draw(streams.steps, label="steps"), most=capacity)
    cost = data.draw(streams.small_cost, label="cost")
    decision = bucket.acquire(cost=cost)
    if not decision.allowed:
        clock.now += decision.retry_after * (1 + 1e-9)  # float rounding only
        assert bucket.acquire(cost=cost).allowed
