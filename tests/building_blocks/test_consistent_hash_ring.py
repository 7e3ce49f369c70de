"""consistent_hash_ring.py: what moves when a node joins or leaves, load spread, and determinism across processes."""

import math
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from building_blocks.consistent_hash_ring import HashRing, stable_hash

KEYS = [f"key-{i}" for i in range(100_000)]
NODES = [f"node-{i}" for i in range(10)]
SNIPPETS = Path(__file__).resolve().parents[2] / "snippets"


def owners(ring: HashRing) -> list[str]:
    return [ring.lookup(key) for key in KEYS]


def moved(before: list[str], after: list[str]) -> float:
    return sum(b != a for b, a in zip(before, after)) / len(before)


def test_adding_an_eleventh_node_moves_about_1_in_11_keys_all_to_the_new_node():
    ring = HashRing(NODES, vnodes=256)
    before = owners(ring)
    ring.add("node-10")
    after = owners(ring)
    assert moved(before, after) == pytest.approx(1 / 11, rel=0.30)  # measured 0.094
    assert {a for b, a in zip(before, after) if b != a} == {"node-10"}


def test_removing_one_of_ten_nodes_moves_only_its_keys_about_1_in_10():
    ring = HashRing(NODES, vnodes=256)
    before = owners(ring)
    ring.remove("node-3")
    after = owners(ring)
    assert moved(before, after) == pytest.approx(1 / 10, rel=0.30)  # measured 0.116
    assert {b for b, a in zip(before, after) if b != a} == {"node-3"}
    assert "node-3" not in after


@pytest.mark.parametrize(("vnodes", "heirs"), [(1, 1), (256, 9)])
def test_a_leaving_node_hands_its_keys_to_one_neighbour_or_to_everyone(vnodes, heirs):
    ring = HashRing(NODES, vnodes=vnodes)
    before = [ring.lookup(key) for key in KEYS[:20_000]]
    ring.remove("node-3")
    after = [ring.lookup(key) for key in KEYS[:20_000]]
    assert len({a for b, a in zip(before, after) if b == "node-3"}) == heirs


def test_hash_mod_n_moves_almost_every_key_on_the_same_changes():
    hashes = [stable_hash(key) for key in KEYS]
    grow = sum(h % 10 != h % 11 for h in hashes) / len(hashes)  # measured 0.909
    shrink = sum(h % 10 != h % 9 for h in hashes) / len(hashes)  # measured 0.900
    assert grow == pytest.approx(10 / 11, rel=0.05)
    assert shrink == pytest.approx(9 / 10, rel=0.05)


def max_over_mean(vnodes: int) -> float:
    counts = Counter(owners(HashRing(NODES, vnodes=vnodes)))
    return max(counts.values()) / (len(KEYS) / len(NODES))


def test_load_spread_improves_as_virtual_nodes_grow():
    spread = [max_over_mean(v) for v in (1, 10, 100, 1000)]  # measured 3.68, 1.51, 1.17, 1.04
    assert spread == sorted(spread, reverse=True)
    assert spread[0] > 2.0
    assert spread[-1] < 1.10


def test_lookups_are_the_same_in_another_process_with_another_hash_seed():
    program = (
        "from building_blocks.consistent_hash_ring import HashRing\n"
        f"ring = HashRing({NODES!r}, vnodes=50)\n"
        "print(hash('key-0'))\n"
        "print(*(ring.lookup(f'key-{i}') for i in range(2000)))\n"
    )

    def run(seed: str) -> list[str]:
        env = {**os.environ, "PYTHONPATH": str(SNIPPETS), "PYTHONHASHSEED": seed}
        done = subprocess.run([sys.executable, "-c", program], env=env, capture_output=True, text=True, check=True)
        return done.stdout.splitlines()

    first, second = run("1"), run("2")
    assert first[0] != second[0]  # Python's own hash() does change between the two processes
    ring = HashRing(NODES, vnodes=50)
    assert first[1] == second[1] == " ".join(ring.lookup(f"key-{i}") for i in range(2000))


class CountingList(list):
    reads = 0

    def __getitem__(self, index):
        CountingList.reads += 1
        return super().__getitem__(index)


def test_a_lookup_reads_about_log2_points_not_all_of_them():
    ring = HashRing(NODES, vnodes=1000)  # 10,000 points
    ring._points = CountingList(ring._points)
    CountingList.reads = 0
    for key in KEYS[:100]:
        ring.lookup(key)
    assert CountingList.reads <= 100 * (math.ceil(math.log2(10_000)) + 1)


names = st.text(alphabet="abcdefgh", min_size=1, max_size=4)


@settings(max_examples=100)
@given(nodes=st.sets(names, min_size=1, max_size=6), new=names, key=st.text(max_size=10), vnodes=st.integers(1, 20))
def test_a_new_node_only_takes_keys_and_a_removed_node_only_gives_its_own(nodes, new, key, vnodes):
    ring = HashRing(sorted(nodes), vnodes=vnodes)
    owner = ring.lookup(key)
    assert owner in nodes
    if new not in nodes:
        ring.add(new)
        assert ring.lookup(key) in {owner, new}
        ring.remove(new)
        assert ring.lookup(key) == owner
    other = next(iter(nodes - {owner}), None)
    if other is not None:
        ring.remove(other)
        assert ring.lookup(key) == owner
    assert ring.nodes == (nodes - {other})


@pytest.mark.parametrize("vnodes", [0, -1, 1.5, "8", True])
def test_nonsense_vnodes_are_rejected_by_name(vnodes):
    with pytest.raises(ValueError, match="vnodes"):
        HashRing(NODES, vnodes=vnodes)


def test_bad_nodes_are_rejected_by_name_and_an_empty_ring_has_no_owner():
    ring = HashRing(["a"])
    for bad in ("", None, "a"):
        with pytest.raises(ValueError, match="node"):
            ring.add(bad)
    with pytest.raises(ValueError, match="node"):
        ring.remove("b")
    ring.remove("a")
    with pytest.raises(LookupError):
        ring.lookup("key")
