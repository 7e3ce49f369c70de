"""Tests for snippets/building_blocks/load_balancers.py: each algorithm, and health tracking."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from building_blocks.load_balancers import (
    Balancer,
    IPHash,
    LeastConnections,
    PowerOfTwoChoices,
    RandomChoice,
    RoundRobin,
    SmoothWeightedRoundRobin,
)

SNIPPETS = Path(__file__).resolve().parents[2] / "snippets"
ALL = [RoundRobin, LeastConnections, IPHash, RandomChoice, PowerOfTwoChoices]


def test_round_robin_takes_each_backend_in_turn():
    lb = RoundRobin(["a", "b", "c"])
    assert [lb.pick() for _ in range(7)] == ["a", "b", "c", "a", "b", "c", "a"]


def test_smooth_wrr_gives_nginx_documented_sequence_for_5_1_1():
    # nginx commit "Upstream: smooth weighted round-robin balancing" (2012):
    # weights { 5, 1, 1 } produce { a, a, b, a, c, a, a }.
    lb = SmoothWeightedRoundRobin({"a": 5, "b": 1, "c": 1})
    assert [lb.pick() for _ in range(14)] == list("aabacaa") * 2
    assert lb.current == {"a": 0, "b": 0, "c": 0}  # back to the start after each cycle


def test_smooth_wrr_matches_the_upstream_block_seen_on_real_nginx():
    # The nginx test on this page saw app1, app1, app2, app1 for weight=3 and 1.
    lb = SmoothWeightedRoundRobin({"app1": 3, "app2": 1})
    assert [lb.pick() for _ in range(8)] == ["app1", "app1", "app2", "app1"] * 2


@settings(max_examples=200)
@given(st.lists(st.integers(1, 20), min_size=1, max_size=8), st.integers(1, 3))
def test_smooth_wrr_picks_each_backend_exactly_weight_times_per_cycle(weights, cycles):
    lb = SmoothWeightedRoundRobin({f"s{i}": w for i, w in enumerate(weights)})
    total = sum(weights)
    for _ in range(cycles):
        counts = Counter(lb.pick() for _ in range(total))
        assert counts == {f"s{i}": w for i, w in enumerate(weights)}
    # Smooth: current_weight = k * weight - total * picks, the current weights sum to 0, and a
    # picked backend is left above -total. So after any k picks each backend is less than one
    # pick ahead of its share k * weight / total, and less than n - 1 picks behind it.
    picks = [lb.pick() for _ in range(total)]
    for k in range(1, total + 1):
        prefix = Counter(picks[:k])
        for i, w in enumerate(weights):
            ahead = prefix[f"s{i}"] * total - k * w  # in units of 1 / total picks
            assert -(len(weights) - 1) * total <= ahead < total


def test_an_ejected_backend_gets_no_traffic_until_a_check_passes():
    lb = SmoothWeightedRoundRobin({"a": 5, "b": 1, "c": 1}, max_fails=2)
    lb.report("a", ok=False)
    assert "a" in lb.healthy()  # one failure is not enough
    lb.report("a", ok=False)
    assert lb.healthy() == ["b", "c"]
    assert Counter(lb.pick() for _ in range(100)) == {"b": 50, "c": 50}
    lb.report("a", ok=True)
    assert Counter(lb.pick() for _ in range(70)) == {"a": 50, "b": 10, "c": 10}


def test_a_success_resets_the_failure_count():
    lb = RoundRobin(["a", "b"], max_fails=2)
    for _ in range(5):
        lb.report("a", ok=False)
        lb.report("a", ok=True)
    assert lb.healthy() == ["a", "b"]


@pytest.mark.parametrize("cls", ALL)
def test_every_algorithm_avoids_ejected_backends(cls):
    lb = cls(["a", "b", "c"], max_fails=1)
    lb.report("b", ok=False)
    picks = {lb.acquire(f"10.0.0.{i}") for i in range(200)}
    assert picks <= {"a", "c"}
    lb.report("a", ok=False)
    assert lb.pick("10.0.0.1") == "c"
    lb.report("c", ok=False)
    with pytest.raises(LookupError):
        lb.pick()


def test_least_connections_picks_the_least_loaded():
    lb = LeastConnections(["a", "b", "c"])
    assert [lb.acquire() for _ in range(3)] == ["a", "b", "c"]
    lb.acquire()  # a: 2, b: 1, c: 1
    lb.release("b")  # a: 2, b: 0, c: 1
    assert lb.pick() == "b"
    lb.release("a")
    lb.release("a")  # a: 0, b: 0, c: 1 -> the first of the tied wins
    assert lb.pick() == "a"


@settings(max_examples=100)
@given(st.lists(st.tuples(st.booleans(), st.integers(0, 4)), max_size=60))
def test_least_connections_always_returns_a_minimum(ops):
    lb = LeastConnections([f"s{i}" for i in range(5)])
    for acquire, i in ops:
        if acquire:
            least = min(lb.active.values())
            chosen = lb.acquire()
            assert lb.active[chosen] == least + 1
        elif lb.active[f"s{i}"]:
            lb.release(f"s{i}")
        assert lb.active[lb.pick()] == min(lb.active.values())


def test_ip_hash_is_sticky_and_moves_only_the_ejected_backends_clients():
    lb = IPHash(["a", "b", "c", "d"], max_fails=1)
    clients = [f"192.0.2.{i}" for i in range(256)]
    before = {c: lb.pick(c) for c in clients}
    assert before == {c: lb.pick(c) for c in clients}
    assert set(before.values()) == {"a", "b", "c", "d"}
    lb.report("b", ok=False)
    after = {c: lb.pick(c) for c in clients}
    moved = {c for c in clients if before[c] != after[c]}
    assert moved == {c for c in clients if before[c] == "b"}


def run_python(code: str, hash_seed: str) -> str:
    env = {**os.environ, "PYTHONHASHSEED": hash_seed, "PYTHONPATH": str(SNIPPETS)}
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout


def test_ip_hash_is_the_same_in_another_process_with_another_hash_seed():
    clients = [f"198.51.100.{i}" for i in range(50)]
    here = ",".join(IPHash(["a", "b", "c"]).pick(c) for c in clients)
    code = (
        "from building_blocks.load_balancers import IPHash\n"
        f"print(','.join(IPHash(['a', 'b', 'c']).pick(c) for c in {clients!r}))"
    )
    assert run_python(code, "1").strip() == run_python(code, "2").strip() == here
    # Python's own hash() of the same string does differ between the two seeds.
    assert run_python("print(hash('198.51.100.1'))", "1") != run_python("print(hash('198.51.100.1'))", "2")


def simulate(lb: Balancer, seed: int, ticks: int = 5_000) -> int:
    """Two jobs arrive per tick; 10% last 100 ticks, the rest 1 tick. Return the peak of the max open connections."""
    rng = random.Random(seed)
    ends: dict[int, list[str]] = {}
    peak = 0
    for tick in range(ticks):
        for backend in ends.pop(tick, []):
            lb.release(backend)
        for _ in range(2):
            backend = lb.acquire()
            ends.setdefault(tick + (100 if rng.random() < 0.1 else 1), []).append(backend)
        peak = max(peak, max(lb.active.values()))
    return peak


def test_power_of_two_choices_beats_random_on_skewed_jobs():
    # 10 backends, about 22 jobs open at a time: a mean load of about 2.2 per backend.
    backends = [f"s{i}" for i in range(10)]
    p2c = [simulate(PowerOfTwoChoices(backends, seed=s), seed=s) for s in range(5)]
    rnd = [simulate(RandomChoice(backends, seed=s), seed=s) for s in range(5)]
    print("peak max load: p2c", p2c, "random", rnd)  # measured: [5, 5, 6, 6, 5] and [10, 10, 10, 9, 9]
    assert max(p2c) <= 6
    for p, r in zip(p2c, rnd):
        assert r >= 1.5 * p


def test_seeded_random_algorithms_repeat():
    for cls in (RandomChoice, PowerOfTwoChoices):
        runs = [[cls(["a", "b", "c"], seed=7).pick() for _ in range(20)] for _ in range(2)]
        assert runs[0] == runs[1]


def test_bad_arguments_name_themselves():
    with pytest.raises(ValueError, match="backends"):
        RoundRobin([])
    with pytest.raises(ValueError, match="backends"):
        RoundRobin(["a", "a"])
    with pytest.raises(ValueError, match="max_fails"):
        LeastConnections(["a"], max_fails=0)
    with pytest.raises(ValueError, match="weights"):
        SmoothWeightedRoundRobin({})
    with pytest.raises(ValueError, match="weight of 'b'"):
        SmoothWeightedRoundRobin({"a": 1, "b": 0})
    with pytest.raises(NotImplementedError):
        Balancer(["a"]).pick()
