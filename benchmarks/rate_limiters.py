"""Decisions per second for every rate limiter on the site, side by side in one run.

Starts its own Redis on a free loopback port, measures each variant with one thread and with four,
repeats the whole round several times in interleaved order, and writes the medians as a Markdown
table to docs/includes/benchmarks/rate-limiting.md, which the rate limiting overview embeds.

    make bench          # or: .venv/bin/python benchmarks/rate_limiters.py --seconds 0.5 --repeats 9
"""

import argparse
import datetime
import itertools
import statistics
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import limits
import redis

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "snippets"), str(ROOT / "tests")]

from conftest import redis_answers, redis_command, running_server  # noqa: E402
from rate_limiting.distributed.naive_fixed_window import is_rate_limited  # noqa: E402
from rate_limiting.distributed.redis_limiter import RedisLimiter  # noqa: E402
from rate_limiting.fixed_window import FixedWindow  # noqa: E402
from rate_limiting.gcra import GCRA  # noqa: E402
from rate_limiting.leaky_bucket import LeakyBucketMeter, LeakyBucketQueue  # noqa: E402
from rate_limiting.sliding_window_counter import SlidingWindowCounter  # noqa: E402
from rate_limiting.sliding_window_log import SlidingWindowLog  # noqa: E402
from rate_limiting.token_bucket import TokenBucket  # noqa: E402
from report import machine  # noqa: E402

OUTPUT = ROOT / "docs" / "includes" / "benchmarks" / "rate-limiting.md"
LIMIT, WINDOW = 1_000_000, 1  # generous, so that every variant measures its admitting path
KEYS = [f"client:{n}" for n in range(1_000)]


class CountingConnection(redis.Connection):
    """Counts request/response exchanges: every command or pipeline is one packed write."""

    sent = 0
    _lock = threading.Lock()

    def send_packed_command(self, command, check_health=True):
        with CountingConnection._lock:
            CountingConnection.sent += 1
        return super().send_packed_command(command, check_health)


@dataclass
class Variant:
    name: str
    family: str  # "in-process", "redis", "naive", "limits" or "ceiling"
    kind: str  # which algorithm, to pair each Redis script with its `limits` peer
    make: Callable[[], Callable[[], object]]  # returns one decision function, shared by all threads


def keyed(decide: Callable[[str], object]) -> Callable[[], object]:
    keys = itertools.cycle(KEYS)
    return lambda: decide(next(keys))


def in_process_variants() -> list[Variant]:
    def make(factory):
        return lambda: factory().acquire

    return [
        Variant("Token bucket", "in-process", "token bucket", make(lambda: TokenBucket(LIMIT, LIMIT / WINDOW))),
        Variant("Leaky bucket (meter)", "in-process", "leaky meter", make(lambda: LeakyBucketMeter(LIMIT, LIMIT / WINDOW))),
        Variant("Leaky bucket (queue)", "in-process", "leaky queue", make(lambda: LeakyBucketQueue(LIMIT, LIMIT / WINDOW))),
        Variant("Fixed window", "in-process", "fixed window", make(lambda: FixedWindow(LIMIT, WINDOW))),
        Variant("Sliding window log", "in-process", "sliding log", make(lambda: SlidingWindowLog(LIMIT, WINDOW))),
        Variant("Sliding window counter", "in-process", "sliding counter", make(lambda: SlidingWindowCounter(LIMIT, WINDOW))),
        Variant("GCRA", "in-process", "gcra", make(lambda: GCRA(LIMIT / WINDOW, LIMIT))),
    ]


def redis_variants(client: redis.Redis) -> list[Variant]:
    def script(name: str):
        return lambda: keyed(RedisLimiter(client, name, LIMIT, WINDOW).acquire)

    def peer(strategy):
        def make():
            storage = limits.storage.RedisStorage("redis://", connection_pool=client.connection_pool)
            limiter, item = strategy(storage), limits.RateLimitItemPerSecond(LIMIT, WINDOW)
            return keyed(lambda key: limiter.hit(item, key))

        return make

    strategies = limits.strategies
    return [
        Variant("Fixed window (Lua)", "redis", "fixed window", script("fixed_window")),
        Variant("Sliding window log (Lua)", "redis", "sliding log", script("sliding_window_log")),
        Variant("Sliding window counter (Lua)", "redis", "sliding counter", script("sliding_window_counter")),
        Variant("GCRA (Lua)", "redis", "gcra", script("gcra")),
        Variant("Naive INCR then EXPIRE", "naive", "fixed window", lambda: keyed(lambda key: is_rate_limited(client, key, LIMIT, WINDOW))),
        Variant("`limits` fixed window", "limits", "fixed window", peer(strategies.FixedWindowRateLimiter)),
        Variant("`limits` moving window", "limits", "sliding log", peer(strategies.MovingWindowRateLimiter)),
        Variant("`limits` sliding window counter", "limits", "sliding counter", peer(strategies.SlidingWindowCounterRateLimiter)),
        Variant("Redis PING", "ceiling", "ping", lambda: client.ping),
    ]


