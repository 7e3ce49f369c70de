"""sliding_window_counter.lua on a real Redis: Cloudflare's formula on the server's clock, two keys in one slot."""

import math
import socket
import time
import uuid

import pytest
import redis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from redis.cluster import RedisCluster
from redis.crc import key_slot

from rate_limiting.distributed.redis_limiter import RedisLimiter

NAME = "sliding_window_counter"  # snippets/rate_limiting/distributed/sliding_window_counter.lua

steps = st.lists(st.tuples(st.integers(0, 12), st.integers(1, 4)), min_size=1, max_size=25)  # (pause ms, cost)
real_time = settings(max_examples=12, suppress_health_check=[HealthCheck.function_scoped_fixture])


def fits(previous, current, elapsed, window, limit, cost):
    """The published rule, in the script's order of operations (the same IEEE doubles as Lua)."""
    return previous * ((window - elapsed) / window) + current + cost <= limit


def check_against_definition(trace, limit, window):
    counts = {}  # fixed window number -> cost admitted in it

    def would_fit(at, cost):  # with the counts as they are now, would `cost` pass at time `at`?
        number = at // window
        return fits(counts.get(number - 1, 0), counts.get(number, 0), at - number * window, window, limit, cost)

    for now, cost, reply in trace:
        number, elapsed = divmod(now, window)
        previous, current = counts.get(number - 1, 0), counts.get(number, 0)
        allowed = fits(previous, current, elapsed, window, limit, cost)
        if allowed:
            counts[number] = current = current + cost
        estimate = previous * ((window - elapsed) / window) + current
        assert reply[0] == allowed and reply[1] == max(0, math.floor(limit - estimate)) and reply[3] == now
        if allowed:
            assert reply[2] == 0
        else:  # waiting retry_after is enough, and a microsecond less is not
            assert would_fit(now + reply[2], cost) and not would_fit(now + reply[2] - 1, cost)
    assert all(total <= limit for total in counts.values())  # what it does guarantee: each fixed window


@settings(real_time)
@given(limit=st.integers(1, 4), window_ms=st.integers(20, 50), steps=steps)
def test_every_decision_follows_the_formula_on_the_servers_clock(client, script, play, limit, window_ms, steps):
    keys = RedisLimiter(client, NAME, limit, window_ms / 1000).keys(f"t:{uuid.uuid4()}")
    trace = play(script(NAME), keys, limit, window_ms * 1000, steps)
    check_against_definition(trace, limit, window_ms * 1000)


def test_8_threads_x_500_requests_in_one_window_admit_exactly_the_limit(client, hammer, fresh_window):
    limiter = RedisLimiter(client, NAME, limit=1000, window=30)
    window = fresh_window(30, need=5)
    decisions = hammer(limiter, "tenant:7")
    assert fresh_window(30, need=0) == window, "the burst crossed a window boundary"
    admitted = [d for d in decisions if d.allowed]
    assert len(admitted) == 1000  # a new key has no previous window: the estimate is the plain count
    assert sorted(d.remaining for d in admitted) == list(range(1000))
    assert all(0 < d.retry_after <= 60 for d in decisions if not d.allowed)


def test_the_previous_window_fades_and_retry_after_crosses_into_the_next_window(client, script, fresh_window):
    # 300 ms windows: fill one window, then ask again early in the next one.
    keys = ["ratelimit:sliding_window_counter:{fade}:even", "ratelimit:sliding_window_counter:{fade}:odd"]
    run = script(NAME)
    fresh_window(0.3, need=0.25)
    assert [run(keys, [4, 300_000, 1])[0] for _ in range(5)] == [1, 1, 1, 1, 0]
    refused = run(keys, [4, 300_000, 1])
    number, elapsed = divmod(refused[3], 300_000)
    # 4 in this window: wait for the next one, and in it until 4 × (1 − e/300 ms) + 1 <= 4, e >= 75 ms
    assert refused[2] == 300_000 - elapsed + 75_000
    time.sleep(refused[2] / 1_000_000)
    assert run(keys, [4, 300_000, 1])[0] == 1


def test_the_current_key_outlives_the_next_window_and_stores_exact_numbers(client, script, server_now):
    keys = ["ratelimit:sliding_window_counter:{ttl}:even", "ratelimit:sliding_window_counter:{ttl}:odd"]
    # A 1 µs window: the window number is the time itself. Its key lives 1 ms, so read it in the same
    # MULTI/EXEC transaction as the script.
    together = client.pipeline(transaction=True)
    script(NAME)(keys, [5, 1, 1], client=together)
    (_, _, _, now), *hashes = together.hgetall(keys[0]).hgetall(keys[1]).execute()
    assert hashes[now % 2] == {"w": str(now), "n": "1"}
    _, _, _, now = script(NAME)(keys, [5, 10_000_000, 1])
    number = now // 10_000_000
    current = keys[number % 2]
    ttl, later = client.pttl(current), server_now(client)
    needed = (number + 2) * 10_000_000  # the end of the next window, when this count stops mattering
    assert (needed - later) // 1000 - 1 <= ttl <= math.ceil((needed - now) / 1000)


@pytest.mark.parametrize("key", ["user:42", "203.0.113.9", "tenant:acme:search"])
def test_both_keys_of_one_limit_share_a_cluster_slot(client, key):
    limiter = RedisLimiter(client, NAME, limit=10, window=60)
    even, odd = limiter.keys(key)
    assert key_slot(even.encode()) == key_slot(odd.encode())
    without_tag = [name.replace("{", "").replace("}", "") for name in (even, odd)]
    assert key_slot(without_tag[0].encode()) != key_slot(without_tag[1].encode())


def test_on_redis_cluster_the_hash_tag_is_what_makes_the_script_run(start_redis, connect):
    with socket.socket() as probe:  # the cluster bus port defaults to port + 10000, which may be above 65535
        probe.bind(("127.0.0.1", 0))
        bus = str(probe.getsockname()[1])
    with start_redis("--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-port", bus) as server:
        node = connect(server.port)
        node.execute_command("CLUSTER", "ADDSLOTSRANGE", 0, 16383)  # one node that owns every slot
        deadline = time.monotonic() + 20
        while node.cluster("INFO")["cluster_state"] != "ok" and time.monotonic() < deadline:
            time.sleep(0.05)
        untagged = ["ratelimit:swc:user:42:even", "ratelimit:swc:user:42:odd"]
        with pytest.raises(redis.ResponseError, match="hash to the same slot"):
            node.eval("return 1", 2, *untagged)
        cluster = RedisCluster(host="127.0.0.1", port=server.port, socket_timeout=5, decode_responses=True)
        limiter = RedisLimiter(cluster, NAME, limit=3, window=60)
        assert [limiter.acquire("user:42").allowed for _ in range(4)] == [True, True, True, False]
        cluster.close()
        node.close()
