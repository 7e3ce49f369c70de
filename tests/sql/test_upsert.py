"""snippets/sql/upsert.sql: the same ON CONFLICT text on both engines makes repeated and out-of-order events
leave the state of applying each once; a conflict target with no unique constraint is an error on both."""

import itertools
import re
import sqlite3

import psycopg
import pytest

PAYMENTS = [("pay-1", 42, 1999), ("pay-2", 42, 500), ("pay-3", 7, 1200)]
# Status events for order 42, in the order they happened; version is the order's own counter
STATUSES = [(42, "paid", 1), (42, "shipped", 2), (42, "delivered", 3)]


def statement(database, sql_section, name: str) -> str:
    """The section as one statement, with SQLite's :name placeholders spelt %(name)s for psycopg."""
    sql = sql_section("upsert.sql", name).strip().removesuffix(";")
    return sql if database.engine == "sqlite" else re.sub(r":(\w+)", r"%(\1)s", sql)


def apply(database, sql: str, events: list[tuple], keys: tuple[str, ...]) -> list[int]:
    """Each event in its own transaction, as a consumer commits per message; returns each statement's rowcount."""
    counts = []
    for event in events:
        counts.append(database.connection.execute(sql, dict(zip(keys, event))).rowcount)
        database.connection.commit()
    return counts


def state(database) -> tuple[list[tuple], list[tuple]]:
    statuses = database.rows("SELECT order_id, status, version FROM order_status ORDER BY order_id")
    totals = database.rows("SELECT order_id, sum(amount_cents) FROM payments GROUP BY order_id ORDER BY order_id")
    database.connection.commit()
    return statuses, totals


@pytest.fixture
def database(empty_database, sql_section):
    empty_database.run_script(sql_section("upsert.sql", "tables"))
    return empty_database


def test_sqlite_is_new_enough_for_on_conflict_do_update():
    assert sqlite3.sqlite_version_info >= (3, 24, 0)


def test_do_nothing_records_each_payment_once_whatever_the_duplicates_and_their_order(database, sql_section):
    sql = statement(database, sql_section, "do_nothing")
    keys = ("event_id", "order_id", "amount_cents")
    assert apply(database, sql, PAYMENTS, keys) == [1, 1, 1]
    once = state(database)
    assert once == ([], [(7, 1200), (42, 2499)])

    redelivered = [PAYMENTS[2], PAYMENTS[0], PAYMENTS[2], PAYMENTS[1], PAYMENTS[0]]
    assert apply(database, sql, redelivered, keys) == [0, 0, 0, 0, 0]  # rowcount 0: a duplicate, skip its effect
    assert state(database) == once


def test_do_update_absorbs_repeats_but_a_late_older_event_overwrites_the_newer_status(database, sql_section):
    sql = statement(database, sql_section, "do_update")
    keys = ("order_id", "status", "version")
    apply(database, sql, STATUSES + STATUSES[2:], keys)  # the last event twice
    assert state(database)[0] == [(42, "delivered", 3)]

    apply(database, sql, [STATUSES[0]], keys)  # 'paid' redelivered after 'delivered'
    assert state(database)[0] == [(42, "paid", 1)]  # last write wins, and the order goes back in time


# every distinct arrival order of the three events with the first two delivered twice: 30 orders
ARRIVALS = sorted(set(itertools.permutations(STATUSES + STATUSES[:2])))


@pytest.mark.parametrize("arrival", ARRIVALS, ids=lambda arrival: "-".join(str(event[2]) for event in arrival))
def test_newer_only_keeps_the_newest_status_in_every_arrival_order(database, sql_section, arrival):
    sql = statement(database, sql_section, "newer_only")
    counts = apply(database, sql, list(arrival), ("order_id", "status", "version"))
    assert state(database)[0] == [(42, "delivered", 3)]
    newest_so_far = list(itertools.accumulate((event[2] for event in arrival), max))
    expected = [1] + [int(now > before) for before, now in itertools.pairwise(newest_so_far)]
    assert counts == expected  # 1 when the row was inserted or updated, 0 when the WHERE skipped it


def test_a_conflict_target_without_a_unique_constraint_is_an_error(database, sql_section):
    sql = statement(database, sql_section, "not_unique")
    if database.engine == "sqlite":
        error, message = sqlite3.OperationalError, "ON CONFLICT clause does not match any PRIMARY KEY or UNIQUE"
    else:
        error, message = psycopg.errors.InvalidColumnReference, "no unique or exclusion constraint matching"
    with pytest.raises(error, match=message):
        apply(database, sql, STATUSES[:1], ("order_id", "status", "version"))
    database.connection.rollback()
    assert state(database) == ([], [])
