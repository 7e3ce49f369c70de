"""snippets/sql/analyze_changes_plan.sql (PostgreSQL only): the plan for a status changes only once ANALYZE runs."""


import pytest

from sql_snippets import section


@pytest.fixture
def postgres(postgres_orders):
    """A new database with schema.sql and 50,000 orders, in autocommit mode."""
    connection = postgres_orders(user_count=2_000, order_count=50_000)
    return connection


def plan(connection, sql: str) -> tuple[str, float]:
    """(the node that reads order_archive, the planner's row estimate for the whole query), from EXPLAIN (FORMAT JSON)."""
    (document,), = connection.execute(f"EXPLAIN (FORMAT JSON) {sql}").fetchall()
    top = document[0]["Plan"]
    stack = [top]
    while stack:
        node = stack.pop()
        if node.get("Relation Name") == "order_archive":
            return node["Node Type"], top["Plan Rows"]
        stack.extend(node.get("Plans", []))
    raise AssertionError(f"order_archive is not in the plan: {document}")


def test_the_plan_follows_the_statistics_not_the_data(postgres):
    postgres.execute(section("analyze_changes_plan.sql", "setup"))
    assert postgres.execute("SELECT reloptions FROM pg_class WHERE relname = 'order_archive'"
                            ).fetchall() == [(["autovacuum_enabled=off"],)]
    query = section("analyze_changes_plan.sql", "query")
    rare = len(postgres.execute(query).fetchall())
    assert 0 < rare < 0.02 * 50_000

    node, estimate = plan(postgres, query)
    assert node == "Bitmap Heap Scan"  # about 1% of the rows: the index pays
    assert estimate < 0.05 * 50_000

    postgres.execute(section("analyze_changes_plan.sql", "bulk_change"))
    common = len(postgres.execute(query).fetchall())
    assert common > 0.7 * 50_000
    node, estimate = plan(postgres, query)
    assert node == "Bitmap Heap Scan"  # stale statistics: the same plan for 75% of the rows
    assert estimate < 0.05 * 50_000

    postgres.execute(section("analyze_changes_plan.sql", "analyze"))
    node, estimate = plan(postgres, query)
    assert node == "Seq Scan"  # fresh statistics: reading the whole table is cheaper
    assert estimate > 0.7 * 50_000
