"""bloom_filter.py: no false negatives, a measured false-positive rate that matches the formula, bad sizes rejected."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from building_blocks.bloom_filter import BloomFilter

N = 100_000


def test_sizing_follows_the_formulas_for_one_percent():
    bloom = BloomFilter(expected_items=N, false_positive_rate=0.01)
    assert bloom.size_bits == math.ceil(-N * math.log(0.01) / math.log(2) ** 2) == 958_506  # 9.6 bits per item
    assert bloom.hash_count == 7


def false_positive_rate(bloom: BloomFilter, probes: int = 50_000) -> float:
    return sum(f"absent-{i}" in bloom for i in range(probes)) / probes


def test_measured_false_positive_rate_is_within_20_percent_of_the_formula_at_100k_and_200k_items():
    bloom = BloomFilter(expected_items=N, false_positive_rate=0.01)
    for i in range(N):
        bloom.add(f"member-{i}")
    measured = false_positive_rate(bloom)  # measured 0.00998 (formula 0.01004)
    assert measured == pytest.approx(bloom.expected_false_positive_rate(N), rel=0.20)
    assert measured == pytest.approx(0.01, rel=0.20)
    for i in range(N, 2 * N):  # twice the planned items
        bloom.add(f"member-{i}")
    overfull = false_positive_rate(bloom)  # measured 0.158 (formula 0.157)
    assert overfull == pytest.approx(bloom.expected_false_positive_rate(2 * N), rel=0.20)
    assert 0.13 < overfull < 0.19


@settings(max_examples=200)
@given(
    items=st.lists(st.text(max_size=20), max_size=200),
    expected=st.integers(1, 300),
    rate=st.floats(0.001, 0.999),
)
def test_an_added_item_is_always_found(items, expected, rate):
    bloom = BloomFilter(expected_items=expected, false_positive_rate=rate)
    for item in items:
        bloom.add(item)
    assert all(item in bloom for item in items)


def test_an_empty_filter_contains_nothing():
    bloom = BloomFilter(expected_items=10, false_positive_rate=0.01)
    assert not any(f"x{i}" in bloom for i in range(1000))


@pytest.mark.parametrize("rate", [0, 0.0, 1, 1.0, -0.1, 1.5, math.nan, "0.01", None])
def test_a_false_positive_rate_outside_zero_to_one_is_rejected_by_name(rate):
    with pytest.raises(ValueError, match="false_positive_rate"):
        BloomFilter(expected_items=100, false_positive_rate=rate)


@pytest.mark.parametrize("items", [0, -5, 2.5, True, "100"])
def test_a_nonsense_item_count_is_rejected_by_name(items):
    with pytest.raises(ValueError, match="expected_items"):
        BloomFilter(expected_items=items, false_positive_rate=0.01)


def test_with_size_keeps_the_chosen_m_and_k_and_matches_the_formula_at_each_k():
    n, m = 5_000, 40_000  # 8 bits per item
    measured = {}
    for k in (1, 3, 6, 12):
        bloom = BloomFilter.with_size(size_bits=m, hash_count=k)
        assert (bloom.size_bits, bloom.hash_count) == (m, k)
        for i in range(n):
            bloom.add(f"member-{i}")
        assert all(f"member-{i}" in bloom for i in range(n))
        measured[k] = false_positive_rate(bloom, probes=40_000)
        assert measured[k] == pytest.approx(bloom.expected_false_positive_rate(n), rel=0.20)
    # measured 11.8 %, 3.0 %, 2.1 % and 5.1 %: k near (m/n) ln 2 = 5.5 beats both fewer and more hashes
    assert min(measured, key=measured.get) == 6
    assert max(measured, key=measured.get) == 1


@pytest.mark.parametrize(("size_bits", "hash_count", "name"), [
    (0, 3, "size_bits"), (-8, 3, "size_bits"), (8.0, 3, "size_bits"), (True, 3, "size_bits"),
    (64, 0, "hash_count"), (64, 2.5, "hash_count"), (64, "3", "hash_count"), (64, False, "hash_count"),
])
def test_with_size_rejects_nonsense_by_name(size_bits, hash_count, name):
    with pytest.raises(ValueError, match=name):
        BloomFilter.with_size(size_bits=size_bits, hash_count=hash_count)
