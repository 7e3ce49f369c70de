"""snippets/sql/index_usage_sqlite.sql: strftime around created_at cannot search its index; an expression index can."""

import pytest

FILE = "index_usage_sqlite.sql"
sqlite_only = pytest.mark.parametrize("loaded_database", ["sqlite"], indirect=True)


@sqlite_only
def test_a_function_on_the_column_cannot_search_the_index(loaded_database, index, sql_section):
    index(sql_section("index_usage.sql", "created_at_index"))
    # SCAN, not SEARCH: SQLite reads every entry of the (smaller) index and computes strftime on each.
    assert loaded_database.plan(sql_section(FILE, "function")) == ["SCAN orders USING COVERING INDEX orders_created_at"]


@sqlite_only
def test_an_index_on_the_same_expression_is_searched(loaded_database, index, sql_section):
    index(sql_section(FILE, "expression_index"))
    query = sql_section(FILE, "function")
    assert loaded_database.plan(query) == ["SEARCH orders USING INDEX orders_created_year (<expr>=?)"]
    assert loaded_database.rows(query) == loaded_database.rows(sql_section("index_usage.sql", "half_open"))
