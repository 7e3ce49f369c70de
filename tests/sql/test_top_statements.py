"""snippets/sql/top_statements.sql (PostgreSQL only): pg_stat_statements folds statements that differ only in
constants into one row, sums calls, rows and pages over every run, ranks by total time, and resets per database.
Times are never compared with a bound: only the identity total = calls × mean and the ranking's order."""

import pytest

from sql_snippets import section

PAGE = 8192
OUR_ENTRIES = """SELECT query, calls, rows, total_exec_time, mean_exec_time, shared_blks_hit, shared_blks_read
FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())"""


@pytest.fixture
def postgres(postgres_orders):
    """A new database with 20,000 orders, the extension, a vacuumed orders table and no statistics yet."""
    connection = postgres_orders(user_count=1_000, order_count=20_000)
    connection.execute(section("top_statements.sql", "enable"))
    connection.execute("VACUUM orders")  # hint bits and visibility map set now, so no later scan writes pages
    connection.execute("SET max_parallel_workers_per_gather = 0")  # one process scans, as the page counts assume
    connection.execute(section("top_statements.sql", "reset"))
    return connection


def entries(connection, like: str) -> list[tuple]:
    return connection.execute(f"{OUR_ENTRIES} AND query LIKE %s", (like,)).fetchall()


def test_statements_differing_only_in_constants_are_one_entry(postgres):
    returned = [len(postgres.execute(f"SELECT * FROM orders WHERE user_id = {user}").fetchall()) for user in (42, 43)]
    assert returned[0] > 0 and returned[1] > 0
    (query, calls, rows, *_), = entries(postgres, "SELECT * FROM orders WHERE user_id = %")
    assert query == "SELECT * FROM orders WHERE user_id = $1"  # the constant became a parameter symbol
    assert calls == 2
    assert rows == sum(returned)  # rows returned, summed over both calls


def test_a_full_scan_counts_every_page_on_every_run(postgres):
    pages = postgres.execute("SELECT pg_relation_size('orders')").fetchone()[0] // PAGE
    runs = 3
    for _ in range(runs):
        postgres.execute("SELECT count(*) FROM orders").fetchone()
    (_, calls, rows, _, _, hit, read), = entries(postgres, "SELECT count(*) FROM orders")
    assert (calls, rows) == (runs, runs)
    assert hit + read == runs * pages


def test_total_time_is_calls_times_mean(postgres):
    for user in range(1, 6):
        postgres.execute(f"SELECT * FROM orders WHERE user_id = {user}").fetchall()
    postgres.execute("SELECT count(*) FROM orders").fetchone()
    found = entries(postgres, "%")
    assert len(found) >= 2
    for query, calls, _, total, mean, _, _ in found:
        assert total == pytest.approx(calls * mean, rel=1e-9), query


def test_ranking_lists_ten_statements_by_total_time(postgres):
    for width in range(1, 13):  # twelve statements of different shapes: twelve entries
        postgres.execute(f"SELECT {', '.join(['id'] * width)} FROM orders LIMIT 5").fetchall()
    ranked = postgres.execute(section("top_statements.sql", "top")).fetchall()
    assert len(ranked) == 10
    totals = [row[1] for row in ranked]
    assert totals == sorted(totals, reverse=True)
    assert all(row[0] >= 1 for row in ranked)


def test_ranking_shows_only_this_database(postgres, postgres_orders):
    other = postgres_orders(user_count=10, order_count=10)
    other.execute(section("top_statements.sql", "enable"))
    other.execute("SELECT status FROM orders WHERE amount_cents > 0").fetchall()
    postgres.execute("SELECT count(*) FROM orders").fetchone()
    queries = [row[-1] for row in postgres.execute(section("top_statements.sql", "top")).fetchall()]
    assert "SELECT count(*) FROM orders" in queries
    assert not any("amount_cents >" in query for query in queries)


def test_reset_empties_the_view_for_this_database(postgres, postgres_orders):
    other = postgres_orders(user_count=10, order_count=10)
    other.execute(section("top_statements.sql", "enable"))
    other.execute("SELECT count(*) FROM orders").fetchone()
    postgres.execute("SELECT count(*) FROM orders").fetchone()
    postgres.execute(section("top_statements.sql", "reset"))
    (remaining,), = [row[:1] for row in entries(postgres, "%")]
    assert "pg_stat_statements_reset" in remaining  # the reset itself is recorded once it has finished
    assert entries(other, "SELECT count(*) FROM orders")  # another database keeps its entries