def rate(decide: Callable[[], object], threads: int, seconds: float) -> float:
    """Decisions per second made by `threads` threads calling `decide` for `seconds`."""
    counts = [0] * threads
    errors: list[Exception] = []
    start = threading.Barrier(threads + 1)
    stop = threading.Event()

    def worker(slot: int) -> None:
        start.wait()
        done = 0
        try:
            while True:  # at least one batch, even if the thread is first scheduled after the stop
                for _ in range(50):
                    decide()
                done += 50
                if stop.is_set():
                    break
        except Exception as error:  # raised below: a thread that died must not count as a slow one
            errors.append(error)
        counts[slot] = done

    workers = [threading.Thread(target=worker, args=(slot,)) for slot in range(threads)]
    for thread in workers:
        thread.start()
    start.wait()
    began = time.perf_counter()
    time.sleep(seconds)
    stop.set()
    for thread in workers:
        thread.join()
    if errors:
        raise errors[0]
    return sum(counts) / (time.perf_counter() - began)


def round_trips(decide: Callable[[], object], client: redis.Redis, decisions: int = 2_000) -> tuple[float, float]:
    """(exchanges counted by the client, EVAL/EVALSHA calls counted by INFO commandstats) per decision."""
    client.flushall()  # `limits` names its fixed and moving window keys alike
    client.config_resetstat()
    before = CountingConnection.sent
    for _ in range(decisions):
        decide()
    sent = CountingConnection.sent - before - 1  # CONFIG RESETSTAT is not a decision
    stats = client.info("commandstats")
    scripts = sum(stats.get(f"cmdstat_{name}", {}).get("calls", 0) for name in ("eval", "evalsha"))
    return sent / decisions, scripts / decisions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=0.5, help="length of one measurement")
    parser.add_argument("--repeats", type=int, default=9, help="rounds; the table shows medians")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args()

    with running_server("redis", redis_command(), ready=redis_answers) as server:
        pool = redis.ConnectionPool(port=server.port, connection_class=CountingConnection, socket_timeout=5)
        client = redis.Redis(connection_pool=pool)
        version = client.info("server")["redis_version"]
        variants = in_process_variants() + redis_variants(client)
        decide = {variant.name: variant.make() for variant in variants}
        trips = {v.name: round_trips(decide[v.name], client) for v in variants if v.family != "in-process"}
        results: dict[tuple[str, int], list[float]] = {}
        for round_number in range(args.repeats):
            for variant in variants:
                for threads in (1, 4):
                    client.flushall()
                    decide[variant.name] = variant.make()
                    results.setdefault((variant.name, threads), []).append(rate(decide[variant.name], threads, args.seconds))
            print(f"round {round_number + 1}/{args.repeats} done", file=sys.stderr)
    medians = {key: statistics.median(values) for key, values in results.items()}
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(table(variants, medians, trips, version, args))
    print(args.output.read_text())


def table(variants, medians, trips, version, args) -> str:
    ping = medians[("Redis PING", 1)]
    peers = {v.kind: medians[(v.name, 1)] for v in variants if v.family == "limits"}
    lines = [
        "| Variant | Decisions/s, 1 thread | Decisions/s, 4 threads | Round trips per decision | vs. PING | vs. `limits` |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for v in variants:
        one, four = medians[(v.name, 1)], medians[(v.name, 4)]
        sent, scripts = trips.get(v.name, (None, None))
        trip = "none" if sent is None else f"{sent:.2f}" + (f" ({scripts:.2f} EVALSHA)" if scripts else "")
        vs_ping = "" if v.family == "in-process" else f"{one / ping:.0%}"
        vs_peer = f"{one / peers[v.kind]:.2f}×" if v.family == "redis" and v.kind in peers else ""
        lines.append(f"| {v.name} | {one:,.0f} | {four:,.0f} | {trip} | {vs_ping} | {vs_peer} |")
    today = datetime.date.today().isoformat()
    lines += [
        "",
        f"Measured {today} on {machine()}, against Redis {version} on loopback, with redis-py {redis.__version__}"
        f" and `limits` {limits.__version__}. Medians of {args.repeats} interleaved rounds of {args.seconds:g} s each;"
        " Redis variants rotate over 1,000 keys. Produced by `benchmarks/rate_limiters.py`.",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
