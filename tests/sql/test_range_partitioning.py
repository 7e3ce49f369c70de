"""snippets/sql/range_partitioning.sql (PostgreSQL only): a WHERE on the partition key prunes partitions in the plan."""


import pytest

from sql_snippets import section

PARTITIONS = {"orders_2021", "orders_2022", "orders_2023", "orders_2024"}


@pytest.fixture
def postgres(postgres_orders):
    """A new database with schema.sql and 20,000 orders, in autocommit mode."""
    connection = postgres_orders(user_count=1_000, order_count=20_000)
    return connection


def scanned(connection, sql: str) -> set[str]:
    """The tables the plan of EXPLAIN (FORMAT JSON) reads, from every node of it."""
    (document,), = connection.execute(f"EXPLAIN (FORMAT JSON) {sql}").fetchall()
    tables, stack = set(), [document[0]["Plan"]]
    while stack:
        node = stack.pop()
        if "Relation Name" in node:
            tables.add(node["Relation Name"])
        stack.extend(node.get("Plans", []))
    return tables


@pytest.fixture
def partitioned(postgres):
    postgres.execute(section("range_partitioning.sql", "create"))
    postgres.execute("ANALYZE orders_by_year")
    return postgres


def test_every_row_lands_in_the_partition_of_its_year(partitioned):
    per_partition = partitioned.execute(
        "SELECT tableoid::regclass::text, min(created_at)::text, max(created_at)::text, count(*) "
        "FROM orders_by_year GROUP BY 1 ORDER BY 1").fetchall()
    assert [row[0] for row in per_partition] == sorted(PARTITIONS)
    for table, first, last, _ in per_partition:
        assert first[:4] == last[:4] == table[-4:]
    assert sum(row[3] for row in per_partition) == 20_000


def test_a_range_on_the_partition_key_scans_only_the_matching_partition(partitioned):
    sql = section("range_partitioning.sql", "pruned")
    assert scanned(partitioned, sql) == {"orders_2022"}
    assert partitioned.execute(sql).fetchall() == partitioned.execute(
        "SELECT count(*) FROM orders WHERE created_at >= '2022-01-01' AND created_at < '2023-01-01'").fetchall()


def test_without_the_partition_key_or_with_a_function_around_it_every_partition_is_scanned(partitioned):
    assert scanned(partitioned, section("range_partitioning.sql", "all_partitions")) == PARTITIONS
    function = section("range_partitioning.sql", "function")
    assert scanned(partitioned, function) == PARTITIONS
    assert partitioned.execute(function).fetchall() == partitioned.execute(
        section("range_partitioning.sql", "pruned")).fetchall()
