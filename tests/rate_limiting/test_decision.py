import math

import pytest

from rate_limiting.decision import Decision, checked_cost, positive_finite
from rate_limiting.fixed_window import FixedWindow
from rate_limiting.gcra import GCRA
from rate_limiting.leaky_bucket import LeakyBucketMeter, LeakyBucketQueue
from rate_limiting.sliding_window_counter import SlidingWindowCounter
from rate_limiting.sliding_window_log import SlidingWindowLog
from rate_limiting.token_bucket import TokenBucket

# Every limiter with arguments it accepts; the first one is its capacity: a cost of 10.5 never fits.
LIMITERS = {
    TokenBucket: {"capacity": 10, "refill_rate": 1},
    LeakyBucketMeter: {"capacity": 10, "leak_rate": 1},
    LeakyBucketQueue: {"capacity": 10, "leak_rate": 1},
    GCRA: {"burst": 10, "rate": 1},
    FixedWindow: {"limit": 10, "window": 1},
    SlidingWindowLog: {"limit": 10, "window": 1},
    SlidingWindowCounter: {"limit": 10, "window": 1},
}
EACH_ARGUMENT = [
    pytest.param(limiter, name, id=f"{limiter.__name__}-{name}") for limiter, args in LIMITERS.items() for name in args
]
EACH_LIMITER = [pytest.param(limiter, id=limiter.__name__) for limiter in LIMITERS]


def test_a_decision_admits_without_delay_unless_told():
    assert Decision(True, 3, 0.0) == Decision(allowed=True, remaining=3, retry_after=0.0, delay=0.0)


@pytest.mark.parametrize("good", [1, 0.5, 1e300])
def test_positive_finite_numbers_pass_as_floats(good):
    assert positive_finite("rate", good) == float(good)
    assert isinstance(positive_finite("rate", good), float)


@pytest.mark.parametrize("bad", [0, -1, -0.0, math.nan, math.inf, -math.inf])
def test_nonsense_numbers_are_rejected_by_name(bad):
    with pytest.raises(ValueError, match=r"^window must be a positive finite number"):
        positive_finite("window", bad)


@pytest.mark.parametrize("bad", ["10", None, True, [1]])
def test_non_numbers_are_rejected_by_name(bad):
    with pytest.raises(TypeError, match=r"^limit must be a number"):
        positive_finite("limit", bad)


def test_a_cost_up_to_the_capacity_passes():
    assert checked_cost(10, 10.0) == 10.0


@pytest.mark.parametrize("bad", [0, math.nan, 10.5])
def test_a_cost_that_could_never_pass_is_rejected_by_name(bad):
    with pytest.raises(ValueError, match=r"^cost"):
        checked_cost(bad, 10.0)


# Every limiter makes these checks through the two functions above.


@pytest.mark.parametrize(("limiter", "name"), EACH_ARGUMENT)
@pytest.mark.parametrize("bad", [0, -1, math.nan, math.inf, -math.inf])
def test_every_limiter_rejects_nonsense_limits_by_name(limiter, name, bad):
    with pytest.raises(ValueError, match=name):
        limiter(**{**LIMITERS[limiter], name: bad})


@pytest.mark.parametrize(("limiter", "name"), EACH_ARGUMENT)
@pytest.mark.parametrize("bad", ["10", None, True])
def test_every_limiter_rejects_non_numbers_by_name(limiter, name, bad):
    with pytest.raises(TypeError, match=name):
        limiter(**{**LIMITERS[limiter], name: bad})


@pytest.mark.parametrize("limiter", EACH_LIMITER)
@pytest.mark.parametrize("bad", [0, -1, math.nan, math.inf, 10.5])
def test_every_limiter_rejects_nonsense_costs_by_name(limiter, bad):
    with pytest.raises(ValueError, match="cost"):
        limiter(**LIMITERS[limiter]).acquire(cost=bad)
