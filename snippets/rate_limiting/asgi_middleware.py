# --8<-- [start:middleware]
"""Pure ASGI middleware: rate-limit HTTP requests by client key with any limiter that returns a Decision."""

import asyncio
import json
import math
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from rate_limiting.decision import Decision

QUOTA_EXCEEDED = "https://iana.org/assignments/http-problem-types#quota-exceeded"


def client_address(scope: dict[str, Any]) -> str:
    """The default key: the peer address the server reports (behind a proxy, see the page)."""
    client = scope.get("client")
    return client[0] if client else "unknown"


class RateLimitMiddleware:
    """Refuses with 429 when `decide(key)` says no; adds RateLimit fields to every HTTP response.

    `decide` is a plain (blocking) callable such as `RedisLimiter.acquire` or `PerKeyLimiter.acquire`.
    It runs in a worker thread, so a network round trip never stalls the event loop.
    """

    def __init__(
        self,
        app: Callable,
        decide: Callable[[str], Decision],
        *,
        quota: int,
        window: int,
        policy: str = "default",
        key: Callable[[dict[str, Any]], str] = client_address,
    ) -> None:
        for name, value in (("app", app), ("decide", decide), ("key", key)):
            if not callable(value):
                raise TypeError(f"{name} must be callable, got {value!r}")
        self.app, self.decide, self.key, self.policy = app, decide, key, policy
        self.name = sf_string("policy", policy)
        quota, window = whole("quota", quota), whole("window", window)
        self.policy_field = f"{self.name};q={quota};w={window}".encode()

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":  # lifespan and websocket pass straight through
            await self.app(scope, receive, send)
            return
        decision = await asyncio.to_thread(self.decide, self.key(scope))
        remaining = max(0, int(decision.remaining))
        if not decision.allowed:
            await self.refuse(send, remaining, max(1, math.ceil(decision.retry_after)))
            return
        fields = [
            (b"ratelimit-policy", self.policy_field),
            (b"ratelimit", f"{self.name};r={remaining}".encode()),
        ]
        if decision.delay > 0:  # a leaky bucket used as a queue: this request's turn comes later
            await asyncio.sleep(decision.delay)

        async def send_with_fields(message):
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", ()), *fields]}
            await send(message)

        await self.app(scope, receive, send_with_fields)

    async def refuse(self, send, remaining: int, seconds: int) -> None:
        body = json.dumps({
            "type": QUOTA_EXCEEDED,
            "title": "Too Many Requests",
            "status": 429,
            "detail": f"Quota exceeded: retry after {seconds} s.",
            "violated-policies": [self.policy],
        }).encode()
        headers = [
            (b"content-type", b"application/problem+json"),
            (b"content-length", str(len(body)).encode()),
            (b"retry-after", str(seconds).encode()),
            (b"ratelimit-policy", self.policy_field),
            (b"ratelimit", f"{self.name};r={remaining};t={seconds}".encode()),
            (b"cache-control", b"no-store"),
        ]
        await send({"type": "http.response.start", "status": 429, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def whole(name: str, value: int) -> int:
    """The RateLimit fields carry whole numbers: quota units, and seconds (no sub-second windows)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a whole number, got {value!r}")
    if not (isinstance(value, int) or value.is_integer()) or value < 1:
        raise ValueError(f"{name} must be a whole number >= 1, got {value!r}")
    return int(value)


def sf_string(name: str, value: str) -> str:
    """A Structured Field String (RFC 9651): printable ASCII in quotes, with \\ and \" escaped."""
    if not isinstance(value, str) or not value or not all(" " <= char <= "~" for char in value):
        raise ValueError(f"{name} must be a non-empty string of printable ASCII, got {value!r}")
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
# --8<-- [end:middleware]


# --8<-- [start:per_key]
class PerKeyLimiter:
    """One in-process limiter per key, made by `factory`, keeping at most `max_keys` of them.

    The least recently used key is evicted first. An evicted key starts again with a fresh
    limiter, so eviction can only admit more than the limit, never less.
    """

    def __init__(self, factory: Callable[[], Any], max_keys: int = 10_000) -> None:
        if not callable(factory):
            raise TypeError(f"factory must be callable, got {factory!r}")
        if isinstance(max_keys, bool) or not isinstance(max_keys, int) or max_keys < 1:
            raise ValueError(f"max_keys must be an int >= 1, got {max_keys!r}")
        self._factory, self.max_keys = factory, max_keys
        self._limiters: OrderedDict[str, Any] = OrderedDict()
        self._lock = threading.Lock()

    def acquire(self, key: str, cost: float = 1) -> Decision:
        with self._lock:
            limiter = self._limiters.get(key)
            if limiter is None:
                limiter = self._limiters[key] = self._factory()
                if len(self._limiters) > self.max_keys:
                    self._limiters.popitem(last=False)
            else:
                self._limiters.move_to_end(key)
        return limiter.acquire(cost)  # each limiter takes its own lock

    def __len__(self) -> int:
        return len(self._limiters)
# --8<-- [end:per_key]


if __name__ == "__main__":
    # --8<-- [start:usage]
    from rate_limiting.token_bucket import TokenBucket

    async def hello(scope, receive, send):  # any ASGI app: FastAPI, Starlette, Django, ...
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"hello\n"})

    # A bucket of 5 per client address, refilled in 10 s (0.5 token/s): advertised as 5 per 10 s.
    # The clock stands still here, so that this printout is the same on every run.
    buckets = PerKeyLimiter(lambda: TokenBucket(capacity=5, refill_rate=0.5, clock=lambda: 0.0))
    app = RateLimitMiddleware(hello, buckets.acquire, quota=5, window=10)  # serve: uvicorn module:app

    async def get(client: str) -> None:  # what an ASGI server does for one GET; print the answer
        sent = []

        async def send(message):
            sent.append(message)

        scope = {"type": "http", "method": "GET", "path": "/", "headers": [], "client": (client, 50000)}
        await app(scope, None, send)
        status, fields = sent[0]["status"], {k.decode(): v.decode() for k, v in sent[0]["headers"]}
        retry_after = fields.get("retry-after", "-")
        print(client, status, "RateLimit:", fields["ratelimit"], "Retry-After:", retry_after)
        if status == 429:
            print(fields["content-type"], sent[1]["body"].decode())

    for client in ["192.0.2.1"] * 6 + ["192.0.2.2"]:
        asyncio.run(get(client))
    # --8<-- [end:usage]
