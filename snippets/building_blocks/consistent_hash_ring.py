"""A consistent hash ring with virtual nodes, on a hash that is the same in every process."""

# --8<-- [start:hash]
import hashlib
from bisect import bisect_right
from collections.abc import Iterable


def stable_hash(text: str) -> int:
    """64 bits of BLAKE2b: unlike hash(), identical in every process and on every machine."""
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")
# --8<-- [end:hash]


# --8<-- [start:ring]
class HashRing:
    """Each node owns `vnodes` points on a 64-bit ring; a key goes to the first point clockwise."""

    def __init__(self, nodes: Iterable[str] = (), vnodes: int = 100) -> None:
        if isinstance(vnodes, bool) or not isinstance(vnodes, int) or vnodes < 1:
            raise ValueError(f"vnodes must be a positive integer, got {vnodes!r}")
        self.vnodes = vnodes
        self._points: list[int] = []  # sorted positions on the ring
        self._owners: list[str] = []  # _owners[i] owns _points[i]
        for node in nodes:
            self.add(node)

    @property
    def nodes(self) -> set[str]:
        return set(self._owners)

    def add(self, node: str) -> None:
        if not isinstance(node, str) or not node:
            raise ValueError(f"node must be a non-empty string, got {node!r}")
        if node in self._owners:
            raise ValueError(f"node {node!r} is already on the ring")
        for i in range(self.vnodes):
            point = stable_hash(f"{node}#{i}")
            at = bisect_right(self._points, point)
            self._points.insert(at, point)
            self._owners.insert(at, node)

    def remove(self, node: str) -> None:
        if node not in self._owners:
            raise ValueError(f"node {node!r} is not on the ring")
        kept = [(p, o) for p, o in zip(self._points, self._owners) if o != node]
        self._points = [p for p, _ in kept]
        self._owners = [o for _, o in kept]

    def lookup(self, key: str) -> str:
        """Binary search for the first point after the key's hash, wrapping past the top: O(log points)."""
        if not self._points:
            raise LookupError("the ring has no nodes")
        at = bisect_right(self._points, stable_hash(key)) % len(self._points)
        return self._owners[at]
# --8<-- [end:ring]

