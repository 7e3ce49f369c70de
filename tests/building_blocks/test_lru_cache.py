"""lru_cache.py: eviction order against a list model, expiry on a fake clock, O(1) by counting, bad arguments."""

from collections import OrderedDict

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import building_blocks.lru_cache as lru_module
from building_blocks.lru_cache import LRUCache
from fake_clock import FakeClock


class ListModel:
    """The definition, written the slow and obvious way: a list ordered from least to most recently used."""

    def __init__(self, capacity: int, ttl: float | None, clock: FakeClock) -> None:
        self.capacity, self.ttl, self.clock = capacity, ttl, clock
        self.entries: list[tuple[int, int, float]] = []  # (key, value, expires at)

    def find(self, key: int) -> int | None:
        return next((i for i, entry in enumerate(self.entries) if entry[0] == key), None)

    def get(self, key: int) -> int | None:
        i = self.find(key)
        if i is None:
            return None
        entry = self.entries.pop(i)
        if self.clock.now >= entry[2]:
            return None
        self.entries.append(entry)
        return entry[1]

    def put(self, key: int, value: int, ttl: float | None) -> None:
        ttl = ttl or self.ttl
        expires = float("inf") if ttl is None else self.clock.now + ttl
        i = self.find(key)
        if i is not None:
            self.entries.pop(i)
        elif len(self.entries) >= self.capacity:
            self.entries.pop(0)
        self.entries.append((key, value, expires))


keys = st.integers(0, 7)
ttls = st.none() | st.sampled_from([0.5, 1.0, 3.0])
operations = st.lists(
    st.tuples(st.just("put"), keys, st.integers(), ttls)
    | st.tuples(st.just("get"), keys)
    | st.tuples(st.just("tick"), st.sampled_from([0.25, 1.0])),
    max_size=80,
)


@settings(max_examples=400)
@given(capacity=st.integers(1, 6), default_ttl=ttls, ops=operations)
def test_behaves_exactly_like_the_list_model(capacity, default_ttl, ops):
    clock = FakeClock()
    cache, model = LRUCache(capacity, ttl=default_ttl, clock=clock), ListModel(capacity, default_ttl, clock)
    for op in ops:
        if op[0] == "put":
            cache.put(op[1], op[2], ttl=op[3])
            model.put(op[1], op[2], op[3])
        elif op[0] == "get":
            assert cache.get(op[1]) == model.get(op[1])
        else:
            clock.now += op[1]
        assert list(cache._entries) == [entry[0] for entry in model.entries]  # same keys, same order


def test_evicts_the_least_recently_used_and_a_get_counts_as_use():
    cache = LRUCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # now b is the least recently used
    cache.put("c", 3)
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (1, None, 3)
    cache.put("a", 10)  # an update is a use too, and never evicts
    cache.put("d", 4)
    assert (cache.get("a"), cache.get("c"), cache.get("d"), len(cache)) == (10, None, 4, 2)


@settings(max_examples=300)
@given(
    ttl=st.floats(0.001, 100),
    ops=st.lists(st.tuples(st.integers(0, 3), st.floats(0, 50), st.booleans()), max_size=40),
)
def test_an_expired_entry_is_never_returned(ttl, ops):
    clock = FakeClock()
    cache = LRUCache(4, ttl=ttl, clock=clock)
    written: dict[int, float] = {}
    for key, step, write in ops:
        clock.now += step
        if write:
            cache.put(key, clock.now)
            written[key] = clock.now
        value = cache.get(key)
        if value is not None:
            assert clock.now < value + ttl  # every value is its own write time
            assert value == written[key]


def test_an_entry_expires_at_exactly_its_ttl_and_a_per_entry_ttl_overrides_the_default():
    clock = FakeClock(100.0)
    cache = LRUCache(3, ttl=10, clock=clock)
    cache.put("default", 1)
    cache.put("short", 2, ttl=1)
    cache.put("forever", 3)
    clock.now = 100.999
    assert cache.get("short") == 2
    clock.now = 101.0
    assert cache.get("short") is None
    assert len(cache) == 2  # the get dropped it
    clock.now = 110.0
    assert (cache.get("default"), cache.get("forever", "miss")) == (None, "miss")  # "forever" still had ttl=10


def test_no_ttl_means_entries_never_expire():
    clock = FakeClock()
    cache = LRUCache(1, clock=clock)
    cache.put("k", "v")
    clock.now = 1e12
    assert cache.get("k") == "v"


class CountingOrderedDict(OrderedDict):
    """The cache's own structure, counting each call the cache makes on it and refusing any scan."""

    def __init__(self, *args) -> None:
        self.calls: dict[str, int] = {}
        super().__init__(*args)
        self.calls.clear()

    def _count(self, name: str) -> None:
        self.calls[name] = self.calls.get(name, 0) + 1

    def get(self, *args):
        self._count("get")
        return super().get(*args)

    def move_to_end(self, *args, **kwargs):
        self._count("move_to_end")
        return super().move_to_end(*args, **kwargs)

    def popitem(self, *args, **kwargs):
        self._count("popitem")
        return super().popitem(*args, **kwargs)

    def __contains__(self, key):
        self._count("in")
        return super().__contains__(key)

    def __setitem__(self, key, value):
        self._count("set")
        return super().__setitem__(key, value)

    def __delitem__(self, key):
        self._count("del")
        return super().__delitem__(key)

    def __len__(self):
        self._count("len")
        return super().__len__()

    def __iter__(self):
        raise AssertionError("get/put scanned the entries")

    keys = values = items = __iter__


def work_on_a_full_cache(size: int, lines_run) -> tuple[dict[str, int], int]:
    """The same eight operations on a full cache of `size` entries: (calls per method, lines run in lru_cache.py)."""
    clock = FakeClock()
    cache = LRUCache(size, clock=clock)
    for key in range(size):
        cache.put(key, key)
    cache._entries = CountingOrderedDict(cache._entries)

    def work() -> None:
        cache.get(size - 1)  # a hit
        cache.get("absent")  # a miss
        cache.put("new", 1)  # evicts key 0
        cache.put(size - 1, 2)  # an update
        cache.put("brief", 3, ttl=1)  # evicts key 1
        clock.now = 5
        cache.get("brief")  # expired: dropped
        cache.get(0)  # evicted: a miss
        cache.put("last", 4)  # room left by "brief": no eviction

    lines = lines_run(lru_module, work)
    assert len(cache._entries) == size
    return cache._entries.calls, lines


def test_get_and_put_cost_the_same_on_10_and_100_000_entries(lines_run):
    small, big = work_on_a_full_cache(10, lines_run), work_on_a_full_cache(100_000, lines_run)
    assert small == big
    calls, lines = big
    assert sum(calls.values()) == 21 and lines < 80  # measured: 21 calls, 48 lines; no scan


@pytest.mark.parametrize("capacity", [0, -1, 2.5, "3", None])
def test_rejects_a_capacity_that_is_not_a_positive_integer(capacity):
    with pytest.raises(ValueError, match="capacity"):
        LRUCache(capacity)


@pytest.mark.parametrize("ttl", [0, -1.0, float("nan")])
def test_rejects_a_ttl_that_is_not_positive(ttl):
    with pytest.raises(ValueError, match="ttl"):
        LRUCache(3, ttl=ttl)
    with pytest.raises(ValueError, match="ttl"):
        LRUCache(3).put("k", "v", ttl=ttl)
