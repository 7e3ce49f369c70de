# --8<-- [start:limiter]
"""Sliding window log rate limiter: at most `limit` cost units in any `window` seconds, exactly."""

import math
import threading
import time
from collections import deque
from collections.abc import Callable

from rate_limiting.decision import Decision, checked_cost, positive_finite


class SlidingWindowLog:
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
        self._log: deque[tuple[float, float]] = deque()  # (expiry, cost) of each admitted request
        self._used = 0.0  # the sum of the costs in the log

    def acquire(self, cost: float = 1) -> Decision:
        cost = checked_cost(cost, self.limit)
        with self._lock:
            now = self._now = max(self._clock(), self._now)
            while self._log and self._log[0][0] <= now:  # older than one window: forget it
                self._used -= self._log.popleft()[1]
            if not self._log:
                self._used = 0.0  # drop the rounding error that subtracting floats leaves behind
            if self._used + cost <= self.limit:
                self._log.append((now + self.window, cost))
                self._used += cost
                return Decision(True, math.floor(self.limit - self._used), 0.0)
            # Denied: wait until enough of the oldest entries expire to make room for this cost.
            left = self._used
            for expiry, spent in self._log:  # the log is never empty here, since cost <= limit
                left -= spent
                if left + cost <= self.limit:
                    break
            return Decision(False, math.floor(self.limit - self._used), expiry - now)
# --8<-- [end:limiter]


if __name__ == "__main__":
    # --8<-- [start:usage]
    now = 0.0
    limiter = SlidingWindowLog(limit=4, window=10, clock=lambda: now)

    for now in (0.0, 2.0, 4.0):  # one request at each of these times
        limiter.acquire()
    print(limiter.acquire(cost=2))  # 3 in the last 10 s: no room for 2 until the request at 0 s expires
    now = 9.0
    print(limiter.acquire())  # the 4th in [0, 10): it passes
    now = 10.0
    print(limiter.acquire())  # the request at 0 s has left the window (0, 10]: room for one
    print(limiter.acquire(cost=3))  # room only once the requests at 2, 4 and 9 s expire: at 19 s
    # --8<-- [end:usage]
