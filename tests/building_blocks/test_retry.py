"""Proves snippets/building_blocks/retry.py with a fake clock and a fake sleep that moves it: nothing waits."""

import random
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from building_blocks.retry import Retry, RetryBudget, full_jitter


class FakeTime:
    """A clock, and a sleep that records each wait and moves the clock by it."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class Flaky:
    """Fails `failures` times with `error`, then returns "ok"; each attempt takes `duration` seconds."""

    def __init__(self, time: FakeTime, failures: float = float("inf"), error: Exception = ConnectionError(),
                 duration: float = 0.0) -> None:
        self.time, self.failures, self.error, self.duration = time, failures, error, duration
        self.started: list[float] = []

    def __call__(self) -> str:
        self.started.append(self.time.now)
        self.time.now += self.duration
        if len(self.started) <= self.failures:
            raise self.error
        return "ok"


def retry(time: FakeTime, **kwargs) -> Retry:
    return Retry(sleep=time.sleep, clock=time.clock, **kwargs)


@given(attempt=st.integers(0, 60), base=st.floats(1e-3, 10), cap=st.floats(1e-3, 100), seed=st.integers())
def test_full_jitter_stays_within_zero_and_the_capped_exponential(attempt, base, cap, seed):
    assert 0 <= full_jitter(attempt, base, cap, random.Random(seed)) <= min(cap, base * 2**attempt)


@given(attempt=st.integers(0, 100_000), seed=st.integers())
def test_huge_attempt_numbers_are_capped_not_overflowing(attempt, seed):
    assert 0 <= full_jitter(attempt, 0.1, 5.0, random.Random(seed)) <= 5.0


@given(max_attempts=st.integers(1, 12), base=st.floats(1e-3, 1), cap=st.floats(1e-3, 30), seed=st.integers())
def test_every_wait_of_a_failing_call_is_within_its_bounds(max_attempts, base, cap, seed):
    time = FakeTime()
    dependency = Flaky(time)
    policy = retry(time, max_attempts=max_attempts, base=base, cap=cap, deadline=1e9, rng=random.Random(seed))
    with pytest.raises(ConnectionError):
        policy.call(dependency)
    assert len(dependency.started) == max_attempts
    assert len(time.sleeps) == max_attempts - 1
    for attempt, wait in enumerate(time.sleeps):
        assert 0 <= wait <= min(cap, base * 2**attempt)


def test_success_after_transient_failures_returns_the_result():
    time = FakeTime()
    dependency = Flaky(time, failures=2)
    assert retry(time, max_attempts=3, rng=random.Random(1)).call(dependency) == "ok"
    assert len(dependency.started) == 3


def test_without_jitter_the_waits_double_up_to_the_cap():
    time = FakeTime()
    with pytest.raises(ConnectionError):
        retry(time, max_attempts=6, base=1, cap=10, deadline=100, jitter=False).call(Flaky(time))
    assert time.sleeps == [1, 2, 4, 8, 10]


def test_a_non_retryable_error_is_raised_at_once():
    time = FakeTime()
    dependency = Flaky(time, error=ValueError("400 Bad Request"))
    policy = retry(time, max_attempts=5, retryable=lambda exc: isinstance(exc, ConnectionError))
    with pytest.raises(ValueError, match="400"):
        policy.call(dependency)
    assert len(dependency.started) == 1 and time.sleeps == []


def test_no_retry_starts_after_the_deadline():
    time = FakeTime()
    dependency = Flaky(time, duration=1.0)
    with pytest.raises(ConnectionError):
        retry(time, max_attempts=10, base=1, cap=100, deadline=5, jitter=False).call(dependency)
    # attempt, wait 1, attempt, wait 2, attempt at t=5; the next wait (4 s) would end at t=10 > 5
    assert dependency.started == [0, 2, 5]


@given(
    duration=st.floats(0, 3),
    deadline=st.floats(0.1, 20),
    base=st.floats(0.01, 2),
    seed=st.integers(),
)
def test_total_time_is_capped_by_the_deadline_plus_one_attempt(duration, deadline, base, seed):
    time = FakeTime()
    dependency = Flaky(time, duration=duration)
    policy = retry(time, max_attempts=50, base=base, cap=5, deadline=deadline, rng=random.Random(seed))
    with pytest.raises(ConnectionError):
        policy.call(dependency)
    assert all(start <= deadline for start in dependency.started)
    assert time.now <= deadline + duration


def test_the_budget_allows_retries_up_to_the_ratio_of_requests_in_the_window():
    time = FakeTime()
    budget = RetryBudget(ratio=0.1, window=10, min_retries=0, clock=time.clock)
    for _ in range(100):
        budget.record_request()
    assert [budget.try_spend() for _ in range(11)] == [True] * 10 + [False]
    time.now = 10.0  # every request and retry has left the window
    assert not budget.try_spend()
    budget.record_request()
    assert [budget.try_spend() for _ in range(3)] == [False, False, False]  # 1 request: 0.1 of a retry


def test_the_budget_floor_allows_a_few_retries_at_low_traffic():
    budget = RetryBudget(ratio=0.1, window=10, min_retries=2, clock=FakeTime().clock)
    budget.record_request()
    assert [budget.try_spend() for _ in range(3)] == [True, True, False]


def test_an_exhausted_budget_stops_retries_during_an_outage():
    time = FakeTime()
    budget = RetryBudget(ratio=0.1, window=60, min_retries=0, clock=time.clock)
    policy = retry(time, max_attempts=3, base=0.001, cap=0.001, budget=budget, rng=random.Random(2))
    attempts = 0
    for _ in range(100):  # 100 requests to a dependency that is down
        dependency = Flaky(time)
        with pytest.raises(ConnectionError):
            policy.call(dependency)
        attempts += len(dependency.started)
    # Without the budget: 300 attempts. With it: 100 first attempts plus at most 10% retries.
    assert attempts == 110


def busiest_slot(times: list[float], width: float) -> int:
    return max(Counter(int(t / width) for t in times).values())


def retry_times_of_synchronized_clients(jitter: bool, clients: int = 100) -> list[float]:
    """`clients` clients all fail at t=0 against a dependency that is down; when does each retry arrive?"""
    arrivals: list[float] = []
    for client in range(clients):
        time = FakeTime()
        dependency = Flaky(time)
        policy = retry(time, max_attempts=4, base=0.1, cap=10, jitter=jitter, rng=random.Random(client))
        with pytest.raises(ConnectionError):
            policy.call(dependency)
        arrivals += dependency.started[1:]
    return arrivals


def test_full_jitter_spreads_the_retries_of_synchronized_clients():
    slot = 0.01  # 10 ms
    without = retry_times_of_synchronized_clients(jitter=False)
    with_jitter = retry_times_of_synchronized_clients(jitter=True)
    assert len(without) == len(with_jitter) == 300
    assert busiest_slot(without, slot) == 100  # every client retries at 0.1 s, 0.3 s and 0.7 s together
    # With full jitter the first retries spread over [0, 100 ms], ten slots of 10 ms: about 10 per slot.
    assert busiest_slot(with_jitter, slot) <= 20  # measured: 16 with these seeds


@pytest.mark.parametrize(
    "argument, kwargs",
    [
        ("max_attempts", {"max_attempts": 0}),
        ("base", {"base": 0}),
        ("cap", {"cap": -1}),
        ("deadline", {"deadline": float("inf")}),
    ],
)
def test_nonsense_retry_arguments_are_rejected_by_name(argument, kwargs):
    with pytest.raises(ValueError, match=argument):
        Retry(**kwargs)


@pytest.mark.parametrize(
    "argument, kwargs",
    [("ratio", {"ratio": -0.1}), ("window", {"window": 0}), ("min_retries", {"min_retries": -1})],
)
def test_nonsense_budget_arguments_are_rejected_by_name(argument, kwargs):
    with pytest.raises(ValueError, match=argument):
        RetryBudget(**kwargs)
