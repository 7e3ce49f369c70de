"""The notes' INCR-then-EXPIRE limiter (naive_fixed_window.py), proved wrong the way the page says."""

import pytest
import redis

from rate_limiting.distributed.naive_fixed_window import is_rate_limited


class CrashBeforeExpire(redis.Redis):
    """A client whose process dies right after INCR: the EXPIRE is never sent."""

    def expire(self, *args, **kwargs):
        raise SystemExit("killed between INCR and EXPIRE")


def test_it_does_limit_when_nothing_goes_wrong(client):
    clock = lambda: 1_000_000.0  # noqa: E731
    assert [is_rate_limited(client, "u1", 3, 60, clock) for _ in range(4)] == [False, False, False, True]
    assert 0 < client.ttl("rate_limit:u1:16666") <= 60


def test_a_crash_between_incr_and_expire_leaves_a_key_that_never_expires(redis_server):
    crashing = CrashBeforeExpire(port=redis_server.port, decode_responses=True)
    with pytest.raises(SystemExit):
        is_rate_limited(crashing, "u2", 3, 60)
    [key] = crashing.keys("rate_limit:u2:*")
    assert crashing.ttl(key) == -1  # no TTL
    healthy = redis.Redis(port=redis_server.port, decode_responses=True)
    for _ in range(5):
        is_rate_limited(healthy, "u2", 3, 60)  # later calls see count > 1 and never set one either
    assert healthy.ttl(key) == -1
    healthy.delete(key)


def test_each_server_counts_by_its_own_clock(client):
    # Two application servers 1 s apart, at 11:59:59.5 by one and 12:00:00.5 by the other:
    # they pick different windows, so together they admit twice the limit at the same moment.
    boundary = 60 * 28_800_000
    server_a, server_b = (lambda: boundary - 0.5), (lambda: boundary + 0.5)
    admitted = sum(not is_rate_limited(client, "u3", 5, 60, clock) for clock in [server_a, server_b] * 10)
    assert admitted == 10
    assert len(client.keys("rate_limit:u3:*")) == 2


def test_it_costs_two_round_trips_when_a_window_starts(client):
    client.config_resetstat()
    is_rate_limited(client, "u4", 3, 60)
    stats = {name: value["calls"] for name, value in client.info("commandstats").items()}
    stats.pop("cmdstat_config|resetstat")
    assert stats == {"cmdstat_incrby": 1, "cmdstat_expire": 1}  # redis-py sends INCR as INCRBY key 1


def test_the_fix_without_lua_is_one_transaction_with_expire_nx(client):
    # Redis 7 EXPIRE ... NX sets a TTL only where there is none; MULTI/EXEC sends both at once.
    pipe = client.pipeline(transaction=True)
    pipe.incr("rate_limit:u5:1")
    pipe.expire("rate_limit:u5:1", 60, nx=True)
    assert pipe.execute() == [1, True]
    client.persist("rate_limit:u5:1")  # even a key that somehow lost its TTL gets one back
    pipe.incr("rate_limit:u5:1")
    pipe.expire("rate_limit:u5:1", 60, nx=True)
    assert pipe.execute() == [2, True]
    pipe.incr("rate_limit:u5:1")
    pipe.expire("rate_limit:u5:1", 60, nx=True)
    assert pipe.execute() == [3, False]  # an existing TTL is left alone
    assert 0 < client.ttl("rate_limit:u5:1") <= 60
