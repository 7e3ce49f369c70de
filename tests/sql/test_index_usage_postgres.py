"""snippets/sql/index_usage_postgres.sql: EXTRACT around created_at cannot use its index; an expression index can."""

import pytest

FILE = "index_usage_postgres.sql"
postgres_only = pytest.mark.parametrize("loaded_database", ["postgres"], indirect=True)


@postgres_only
def test_a_function_on_the_column_cannot_search_the_index(loaded_database, index, sql_section):
    index(sql_section("index_usage.sql", "created_at_index"))
    query = sql_section(FILE, "function")
    assert loaded_database.plan(query) == ["Aggregate", "Gather", "Aggregate", "Seq Scan orders"]
    assert loaded_database.index_conditions(query) == []


@postgres_only
def test_an_index_on_the_same_expression_is_searched(loaded_database, index, sql_section):
    index(sql_section(FILE, "expression_index"))
    query = sql_section(FILE, "function")
    assert loaded_database.plan(query) == [
        "Aggregate", "Bitmap Heap Scan orders", "Bitmap Index Scan orders_created_year"]
    assert loaded_database.index_conditions(query) == ["(EXTRACT(year FROM created_at) = '2022'::numeric)"]
    half_open = loaded_database.rows(sql_section("index_usage.sql", "half_open"))
    assert loaded_database.rows(query) == half_open  # the same orders, counted either way
