"""Cache-aside, write-through and write-behind in front of a real store: a table in a SQLite file."""

import sqlite3
import time
from collections.abc import Callable, Iterable


# --8<-- [start:store]
class Store:
    """The database behind the cache: a key-value table in a SQLite file, committed on every call."""

    def __init__(self, path: str) -> None:
        self._db = sqlite3.connect(path)
        with self._db:
            self._db.execute("CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL)")

    def read(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM kv WHERE key = ?", (key,)).fetchone()
        return None if row is None else row[0]

    def write_many(self, items: Iterable[tuple[str, str]]) -> None:
        with self._db:  # one transaction: all rows or none
            self._db.executemany("INSERT OR REPLACE INTO kv (key, value) VALUES (?, ?)", items)

    def write(self, key: str, value: str) -> None:
        self.write_many([(key, value)])
# --8<-- [end:store]


# --8<-- [start:cache_aside]
class CacheAside:
    """Read: the cache, else the store, then keep the value for `ttl` seconds. Write: the store, then delete the key."""

    def __init__(self, store: Store, ttl: float, clock: Callable[[], float] = time.monotonic) -> None:
        if not ttl > 0:
            raise ValueError(f"ttl must be > 0 seconds, got {ttl!r}")
        self.store, self.ttl, self._clock = store, ttl, clock
        self._cache: dict[str, tuple[str | None, float]] = {}  # key -> (value, expires at)

    def read(self, key: str) -> str | None:
        hit = self._cache.get(key)
        if hit is not None and self._clock() < hit[1]:
            return hit[0]
        value = self.store.read(key)  # a miss, or expired: load (None, "no row", is cached too)
        self._cache[key] = (value, self._clock() + self.ttl)
        return value

    def write(self, key: str, value: str) -> None:
        self.store.write(key, value)
        self._cache.pop(key, None)  # delete, not update: the next read reloads
# --8<-- [end:cache_aside]


# --8<-- [start:write_through]
class WriteThrough(CacheAside):
    """Like cache-aside on reads; a write goes to the store and then into the cache before it returns."""

    def write(self, key: str, value: str) -> None:
        self.store.write(key, value)  # first: if it raises, the cache still holds the old, matching value
        self._cache[key] = (value, self._clock() + self.ttl)
# --8<-- [end:write_through]


# --8<-- [start:write_behind]
class WriteBehind:
    """A write lands in the cache and a buffer; only `flush` writes the buffer to the store."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._cache: dict[str, str | None] = {}
        self._dirty: dict[str, str] = {}  # written, not yet in the store; later writes to a key replace earlier ones

    def read(self, key: str) -> str | None:
        if key not in self._cache:
            self._cache[key] = self.store.read(key)
        return self._cache[key]

    def write(self, key: str, value: str) -> None:
        self._cache[key] = value
        self._dirty[key] = value  # nothing reaches the store yet: a crash now loses it

    def flush(self) -> int:
        """Write every buffered key in one transaction; return how many rows were written."""
        self.store.write_many(self._dirty.items())
        written, self._dirty = len(self._dirty), {}
        return written
# --8<-- [end:write_behind]
