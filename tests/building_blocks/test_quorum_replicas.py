"""Tests for snippets/building_blocks/quorum_replicas.py: overlap, stale reads, read repair."""

from __future__ import annotations

from itertools import combinations

import pytest
from hypothesis import given, settings, strategies as st

from building_blocks.quorum_replicas import QuorumError, ReplicaSet, Versioned


@st.composite
def overlapping_quorum_runs(draw):
    """N, R, W with R + W > N, then writes and reads that each reach a random W-set or R-set."""
    n = draw(st.integers(1, 7))
    w = draw(st.integers(1, n))
    r = draw(st.integers(n - w + 1, n))
    subsets = lambda size: st.sets(st.integers(0, n - 1), min_size=size, max_size=size)  # noqa: E731
    steps = draw(st.lists(st.one_of(st.tuples(st.just("write"), subsets(w)),
                                    st.tuples(st.just("read"), subsets(r))), max_size=30))
    return n, r, w, steps, draw(st.booleans())


@settings(max_examples=300)
@given(overlapping_quorum_runs())
def test_with_r_plus_w_above_n_every_read_sees_the_latest_acknowledged_write(run):
    n, r, w, steps, repair = run
    replicas = ReplicaSet(n, r, w)
    latest = Versioned(0, None)
    for number, (op, reachable) in enumerate(steps):
        if op == "write":
            latest = Versioned(replicas.write(f"value {number}", reachable), f"value {number}")
        else:
            assert replicas.read(reachable, repair=repair) == latest


def stale_reads(n: int, r: int, w: int) -> list[tuple[tuple[int, ...], tuple[int, ...]]]:
    """Every (write set, read set) of sizes W and R where a read misses the write just acknowledged."""
    found = []
    for written in combinations(range(n), w):
        for asked in combinations(range(n), r):
            replicas = ReplicaSet(n, r, w)
            replicas.write("old", range(n))
            version = replicas.write("new", written)
            if replicas.read(asked).version != version:
                found.append((written, asked))
    return found


def test_with_r_plus_w_at_most_n_the_search_finds_a_stale_read():
    found = stale_reads(3, 1, 2)
    assert ((0, 1), (2,)) in found  # the write reached replicas 0 and 1, the read asked replica 2
    assert len(found) == 3  # one per write set: the read asked the one replica left out
    assert len(stale_reads(3, 1, 1)) == 6
    assert len(stale_reads(5, 2, 3)) == 10  # of 10 x 10 pairs: for each write set, the 2 left out


@pytest.mark.parametrize("n", range(1, 6))
def test_with_r_plus_w_above_n_the_same_search_finds_none(n):
    for w in range(1, n + 1):
        for r in range(1, n + 1):
            assert (stale_reads(n, r, w) == []) == (r + w > n), (n, r, w)


def test_read_repair_brings_the_stale_replicas_up_to_date():
    replicas = ReplicaSet(3, 2, 2)
    replicas.write("v1", [0, 1, 2])
    replicas.write("v2", [0, 1])  # replica 2 lags
    assert replicas.replicas[2] == Versioned(1, "v1")
    assert replicas.read([1, 2], repair=False) == Versioned(2, "v2")
    assert replicas.replicas[2] == Versioned(1, "v1")  # no repair asked for
    assert replicas.read([1, 2]) == Versioned(2, "v2")
    assert replicas.replicas == [Versioned(2, "v2")] * 3
    # A replica the read did not ask stays stale until a read asks it.
    replicas.write("v3", [1, 2])
    replicas.read([1, 2])
    assert replicas.replicas[0] == Versioned(2, "v2")


def test_a_failed_write_is_not_rolled_back_and_a_later_read_can_return_it():
    replicas = ReplicaSet(3, 2, 2)
    replicas.write("v1", [0, 1, 2])
    with pytest.raises(QuorumError, match="w=2"):
        replicas.write("v2", [0])  # only replica 0 reachable: the client is told it failed
    assert replicas.read([1, 2]) == Versioned(1, "v1")
    assert replicas.read([0, 1]) == Versioned(2, "v2")  # ... yet here it is, and now on replica 1 too


def test_quorums_refuse_to_run_below_r_or_w():
    replicas = ReplicaSet(3, 2, 2)
    with pytest.raises(QuorumError, match="r=2"):
        replicas.read([0])
    with pytest.raises(ValueError, match="reachable"):
        replicas.write("x", [0, 3])


@pytest.mark.parametrize(
    ("n", "r", "w", "name"),
    [(0, 1, 1, "n"), (3, 4, 1, "r"), (3, 0, 1, "r"), (3, 1, 0, "w"), (3, 1, 4, "w")],
)
def test_bad_arguments_name_themselves(n, r, w, name):
    with pytest.raises(ValueError, match=f"^{name} must"):
        ReplicaSet(n, r, w)
