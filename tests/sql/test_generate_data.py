"""snippets/sql/generate_data.py: deterministic, realistic rows that load into both engines."""

import hashlib
from collections import Counter

import pytest

from sql.generate_data import STATUSES, load, orders, users


def digest(rows) -> str:
    return hashlib.sha256(repr(list(rows)).encode()).hexdigest()


def test_the_same_seed_gives_the_same_rows_and_another_seed_does_not():
    assert digest(orders(2_000, 100, seed=3)) == digest(orders(2_000, 100, seed=3))
    assert digest(orders(2_000, 100, seed=3)) != digest(orders(2_000, 100, seed=4))
    assert digest(users(100, seed=3)) == digest(users(100, seed=3))


def test_statuses_are_skewed_towards_delivered_and_buyers_towards_a_few_users():
    rows = list(orders(20_000, 1_000))
    statuses = Counter(row[2] for row in rows)
    assert set(statuses) == set(STATUSES)
    assert statuses.most_common(1)[0][0] == "delivered" and statuses["delivered"] > 0.7 * len(rows)
    assert statuses["refunded"] < 0.02 * len(rows)
    top_ten = sum(count for _, count in Counter(row[1] for row in rows).most_common(10))
    assert top_ten > 0.25 * len(rows)  # 1% of users place over a quarter of the orders


def test_timestamps_span_four_years():
    years = {row[4][:4] for row in orders(5_000, 10)}
    assert years == {"2021", "2022", "2023", "2024"}


def test_load_fills_both_engines_with_the_same_rows(empty_database):
    load(empty_database.connection, user_count=500, order_count=20_000, log_count=1_000)
    counts = [empty_database.rows(f"SELECT count(*) FROM {table}")[0][0] for table in ("users", "orders", "logs")]
    assert counts == [500, 20_000, 1_000]
    orphans = empty_database.rows("SELECT count(*) FROM orders o LEFT JOIN users u ON u.id = o.user_id WHERE u.id IS NULL")
    assert orphans == [(0,)]
    total = empty_database.rows("SELECT sum(amount_cents) FROM orders")[0][0]
    assert total == sum(row[3] for row in orders(20_000, 500))


def test_two_hundred_thousand_orders_load(empty_database):
    load(empty_database.connection)
    assert empty_database.rows("SELECT count(*) FROM orders") == [(200_000,)]


@pytest.mark.parametrize(("arguments", "named"), [
    ({"order_count": -1}, "order_count"),
    ({"user_count": -5}, "user_count"),
    ({"log_count": 2.5}, "log_count"),
    ({"user_count": True}, "user_count"),
    ({"user_count": 0, "order_count": 10}, "user_count"),
])
def test_nonsense_counts_are_refused_by_name(arguments, named):
    with pytest.raises(ValueError, match=named):
        load(None, **arguments)
