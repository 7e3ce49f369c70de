"""merkle_tree.py: replicas that differ in k keys reconcile with O(k log n) hashes and find exactly those keys."""

import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from building_blocks.merkle_tree import MerkleTree, reconcile

N = 2**16
DEPTH = 16  # 65,536 leaves for 65,536 keys: a leaf holds about one key
DATA = {f"key-{i}": f"value-{i}" for i in range(N)}


@pytest.fixture(scope="module")
def base() -> MerkleTree:
    return MerkleTree(DATA, depth=DEPTH)


def test_identical_replicas_exchange_one_hash(base):
    assert reconcile(base, MerkleTree(dict(DATA), depth=DEPTH)) == (set(), 1)


@pytest.mark.parametrize("k", [1, 10, 100, 1000])
def test_k_differences_among_65k_keys_cost_o_k_log_n_hashes(base, k):
    rng = random.Random(k)
    changed = set(rng.sample(sorted(DATA), k))
    replica = {key: ("changed" if key in changed else value) for key, value in DATA.items()}
    keys, sent = reconcile(base, MerkleTree(replica, depth=DEPTH))
    assert keys == changed
    # measured: 34, 280, 2,095 and 14,353 hashes for k = 1, 10, 100, 1000 (bound: 48 k)
    assert sent <= 3 * k * math.log2(N)
    assert sent * 4 < N  # the data itself would be N keys and values


def test_missing_and_extra_keys_are_differences_too(base):
    replica = dict(DATA)
    del replica["key-7"]
    replica["key-new"] = "x"
    keys, sent = reconcile(base, MerkleTree(replica, depth=DEPTH))
    assert keys == {"key-7", "key-new"}
    assert sent <= 3 * 2 * math.log2(N)


def test_one_changed_value_changes_the_root_and_its_leaf():
    a = MerkleTree({"x": "1", "y": "2"}, depth=3)
    b = MerkleTree({"x": "1", "y": "3"}, depth=3)
    assert a.root != b.root
    changed = [i for i, (p, q) in enumerate(zip(a.levels[0], b.levels[0])) if p != q]
    assert changed == [a.leaf_of("y")]


stores = st.dictionaries(st.text(max_size=6), st.text(max_size=6), max_size=40)


@settings(max_examples=200)
@given(local=stores, edits=stores, deletions=st.sets(st.text(max_size=6), max_size=10), depth=st.integers(0, 8))
def test_reconcile_finds_exactly_the_keys_that_differ(local, edits, deletions, depth):
    remote = {**local, **edits}
    for key in deletions:
        remote.pop(key, None)
    expected = {key for key in local.keys() | remote.keys() if local.get(key) != remote.get(key)}
    keys, sent = reconcile(MerkleTree(local, depth), MerkleTree(remote, depth))
    assert keys == expected
    if not expected:
        assert sent == 1  # the roots match: one hash
    assert keys == reconcile(MerkleTree(remote, depth), MerkleTree(local, depth))[0]


@pytest.mark.parametrize("depth", [-1, 25, 2.0, "3", True, None])
def test_a_nonsense_depth_is_rejected_by_name(depth):
    with pytest.raises(ValueError, match="depth"):
        MerkleTree({}, depth=depth)


def test_trees_of_different_depths_cannot_be_reconciled():
    with pytest.raises(ValueError, match="remote"):
        reconcile(MerkleTree({}, depth=2), MerkleTree({}, depth=3))
