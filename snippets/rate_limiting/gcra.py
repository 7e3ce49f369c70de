# --8<-- [start:limiter]
"""GCRA: `rate` cost units per second, bursts of up to `burst`, one stored timestamp."""

import math
import threading
import time
from collections.abc import Callable

from rate_limiting.decision import Decision, checked_cost, positive_finite

ROUNDING = 1e-9  # seconds: float error in the schedule must not refuse a request that is exactly on time


class GCRA:
    def __init__(
        self,
        rate: float,
        burst: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rate = positive_finite("rate", rate)
        self.burst = positive_finite("burst", burst)
        self.interval = 1 / self.rate  # T, the emission interval: seconds per unit of cost
        self.tolerance = self.burst * self.interval  # how far the schedule may run ahead of now
        self._clock = clock
        self._lock = threading.Lock()
        self._tat = clock()  # theoretical arrival time: when the schedule is next free

    @property
    def tat(self) -> float:
        return self._tat

    def acquire(self, cost: float = 1) -> Decision:
        cost = checked_cost(cost, self.burst)
        with self._lock:
            now = self._clock()
            start = max(self._tat, now)  # an idle key earns no credit beyond the tolerance
            booked = cost * self.interval
            ahead = (start - now) + booked  # how far the schedule would run ahead of the clock
            if ahead <= self.tolerance + ROUNDING:
                self._tat = start + booked
                left = self.burst - ahead * self.rate  # whole units of it form `remaining`
                return Decision(True, max(0, math.floor(left)), 0.0)
            left = self.burst - (start - now) * self.rate
            return Decision(False, max(0, math.floor(left)), ahead - self.tolerance)
# --8<-- [end:limiter]


if __name__ == "__main__":
    # --8<-- [start:usage]
    now = 0.0
    limiter = GCRA(rate=2, burst=3, clock=lambda: now)  # 2 per second, bursts of 3

    for _ in range(4):  # four at once: the burst passes, the fourth must wait
        print(limiter.acquire(), "TAT", limiter.tat)
    now = 0.5  # half a second frees one unit of the burst
    print(limiter.acquire(), "TAT", limiter.tat)
    now = 10.0  # a long pause: the TAT is in the past, so the full burst is back
    print(limiter.acquire(cost=3), "TAT", limiter.tat)
    # --8<-- [end:usage]
