"""redis_limiter.py: one EVALSHA per decision, recovery from NOSCRIPT, the outage policy, bad input."""

import concurrent.futures
import logging
import math
import os
import signal
from pathlib import Path

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from rate_limiting.decision import Decision
from rate_limiting.distributed.redis_limiter import SCRIPTS, RedisLimiter

SNIPPET = Path(__file__).parents[3] / "snippets" / "rate_limiting" / "distributed" / "redis_limiter.py"
# the commands each script runs inside Redis; INFO commandstats counts them as well as EVALSHA
INSIDE_SCRIPTS = {"time", "hmget", "hset", "pexpire", "zremrangebyscore", "zcard", "zrange", "zadd", "get", "set"}


def test_usage_prints_what_the_page_shows(run_snippet, redis_server, monkeypatch):
    monkeypatch.setenv("REDIS_URL", f"redis://127.0.0.1:{redis_server.port}/0")
    assert run_snippet(SNIPPET) == SNIPPET.with_suffix(".out").read_text()


@pytest.mark.parametrize("name", SCRIPTS)
def test_each_decision_is_one_evalsha_round_trip(client, name):
    limiter = RedisLimiter(client, name, limit=5, window=60)
    limiter.acquire("warm-up")  # the first call loads the script (NOSCRIPT, SCRIPT LOAD, EVALSHA)
    client.config_resetstat()
    decisions = [limiter.acquire("user:1") for _ in range(8)]
    stats = {name.removeprefix("cmdstat_"): value["calls"] for name, value in client.info("commandstats").items()}
    stats.pop("config|resetstat")
    assert [d.allowed for d in decisions] == [True] * 5 + [False] * 3
    assert stats.pop("evalsha") == 8
    assert stats.pop("time") == 8  # each run reads the server clock exactly once
    assert set(stats) <= INSIDE_SCRIPTS  # nothing else came from the client


def test_a_flushed_script_cache_is_reloaded_and_the_decision_still_made(client):
    limiter = RedisLimiter(client, "gcra", limit=2, window=60)
    assert limiter.acquire("user:1").allowed
    client.script_flush()  # what a restart or a failover to a replica does to the cache
    client.config_resetstat()
    assert limiter.acquire("user:1") == Decision(True, 0, 0.0)
    stats = client.info("commandstats")
    assert stats["cmdstat_evalsha"]["calls"] == 2 and stats["cmdstat_evalsha"]["failed_calls"] == 1  # NOSCRIPT
    assert stats["cmdstat_script|load"]["calls"] == 1
    assert not limiter.acquire("user:1").allowed  # the state survived: only the script cache was lost


def test_lua_tostring_keeps_14_digits_while_format_and_redis_call_keep_all_16(client):
    now = "1712345678123456"  # a time in microseconds
    assert client.eval("return tostring(tonumber(ARGV[1]))", 0, now) == "1.7123456781235e+15"
    assert client.eval("return 'w' .. tonumber(ARGV[1])", 0, now) == "w1.7123456781235e+15"
    assert client.eval("return string.format('%d', tonumber(ARGV[1]))", 0, now) == now
    stored = "redis.call('SET', KEYS[1], tonumber(ARGV[1])) return redis.call('GET', KEYS[1])"
    assert client.eval(stored, 1, "n", now) == now  # number arguments of redis.call convert exactly


def test_keys_carry_the_limited_key_as_a_hash_tag(client):
    assert RedisLimiter(client, "fixed_window", 5, 60).keys("user:42") == ["ratelimit:fixed_window:{user:42}"]
    assert RedisLimiter(client, "sliding_window_counter", 5, 60).keys("10.0.0.1") == [
        "ratelimit:sliding_window_counter:{10.0.0.1}:even",
        "ratelimit:sliding_window_counter:{10.0.0.1}:odd",
    ]


def test_limits_on_different_keys_are_independent(client):
    limiter = RedisLimiter(client, "fixed_window", limit=1, window=60)
    assert [limiter.acquire(key).allowed for key in ("a", "b", "a")] == [True, True, False]


