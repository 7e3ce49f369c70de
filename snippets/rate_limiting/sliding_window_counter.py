# --8<-- [start:limiter]
"""Sliding window counter rate limiter: two fixed-window counts, the previous one weighted.

estimate = previous × (window − elapsed) / window + current, where elapsed is the time since the
current window [k·window, (k+1)·window) began. A request passes if estimate + cost <= limit.
"""

import math
import threading
import time
from collections.abc import Callable

from rate_limiting.decision import Decision, checked_cost, positive_finite


class SlidingWindowCounter:
    def __init__(
        self,
        limit: float,
        window: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = positive_finite("limit", limit)
        self.window = positive_finite("window", window)
        self._clock = clock
        self._lock = threading.Lock()
        self._now = -math.inf  # the latest clock reading: a clock that steps back stands still
        self._index = -math.inf  # the current window
        self._previous = 0.0  # cost admitted in window index - 1
        self._current = 0.0  # cost admitted in window index

    def _window_of(self, now: float) -> int:
        # now / window can round across an edge (4.3 / 0.1 is 42.99999999999999, yet 43 * 0.1 is 4.3),
        # so step to the k whose edges, rounded as floats round them, hold now.
        k = math.floor(now / self.window)
        if k * self.window > now:
            return k - 1
        return k + 1 if (k + 1) * self.window <= now else k

    def _earliest(self, index: int, previous: float, current: float, cost: float) -> float:
        """The first time at which estimate + cost <= limit, counting from window `index`."""
        room = self.limit - current - cost
        if room < 0:  # not in this window: in the next one, this window's count becomes the previous
            return self._earliest(index + 1, current, 0.0, cost)
        start = index * self.window
        if room >= previous:
            return start
        # previous × (window − elapsed) / window <= room  ⇔  elapsed >= window × (1 − room / previous)
        return start + self.window * (1 - room / previous)

    def acquire(self, cost: float = 1) -> Decision:
        cost = checked_cost(cost, self.limit)
        with self._lock:
            now = self._now = max(self._clock(), self._now)
            index = self._window_of(now)
            if index > self._index:  # a new window: the count just ended is the previous one
                self._previous = self._current if index == self._index + 1 else 0.0
                self._index, self._current = index, 0.0
            earliest = self._earliest(index, self._previous, self._current, cost)
            allowed = now >= earliest
            if allowed:
                self._current += cost
            weight = 1 - (now - index * self.window) / self.window
            estimate = self._previous * weight + self._current
            remaining = max(0, math.floor(self.limit - estimate))
            return Decision(allowed, remaining, 0.0 if allowed else earliest - now)
# --8<-- [end:limiter]


if __name__ == "__main__":
    # --8<-- [start:usage]
    now = 50.0
    limiter = SlidingWindowCounter(limit=10, window=60, clock=lambda: now)

    print(sum(limiter.acquire().allowed for _ in range(8)))  # 8 late in the window [0, 60)
    now = 60.0  # a fixed window would admit 10 more now; here 8 × 60/60 + current must stay <= 10
    print(sum(limiter.acquire().allowed for _ in range(10)))
    now = 75.0  # a quarter into [60, 120): estimate = 8 × 45/60 + 2 = 8
    print(limiter.acquire())
    print(limiter.acquire(cost=2))  # 8 × 45/60 + 3 + 2 > 10: passes once the weight drops to 5/8
    # --8<-- [end:usage]
