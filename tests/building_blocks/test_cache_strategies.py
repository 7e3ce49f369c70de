"""cache_strategies.py on a real SQLite file: where each strategy can serve stale data, and write-behind's loss on a kill."""

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from building_blocks.cache_strategies import CacheAside, Store, WriteBehind, WriteThrough
from fake_clock import FakeClock

SNIPPETS = Path(__file__).resolve().parents[2] / "snippets"


@pytest.fixture
def db(tmp_path) -> str:
    return str(tmp_path / "store.sqlite3")


def rows(path: str) -> dict[str, str]:
    with sqlite3.connect(path) as connection:
        return dict(connection.execute("SELECT key, value FROM kv"))


def test_cache_aside_serves_a_direct_database_update_stale_until_the_ttl(db):
    clock = FakeClock()
    cache, other_writer = CacheAside(Store(db), ttl=30, clock=clock), Store(db)
    cache.store.write("user:42", "Ada")
    assert cache.read("user:42") == "Ada"
    other_writer.write("user:42", "Grace")  # a writer that does not know about the cache
    clock.now = 29.9
    assert cache.read("user:42") == "Ada"  # stale for the whole TTL
    clock.now = 30.0
    assert cache.read("user:42") == "Grace"


def test_cache_aside_write_deletes_the_key_so_the_next_read_is_fresh(db):
    cache = CacheAside(Store(db), ttl=30, clock=FakeClock())
    cache.write("k", "old")
    assert cache.read("k") == "old"
    cache.write("k", "new")
    assert cache.read("k") == "new"
    assert rows(db) == {"k": "new"}


def test_cache_aside_race_a_reload_that_overlaps_a_write_caches_the_old_value(db):
    """Reader misses and reads "old"; the writer writes "new" and deletes the key; the reader then caches "old"."""
    clock = FakeClock()

    class StoreWithAWriterInTheGap(Store):
        def read(self, key):
            value = super().read(key)
            if value == "old":
                cache.write(key, "new")  # lands between the reader's SELECT and its cache SET
            return value

    cache = CacheAside(StoreWithAWriterInTheGap(db), ttl=30, clock=clock)
    Store(db).write("k", "old")
    assert cache.read("k") == "old"
    assert rows(db) == {"k": "new"}
    clock.now = 29.0
    assert cache.read("k") == "old"  # the delete came before the SET, so "old" stays until the TTL
    clock.now = 30.0
    assert cache.read("k") == "new"


def test_cache_aside_caches_a_missing_row_until_the_ttl(db):
    clock = FakeClock()
    cache = CacheAside(Store(db), ttl=5, clock=clock)
    assert cache.read("k") is None
    Store(db).write("k", "created")
    assert cache.read("k") is None
    clock.now = 5.0
    assert cache.read("k") == "created"


writes = st.lists(st.tuples(st.sampled_from("abc"), st.text(max_size=5)), max_size=20)


@settings(max_examples=60)
@given(ops=writes)
def test_write_through_reads_after_writes_through_it_are_never_stale(ops):
    cache, latest = WriteThrough(Store(":memory:"), ttl=60, clock=FakeClock()), {}  # SQLite in memory: no fsync per example
    for key, value in ops:
        cache.read(key)  # warm the cache with the current value first
        cache.write(key, value)
        latest[key] = value
        assert {k: cache.read(k) for k in "abc"} == {k: latest.get(k) for k in "abc"}
        assert {k: cache.store.read(k) for k in "abc"} == {k: latest.get(k) for k in "abc"}  # the database agrees


def test_write_through_keeps_the_cache_unchanged_when_the_database_write_fails(db):
    cache = WriteThrough(Store(db), ttl=60, clock=FakeClock())
    cache.write("k", "v1")
    with pytest.raises(sqlite3.IntegrityError):
        cache.write("k", None)  # violates NOT NULL: the database refuses
    assert (cache.read("k"), rows(db)) == ("v1", {"k": "v1"})


def test_write_through_is_still_stale_for_writes_that_bypass_it(db):
    clock = FakeClock()
    cache = WriteThrough(Store(db), ttl=10, clock=clock)
    cache.write("k", "v1")
    Store(db).write("k", "v2")
    assert cache.read("k") == "v1"
    clock.now = 10.0
    assert cache.read("k") == "v2"


def test_write_behind_the_database_is_stale_until_flush_and_writes_to_a_key_coalesce(db):
    cache = WriteBehind(Store(db))
    for version in range(5):
        cache.write("k", f"v{version}")
    cache.write("j", "x")
    assert cache.read("k") == "v4"  # the cache is fresh
    assert rows(db) == {}  # the database has nothing yet
    assert cache.flush() == 2  # five writes to k became one row
    assert rows(db) == {"k": "v4", "j": "x"}
    assert cache.flush() == 0


def test_write_behind_reads_a_key_it_has_not_written_from_the_database(db):
    Store(db).write("k", "stored")
    cache = WriteBehind(Store(db))
    assert (cache.read("k"), cache.read("absent")) == ("stored", None)


CHILD = """
import sys
from building_blocks.cache_strategies import Store, WriteBehind

cache = WriteBehind(Store(sys.argv[1]))
for i in range(100):
    cache.write(f"order:{i}", "paid")
if sys.argv[2] == "flush":
    cache.flush()
for i in range(100, 150):
    cache.write(f"order:{i}", "paid")  # never flushed
print("accepted", flush=True)
sys.stdin.read()  # wait here until the parent kills us
"""


def write_then_get_killed(db: str, mode: str) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SNIPPETS), os.environ.get("PYTHONPATH", "")])}
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, db, mode], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, text=True
    )
    try:
        assert child.stdout.readline() == "accepted\n"  # every write returned to the caller
        child.send_signal(signal.SIGKILL)
    finally:
        child.kill()
        child.wait()
    assert child.returncode == -signal.SIGKILL


def test_write_behind_loses_every_buffered_write_when_the_process_is_killed(db):
    write_then_get_killed(db, "no-flush")
    assert rows(db) == {}  # 150 accepted writes, none in the database


def test_write_behind_keeps_what_it_flushed_before_the_kill_and_loses_the_rest(db):
    write_then_get_killed(db, "flush")
    stored = rows(db)
    assert sorted(stored) == sorted(f"order:{i}" for i in range(100))  # the 50 writes after the flush are gone


@pytest.mark.parametrize("ttl", [0, -1, float("nan")])
@pytest.mark.parametrize("strategy", [CacheAside, WriteThrough])
def test_rejects_a_ttl_that_is_not_positive(db, strategy, ttl):
    with pytest.raises(ValueError, match="ttl"):
        strategy(Store(db), ttl=ttl)
