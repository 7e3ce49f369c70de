"""Proves snippets/simulations/quorum_staleness.py: the Monte Carlo that the quorums lab plots."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulations.quorum_staleness import stale_read_probability, stale_read_probability_exact

TRIALS = 20_000


def within_sampling_error(measured: float, expected: float, trials: int = TRIALS) -> bool:
    """|measured - expected| within 5 standard errors of a binomial proportion (plus a hair for p = 0 or 1)."""
    return abs(measured - expected) <= 5 * math.sqrt(expected * (1 - expected) / trials) + 1e-9


@st.composite
def overlapping(draw):
    n = draw(st.integers(1, 7))
    w = draw(st.integers(1, n))
    return n, draw(st.integers(n - w + 1, n)), w


@settings(max_examples=100)
@given(overlapping(), st.floats(0, 10), st.sampled_from([0.01, 1.0, math.inf]), st.integers(0, 2**32))
def test_with_r_plus_w_above_n_no_read_is_ever_stale(nrw, t, mean_lag, seed):
    n, r, w = nrw
    assert stale_read_probability(n, r, w, t, mean_lag, trials=200, seed=seed) == 0.0
    assert stale_read_probability_exact(n, r, w, t, mean_lag) == 0.0


def test_without_propagation_it_matches_the_combinatorial_formula():
    # The write stays on its W replicas: a read is stale iff all R asked replicas are among the N - W others.
    for n, r, w in [(3, 1, 1), (3, 1, 2), (5, 1, 2), (5, 2, 2), (7, 2, 3), (9, 3, 4)]:
        expected = math.comb(n - w, r) / math.comb(n, r)
        assert stale_read_probability_exact(n, r, w, t=5.0, mean_lag=math.inf) == expected
        measured = stale_read_probability(n, r, w, t=5.0, mean_lag=math.inf, trials=TRIALS)
        assert within_sampling_error(measured, expected), (n, r, w, measured, expected)
    assert stale_read_probability_exact(3, 1, 2, t=0, mean_lag=math.inf) == pytest.approx(1 / 3)
    assert stale_read_probability_exact(5, 2, 2, t=0, mean_lag=math.inf) == pytest.approx(3 / 10)


@pytest.mark.parametrize("t", [0.0, 0.1, 0.5, 1.0, 3.0])
def test_with_exponential_lag_it_matches_the_closed_form(t):
    expected = stale_read_probability_exact(5, 2, 2, t, mean_lag=0.5)
    assert expected == pytest.approx(0.3 * math.exp(-2 * t / 0.5))
    assert within_sampling_error(stale_read_probability(5, 2, 2, t, mean_lag=0.5, trials=TRIALS), expected)


def test_it_falls_as_r_grows():
    measured = [stale_read_probability(7, r, 2, t=0.2, mean_lag=1.0, trials=TRIALS) for r in range(1, 7)]
    assert all(a > b for a, b in zip(measured, measured[1:-1])), measured
    assert measured[-1] == 0.0  # R = 6, W = 2: R + W > N


def test_it_falls_as_time_since_the_write_grows():
    measured = [stale_read_probability(5, 1, 1, t, mean_lag=1.0, trials=TRIALS) for t in (0, 0.25, 0.5, 1, 2, 4)]
    assert all(a > b for a, b in zip(measured, measured[1:])), measured
    assert measured[0] == pytest.approx(0.8, abs=0.02)  # at t = 0 only the W replica has it
    assert measured[-1] < 0.03  # 0.8 x e^-4 = 0.015


def test_the_same_seed_gives_the_same_answer():
    assert stale_read_probability(5, 1, 2, 0.3, 1.0, trials=500, seed=7) == stale_read_probability(
        5, 1, 2, 0.3, 1.0, trials=500, seed=7)


@pytest.mark.parametrize(("kwargs", "name"), [
    ({"n": 0}, "n"), ({"n": 2.5}, "n"),
    ({"r": 0}, "r"), ({"r": 6}, "r"),
    ({"w": 0}, "w"), ({"w": 9}, "w"),
    ({"t": -1.0}, "t"), ({"t": math.inf}, "t"), ({"t": math.nan}, "t"),
    ({"mean_lag": 0.0}, "mean_lag"), ({"mean_lag": -2.0}, "mean_lag"), ({"mean_lag": math.nan}, "mean_lag"),
    ({"trials": 0}, "trials"), ({"trials": 1.5}, "trials"),
])
def test_bad_arguments_raise_value_error_naming_them(kwargs, name):
    args = {"n": 5, "r": 1, "w": 1, "t": 0.0, "mean_lag": 1.0, **kwargs}
    with pytest.raises(ValueError, match=rf"^{name} must"):
        stale_read_probability(**args)
    if name != "trials":
        args.pop("trials", None)
        with pytest.raises(ValueError, match=rf"^{name} must"):
            stale_read_probability_exact(**args)
