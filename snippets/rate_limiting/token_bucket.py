# --8<-- [start:limiter]
"""Token bucket rate limiter: bursts up to `capacity`, long-run rate `refill_rate`/s."""

import math
import threading
import time
from collections.abc import Callable

from rate_limiting.decision import Decision, checked_cost, positive_finite


class TokenBucket:
    def __init__(
        self,
        capacity: float,
        refill_rate: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.capacity = positive_finite("capacity", capacity)
        self.refill_rate = positive_finite("refill_rate", refill_rate)
        self._clock = clock
        self._lock = threading.Lock()
        self._tokens = self.capacity
        self._updated = clock()

    def acquire(self, cost: float = 1) -> Decision:
        cost = checked_cost(cost, self.capacity)
        with self._lock:
            now = self._clock()
            if now > self._updated:  # a clock that steps back refills nothing
                elapsed = now - self._updated
                earned = elapsed * self.refill_rate
                self._tokens = min(self.capacity, self._tokens + earned)
                self._updated = now
            if self._tokens >= cost:
                self._tokens -= cost
                return Decision(True, math.floor(self._tokens), 0.0)
            wait = (cost - self._tokens) / self.refill_rate
            return Decision(False, math.floor(self._tokens), wait)
# --8<-- [end:limiter]


if __name__ == "__main__":
    # --8<-- [start:usage]
    now = 0.0
    bucket = TokenBucket(capacity=10, refill_rate=1, clock=lambda: now)

    for _ in range(5):
        decision = bucket.acquire()
    print(decision)  # five requests in a burst: five tokens left
    print(bucket.acquire(cost=6))  # too expensive now: retry in one second
    now = 5.0
    print(bucket.acquire(cost=10))  # five idle seconds refilled the bucket
    print(bucket.acquire())
    # --8<-- [end:usage]
