"""snippets/sql/materialized_view.sql (PostgreSQL only): stale until refreshed, and CONCURRENTLY needs a unique index."""


import psycopg
import pytest

from sql_snippets import section

LIVE = ("SELECT created_at::date, status, count(*), sum(amount_cents) FROM orders "
        "GROUP BY created_at::date, status ORDER BY 1, 2")
VIEW = "SELECT day, status, orders, revenue_cents FROM daily_revenue ORDER BY day, status"


@pytest.fixture
def postgres(postgres_orders):
    """A new database with schema.sql and 20,000 orders, in autocommit mode; .connect() opens a second session."""
    connection = postgres_orders(user_count=1_000, order_count=20_000)
    info = connection.info
    connection.connect = lambda: psycopg.connect(host=info.host, port=info.port, user=info.user, dbname=info.dbname,
                                                 autocommit=True)
    return connection


def test_the_view_is_stale_until_refreshed(postgres):
    postgres.execute(section("materialized_view.sql", "create"))
    assert postgres.execute(VIEW).fetchall() == postgres.execute(LIVE).fetchall()

    postgres.execute("INSERT INTO orders VALUES (20001, 1, 'refunded', 500, '2030-01-01 09:00')")
    assert postgres.execute("SELECT count(*) FROM daily_revenue WHERE day = '2030-01-01'").fetchall() == [(0,)]
    assert postgres.execute(VIEW).fetchall() != postgres.execute(LIVE).fetchall()

    postgres.execute(section("materialized_view.sql", "refresh"))
    assert postgres.execute(VIEW).fetchall() == postgres.execute(LIVE).fetchall()
    assert postgres.execute("SELECT status, orders, revenue_cents FROM daily_revenue WHERE day = '2030-01-01'"
                            ).fetchall() == [("refunded", 1, 500)]


def test_refresh_concurrently_fails_without_a_unique_index_and_works_with_one(postgres):
    postgres.execute(section("materialized_view.sql", "create"))
    with pytest.raises(psycopg.errors.ObjectNotInPrerequisiteState) as failure:
        postgres.execute(section("materialized_view.sql", "refresh_concurrently"))
    assert 'cannot refresh materialized view "public.daily_revenue" concurrently' in str(failure.value)
    assert "unique index" in failure.value.diag.message_hint

    postgres.execute(section("materialized_view.sql", "unique_index"))
    postgres.execute("UPDATE orders SET amount_cents = amount_cents + 1 WHERE id <= 5000")
    postgres.execute(section("materialized_view.sql", "refresh_concurrently"))
    assert postgres.execute(VIEW).fetchall() == postgres.execute(LIVE).fetchall()


def test_readers_wait_for_a_plain_refresh_but_not_for_a_concurrent_one(postgres):
    postgres.execute(section("materialized_view.sql", "create"))
    postgres.execute(section("materialized_view.sql", "unique_index"))
    before = postgres.execute(VIEW).fetchall()
    postgres.execute("INSERT INTO orders VALUES (20001, 1, 'refunded', 500, '2030-01-01 09:00')")

    with postgres.connect() as reader:
        reader.execute("SET lock_timeout = '2s'")  # fail rather than wait; no time is measured
        for refresh, blocks in [("refresh", True), ("refresh_concurrently", False)]:
            with postgres.transaction():  # the refresh is done but not committed: it still holds its lock
                postgres.execute(section("materialized_view.sql", refresh))
                if blocks:
                    with pytest.raises(psycopg.errors.LockNotAvailable):
                        reader.execute(VIEW)
                else:
                    assert reader.execute(VIEW).fetchall() == before  # the old rows, read during the refresh
                reader.rollback()
                raise psycopg.Rollback()  # undo this refresh, so the next one has work to do
    postgres.execute(section("materialized_view.sql", "refresh_concurrently"))
    assert postgres.execute(VIEW).fetchall() == postgres.execute(LIVE).fetchall() != before
