"""Proves snippets/simulations/retry_storm.py, driven by the real backoff of snippets/building_blocks/retry.py."""

import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from building_blocks.retry import Retry
from simulations.retry_storm import retry_storm

CLIENTS, RECOVER_AT, CAPACITY, BUCKET, HORIZON = 1000, 1.0, 20, 0.05, 30.0
UP = int(RECOVER_AT / BUCKET)  # the first bucket after the server is back


def storm(jitter: bool, seed: int = 0):
    backoff = Retry(base=0.1, cap=5.0, jitter=jitter, rng=random.Random(seed))
    return retry_storm(CLIENTS, backoff.delay, RECOVER_AT, CAPACITY, bucket=BUCKET, horizon=HORIZON)


def test_without_jitter_every_retry_wave_lands_in_one_bucket():
    result = storm(jitter=False)
    waves = [(slot, load) for slot, load in enumerate(result.load) if load]
    assert [round(slot * BUCKET, 2) for slot, _ in waves[:6]] == [0.0, 0.1, 0.3, 0.7, 1.5, 3.1]  # 0.1 x (2^k - 1)
    for slot, load in waves:  # each wave is every client not yet served, all in the same bucket
        assert load == CLIENTS - sum(result.served[:slot])
    assert max(result.load[UP:]) == CLIENTS
    assert sum(result.served) == 140  # 20 per wave; the rest are still waiting at 30 s
    assert sum(result.load) == 10_580


@pytest.mark.parametrize("seed", range(5))
def test_with_full_jitter_the_peak_after_recovery_is_a_fraction_and_everyone_is_served(seed):
    result = storm(jitter=True, seed=seed)
    assert max(result.load[UP:]) < CLIENTS / 10  # measured 68 to 87 for seeds 0-4
    assert sum(result.served) == CLIENTS
    done = max(slot for slot, served in enumerate(result.served) if served) * BUCKET
    assert done < 8.0  # measured 6.75 to 7.3 s; without jitter most clients still wait at 30 s
    assert sum(result.load) < 7 * CLIENTS  # measured about 6,500 requests; the server needs 1,000


@settings(max_examples=200)
@given(st.integers(1, 60), st.floats(0, 2), st.integers(1, 10), st.integers(1, 8), st.booleans(), st.integers(0, 99))
def test_the_server_never_answers_while_down_nor_beyond_capacity(clients, recover_at, capacity, attempts, jitter,
                                                                   seed):
    backoff = Retry(base=0.05, cap=1.0, jitter=jitter, rng=random.Random(seed))
    result = retry_storm(clients, backoff.delay, recover_at, capacity, bucket=0.1, horizon=5.0,
                         max_attempts=attempts)
    assert len(result.load) == len(result.served) == 50
    assert all(served <= min(capacity, load) for served, load in zip(result.served, result.load))
    assert not any(result.served[: int(recover_at / 0.1)])  # nothing answered in a bucket that is all downtime
    assert sum(result.served) + result.gave_up <= clients  # a client is served once, or gives up once
    assert sum(result.load) <= clients * attempts


def test_clients_give_up_after_max_attempts():
    result = retry_storm(10, lambda attempt: 0.2, recover_at=100.0, capacity=5, horizon=10.0, max_attempts=4)
    assert result.gave_up == 10
    assert sum(result.load) == 40
    assert [result.load[slot] for slot in (0, 20, 40, 60)] == [10, 10, 10, 10]


@pytest.mark.parametrize(("kwargs", "name"), [
    ({"clients": 0}, "clients"), ({"clients": 2.0}, "clients"),
    ({"capacity": 0}, "capacity"), ({"max_attempts": 0}, "max_attempts"),
    ({"recover_at": -1.0}, "recover_at"), ({"recover_at": math.nan}, "recover_at"),
    ({"bucket": 0.0}, "bucket"), ({"bucket": math.inf}, "bucket"),
    ({"horizon": 0.001}, "horizon"), ({"horizon": math.inf}, "horizon"),
    ({"delay": lambda attempt: -1.0}, "delay"), ({"delay": lambda attempt: math.nan}, "delay"),
])
def test_bad_arguments_raise_value_error_naming_them(kwargs, name):
    args = {"clients": 3, "delay": lambda attempt: 0.1, "recover_at": 1.0, "capacity": 1, **kwargs}
    with pytest.raises(ValueError, match=rf"^{name} must"):
        retry_storm(**args)
