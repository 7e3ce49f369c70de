# --8<-- [start:meter]
"""Leaky bucket rate limiters: a level that drains at `leak_rate`/s and never exceeds `capacity`."""

import math
import threading
import time
from collections.abc import Callable

from rate_limiting.decision import Decision, checked_cost, positive_finite


class LeakyBucketMeter:
    """Admits a request if its cost still fits in the bucket. Admitted requests go at once."""

    def __init__(
        self,
        capacity: float,
        leak_rate: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.capacity = positive_finite("capacity", capacity)
        self.leak_rate = positive_finite("leak_rate", leak_rate)
        self._clock = clock
        self._lock = threading.Lock()
        self._level = 0.0
        self._updated = clock()

    def acquire(self, cost: float = 1) -> Decision:
        cost = checked_cost(cost, self.capacity)
        with self._lock:
            now = self._clock()
            if now > self._updated:  # a clock that steps back drains nothing
                drained = (now - self._updated) * self.leak_rate
                self._level = max(0.0, self._level - drained)
                self._updated = now
            if self._level + cost <= self.capacity:
                self._level += cost
                return Decision(True, math.floor(self.capacity - self._level), 0.0)
            wait = (self._level + cost - self.capacity) / self.leak_rate
            return Decision(False, math.floor(self.capacity - self._level), wait)
# --8<-- [end:meter]


# --8<-- [start:queue]
class LeakyBucketQueue:
    """Admits what the meter admits, and gives each request its turn: `Decision.delay`."""

    def __init__(
        self,
        capacity: float,
        leak_rate: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.capacity = positive_finite("capacity", capacity)
        self.leak_rate = positive_finite("leak_rate", leak_rate)
        self._clock = clock
        self._lock = threading.Lock()
        self._free_at = clock()  # when everything admitted so far will have left

    def acquire(self, cost: float = 1) -> Decision:
        cost = checked_cost(cost, self.capacity)
        with self._lock:
            now = self._clock()
            departure = max(self._free_at, now)  # the request leaves when those ahead have
            queued = (departure - now) * self.leak_rate  # cost units still ahead of it
            if queued + cost <= self.capacity:
                self._free_at = departure + cost / self.leak_rate
                remaining = math.floor(self.capacity - (queued + cost))
                return Decision(True, remaining, 0.0, delay=departure - now)
            wait = (queued + cost - self.capacity) / self.leak_rate
            return Decision(False, max(0, math.floor(self.capacity - queued)), wait)
# --8<-- [end:queue]


if __name__ == "__main__":
    # --8<-- [start:usage]
    now = 0.0
    meter = LeakyBucketMeter(capacity=3, leak_rate=2, clock=lambda: now)
    queue = LeakyBucketQueue(capacity=3, leak_rate=2, clock=lambda: now)

    for _ in range(4):  # four requests at once: three fit, all three go now
        print(meter.acquire())
    for _ in range(4):  # the same four, queued: three fit, each half a second after the last
        print(queue.acquire())
    now = 1.0  # two units have leaked out of each bucket
    print(meter.acquire(cost=2))
    print(queue.acquire(cost=2))  # it waits for the one still queued
    # --8<-- [end:usage]
