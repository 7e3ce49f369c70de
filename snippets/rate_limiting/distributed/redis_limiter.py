# --8<-- [start:limiter]
"""Rate limits shared by many processes: one atomic Lua script on Redis per decision, on Redis's clock."""

import logging
from pathlib import Path

import redis

from rate_limiting.decision import Decision, positive_finite

SCRIPTS = ("fixed_window", "sliding_window_log", "sliding_window_counter", "gcra")
POLICIES = ("open", "closed")
EXACT = 2**50  # Lua numbers are doubles: integers up to 2**53 are exact, and now + 2 windows must fit
OUTAGE_RETRY_AFTER = 1.0  # what a closed limiter tells callers while Redis is unreachable
log = logging.getLogger(__name__)


def whole(name: str, value: int, most: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    if not 1 <= value <= most:
        raise ValueError(f"{name} must be between 1 and {most}, got {value!r}")
    return value


class RedisLimiter:
    """`limit` cost units per `window` seconds for each key, decided by one of the four scripts."""

    def __init__(
        self,
        client: redis.Redis,
        script: str,
        limit: int,
        window: float,
        on_redis_error: str = "open",
    ) -> None:
        if script not in SCRIPTS:
            raise ValueError(f"script must be one of {SCRIPTS}, got {script!r}")
        if on_redis_error not in POLICIES:
            raise ValueError(f"on_redis_error must be 'open' or 'closed', got {on_redis_error!r}")
        if client.get_connection_kwargs().get("socket_timeout") is None:  # a silent Redis would hang every request
            raise ValueError("client needs a socket_timeout, such as redis.Redis(..., socket_timeout=0.1)")
        self.limit = whole("limit", limit, EXACT)
        self.window_us = round(positive_finite("window", window) * 1_000_000)
        if not 1 <= self.window_us <= EXACT:
            raise ValueError(f"window must be between 1 microsecond and {EXACT} microseconds, got {window!r}")
        self.script = script
        self.on_redis_error = on_redis_error
        # register_script sends EVALSHA, and on a NOSCRIPT error loads the script and sends it again
        self._script = client.register_script((Path(__file__).parent / f"{script}.lua").read_text())

    def keys(self, key: str) -> list[str]:
        """The Redis keys for one limited key. The {hash tag} puts them in one Redis Cluster slot."""
        if not isinstance(key, str) or not key or "{" in key or "}" in key:
            raise ValueError(f"key must be a non-empty string without braces, got {key!r}")
        base = f"ratelimit:{self.script}:{{{key}}}"
        return [f"{base}:even", f"{base}:odd"] if self.script == "sliding_window_counter" else [base]

    def acquire(self, key: str, cost: int = 1) -> Decision:
        keys, cost = self.keys(key), whole("cost", cost, self.limit)
        try:
            allowed, remaining, retry_after_us, _now = self._script(keys, [self.limit, self.window_us, cost])
        except (redis.ConnectionError, redis.TimeoutError) as error:
            log.warning("rate limiter failing %s: Redis unreachable: %s", self.on_redis_error, error)
            if self.on_redis_error == "open":
                return Decision(True, 0, 0.0)
            return Decision(False, 0, OUTAGE_RETRY_AFTER)
        return Decision(allowed == 1, remaining, retry_after_us / 1_000_000)
# --8<-- [end:limiter]


if __name__ == "__main__":
    # --8<-- [start:usage]
    import os

    from redis.backoff import NoBackoff
    from redis.retry import Retry

    client = redis.Redis.from_url(
        os.environ.get("REDIS_URL", "redis://localhost:6379/0"),
        socket_timeout=0.1,  # an unresponsive Redis costs a decision 0.1 s, not forever
        socket_connect_timeout=0.1,
        retry=Retry(NoBackoff(), 1),  # one immediate retry; the default sleeps up to 10 s between tries
    )
    limiter = RedisLimiter(client, "sliding_window_log", limit=3, window=60)
    print(limiter.keys("user:42"))
    client.delete(*limiter.keys("user:42"))  # start the example from an empty log

    for _ in range(4):
        decision = limiter.acquire("user:42")
        print(decision.allowed, decision.remaining, round(decision.retry_after))
    # --8<-- [end:usage]
