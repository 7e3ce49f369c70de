"""snippets/sql/composite_index.sql: (user_id, status) is searched for user_id alone and for both, not for status alone;
SQLite skip-scans a low-cardinality leading column, PostgreSQL 15 has no skip scan."""


FILE = "composite_index.sql"


def test_the_leading_column_alone_searches_the_index(loaded_database, index, sql_section):
    index(sql_section(FILE, "index"))
    query = sql_section(FILE, "user_only")
    if loaded_database.engine == "sqlite":
        assert loaded_database.plan(query) == ["SEARCH orders USING INDEX orders_user_status (user_id=?)"]
    else:
        assert loaded_database.plan(query) == ["Bitmap Heap Scan orders", "Bitmap Index Scan orders_user_status"]
        assert loaded_database.index_conditions(query) == ["(user_id = 42)"]


def test_both_columns_search_the_index_on_both(loaded_database, index, sql_section):
    index(sql_section(FILE, "index"))
    query = sql_section(FILE, "both")
    if loaded_database.engine == "sqlite":
        assert loaded_database.plan(query) == ["SEARCH orders USING INDEX orders_user_status (user_id=? AND status=?)"]
    else:
        assert loaded_database.plan(query) == ["Bitmap Heap Scan orders", "Bitmap Index Scan orders_user_status"]
        assert loaded_database.index_conditions(query) == ["((user_id = 42) AND (status = 'refunded'::text))"]


def test_the_second_column_alone_scans_the_table(loaded_database, index, sql_section):
    index(sql_section(FILE, "index"))
    query = sql_section(FILE, "status_only")
    # SQLite 3.40 has a skip scan, but with about 20 orders per user_id (10k users) it does not choose one here.
    expected = ["SCAN orders"] if loaded_database.engine == "sqlite" else ["Seq Scan orders"]
    assert loaded_database.plan(query) == expected
    if loaded_database.engine == "postgres":
        assert loaded_database.index_conditions(query) == []


def test_sqlite_skip_scans_a_leading_column_with_few_values_and_postgres_15_cannot(loaded_database, index, sql_section):
    index(sql_section(FILE, "skip_scan_index"))
    query = sql_section(FILE, "user_only")  # user_id is the second column of (status, user_id)
    if loaded_database.engine == "sqlite":
        # One search per distinct status: 6 small searches instead of reading the whole index.
        assert loaded_database.plan(query) == ["SEARCH orders USING INDEX orders_status_user (ANY(status) AND user_id=?)"]
    else:
        # No skip scan before PostgreSQL 18: user_id = 42 is checked against every entry of the index.
        assert loaded_database.rows("SHOW server_version_num")[0][0].startswith("15")
        assert loaded_database.plan(query) == ["Bitmap Heap Scan orders", "Bitmap Index Scan orders_status_user"]
        assert loaded_database.index_conditions(query) == ["(user_id = 42)"]
