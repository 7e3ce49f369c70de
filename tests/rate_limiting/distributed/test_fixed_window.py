"""fixed_window.lua on a real Redis: exact counts per window of the server's clock, atomic under 8 threads."""

import math
import uuid

import pytest
import redis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rate_limiting.distributed.redis_limiter import RedisLimiter

NAME = "fixed_window"  # snippets/rate_limiting/distributed/fixed_window.lua

steps = st.lists(st.tuples(st.integers(0, 12), st.integers(1, 4)), min_size=1, max_size=25)  # (pause ms, cost)
real_time = settings(max_examples=8, suppress_health_check=[HealthCheck.function_scoped_fixture])


def check_against_definition(trace, limit, window):
    """Every reply is what the definition says, given the server time the script decided at."""
    used = {}  # window number -> cost admitted in it
    for now, cost, reply in trace:
        number = now // window
        before = used.get(number, 0)
        if before + cost <= limit:
            used[number] = before + cost
            assert reply == [1, limit - before - cost, 0, now]
        else:  # refused until the window ends, and waiting exactly that long is enough
            assert reply == [0, limit - before, (number + 1) * window - now, now]
    assert all(total <= limit for total in used.values())


@real_time
@given(limit=st.integers(1, 4), window_ms=st.integers(20, 50), steps=steps)
def test_every_decision_follows_the_definition_on_the_servers_clock(script, play, limit, window_ms, steps):
    trace = play(script(NAME), [f"t:{uuid.uuid4()}"], limit, window_ms * 1000, steps)
    check_against_definition(trace, limit, window_ms * 1000)


def test_8_threads_x_500_requests_in_one_window_admit_exactly_the_limit(client, hammer, fresh_window):
    limiter = RedisLimiter(client, NAME, limit=1000, window=30)
    window = fresh_window(30, need=5)
    decisions = hammer(limiter, "tenant:7")
    assert fresh_window(30, need=0) == window, "the burst crossed a window boundary"
    admitted = [d for d in decisions if d.allowed]
    assert len(admitted) == 1000
    assert sorted(d.remaining for d in admitted) == list(range(1000))  # no two saw the same count
    assert all(d.remaining == 0 and 0 < d.retry_after <= 30 for d in decisions if not d.allowed)


def test_the_key_gets_a_ttl_that_ends_with_its_window(client, script, fresh_window):
    key = "ratelimit:fixed_window:{user:1}"
    fresh_window(10, need=1)
    _, _, _, now = script(NAME)([key], [5, 10_000_000, 1])
    window_end = (now // 10_000_000 + 1) * 10_000_000
    assert 0 < client.pttl(key) <= math.ceil((window_end - now) / 1000)
    client.delete(key)
    refused_limit = script(NAME)([key], [1, 10_000_000, 1]), script(NAME)([key], [1, 10_000_000, 1])
    assert [reply[0] for reply in refused_limit] == [1, 0]
    assert client.pttl(key) > 0  # a refusal writes nothing, and the TTL stays


def test_window_numbers_are_stored_with_all_16_digits(client, script):
    # A 1 µs window makes the window number equal to the time in microseconds: 16 digits,
    # which tostring() in Lua would print as 1.7953293914541e+15.
    # Its key lives 1 ms, so read it in the same MULTI/EXEC transaction as the script.
    key = "ratelimit:fixed_window:{precise}"
    together = client.pipeline(transaction=True)
    script(NAME)([key], [1, 1, 1], client=together)
    (_, _, _, now), stored = together.hgetall(key).execute()
    assert len(str(now)) == 16
    assert stored == {"w": str(now), "n": "1"}


def test_the_script_also_runs_as_a_redis_7_function(client, script):
    # The same body, registered in a library: FUNCTION LOAD needs the `#!lua name=` line.
    body = script(NAME).script
    library = f"#!lua name=ratelimit\nredis.register_function('fixed_window', function(KEYS, ARGV)\n{body}\nend)\n"
    with pytest.raises(redis.ResponseError, match="Missing library metadata"):
        client.function_load(library.split("\n", 1)[1])
    assert client.function_load(library) == "ratelimit"
    key = "ratelimit:fixed_window:{fcall}"
    assert client.fcall("fixed_window", 1, key, 2, 60_000_000, 1)[:3] == [1, 1, 0]
    client.script_flush()  # empties the script cache, not the function libraries
    assert client.fcall("fixed_window", 1, key, 2, 60_000_000, 1)[:3] == [1, 0, 0]
    assert client.fcall("fixed_window", 1, key, 2, 60_000_000, 1)[0] == 0


def test_function_libraries_survive_a_restart_but_the_script_cache_does_not(start_redis, connect, tmp_path, script):
    sha = script(NAME).sha
    body = script(NAME).script
    library = f"#!lua name=ratelimit\nredis.register_function('fixed_window', function(KEYS, ARGV)\n{body}\nend)\n"
    with start_redis(directory=tmp_path) as server:
        before = connect(server.port)
        before.function_load(library)
        before.script_load(body)
        before.save()  # the RDB snapshot holds the libraries
        before.close()
    with start_redis(directory=tmp_path) as server:
        after = connect(server.port)
        assert [dict(zip(lib[::2], lib[1::2]))["library_name"] for lib in after.function_list()] == ["ratelimit"]
        assert after.script_exists(sha) == [False]
        after.close()
