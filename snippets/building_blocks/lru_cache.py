# --8<-- [start:lru]
"""An LRU cache with an optional time to live per entry, and a clock you can inject."""

import math
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

_MISSING = object()


def _checked_ttl(ttl: float | None) -> float | None:
    if ttl is not None and not ttl > 0:  # `not >` also rejects NaN
        raise ValueError(f"ttl must be > 0 seconds or None, got {ttl!r}")
    return ttl


class LRUCache:
    """Holds at most `capacity` entries; when full, `put` evicts the least recently used one.

    `get` and `put` both count as use. An entry whose TTL has run out is never returned: `get`
    deletes it on sight. Until then it still takes a slot, as expired keys do in Redis until
    something touches them. Every operation is O(1): a few OrderedDict calls and no scans.
    """

    def __init__(self, capacity: int, ttl: float | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        if not isinstance(capacity, int) or capacity <= 0:
            raise ValueError(f"capacity must be a positive integer, got {capacity!r}")
        self.capacity = capacity
        self.ttl = _checked_ttl(ttl)  # the default for entries put without a ttl of their own
        self._clock = clock
        self._entries: OrderedDict[Hashable, tuple[Any, float]] = OrderedDict()  # oldest use first

    def get(self, key: Hashable, default: Any = None) -> Any:
        entry = self._entries.get(key, _MISSING)
        if entry is _MISSING:
            return default
        value, expires_at = entry
        if self._clock() >= expires_at:
            del self._entries[key]  # expired: drop it, report a miss
            return default
        self._entries.move_to_end(key)  # now the most recently used
        return value

    def put(self, key: Hashable, value: Any, ttl: float | None = None) -> None:
        ttl = _checked_ttl(ttl) or self.ttl
        expires_at = math.inf if ttl is None else self._clock() + ttl
        if key in self._entries:
            self._entries.move_to_end(key)
        elif len(self._entries) >= self.capacity:
            self._entries.popitem(last=False)  # evict the least recently used
        self._entries[key] = (value, expires_at)

    def __len__(self) -> int:
        """Entries held, counting expired ones that no `get` has dropped yet."""
        return len(self._entries)
# --8<-- [end:lru]
