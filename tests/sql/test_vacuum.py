"""snippets/sql/vacuum.sql (PostgreSQL only): VACUUM makes space reusable without shrinking the file;
VACUUM FULL shrinks it; EXPLAIN (ANALYZE, BUFFERS) counts the pages a query touched."""


import pytest

from sql_snippets import section

DELETED = "SELECT * FROM orders WHERE id % 2 = 0"


@pytest.fixture
def postgres(postgres_orders):
    """A new database with schema.sql and 20,000 orders, in autocommit mode."""
    connection = postgres_orders(user_count=1_000, order_count=20_000)
    connection.execute(section("vacuum.sql", "setup"))
    return connection


def size(connection) -> int:
    return connection.execute(section("vacuum.sql", "size")).fetchone()[0]


def test_without_vacuum_new_rows_extend_the_file(postgres):
    full = size(postgres)
    postgres.execute(section("vacuum.sql", "delete"))
    assert size(postgres) == full  # a DELETE only marks rows dead
    postgres.execute(f"INSERT INTO order_history {DELETED}")
    assert size(postgres) > 1.4 * full  # the dead rows' space was not free yet: the file grew by half


def test_vacuum_frees_space_for_reuse_but_does_not_shrink_the_file(postgres):
    full = size(postgres)
    postgres.execute(section("vacuum.sql", "delete"))
    postgres.execute(section("vacuum.sql", "vacuum"))
    assert size(postgres) == full  # every page still holds live rows, so none is given back
    postgres.execute(f"INSERT INTO order_history {DELETED}")
    assert size(postgres) < 1.1 * full  # the same rows again fit into the freed space


def test_vacuum_full_rewrites_the_table_smaller(postgres):
    full = size(postgres)
    postgres.execute(section("vacuum.sql", "delete"))
    postgres.execute(section("vacuum.sql", "vacuum_full"))
    assert size(postgres) < 0.6 * full
    assert postgres.execute("SELECT count(*) FROM order_history").fetchone()[0] == 10_000


def test_explain_analyze_buffers_counts_every_page_of_a_full_scan(postgres):
    postgres.execute("SET max_parallel_workers_per_gather = 0")  # one process, so one node holds every count
    pages = size(postgres) // 8192
    for run in range(2):
        (document,), = postgres.execute(section("vacuum.sql", "buffers")).fetchall()
        scan = document[0]["Plan"]["Plans"][0]
        assert scan["Node Type"] == "Seq Scan"
        assert scan["Shared Hit Blocks"] + scan["Shared Read Blocks"] == pages
        if run == 1:
            assert scan["Shared Read Blocks"] == 0  # the first run left every page in shared buffers
