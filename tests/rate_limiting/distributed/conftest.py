"""Helpers for the Redis limiters: a client with timeouts, the raw scripts, traces and 8-thread bursts."""

import threading
import time
from pathlib import Path

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

DISTRIBUTED = Path(__file__).parents[3] / "snippets" / "rate_limiting" / "distributed"


def connect(port: int, **options) -> redis.Redis:
    """A client the way the page recommends: short timeouts, one immediate retry."""
    options = {"socket_timeout": 5, "socket_connect_timeout": 5, "retry": Retry(NoBackoff(), 1), **options}
    return redis.Redis(port=port, decode_responses=True, **options)


def server_now(client: redis.Redis) -> int:
    seconds, micros = client.time()
    return seconds * 1_000_000 + micros


@pytest.fixture(name="connect")
def connect_fixture():
    """connect(port, **options): a client the way the page recommends (timeouts, one quick retry)."""
    return connect


@pytest.fixture(name="server_now")
def server_now_fixture():
    """server_now(client): Redis's TIME in microseconds, the clock every script decides by."""
    return server_now


@pytest.fixture
def client(redis_server):
    client = connect(redis_server.port)
    client.flushall()
    yield client
    client.close()


@pytest.fixture
def script(client):
    """The raw script: call it with (keys, [limit, window_us, cost]) to see the server time it used."""

    def load(name: str):
        return client.register_script((DISTRIBUTED / f"{name}.lua").read_text())

    return load


@pytest.fixture
def play():
    """Send `steps` of (pause in ms, cost) to a raw script; return [(now_us, cost, reply)]."""

    def run(script, keys, limit, window_us, steps):
        trace = []
        for pause_ms, cost in steps:
            time.sleep(pause_ms / 1000)
            reply = script(keys, [limit, window_us, min(cost, limit)])
            trace.append((reply[3], min(cost, limit), reply))
        return trace

    return run


@pytest.fixture
def fresh_window(client):
    """Wait, if needed, until at least `need` seconds are left in the current fixed window.

    Returns the window number, so a test can check afterwards that it never crossed a boundary.
    """

    def wait(window: float, need: float) -> int:
        window_us = round(window * 1_000_000)
        now = server_now(client)
        left = window_us - now % window_us
        if left < need * 1_000_000:
            time.sleep(left / 1_000_000 + 0.01)
            now = server_now(client)
        return now // window_us

    return wait


@pytest.fixture
def hammer():
    """8 threads × 500 acquires on one key, released together; returns every Decision."""

    def run(limiter, key: str, threads: int = 8, each: int = 500):
        decisions = []
        lock = threading.Lock()
        start = threading.Barrier(threads)

        def work():
            start.wait()
            mine = [limiter.acquire(key) for _ in range(each)]
            with lock:
                decisions.extend(mine)

        workers = [threading.Thread(target=work) for _ in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        assert len(decisions) == threads * each
        return decisions

    return run
