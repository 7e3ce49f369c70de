"""asgi_middleware.py through a real uvicorn server on loopback, with a real HTTP client (httpx)."""

import asyncio
import contextlib
import json
import math
import re
import socket
import threading
import time
import tracemalloc
from pathlib import Path

import httpx
import pytest
import redis
import uvicorn
from hypothesis import example, given, settings
from hypothesis import strategies as st
from redis.backoff import NoBackoff
from redis.retry import Retry

from fake_clock import FakeClock
from rate_limiting.asgi_middleware import PerKeyLimiter, RateLimitMiddleware, client_address
from rate_limiting.decision import Decision
from rate_limiting.distributed.redis_limiter import RedisLimiter
from rate_limiting.fixed_window import FixedWindow
from rate_limiting.gcra import GCRA
from rate_limiting.leaky_bucket import LeakyBucketQueue
from rate_limiting.sliding_window_counter import SlidingWindowCounter
from rate_limiting.sliding_window_log import SlidingWindowLog
from rate_limiting.token_bucket import TokenBucket

SNIPPET = Path(__file__).parents[2] / "snippets" / "rate_limiting" / "asgi_middleware.py"


def frozen() -> float:
    return 0.0  # a clock that never moves: buckets never refill during a test


# ---------------------------------------------------------------- a real server and real clients


