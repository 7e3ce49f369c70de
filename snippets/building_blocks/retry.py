# --8<-- [start:backoff]
"""Retries with capped exponential backoff, full jitter, a deadline and a retry budget."""

import random
import time
from collections import deque
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def full_jitter(attempt: int, base: float, cap: float, rng: random.Random) -> float:
    """The wait after failed attempt number `attempt` (0, 1, 2, ...): uniform in [0, min(cap, base * 2**attempt)]."""
    ceiling = min(cap, base * 2.0 ** min(attempt, 1000))  # min() keeps 2**attempt a finite float
    return rng.uniform(0, ceiling)
# --8<-- [end:backoff]


# --8<-- [start:budget]
class RetryBudget:
    """Allows a retry only while retries stay under `ratio` x requests (plus `min_retries`) in the last `window` s."""

    def __init__(
        self,
        ratio: float = 0.1,
        window: float = 10.0,
        min_retries: int = 10,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not 0 <= ratio < float("inf"):
            raise ValueError(f"ratio must be a number >= 0, got {ratio!r}")
        if not 0 < window < float("inf"):
            raise ValueError(f"window must be a positive number of seconds, got {window!r}")
        if min_retries < 0:
            raise ValueError(f"min_retries must be >= 0, got {min_retries!r}")
        self.ratio, self.window, self.min_retries = ratio, window, min_retries
        self._clock = clock
        self._requests: deque[float] = deque()  # timestamps inside the window
        self._retries: deque[float] = deque()

    def record_request(self) -> None:
        self._requests.append(self._clock())

    def try_spend(self) -> bool:
        """Take one retry from the budget; False means: do not retry."""
        now = self._clock()
        for stamps in (self._requests, self._retries):
            while stamps and stamps[0] <= now - self.window:
                stamps.popleft()
        if len(self._retries) + 1 > self.ratio * len(self._requests) + self.min_retries:
            return False
        self._retries.append(now)
        return True
# --8<-- [end:budget]


# --8<-- [start:retry]
class Retry:
    """Calls `fn` up to `max_attempts` times, waiting a full-jitter backoff between attempts.

    It does not retry an error that `retryable` rejects, a retry the budget refuses,
    or a retry whose wait would end more than `deadline` seconds after the first attempt began.
    """

    def __init__(
        self,
        max_attempts: int = 3,
        base: float = 0.1,
        cap: float = 10.0,
        deadline: float = 30.0,
        retryable: Callable[[Exception], bool] = lambda exc: True,
        budget: RetryBudget | None = None,
        jitter: bool = True,
        sleep: Callable[[float], object] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        if max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, got {max_attempts!r}")
        for name, value in [("base", base), ("cap", cap), ("deadline", deadline)]:
            if not 0 < value < float("inf"):
                raise ValueError(f"{name} must be a positive number of seconds, got {value!r}")
        self.max_attempts, self.base, self.cap, self.deadline = max_attempts, base, cap, deadline
        self.retryable, self.budget, self.jitter = retryable, budget, jitter
        self._sleep, self._clock = sleep, clock
        self._rng = rng or random.Random()

    def delay(self, attempt: int) -> float:
        if self.jitter:
            return full_jitter(attempt, self.base, self.cap, self._rng)
        return min(self.cap, self.base * 2.0 ** min(attempt, 1000))

    def call(self, fn: Callable[..., T], *args: object, **kwargs: object) -> T:
        start = self._clock()
        if self.budget:
            self.budget.record_request()
        attempt = 0
        while True:
            try:
                return fn(*args, **kwargs)
            except Exception as exc:
                if attempt + 1 >= self.max_attempts or not self.retryable(exc):
                    raise
                wait = self.delay(attempt)
                if self._clock() + wait - start > self.deadline:
                    raise
                if self.budget and not self.budget.try_spend():
                    raise
                self._sleep(wait)
                attempt += 1
# --8<-- [end:retry]
