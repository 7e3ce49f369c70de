"""gcra.lua on a real Redis: one stored time per key, bursts of `limit`, never above limit/window on average."""

import math
import uuid

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rate_limiting.distributed.redis_limiter import RedisLimiter

NAME = "gcra"  # snippets/rate_limiting/distributed/gcra.lua

steps = st.lists(st.tuples(st.integers(0, 12), st.integers(1, 4)), min_size=1, max_size=25)  # (pause ms, cost)
real_time = settings(max_examples=12, suppress_health_check=[HealthCheck.function_scoped_fixture])


def check_against_definition(trace, limit, window):
    """Replay GCRA in exact integers: T = ceil(window / limit), tolerance = limit × T."""
    interval = -(-window // limit)
    tolerance = limit * interval
    tat = 0
    admitted = []  # (time, cost)
    for now, cost, reply in trace:
        start = max(tat, now)
        new_tat = start + cost * interval
        if new_tat - now <= tolerance:
            tat = new_tat
            admitted.append((now, cost))
            assert reply == [1, (tolerance - (new_tat - now)) // interval, 0, now]
        else:  # the earliest time at which new_tat - t <= tolerance
            assert reply == [0, (tolerance - (start - now)) // interval, new_tat - tolerance - now, now]
    return admitted, interval


@settings(real_time)
@given(limit=st.integers(1, 4), window_ms=st.integers(20, 50), steps=steps)
def test_every_decision_follows_the_definition_on_the_servers_clock(script, play, limit, window_ms, steps):
    trace = play(script(NAME), [f"t:{uuid.uuid4()}"], limit, window_ms * 1000, steps)
    admitted, interval = check_against_definition(trace, limit, window_ms * 1000)
    # over any stretch of time L, at most limit + L / T: a full burst, then the rate
    for i, (first, _) in enumerate(admitted):
        for j in range(i, len(admitted)):
            total = sum(cost for _, cost in admitted[i : j + 1])
            assert total <= limit + (admitted[j][0] - first) / interval


def test_8_threads_x_500_requests_stay_within_burst_plus_rate_times_elapsed(client, hammer, server_now):
    limiter = RedisLimiter(client, NAME, limit=1000, window=30)  # T = 30 ms
    before = server_now(client)
    decisions = hammer(limiter, "tenant:7")
    elapsed = server_now(client) - before
    admitted = sum(d.allowed for d in decisions)
    assert 1000 <= admitted <= 1000 + elapsed // 30_000
    assert all(d.remaining >= 0 and d.retry_after >= 0 for d in decisions)


def test_a_burst_of_limit_then_one_more_every_interval(client, script):
    key = "ratelimit:gcra:{burst}"
    run = script(NAME)
    replies = [run([key], [4, 60_000_000, 1]) for _ in range(5)]  # T = 15 s
    assert [r[:2] for r in replies] == [[1, 3], [1, 2], [1, 1], [1, 0], [0, 0]]
    first_now, refused = replies[0][3], replies[4]
    assert refused[2] == first_now + 5 * 15_000_000 - 60_000_000 - refused[3]  # free when TAT - 4T is reached


def test_the_tat_is_stored_with_all_16_digits_and_expires_when_it_passes(client, script):
    key = "ratelimit:gcra:{tat}"
    _, _, _, now = script(NAME)([key], [3, 3_000_000, 1])  # T = 1 s
    assert client.get(key) == str(now + 1_000_000)  # tostring() would have kept 14 of its 16 digits
    assert len(client.get(key)) == 16
    assert 0 < client.pttl(key) <= math.ceil(1_000_000 / 1000)


def test_the_emission_interval_rounds_up_so_the_rate_never_exceeds_the_limit(client, script):
    key = "ratelimit:gcra:{round}"
    _, _, _, now = script(NAME)([key], [3, 1_000_000, 1])  # 3 per second: T = 333,333.3 µs, stored as 333,334
    assert int(client.get(key)) - now == 333_334
