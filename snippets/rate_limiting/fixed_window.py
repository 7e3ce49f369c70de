# --8<-- [start:limiter]
"""Fixed window rate limiter: at most `limit` cost units in each window [k·window, (k+1)·window)."""

import math
import threading
import time
from collections.abc import Callable

from rate_limiting.decision import Decision, checked_cost, positive_finite


class FixedWindow:
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
        self._index = -math.inf  # which window the count belongs to
        self._used = 0.0

    def _window_of(self, now: float) -> int:
        # now / window can round across an edge (4.3 / 0.1 is 42.99999999999999, yet 43 * 0.1 is 4.3),
        # so step to the k whose edges, rounded as floats round them, hold now.
        k = math.floor(now / self.window)
        if k * self.window > now:
            return k - 1
        return k + 1 if (k + 1) * self.window <= now else k

    def acquire(self, cost: float = 1) -> Decision:
        cost = checked_cost(cost, self.limit)
        with self._lock:
            now = self._now = max(self._clock(), self._now)
            index = self._window_of(now)
            if index > self._index:  # a new window starts from zero
                self._index, self._used = index, 0.0
            if self._used + cost <= self.limit:
                self._used += cost
                return Decision(True, math.floor(self.limit - self._used), 0.0)
            window_ends = (index + 1) * self.window
            return Decision(False, math.floor(self.limit - self._used), window_ends - now)
# --8<-- [end:limiter]


if __name__ == "__main__":
    # --8<-- [start:usage]
    now = 59.0
    limiter = FixedWindow(limit=10, window=60, clock=lambda: now)

    print(sum(limiter.acquire().allowed for _ in range(12)))  # 10 of 12 pass at 0:59
    print(limiter.acquire())  # the window [0, 60) is full: retry when it ends, in 1 s
    now = 60.0
    print(sum(limiter.acquire().allowed for _ in range(12)))  # a new window: 10 more pass at 1:00
    now = 90.0
    print(limiter.acquire())  # [60, 120) is full too: 20 passed in 2 s, and the next waits 30 s
    # --8<-- [end:usage]
