"""snippets/sql/order_by_limit.sql: ORDER BY created_at DESC LIMIT 10 sorts without an index and not with one."""


FILE = "order_by_limit.sql"


def test_without_an_index_the_rows_are_sorted(loaded_database, sql_section):
    steps = loaded_database.plan(sql_section(FILE, "latest"))
    if loaded_database.engine == "sqlite":
        assert steps == ["SCAN orders", "USE TEMP B-TREE FOR ORDER BY"]
    else:
        assert steps == ["Limit", "Gather Merge", "Sort", "Seq Scan orders"]


def test_an_index_on_created_at_returns_them_in_order_without_a_sort(loaded_database, index, sql_section):
    unsorted_rows = loaded_database.rows(sql_section(FILE, "latest"))
    index(sql_section(FILE, "index"))
    steps = loaded_database.plan(sql_section(FILE, "latest"))
    if loaded_database.engine == "sqlite":
        assert steps == ["SCAN orders USING INDEX orders_created_at"]  # read backwards; no TEMP B-TREE
    else:
        assert steps == ["Limit", "Index Scan orders orders_created_at"]  # Scan Direction: Backward
    assert not any("Sort" in step or "TEMP B-TREE" in step for step in steps)
    assert [row[2] for row in loaded_database.rows(sql_section(FILE, "latest"))] == [row[2] for row in unsorted_rows]
