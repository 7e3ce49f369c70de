# --8<-- [start:breaker]
"""Circuit breaker: closed, open and half-open, with an injectable clock."""

import threading
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")
CLOSED, OPEN, HALF_OPEN = "closed", "open", "half-open"


class CircuitOpenError(Exception):
    """Raised at once, without calling the dependency, while the breaker rejects calls."""


class CircuitBreaker:
    """Opens after `failure_threshold` failures in a row and rejects calls for `open_duration` seconds.

    Then it is half-open: it lets `half_open_probes` calls through and rejects the rest.
    If all of them succeed it closes; if one fails it opens again for another `open_duration`.
    """

    def __init__(
        self,
        failure_threshold: int = 5,
        open_duration: float = 30.0,
        half_open_probes: int = 1,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if failure_threshold < 1:
            raise ValueError(f"failure_threshold must be at least 1, got {failure_threshold!r}")
        if not 0 < open_duration < float("inf"):
            raise ValueError(f"open_duration must be a positive number of seconds, got {open_duration!r}")
        if half_open_probes < 1:
            raise ValueError(f"half_open_probes must be at least 1, got {half_open_probes!r}")
        self.failure_threshold = failure_threshold
        self.open_duration = open_duration
        self.half_open_probes = half_open_probes
        self._clock = clock
        self._lock = threading.Lock()
        self._state = CLOSED
        self._epoch = 0  # changes on every transition, so late results of older calls are ignored
        self._failures = 0  # in a row, while closed
        self._probes = 0  # let through, while half-open
        self._successes = 0  # among the probes
        self._opened_at = 0.0

    @property
    def state(self) -> str:
        with self._lock:
            self._check_timer()
            return self._state

    def call(self, fn: Callable[..., T], *args: object, **kwargs: object) -> T:
        epoch = self._admit()
        try:
            result = fn(*args, **kwargs)
        except Exception:
            self._record(epoch, ok=False)
            raise
        self._record(epoch, ok=True)
        return result

    def _admit(self) -> int:
        with self._lock:
            self._check_timer()
            if self._state == OPEN or (self._state == HALF_OPEN and self._probes >= self.half_open_probes):
                raise CircuitOpenError(f"circuit {self._state}: call rejected")
            if self._state == HALF_OPEN:
                self._probes += 1
            return self._epoch

    def _record(self, epoch: int, ok: bool) -> None:
        with self._lock:
            if epoch != self._epoch:  # the call started before the last transition
                return
            if self._state == CLOSED:
                self._failures = 0 if ok else self._failures + 1
                if self._failures >= self.failure_threshold:
                    self._move_to(OPEN)
            elif not ok:  # a failed probe
                self._move_to(OPEN)
            else:
                self._successes += 1
                if self._successes == self.half_open_probes:
                    self._move_to(CLOSED)

    def _check_timer(self) -> None:
        if self._state == OPEN and self._clock() - self._opened_at >= self.open_duration:
            self._move_to(HALF_OPEN)

    def _move_to(self, state: str) -> None:
        self._state, self._epoch = state, self._epoch + 1
        self._failures = self._probes = self._successes = 0
        self._opened_at = self._clock()
# --8<-- [end:breaker]
