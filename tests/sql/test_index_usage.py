"""snippets/sql/index_usage.sql: a WHERE on an indexed column searches the index, and so does the half-open range."""

FILE = "index_usage.sql"


def test_without_an_index_the_lookup_scans_the_table(loaded_database, sql_section):
    steps = loaded_database.plan(sql_section(FILE, "lookup"))
    assert steps == (["SCAN orders"] if loaded_database.engine == "sqlite" else ["Seq Scan orders"])


def test_a_where_on_an_indexed_column_searches_the_index(loaded_database, index, sql_section):
    index(sql_section(FILE, "index"))
    steps = loaded_database.plan(sql_section(FILE, "lookup"))
    if loaded_database.engine == "sqlite":
        assert steps == ["SEARCH orders USING INDEX orders_user_id (user_id=?)"]
    else:  # a few matching rows spread over the table: the index, then those table pages in order
        assert steps == ["Bitmap Heap Scan orders", "Bitmap Index Scan orders_user_id"]
        assert loaded_database.index_conditions(sql_section(FILE, "lookup")) == ["(user_id = 42)"]
    assert len(loaded_database.rows(sql_section(FILE, "lookup"))) > 0


def test_the_half_open_range_searches_the_index_on_created_at(loaded_database, index, sql_section):
    index(sql_section(FILE, "created_at_index"))
    query = sql_section(FILE, "half_open")
    steps = loaded_database.plan(query)
    if loaded_database.engine == "sqlite":
        assert steps == ["SEARCH orders USING COVERING INDEX orders_created_at (created_at>? AND created_at<?)"]
    else:
        assert steps == ["Aggregate", "Index Only Scan orders orders_created_at"]
        (condition,) = loaded_database.index_conditions(query)
        assert "created_at >= '2022-01-01" in condition and "created_at < '2023-01-01" in condition
