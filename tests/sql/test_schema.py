"""snippets/sql/schema.sql on both engines: it applies, and its constraints refuse bad rows."""

import datetime

import pytest

USER = ("id", "email", "country", "created_at")
ORDER = ("id", "user_id", "status", "amount_cents", "created_at")
NOW = datetime.datetime(2022, 5, 1).isoformat(sep=" ")


def test_the_three_tables_exist_and_start_empty(empty_database):
    for table in ("users", "orders", "logs"):
        assert empty_database.rows(f"SELECT count(*) FROM {table}") == [(0,)]


@pytest.mark.parametrize(("row", "why"), [
    ((1, 99, "paid", 500, NOW), "an order of a user who does not exist"),
    ((1, 1, "lost", 500, NOW), "a status outside the list"),
    ((1, 1, "paid", 0, NOW), "an amount that is not positive"),
])
def test_constraints_refuse_bad_orders(empty_database, row, why):
    empty_database.insert("users", USER, [(1, "a@example.com", "IN", NOW)])
    with pytest.raises(Exception) as refused:
        empty_database.insert("orders", ORDER, [row])
    assert "constraint" in str(refused.value).lower() or "foreign key" in str(refused.value).lower(), why
