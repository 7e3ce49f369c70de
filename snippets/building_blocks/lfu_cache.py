# --8<-- [start:lfu]
"""An O(1) LFU cache: one bucket of keys per use count, and a pointer to the smallest count."""

from collections import OrderedDict, defaultdict
from collections.abc import Hashable
from typing import Any


class LFUCache:
    """Holds at most `capacity` entries; when full, `put` evicts the least frequently used one.

    Each `get` hit and each `put` counts as one use. Ties between keys with the same count go to
    the least recently used of them: every bucket is an OrderedDict with its oldest key first.
    Counts never decay, so an old favourite stays until others overtake it.
    """

    def __init__(self, capacity: int) -> None:
        if not isinstance(capacity, int) or capacity <= 0:
            raise ValueError(f"capacity must be a positive integer, got {capacity!r}")
        self.capacity = capacity
        self._values: dict[Hashable, Any] = {}
        self._counts: dict[Hashable, int] = {}
        self._buckets: defaultdict[int, OrderedDict[Hashable, None]] = defaultdict(OrderedDict)
        self._min_count = 0  # the smallest use count held: where eviction looks

    def _use(self, key: Hashable) -> None:
        """Move `key` from the bucket of count c to the newest end of bucket c + 1."""
        count = self._counts[key]
        bucket = self._buckets[count]
        del bucket[key]
        if not bucket:
            del self._buckets[count]
            if self._min_count == count:
                self._min_count = count + 1
        self._counts[key] = count + 1
        self._buckets[count + 1][key] = None

    def get(self, key: Hashable, default: Any = None) -> Any:
        if key not in self._values:
            return default
        self._use(key)
        return self._values[key]

    def put(self, key: Hashable, value: Any) -> None:
        if key in self._values:
            self._values[key] = value
            self._use(key)
            return
        if len(self._values) >= self.capacity:
            bucket = self._buckets[self._min_count]
            evicted, _ = bucket.popitem(last=False)  # fewest uses, and least recent among those
            if not bucket:
                del self._buckets[self._min_count]
            del self._values[evicted], self._counts[evicted]
        self._values[key] = value
        self._counts[key] = 1
        self._buckets[1][key] = None
        self._min_count = 1  # a new key has the smallest possible count

    def __len__(self) -> int:
        return len(self._values)
# --8<-- [end:lfu]
