"""A leaderless replica set in memory: N replicas, write quorum W, read quorum R."""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple


# --8<-- [start:replica_set]
class Versioned(NamedTuple):
    version: int  # 0 means "never written"
    value: object


class QuorumError(RuntimeError):
    """Fewer replicas answered than the quorum needs."""


class ReplicaSet:
    """N replicas of one key; a write needs W acknowledgements, a read R answers.

    Each call is given the replicas it reaches, so the caller decides which ones
    are down or lagging. One coordinator numbers the writes 1, 2, 3...
    """

    def __init__(self, n: int, r: int, w: int) -> None:
        if n < 1:
            raise ValueError(f"n must be >= 1, got {n}")
        if not 1 <= r <= n:
            raise ValueError(f"r must be between 1 and n={n}, got {r}")
        if not 1 <= w <= n:
            raise ValueError(f"w must be between 1 and n={n}, got {w}")
        self.n, self.r, self.w = n, r, w
        self.replicas = [Versioned(0, None)] * n
        self.last_version = 0

    def _reach(self, reachable: Iterable[int]) -> list[int]:
        replicas = sorted(set(reachable))
        if any(not 0 <= i < self.n for i in replicas):
            raise ValueError(f"reachable must hold replica numbers 0..{self.n - 1}, got {replicas}")
        return replicas

    def write(self, value: object, reachable: Iterable[int]) -> int:
        """Store `value` on the reachable replicas; return its version once W have it.

        With fewer than W reachable the write fails, but nothing is rolled back:
        the replicas it reached keep the value.
        """
        replicas = self._reach(reachable)
        self.last_version += 1
        for i in replicas:
            self.replicas[i] = Versioned(self.last_version, value)
        if len(replicas) < self.w:
            raise QuorumError(f"write reached {len(replicas)} replicas, w={self.w} needed")
        return self.last_version
# --8<-- [end:replica_set]

    # --8<-- [start:read]
    def read(self, reachable: Iterable[int], repair: bool = True) -> Versioned:
        """Ask the reachable replicas (at least R) and return the newest answer.

        Read repair: each asked replica that answered with an older version is
        sent the newest one.
        """
        asked = self._reach(reachable)
        if len(asked) < self.r:
            raise QuorumError(f"read reached {len(asked)} replicas, r={self.r} needed")
        newest = max((self.replicas[i] for i in asked), key=lambda v: v.version)
        if repair:
            for i in asked:
                if self.replicas[i].version < newest.version:
                    self.replicas[i] = newest
        return newest
    # --8<-- [end:read]
