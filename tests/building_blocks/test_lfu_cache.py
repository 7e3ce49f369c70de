"""lfu_cache.py: eviction order against a list model, ties to the least recently used, O(1) by counting, bad arguments."""

from collections import Counter, OrderedDict, defaultdict

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import building_blocks.lfu_cache as lfu_module
from building_blocks.lfu_cache import LFUCache


class ListModel:
    """The definition, the slow way: evict the smallest (use count, time of last use)."""

    def __init__(self, capacity: int) -> None:
        self.capacity, self.tick = capacity, 0
        self.entries: dict[int, list[int]] = {}  # key -> [value, count, last use]

    def use(self, key: int) -> None:
        self.tick += 1
        self.entries[key][1] += 1
        self.entries[key][2] = self.tick

    def get(self, key: int) -> int | None:
        if key not in self.entries:
            return None
        self.use(key)
        return self.entries[key][0]

    def put(self, key: int, value: int) -> None:
        if key in self.entries:
            self.entries[key][0] = value
            self.use(key)
            return
        if len(self.entries) >= self.capacity:
            victim = min(self.entries, key=lambda k: (self.entries[k][1], self.entries[k][2]))
            del self.entries[victim]
        self.tick += 1
        self.entries[key] = [value, 1, self.tick]


operations = st.lists(
    st.tuples(st.just("put"), st.integers(0, 7), st.integers()) | st.tuples(st.just("get"), st.integers(0, 7)),
    max_size=100,
)


@settings(max_examples=250)
@given(capacity=st.integers(1, 6), ops=operations)
def test_behaves_exactly_like_the_list_model(capacity, ops):
    cache, model = LFUCache(capacity), ListModel(capacity)
    for op in ops:
        if op[0] == "put":
            cache.put(op[1], op[2])
            model.put(op[1], op[2])
        else:
            assert cache.get(op[1]) == model.get(op[1])
        assert cache._values == {key: entry[0] for key, entry in model.entries.items()}
        assert cache._counts == {key: entry[1] for key, entry in model.entries.items()}
        assert len(cache) == len(model.entries)
        if cache._values:
            assert cache._min_count == min(cache._counts.values())


def test_evicts_the_least_frequently_used():
    cache = LFUCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    cache.get("a")  # a: 2 uses, b: 1
    cache.put("c", 3)  # evicts b
    assert (cache.get("b"), cache.get("a"), cache.get("c")) == (None, 1, 3)


def test_a_tie_goes_to_the_least_recently_used_of_the_tied_keys():
    cache = LFUCache(3)
    for key in "abc":
        cache.put(key, key)
    cache.get("a")
    cache.get("b")  # a and b: 2 uses each, a used longer ago; c: 1 use
    cache.put("d", "d")  # c has the fewest uses
    cache.get("d")  # d: 2 uses, the most recent
    cache.put("e", "e")  # a, b and d tie at 2: a is the least recently used
    assert [cache.get(key) for key in "abcde"] == [None, "b", None, "d", "e"]


def test_a_put_to_a_held_key_updates_it_and_counts_as_a_use():
    cache = LFUCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    cache.put("a", 10)  # a: 2 uses
    cache.put("c", 3)  # evicts b
    assert (cache.get("a"), cache.get("b"), len(cache)) == (10, None, 2)


def counting(base: type, calls: Counter) -> type:
    """A subclass of `base` that counts each call made on it and refuses any scan of its entries."""

    def counted(name: str):
        method = getattr(base, name)

        def wrapper(self, *args, **kwargs):
            calls[name] += 1
            return method(self, *args, **kwargs)

        return wrapper

    def scan(self, *args):
        raise AssertionError("get/put scanned the entries")

    names = ["get", "__contains__", "__getitem__", "__setitem__", "__delitem__", "__len__", "popitem", "move_to_end"]
    methods = {name: counted(name) for name in names if hasattr(base, name)}
    return type(f"Counting{base.__name__}", (base,), methods | dict.fromkeys(["__iter__", "keys", "values", "items"], scan))


def work_on_a_full_cache(size: int, lines_run) -> tuple[Counter, int]:
    """The same operations on a full cache of `size` entries: (calls on its dicts, lines run in lfu_cache.py)."""
    cache = LFUCache(size)
    for key in range(size):
        cache.put(key, key)
    for key in range(0, size, 2):
        cache.get(key)  # even keys: 2 uses, odd keys: 1
    calls = Counter()
    counting_dict, counting_ordered = counting(dict, calls), counting(OrderedDict, calls)
    buckets = counting(defaultdict, calls)(counting_ordered)
    for count, bucket in cache._buckets.items():
        dict.__setitem__(buckets, count, counting_ordered(bucket))
    cache._values, cache._counts, cache._buckets = counting_dict(cache._values), counting_dict(cache._counts), buckets
    calls.clear()

    def work() -> None:
        cache.get(size - 1)  # a hit on the last odd key: it leaves the count-1 bucket
        cache.get("absent")  # a miss
        cache.put("new", 1)  # evicts key 1, the oldest with one use
        cache.put(size - 2, 2)  # an update of an even key: 2 -> 3 uses
        cache.get("new")  # 1 -> 2 uses
        cache.put("last", 3)  # evicts key 3, now the oldest with one use

    lines = lines_run(lfu_module, work)
    assert len(cache._values) == size and cache.get(1) is None and cache.get(3) is None
    return calls, lines


def test_get_and_put_cost_the_same_on_10_and_100_000_entries(lines_run):
    small, big = work_on_a_full_cache(10, lines_run), work_on_a_full_cache(100_000, lines_run)
    assert small == big
    calls, lines = big
    assert sum(calls.values()) == 54 and lines < 100  # measured: 54 calls, 50 lines; no scan


@pytest.mark.parametrize("capacity", [0, -5, 1.5, "2", None])
def test_rejects_a_capacity_that_is_not_a_positive_integer(capacity):
    with pytest.raises(ValueError, match="capacity"):
        LFUCache(capacity)