@pytest.mark.parametrize(
    ("name", "bad"),
    [
        *[("limit", bad) for bad in (0, -1, 2**50 + 1)],
        *[("window", bad) for bad in (0, -1, math.nan, math.inf, 1e-7, 2**50)],
        *[("script", bad) for bad in ("token_bucket", "")],
        *[("on_redis_error", bad) for bad in ("fail", None, "OPEN")],
    ],
)
def test_nonsense_settings_are_rejected_by_name(client, name, bad):
    arguments = {"script": "fixed_window", "limit": 10, "window": 60, name: bad}
    with pytest.raises(ValueError, match=name):
        RedisLimiter(client, **arguments)


@pytest.mark.parametrize(("name", "bad"), [("limit", 2.5), ("limit", "10"), ("limit", True), ("window", "60")])
def test_wrong_types_are_rejected_by_name(client, name, bad):
    arguments = {"script": "fixed_window", "limit": 10, "window": 60, name: bad}
    with pytest.raises(TypeError, match=name):
        RedisLimiter(client, **arguments)


@pytest.mark.parametrize("bad", [0, -1, 11, 1.5, True])
def test_nonsense_costs_are_rejected_by_name(client, bad):
    limiter = RedisLimiter(client, "fixed_window", limit=10, window=60)
    with pytest.raises((ValueError, TypeError), match="cost"):
        limiter.acquire("user:1", cost=bad)


@pytest.mark.parametrize("bad", ["", "a{b", "a}b", "}", None, 42])
def test_keys_that_would_break_the_hash_tag_are_rejected(client, bad):
    limiter = RedisLimiter(client, "sliding_window_counter", limit=10, window=60)
    with pytest.raises(ValueError, match="key"):
        limiter.acquire(bad)


def test_a_client_without_a_socket_timeout_is_rejected(redis_server):
    with pytest.raises(ValueError, match="client needs a socket_timeout"):
        RedisLimiter(redis.Redis(port=redis_server.port), "fixed_window", limit=10, window=60)


def test_the_default_policy_is_fail_open(client):
    assert RedisLimiter(client, "gcra", limit=10, window=60).on_redis_error == "open"


@pytest.mark.parametrize(
    ("policy", "during_outage"),
    [("open", Decision(True, 0, 0.0)), ("closed", Decision(False, 0, 1.0))],
)
def test_a_stopped_redis_yields_the_chosen_policy(start_redis, connect, caplog, policy, during_outage):
    with start_redis() as server:
        limiter = RedisLimiter(connect(server.port), "fixed_window", limit=1, window=60, on_redis_error=policy)
        assert [limiter.acquire("user:1").allowed for _ in range(2)] == [True, False]  # Redis decides
        server.process.terminate()
        server.process.wait(10)
        with caplog.at_level(logging.WARNING):
            assert limiter.acquire("user:1") == during_outage
        assert f"rate limiter failing {policy}" in caplog.text


@pytest.mark.parametrize("policy", ["open", "closed"])
def test_a_frozen_redis_times_out_instead_of_hanging(start_redis, connect, policy):
    # SIGSTOP: the kernel still accepts connections, but nothing ever answers.
    with start_redis() as server:
        client = connect(server.port, socket_timeout=0.2, socket_connect_timeout=0.2)
        limiter = RedisLimiter(client, "sliding_window_log", limit=1, window=60, on_redis_error=policy)
        assert limiter.acquire("user:1").allowed
        os.kill(server.process.pid, signal.SIGSTOP)
        try:
            with concurrent.futures.ThreadPoolExecutor(1) as pool:
                decision = pool.submit(limiter.acquire, "user:1").result(timeout=30)  # a hang fails here
        finally:
            os.kill(server.process.pid, signal.SIGCONT)
        assert decision.allowed == (policy == "open")


def test_redis_py_default_retries_sleep_between_attempts_and_the_page_client_does_not(start_redis, monkeypatch):
    slept = []
    monkeypatch.setattr("redis.retry.sleep", slept.append)
    with start_redis() as server:
        default = redis.Redis(port=server.port, socket_timeout=0.2)  # retry left at redis-py's default
        quick = redis.Redis(port=server.port, socket_timeout=0.2, retry=Retry(NoBackoff(), 1))
        limiters = [RedisLimiter(client, "fixed_window", limit=5, window=60) for client in (default, quick)]
        server.process.terminate()
        server.process.wait(10)
        assert limiters[0].acquire("user:1").allowed  # failed open, but only after backoff sleeps
        assert len(slept) >= 3 and all(0 <= seconds <= 10 for seconds in slept)
        slept.clear()
        assert limiters[1].acquire("user:1").allowed
        assert slept == []
