"""snippets/sql/covering_index.sql: selecting only indexed columns is answered from the index; SELECT * is not."""


FILE = "covering_index.sql"


def test_only_the_needed_columns_are_answered_from_the_index_alone(loaded_database, index, sql_section):
    index(sql_section(FILE, "index"))
    steps = loaded_database.plan(sql_section(FILE, "covered"))
    if loaded_database.engine == "sqlite":
        assert steps == ["SEARCH orders USING COVERING INDEX orders_user_status (user_id=?)"]
    else:
        assert steps == ["Index Only Scan orders orders_user_status"]


def test_select_star_must_visit_the_table(loaded_database, index, sql_section):
    index(sql_section(FILE, "index"))
    steps = loaded_database.plan(sql_section(FILE, "star"))
    if loaded_database.engine == "sqlite":
        assert steps == ["SEARCH orders USING INDEX orders_user_status (user_id=?)"]
    else:
        assert steps == ["Bitmap Heap Scan orders", "Bitmap Index Scan orders_user_status"]
    covered = loaded_database.rows(sql_section(FILE, "covered"))
    assert sorted(covered) == sorted((row[1], row[2]) for row in loaded_database.rows(sql_section(FILE, "star")))
