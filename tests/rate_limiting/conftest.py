"""What the in-process limiter tests share: a clock the test moves, threads started together, request streams.

Test modules run in --import-mode=importlib and cannot import this file, so everything here is a fixture.
Fixtures that Hypothesis tests use are session-scoped and stateless: each example makes its own clock.
"""

import itertools
import sys
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import strategies as st

from fake_clock import FakeClock
from rate_limiting.decision import Decision


@pytest.fixture
def snippet(request) -> Path:
    """The snippet the requesting test file mirrors: tests/rate_limiting/test_x.py proves snippets/rate_limiting/x.py."""
    return Path(__file__).parents[2] / "snippets" / "rate_limiting" / request.path.name.removeprefix("test_")


@pytest.fixture
def clock() -> FakeClock:
    """A fresh clock reading 0.0."""
    return FakeClock()


@pytest.fixture(scope="session")
def fake_clock() -> type[FakeClock]:
    """The FakeClock class, for a clock that starts elsewhere, several clocks, or one per Hypothesis example."""
    return FakeClock


@pytest.fixture(scope="session")
def ticking_clock():
    """ticking_clock(step) makes a clock whose n-th reading is n × step: every call moves time on."""

    def make(step: float = 1):
        ticks = itertools.count(1)
        return lambda: next(ticks) * step

    return make


@pytest.fixture
def frequent_thread_switches():
    # Switching threads every microsecond makes races between check and update show up.
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(previous)


@pytest.fixture(scope="session")
def hammer():
    """hammer(limiter, threads, calls): `threads` threads released together, each making `calls` acquires.

    Returns every Decision, in no particular order.
    """

    def run(limiter, threads: int = 8, calls: int = 250) -> list[Decision]:
        decisions: list[Decision] = []
        start = threading.Barrier(threads)

        def work():
            start.wait()
            mine = [limiter.acquire() for _ in range(calls)]
            decisions.extend(mine)

        workers = [threading.Thread(target=work) for _ in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        return decisions

    return run


@pytest.fixture(scope="session")
def replay():
    """replay(limiter, clock, steps, most): for each (gap, cost), move the clock by gap and acquire the
    cost, capped at `most`. Returns [(time, cost, decision)]."""

    def run(limiter, clock: FakeClock, steps, most: float) -> list[tuple[float, float, Decision]]:
        history = []
        for gap, cost in steps:
            clock.now += gap
            cost = min(cost, most)
            history.append((clock.now, cost, limiter.acquire(cost=cost)))
        return history

    return run


@pytest.fixture(scope="session")
def assert_within_burst_plus_rate():
    """Check that admissions [(time, cost)] from any i-th to any later j-th total at most
    burst + rate × (t_j − t_i): the token bucket's bound, which the leaky bucket and GCRA share."""

    def check(admitted: list[tuple[float, float]], burst: float, rate: float) -> None:
        for i, (start, _) in enumerate(admitted):
            for j in range(i, len(admitted)):
                end = admitted[j][0]
                total = sum(cost for _, cost in admitted[i : j + 1])
                assert total <= burst + rate * (end - start) + 1e-9 * burst

    return check


@pytest.fixture(scope="session")
def streams() -> SimpleNamespace:
    """Hypothesis strategies for request streams and limits; tests draw from them with st.data()."""
    return SimpleNamespace(
        # Floats: (seconds since the previous request, cost), and (capacity or burst, rate per second).
        steps=st.lists(
            st.tuples(
                st.floats(min_value=0, max_value=5, allow_nan=False),  # seconds since the previous request
                st.floats(min_value=0.01, max_value=4),  # cost
            ),
            max_size=60,
        ),
        capacity_and_rate=st.tuples(st.floats(min_value=1, max_value=50), st.floats(min_value=0.01, max_value=100)),
        # A clock that also jumps back, from a start of 100 s.
        jumping_steps=st.lists(st.tuples(st.floats(-5, 5), st.floats(0.01, 4)), max_size=40),
        # A key created at any clock reading, then idle for a while.
        created=st.floats(min_value=0, max_value=1e7),
        idle=st.floats(min_value=0, max_value=1e4),
        # The cost of the request whose retry_after is tested.
        small_cost=st.floats(min_value=0.01, max_value=1),
        # Multiples of 1/16 s, costs in quarters, rates that are powers of two: binary floating point holds
        # every sum, product and quotient of these exactly, so two limiters agree or differ by algorithm alone.
        exact_steps=st.lists(
            st.tuples(st.integers(0, 64).map(lambda k: k / 16), st.integers(1, 16).map(lambda k: k / 4)),
            max_size=80,
        ),
        exact_capacity_and_rate=st.tuples(
            st.integers(1, 40).map(lambda k: k / 2), st.sampled_from([0.25, 0.5, 1, 2, 4, 8, 16])
        ),
        # Windows: times, windows and costs on a grid of binary fractions, so that the test's arithmetic is exact.
        grid_steps=st.lists(
            st.tuples(st.integers(0, 320).map(lambda n: n / 64), st.integers(1, 32).map(lambda n: n / 8)),
            max_size=60,
        ),
        grid_limit_and_window=st.tuples(
            st.integers(1, 40).map(lambda n: n / 4), st.integers(1, 64).map(lambda n: n / 16)
        ),
        grid_cost=st.integers(1, 32).map(lambda n: n / 8),
        # Windows on arbitrary floats.
        float_steps=st.lists(
            st.tuples(st.floats(min_value=0, max_value=5), st.floats(min_value=0.01, max_value=4)),
            max_size=60,
        ),
        float_limit_and_window=st.tuples(
            st.floats(min_value=1, max_value=50), st.floats(min_value=1e-3, max_value=100)
        ),
    )
