"""sliding_window_log.lua on a real Redis: exact over any window of the server's clock, atomic under 8 threads."""

import math
import uuid

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rate_limiting.distributed.redis_limiter import RedisLimiter

NAME = "sliding_window_log"  # snippets/rate_limiting/distributed/sliding_window_log.lua

steps = st.lists(st.tuples(st.integers(0, 12), st.integers(1, 4)), min_size=1, max_size=25)  # (pause ms, cost)
real_time = settings(max_examples=12, suppress_health_check=[HealthCheck.function_scoped_fixture])


def check_against_definition(trace, limit, window):
    """Every reply is what the definition says: count the cost admitted in (now - window, now]."""
    units = []  # the time of every admitted cost unit
    for now, cost, reply in trace:
        live = sorted(t for t in units if t > now - window)
        if len(live) + cost <= limit:
            units += [now] * cost
            assert reply == [1, limit - len(live) - cost, 0, now]
        else:  # the oldest (used + cost - limit) units must leave; the last of them leaves at its time + window
            leaving = live[len(live) + cost - limit - 1]
            assert reply == [0, limit - len(live), leaving + window - now, now]
    return units


def heaviest_window(units, window):
    """The most cost admitted in any half-open interval [t, t + window)."""
    return max((sum(1 for u in units if start <= u < start + window) for start in units), default=0)


@settings(real_time)
@given(limit=st.integers(1, 4), window_ms=st.integers(20, 50), steps=steps)
def test_every_decision_follows_the_definition_on_the_servers_clock(script, play, limit, window_ms, steps):
    trace = play(script(NAME), [f"t:{uuid.uuid4()}"], limit, window_ms * 1000, steps)
    units = check_against_definition(trace, limit, window_ms * 1000)
    assert heaviest_window(units, window_ms * 1000) <= limit


def test_8_threads_x_500_requests_admit_exactly_the_limit(client, hammer):
    limiter = RedisLimiter(client, NAME, limit=1000, window=30)
    decisions = hammer(limiter, "tenant:7")
    admitted = [d for d in decisions if d.allowed]
    assert len(admitted) == 1000
    assert sorted(d.remaining for d in admitted) == list(range(1000))  # no two saw the same count
    assert all(d.remaining == 0 and 0 < d.retry_after <= 30 for d in decisions if not d.allowed)
    assert client.zcard(limiter.keys("tenant:7")[0]) == 1000


def test_one_member_per_cost_unit_named_with_all_16_digits_of_the_time(client, script):
    key = "ratelimit:sliding_window_log:{user:1}"
    _, remaining, _, now = script(NAME)([key], [5, 10_000_000, 3])
    assert remaining == 2
    assert client.zrange(key, 0, -1, withscores=True) == [(f"{now}:{i}", now) for i in (1, 2, 3)]
    assert 0 < client.pttl(key) <= math.ceil(10_000_000 / 1000)  # every entry is gone one window later


def test_memory_per_key_grows_with_the_limit(client, script):
    fixed = "ratelimit:fixed_window:{m}"
    script("fixed_window")([fixed], [1000, 60_000_000, 1000])
    usage = {"fixed window": client.memory_usage(fixed)}
    for limit in (100, 1000):
        key = f"ratelimit:sliding_window_log:{{m{limit}}}"
        script(NAME)([key], [limit, 60_000_000, limit])  # a full log: one member per admitted unit
        usage[f"log of {limit}"] = client.memory_usage(key)
    assert usage["log of 1000"] > 5 * usage["log of 100"] > 50 * usage["fixed window"]