@contextlib.contextmanager
def serving(app, **options):
    """Run `app` under uvicorn in a thread, on a socket bound to a free loopback port; always stop it."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    options = {"lifespan": "off", "log_level": "warning", "forwarded_allow_ips": "127.0.0.1", **options}
    server = uvicorn.Server(uvicorn.Config(app, **options))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError("uvicorn stopped before it started (see the log above)")
            if time.monotonic() > deadline:
                raise TimeoutError("uvicorn did not start within 10 s")
            time.sleep(0.01)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
        assert not thread.is_alive(), "uvicorn did not stop"


def client(base_url: str, source: str = "127.0.0.1") -> httpx.Client:
    # trust_env=False: no proxy from the environment between the test and loopback
    transport = httpx.HTTPTransport(local_address=source)
    return httpx.Client(base_url=base_url, transport=transport, trust_env=False, timeout=10)


def get_all(base_url: str, count: int, **request) -> list[httpx.Response]:
    """`count` requests sent at the same moment, each on its own connection."""

    async def burst():
        limits = httpx.Limits(max_connections=count)
        async with httpx.AsyncClient(base_url=base_url, limits=limits, trust_env=False, timeout=10) as http:
            return await asyncio.gather(*(http.get("/", **request) for _ in range(count)))

    return asyncio.run(burst())


async def hello(scope, receive, send):
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": scope["client"][0].encode()})


def buckets(capacity: int, max_keys: int = 10_000) -> PerKeyLimiter:
    """A bucket per key, refilled in 10 s, on a frozen clock."""
    return PerKeyLimiter(lambda: TokenBucket(capacity, refill_rate=capacity / 10, clock=frozen), max_keys)


def limited(app, limiter, quota: int, **options) -> RateLimitMiddleware:
    return RateLimitMiddleware(app, limiter.acquire, quota=quota, window=10, **options)


# ---------------------------------------------------------------- what the page shows


def test_usage_prints_what_the_page_shows(run_snippet):
    assert run_snippet(SNIPPET) == SNIPPET.with_suffix(".out").read_text()


def test_a_burst_gets_exactly_the_quota_then_429s_with_the_draft_fields():
    with serving(limited(hello, buckets(5), quota=5)) as url, client(url) as http:
        responses = [http.get("/") for _ in range(8)]
    assert [r.status_code for r in responses] == [200] * 5 + [429] * 3
    assert [r.headers["ratelimit"] for r in responses[:5]] == [f'"default";r={n}' for n in (4, 3, 2, 1, 0)]
    assert all(r.headers["ratelimit-policy"] == '"default";q=5;w=10' for r in responses)
    assert "retry-after" not in responses[0].headers
    refused = responses[-1]
    # the bucket refills 0.5 token/s and the clock stands still: one token is 2 s away
    assert refused.headers["retry-after"] == "2"
    assert refused.headers["ratelimit"] == '"default";r=0;t=2'
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.headers["cache-control"] == "no-store"
    assert refused.json() == {
        "type": "https://iana.org/assignments/http-problem-types#quota-exceeded",
        "title": "Too Many Requests",
        "status": 429,
        "detail": "Quota exceeded: retry after 2 s.",
        "violated-policies": ["default"],
    }


def test_simultaneous_requests_are_admitted_exactly_up_to_the_capacity():
    with serving(limited(hello, buckets(10), quota=10)) as url:
        statuses = sorted(r.status_code for r in get_all(url, 40))
    assert statuses == [200] * 10 + [429] * 30


def test_retry_after_is_whole_seconds_rounded_up_and_at_least_one():
    # The key is the path, and this decide refuses with the number of seconds the path names.
    def decide(key: str) -> Decision:
        return Decision(False, 0, float(key.strip("/")))

    cases = {0.0: "1", 0.2: "1", 1.0: "1", 1.01: "2", 59.5: "60", 3600.0: "3600"}
    app = RateLimitMiddleware(hello, decide, quota=1, window=1, key=lambda scope: scope["path"])
    with serving(app) as url, client(url) as http:
        responses = {seconds: http.get(f"/{seconds}") for seconds in cases}
    assert {seconds: r.status_code for seconds, r in responses.items()} == dict.fromkeys(cases, 429)
    assert {seconds: r.headers["retry-after"] for seconds, r in responses.items()} == cases
    assert {s: r.headers["ratelimit"] for s, r in responses.items()} == {s: f'"default";r=0;t={h}' for s, h in cases.items()}


# ---------------------------------------------------------------- allowed requests are untouched


async def echo(scope, receive, send):
    """An app with a streamed request and response body, a non-200 status and repeated headers."""
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    summary = {"method": scope["method"], "path": scope["path"], "query": scope["query_string"].decode()}
    summary |= {"received": len(body), "tail": body[-5:].decode()}
    headers = [(b"content-type", b"application/json"), (b"set-cookie", b"a=1"), (b"set-cookie", b"b=2")]
    await send({"type": "http.response.start", "status": 201, "headers": headers})
    await send({"type": "http.response.body", "body": json.dumps(summary).encode(), "more_body": True})
    await send({"type": "http.response.body", "body": b"\n-- end --\n"})


def exchange(url: str) -> tuple[int, list[tuple[str, str]], bytes]:
    with client(url) as http:
        response = http.post("/orders/7?dry_run=1", content=b"x" * 200_000 + b"tail!")
    headers = [(k, v) for k, v in response.headers.multi_items() if k not in ("date", "server")]
    return response.status_code, headers, response.content


def test_allowed_requests_pass_through_untouched_apart_from_the_added_fields():
    with serving(echo) as url:
        alone = exchange(url)
    with serving(limited(echo, buckets(5), quota=5)) as url:
        status, headers, body = exchange(url)
    added = [("ratelimit-policy", '"default";q=5;w=10'), ("ratelimit", '"default";r=4')]
    assert alone[0] == 201 and b'"received": 200005' in alone[2]
    assert (status, [h for h in headers if h not in added], body) == alone
    assert [h for h in headers if h in added] == added


def test_each_client_address_has_its_own_budget():
    with serving(limited(hello, buckets(2), quota=2)) as url:
        with client(url, "127.0.0.1") as first, client(url, "127.0.0.2") as second:
            assert [first.get("/").status_code for _ in range(3)] == [200, 200, 429]
            responses = [second.get("/") for _ in range(3)]
    assert [r.status_code for r in responses] == [200, 200, 429]
    assert responses[0].text == "127.0.0.2"


def redis_client(port: int) -> redis.Redis:
    return redis.Redis(port=port, socket_timeout=1, socket_connect_timeout=1, retry=Retry(NoBackoff(), 0))


def test_a_redis_limiter_plugs_in_as_it_is(redis_server):
    store = redis_client(redis_server.port)
    limiter = RedisLimiter(store, "sliding_window_log", limit=3, window=60)
    store.delete(*limiter.keys("127.0.0.1"))
    with serving(RateLimitMiddleware(hello, limiter.acquire, quota=3, window=60)) as url, client(url) as http:
        responses = [http.get("/") for _ in range(4)]
    assert [r.status_code for r in responses] == [200, 200, 200, 429]
    assert [r.headers["ratelimit"] for r in responses[:3]] == ['"default";r=2', '"default";r=1', '"default";r=0']
    assert responses[3].headers["retry-after"] == "60"  # the oldest of the three leaves the log in 60 s


@pytest.mark.parametrize(("policy", "status"), [("open", 200), ("closed", 429)])
def test_with_redis_down_clients_see_the_limiters_failure_policy(policy, status):
    with socket.socket() as probe:  # a loopback port that nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    limiter = RedisLimiter(redis_client(port), "gcra", limit=3, window=60, on_redis_error=policy)
    with serving(RateLimitMiddleware(hello, limiter.acquire, quota=3, window=60)) as url, client(url) as http:
        response = http.get("/")
    assert response.status_code == status
    if status == 429:
        assert response.headers["retry-after"] == "1"


# ---------------------------------------------------------------- the key behind a proxy


def test_forwarded_for_counts_only_from_a_trusted_proxy():
    # uvicorn rewrites scope["client"] from X-Forwarded-For only when the peer is in
    # forwarded_allow_ips (its default: 127.0.0.1 and ::1), taking the rightmost untrusted entry.
    with serving(limited(hello, buckets(1), quota=1)) as url:
        with client(url, "127.0.0.1") as proxy, client(url, "127.0.0.2") as direct:
            first = proxy.get("/", headers={"X-Forwarded-For": "203.0.113.7"})
            other = proxy.get("/", headers={"X-Forwarded-For": "203.0.113.8"})
            # the client wrote a fake first entry; the proxy appended the address it really saw
            spoofed = proxy.get("/", headers={"X-Forwarded-For": "198.51.100.1, 203.0.113.7"})
            untrusted = direct.get("/", headers={"X-Forwarded-For": "198.51.100.2"})
    assert (first.status_code, first.text) == (200, "203.0.113.7")
    assert (other.status_code, other.text) == (200, "203.0.113.8")
    assert spoofed.status_code == 429  # still 203.0.113.7's budget: the fake entry was ignored
    assert (untrusted.status_code, untrusted.text) == (200, "127.0.0.2")


def test_trusting_every_peer_lets_a_client_choose_its_own_key():
    with serving(limited(hello, buckets(1), quota=1), forwarded_allow_ips="*") as url, client(url) as http:
        responses = [http.get("/", headers={"X-Forwarded-For": f"198.51.100.{n}"}) for n in range(5)]
    assert [r.status_code for r in responses] == [200] * 5  # a fresh budget for every invented address


def test_without_a_client_address_every_request_shares_one_key():
    assert client_address({"type": "http", "client": None}) == "unknown"
    assert client_address({"type": "http"}) == "unknown"
    assert client_address({"type": "http", "client": ("192.0.2.1", 443)}) == "192.0.2.1"


# ---------------------------------------------------------------- the event loop and the delay path


def test_a_slow_decide_does_not_stall_other_requests():
    entered, gate = threading.Event(), threading.Event()

    def decide(key: str) -> Decision:
        if key == "slow":  # a limiter waiting on the network, say
            entered.set()
            gate.wait(10)
        return Decision(True, 1, 0.0)

    def api_key(scope) -> str:
        return dict(scope["headers"]).get(b"x-api-key", b"").decode()

    app = RateLimitMiddleware(hello, decide, quota=2, window=1, key=api_key)
    with serving(app) as url, client(url) as slow_client, client(url) as fast_client:
        slow = []
        waiting = threading.Thread(target=lambda: slow.append(slow_client.get("/", headers={"X-API-Key": "slow"})))
        waiting.start()
        assert entered.wait(10)
        fast = fast_client.get("/", headers={"X-API-Key": "fast"})
        still_blocked = not gate.is_set() and not slow
        gate.set()
        waiting.join(10)
    assert fast.status_code == 200 and still_blocked
    assert slow[0].status_code == 200


def test_a_queueing_limiter_delays_each_request_until_its_turn():
    # LeakyBucketQueue(capacity=3, leak_rate=10): three requests fit, departing 0.1 s apart.
    started_app = []

    async def record(scope, receive, send):
        started_app.append(time.monotonic())
        await hello(scope, receive, send)

    queue = PerKeyLimiter(lambda: LeakyBucketQueue(capacity=3, leak_rate=10))
    with serving(limited(record, queue, quota=3)) as url:
        before = time.monotonic()
        responses = get_all(url, 4)
    assert sorted(r.status_code for r in responses) == [200, 200, 200, 429]
    # a lower bound only: the app never runs before the request's departure time
    for turn, started in enumerate(sorted(started_app)):
        assert started - before >= turn * 0.1 - 1e-3


# ---------------------------------------------------------------- other ASGI traffic


def test_lifespan_events_pass_through_to_the_app():
    events, decided = [], []

    async def app(scope, receive, send):
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                events.append(message["type"])
                await send({"type": message["type"] + ".complete"})
                if message["type"] == "lifespan.shutdown":
                    return
        await hello(scope, receive, send)

    def decide(key):
        decided.append(key)
        return Decision(True, 0, 0.0)

    with serving(RateLimitMiddleware(app, decide, quota=1, window=1), lifespan="on") as url, client(url) as http:
        assert http.get("/").status_code == 200
    assert events == ["lifespan.startup", "lifespan.shutdown"]
    assert decided == ["127.0.0.1"]  # only the HTTP request was limited


def test_websocket_scopes_pass_through_unlimited():
    seen = []

    async def app(scope, receive, send):
        seen.append((scope, receive, send))

    def decide(key):
        raise AssertionError("a websocket must not be rate-limited by this middleware")

    scope, receive, send = {"type": "websocket", "client": ("192.0.2.1", 1)}, object(), object()
    asyncio.run(RateLimitMiddleware(app, decide, quota=1, window=1)(scope, receive, send))
    assert seen == [(scope, receive, send)]


# ---------------------------------------------------------------- field syntax, for any decision

SF_STRING = r'"((?:[\x20\x21\x23-\x5b\x5d-\x7e]|\\["\\])*)"'


def fields_for(decision: Decision, policy: str, quota: int, window: int) -> dict[str, str]:
    sent = []

    async def send(message):
        sent.append(message)

    app = RateLimitMiddleware(hello, lambda key: decision, quota=quota, window=window, policy=policy)
    asyncio.run(app({"type": "http", "client": ("192.0.2.1", 1)}, None, send))
    return {name.decode(): value.decode() for name, value in sent[0]["headers"]}


@settings(max_examples=200)
@given(
    allowed=st.booleans(),
    remaining=st.integers(min_value=0, max_value=10**6),
    retry_after=st.floats(min_value=0, max_value=10**6),
    policy=st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1, max_size=20),
    quota=st.integers(min_value=1, max_value=10**6),
    window=st.integers(min_value=1, max_value=86_400),
)
def test_fields_follow_the_draft_syntax_for_any_decision(allowed, remaining, retry_after, policy, quota, window):
    decision = Decision(allowed, remaining, 0.0 if allowed else retry_after)
    fields = fields_for(decision, policy, quota, window)
    policy_match = re.fullmatch(SF_STRING + r";q=(\d+);w=(\d+)", fields["ratelimit-policy"])
    limit_match = re.fullmatch(SF_STRING + r";r=(\d+)(?:;t=(\d+))?", fields["ratelimit"])
    assert policy_match and limit_match
    for match in (policy_match, limit_match):
        assert re.sub(r"\\(.)", r"\1", match[1]) == policy  # the name survives quoting
    assert (int(policy_match[2]), int(policy_match[3])) == (quota, window)
    assert int(limit_match[2]) == remaining
    if allowed:
        assert limit_match[3] is None and "retry-after" not in fields
    else:
        seconds = int(fields["retry-after"])
        assert max(1, retry_after) <= seconds < max(1, retry_after) + 1  # enough, and whole seconds
        assert int(limit_match[3]) == seconds  # Retry-After never points before the effective window ends


@pytest.mark.parametrize("name", ["quota", "window"])
@pytest.mark.parametrize("bad", [0, -1, 1.5, math.nan, math.inf])
def test_nonsense_quota_or_window_is_rejected_by_name(name, bad):
    with pytest.raises(ValueError, match=name):
        RateLimitMiddleware(hello, lambda key: None, **{"quota": 5, "window": 10, name: bad})


@pytest.mark.parametrize("name", ["quota", "window"])
@pytest.mark.parametrize("bad", ["10", None, True])
def test_non_numbers_are_rejected_by_name(name, bad):
    with pytest.raises(TypeError, match=name):
        RateLimitMiddleware(hello, lambda key: None, **{"quota": 5, "window": 10, name: bad})


def test_whole_floats_are_accepted_as_integers():
    app = RateLimitMiddleware(hello, lambda key: None, quota=5.0, window=60.0)
    assert app.policy_field == b'"default";q=5;w=60'


@pytest.mark.parametrize("bad", ["", "caf\u00e9", "tab\there", None, b"bytes"])
def test_a_policy_name_that_is_no_structured_field_string_is_rejected(bad):
    with pytest.raises(ValueError, match="policy"):
        RateLimitMiddleware(hello, lambda key: None, quota=5, window=10, policy=bad)


@pytest.mark.parametrize("name", ["app", "decide", "key"])
def test_things_that_must_be_callable_are_checked_by_name(name):
    arguments = {"app": hello, "decide": lambda key: None, "key": client_address, name: "not callable"}
    with pytest.raises(TypeError, match=name):
        RateLimitMiddleware(arguments.pop("app"), arguments.pop("decide"), quota=1, window=1, **arguments)


# ---------------------------------------------------------------- PerKeyLimiter


def test_the_least_recently_used_key_is_evicted_and_comes_back_with_a_fresh_limit():
    limiter = buckets(1, max_keys=2)
    assert [limiter.acquire(k).allowed for k in "aba"] == [True, True, False]  # "a" is now the most recent
    assert limiter.acquire("c").allowed and len(limiter) == 2  # evicts "b", the least recent
    assert not limiter.acquire("a").allowed  # "a" kept its spent bucket
    assert limiter.acquire("b").allowed  # "b" was forgotten: a fresh bucket, so it passes again


def test_the_number_of_limiters_never_exceeds_max_keys():
    limiter = PerKeyLimiter(lambda: TokenBucket(capacity=1, refill_rate=1), max_keys=100)
    for n in range(1_000):
        limiter.acquire(f"client-{n % 250}")
        assert len(limiter) <= 100


def test_a_limiter_per_key_costs_well_under_a_kilobyte():
    keys = [f"198.51.{n // 256}.{n % 256}" for n in range(10_000)]  # created before measuring
    limiter = PerKeyLimiter(lambda: TokenBucket(capacity=10, refill_rate=1), max_keys=10_000)
    tracemalloc.start()
    try:
        for key in keys:
            limiter.acquire(key)
        used, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert used / len(keys) < 1024


def test_concurrent_first_requests_for_a_key_share_one_limiter(frequent_thread_switches):
    # 8 threads meet every key for the first time together; a second limiter for a key would
    # double its budget. Each of 200 keys may admit exactly 5.
    limiter = buckets(5)
    keys = [f"k{n}" for n in range(200)]
    admitted = {key: 0 for key in keys}
    count = threading.Lock()
    start = threading.Barrier(8)

    def hammer():
        start.wait()
        for key in keys:
            for _ in range(2):
                if limiter.acquire(key).allowed:
                    with count:
                        admitted[key] += 1

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert set(admitted.values()) == {5}


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "10"])
def test_nonsense_max_keys_is_rejected_by_name(bad):
    with pytest.raises(ValueError, match="max_keys"):
        PerKeyLimiter(lambda: None, max_keys=bad)


def test_factory_must_be_callable():
    with pytest.raises(TypeError, match="factory"):
        PerKeyLimiter(TokenBucket(capacity=1, refill_rate=1))


# ---------------------------------------------------------------- what to advertise for a bucket


POLICY_LIMITERS = {  # limiters for which q and w below are a pace that is never refused
    "token bucket": lambda q, w, clock: TokenBucket(capacity=q, refill_rate=q / w, clock=clock),
    "gcra": lambda q, w, clock: GCRA(rate=q / w, burst=q, clock=clock),
    "fixed window": lambda q, w, clock: FixedWindow(limit=q, window=w, clock=clock),
    "sliding window log": lambda q, w, clock: SlidingWindowLog(limit=q, window=w, clock=clock),
}


@pytest.mark.parametrize("kind", POLICY_LIMITERS)
@settings(max_examples=150)
@given(
    quota=st.integers(min_value=1, max_value=20),
    window=st.integers(min_value=1, max_value=60),
    gaps=st.lists(st.floats(min_value=0, max_value=30), max_size=80),
)
@example(quota=3, window=5, gaps=[1.0, 0.0, 0.0])  # GCRA's schedule once summed to 5.000000000000001 s
def test_a_client_keeping_to_q_per_w_is_never_refused(kind, quota, window, gaps):
    # A client that never sends more than q requests within any w seconds is never refused
    # by these limiters configured as the page says (a bucket: capacity q, refilled in w).
    clock = FakeClock()
    limiter = PerKeyLimiter(lambda: POLICY_LIMITERS[kind](quota, window, clock))
    sent: list[float] = []
    for gap in gaps:
        clock.now += gap
        recent = [t for t in sent if t > clock.now - window * (1 + 1e-9)]
        if len(recent) < quota:  # the client keeps to the policy (with a hair of float margin)
            assert limiter.acquire("client").allowed, (quota, window, sent, clock.now)
            sent.append(clock.now)


def test_the_sliding_window_counter_can_refuse_a_client_that_keeps_to_q_per_w():
    # Its estimate assumes the previous window's requests were spread evenly. Ten requests at
    # the start of one minute still count as 9.8 a second into the next, though none is recent.
    clock = FakeClock()
    counter = SlidingWindowCounter(limit=10, window=60, clock=clock)
    assert all(counter.acquire().allowed for _ in range(10))
    clock.now = 61.0
    assert not counter.acquire().allowed
