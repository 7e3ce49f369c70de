"""Proves snippets/building_blocks/circuit_breaker.py with a clock the test moves: no test waits for real time."""

import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from building_blocks.circuit_breaker import CLOSED, HALF_OPEN, OPEN, CircuitBreaker, CircuitOpenError
from fake_clock import FakeClock


class Boom(Exception):
    pass


class Dependency:
    """A callable that counts its calls and fails while `failing` is set."""

    def __init__(self, failing: bool = True) -> None:
        self.failing = failing
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.failing:
            raise Boom
        return "ok"


def trip(breaker: CircuitBreaker, dependency: Dependency) -> None:
    for _ in range(breaker.failure_threshold):
        with pytest.raises(Boom):
            breaker.call(dependency)


def test_opens_after_the_failure_threshold_and_not_before():
    breaker = CircuitBreaker(failure_threshold=3, open_duration=10, clock=FakeClock())
    dependency = Dependency()
    for _ in range(2):
        with pytest.raises(Boom):
            breaker.call(dependency)
        assert breaker.state == CLOSED
    with pytest.raises(Boom):
        breaker.call(dependency)
    assert breaker.state == OPEN


def test_a_success_resets_the_count_of_failures_in_a_row():
    breaker = CircuitBreaker(failure_threshold=3, clock=FakeClock())
    dependency = Dependency()
    for failing in [True, True, False, True, True, False, True, True]:
        dependency.failing = failing
        try:
            breaker.call(dependency)
        except Boom:
            pass
    assert breaker.state == CLOSED


def test_rejects_fast_while_open_without_calling_the_dependency():
    clock = FakeClock()
    breaker = CircuitBreaker(failure_threshold=2, open_duration=10, clock=clock)
    dependency = Dependency()
    trip(breaker, dependency)
    for clock.now in [0.0, 5.0, 9.999]:
        with pytest.raises(CircuitOpenError):
            breaker.call(dependency)
    assert dependency.calls == 2  # only the two calls that tripped it


def test_half_open_lets_exactly_the_probes_through_then_closes_on_success():
    clock = FakeClock()
    breaker = CircuitBreaker(failure_threshold=1, open_duration=10, half_open_probes=2, clock=clock)
    dependency = Dependency()
    trip(breaker, dependency)
    clock.now = 10.0
    assert breaker.state == HALF_OPEN
    dependency.failing = False
    inner: list[object] = []

    def probe_that_races_two_more_calls() -> str:
        # While this probe is in flight, a second probe is allowed and a third is rejected.
        inner.append(breaker.call(dependency))
        with pytest.raises(CircuitOpenError):
            breaker.call(dependency)
        return "ok"

    assert breaker.call(probe_that_races_two_more_calls) == "ok"
    assert inner == ["ok"]
    assert breaker.state == CLOSED
    assert breaker.call(dependency) == "ok"


def test_a_failed_probe_opens_the_breaker_for_another_full_duration():
    clock = FakeClock()
    breaker = CircuitBreaker(failure_threshold=1, open_duration=10, half_open_probes=3, clock=clock)
    dependency = Dependency()
    trip(breaker, dependency)
    clock.now = 10.0
    with pytest.raises(Boom):
        breaker.call(dependency)
    assert breaker.state == OPEN
    clock.now = 19.999
    with pytest.raises(CircuitOpenError):
        breaker.call(dependency)
    clock.now = 20.0
    assert breaker.state == HALF_OPEN


def test_concurrent_probes_beyond_the_limit_are_rejected():
    clock = FakeClock()
    breaker = CircuitBreaker(failure_threshold=1, open_duration=1, half_open_probes=3, clock=clock)
    trip(breaker, Dependency())
    clock.now = 1.0
    entered, rejected, decided, release = [], [], threading.Semaphore(0), threading.Event()

    def slow_probe() -> str:
        entered.append(1)
        decided.release()
        release.wait(timeout=10)
        return "ok"

    def caller() -> None:
        try:
            breaker.call(slow_probe)
        except CircuitOpenError:
            rejected.append(1)
            decided.release()

    threads = [threading.Thread(target=caller) for _ in range(20)]
    for thread in threads:
        thread.start()
    for _ in threads:  # every caller is now either inside a probe or rejected
        assert decided.acquire(timeout=10)
    assert (len(entered), len(rejected)) == (3, 17)
    release.set()
    for thread in threads:
        thread.join()
    assert breaker.state == CLOSED


def test_a_late_result_from_before_a_transition_is_ignored():
    clock = FakeClock()
    breaker = CircuitBreaker(failure_threshold=2, open_duration=10, clock=clock)
    failing = Dependency()

    def slow_call_that_outlives_the_closed_state() -> str:
        trip(breaker, failing)  # other calls open the breaker while this one runs
        raise Boom

    with pytest.raises(Boom):
        breaker.call(slow_call_that_outlives_the_closed_state)
    clock.now = 10.0  # the late failure did not restart the open period
    assert breaker.state == HALF_OPEN


@settings(max_examples=200)
@given(
    threshold=st.integers(1, 5),
    probes=st.integers(1, 4),
    steps=st.lists(st.tuples(st.booleans(), st.floats(0, 20)), max_size=60),
)
def test_state_follows_a_reference_model(threshold, probes, steps):
    """Any sequence of sequential calls (fail or succeed, then the clock moves) matches a simple model."""
    clock = FakeClock()
    breaker = CircuitBreaker(failure_threshold=threshold, open_duration=10, half_open_probes=probes, clock=clock)
    dependency = Dependency()
    state, failures, successes, opened_at = CLOSED, 0, 0, 0.0
    for failing, pause in steps:
        if state == OPEN and clock.now - opened_at >= 10:
            state, successes = HALF_OPEN, 0
        dependency.failing = failing
        calls_before = dependency.calls
        try:
            breaker.call(dependency)
        except CircuitOpenError:
            assert state == OPEN and dependency.calls == calls_before
        except Boom:
            assert state != OPEN
            failures += 1
            if state == HALF_OPEN or failures >= threshold:
                state, opened_at, failures = OPEN, clock.now, 0
        else:
            assert state != OPEN
            failures = 0
            if state == HALF_OPEN:
                successes += 1
                if successes == probes:
                    state = CLOSED
        assert breaker.state == state
        clock.now += pause


@pytest.mark.parametrize(
    "argument, kwargs",
    [
        ("failure_threshold", {"failure_threshold": 0}),
        ("open_duration", {"open_duration": 0}),
        ("open_duration", {"open_duration": float("nan")}),
        ("half_open_probes", {"half_open_probes": 0}),
    ],
)
def test_nonsense_arguments_are_rejected_by_name(argument, kwargs):
    with pytest.raises(ValueError, match=argument):
        CircuitBreaker(**kwargs)
