"""Load-balancing algorithms behind one interface, with passive health tracking."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Mapping, Sequence


# --8<-- [start:balancer]
class Balancer:
    """A pool of backends with open-connection counts and health tracking.

    `report(backend, ok=False)` counts a failure; after `max_fails` failures in a
    row the backend is ejected and gets no traffic. `report(backend, ok=True)`,
    a passing health check, readmits it. Subclasses choose among healthy backends.
    """

    def __init__(self, backends: Sequence[str], max_fails: int = 3) -> None:
        if not backends or len(set(backends)) != len(backends):
            raise ValueError("backends must be a non-empty list of distinct names")
        if max_fails < 1:
            raise ValueError(f"max_fails must be >= 1, got {max_fails}")
        self.backends = list(backends)
        self.max_fails = max_fails
        self.active = dict.fromkeys(self.backends, 0)  # open connections
        self._fails = dict.fromkeys(self.backends, 0)
        self._ejected: set[str] = set()

    def healthy(self) -> list[str]:
        return [b for b in self.backends if b not in self._ejected]

    def report(self, backend: str, ok: bool) -> None:
        """Record the result of a request or a health check on `backend`."""
        if ok:
            self._fails[backend] = 0
            self._ejected.discard(backend)
        else:
            self._fails[backend] += 1
            if self._fails[backend] >= self.max_fails:
                self._ejected.add(backend)

    def pick(self, client: str = "") -> str:
        """Choose a healthy backend. Only IPHash looks at `client`."""
        healthy = self.healthy()
        if not healthy:
            raise LookupError("every backend is ejected")
        return self._choose(healthy, client)

    def acquire(self, client: str = "") -> str:
        """Pick a backend and count one more open connection to it."""
        backend = self.pick(client)
        self.active[backend] += 1
        return backend

    def release(self, backend: str) -> None:
        self.active[backend] -= 1

    def _choose(self, healthy: list[str], client: str) -> str:
        raise NotImplementedError
# --8<-- [end:balancer]


# --8<-- [start:round_robin]
class RoundRobin(Balancer):
    """Each healthy backend in turn."""

    _turn = 0

    def _choose(self, healthy: list[str], client: str) -> str:
        self._turn += 1
        return healthy[(self._turn - 1) % len(healthy)]


class SmoothWeightedRoundRobin(Balancer):
    """nginx's smooth weighted round robin: weights {a: 5, b: 1, c: 1} give a a b a c a a."""

    def __init__(self, weights: Mapping[str, int], max_fails: int = 3) -> None:
        if not weights:
            raise ValueError("weights must name at least one backend")
        for backend, weight in weights.items():
            if weight <= 0:
                raise ValueError(f"weight of {backend!r} must be > 0, got {weight}")
        super().__init__(list(weights), max_fails)
        self.weights = dict(weights)
        self.current = dict.fromkeys(self.backends, 0)

    def _choose(self, healthy: list[str], client: str) -> str:
        for backend in healthy:
            self.current[backend] += self.weights[backend]
        best = max(healthy, key=self.current.__getitem__)  # the first one wins a tie
        self.current[best] -= sum(self.weights[b] for b in healthy)
        return best
# --8<-- [end:round_robin]


# --8<-- [start:least_connections]
class LeastConnections(Balancer):
    """The healthy backend with the fewest open connections (use acquire/release)."""

    def _choose(self, healthy: list[str], client: str) -> str:
        return min(healthy, key=self.active.__getitem__)


class IPHash(Balancer):
    """The same client goes to the same backend, in every process.

    SHA-256 is stable; Python's hash() of a str changes with PYTHONHASHSEED. If
    the chosen backend is ejected, the walk moves on to the next healthy one, so
    only that backend's clients move.
    """

    def _choose(self, healthy: list[str], client: str) -> str:
        digest = hashlib.sha256(client.encode()).digest()
        start, n = int.from_bytes(digest[:8], "big"), len(self.backends)
        walk = (self.backends[(start + i) % n] for i in range(n))
        return next(b for b in walk if b not in self._ejected)
# --8<-- [end:least_connections]


# --8<-- [start:random]
class RandomChoice(Balancer):
    """A uniformly random healthy backend."""

    def __init__(self, backends: Sequence[str], max_fails: int = 3, seed: int | None = None) -> None:
        super().__init__(backends, max_fails)
        self.rng = random.Random(seed)

    def _choose(self, healthy: list[str], client: str) -> str:
        return self.rng.choice(healthy)


class PowerOfTwoChoices(RandomChoice):
    """Two random healthy backends; the one with fewer open connections wins."""

    def _choose(self, healthy: list[str], client: str) -> str:
        if len(healthy) == 1:
            return healthy[0]
        a, b = self.rng.sample(healthy, 2)
        return a if self.active[a] <= self.active[b] else b
# --8<-- [end:random]
