"""snippets/sql/pagination.sql: OFFSET and keyset pages hold the same rows, but only OFFSET reads the skipped ones."""

import pytest

PAGE = 20
DEEP = 100_000  # the page after row 100,000 of 200,000 orders


def statement(database, sql_section, name: str) -> str:
    return sql_section("pagination.sql", name).replace("?", database.mark)


def offset_page(database, sql_section, offset: int) -> list[tuple]:
    return database.rows(statement(database, sql_section, "offset"), (offset,))


def keyset_page(database, sql_section, last: tuple) -> list[tuple]:
    """The page after the row `last` = (id, user_id, amount_cents, created_at)."""
    return database.rows(statement(database, sql_section, "keyset"), (last[3], last[0]))


def index_scan_rows(database, sql: str, params: tuple) -> int:
    """'Actual Rows' of the index scan node in PostgreSQL's EXPLAIN (ANALYZE, FORMAT JSON)."""
    (document,), = database.rows(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}", params)
    stack, scans = [document[0]["Plan"]], []
    while stack:
        node = stack.pop()
        if node["Node Type"] in ("Index Scan", "Index Only Scan") and node.get("Index Name") == "orders_created_at_id":
            scans.append(node["Actual Rows"] * node["Actual Loops"])
        stack.extend(node.get("Plans", []))
    assert len(scans) == 1, f"expected one scan of orders_created_at_id, plan: {document}"
    return scans[0]


def sqlite_steps(database, sql: str, params: tuple) -> int:
    """Calls of SQLite's progress handler, one per 100 virtual-machine instructions: the work done."""
    calls = 0

    def count() -> int:
        nonlocal calls
        calls += 1
        return 0  # 0 lets the statement go on

    database.connection.set_progress_handler(count, 100)
    try:
        database.rows(sql, params)
    finally:
        database.connection.set_progress_handler(None, 100)
    return calls


@pytest.fixture
def paged(loaded_database, index, sql_section):
    index(sql_section("pagination.sql", "index"))
    return loaded_database


def test_a_page_that_ends_inside_a_tie_continues_with_the_tied_rows(paged, sql_section):
    """Orders placed in the same second: a page ending between them must not lose the others."""
    (tied,), = paged.rows("SELECT created_at FROM orders GROUP BY created_at HAVING count(*) > 1 ORDER BY created_at DESC LIMIT 1")
    (newer,), = paged.rows(f"SELECT count(*) FROM orders WHERE created_at > {paged.mark}", (tied,))
    previous = offset_page(paged, sql_section, newer + 1 - PAGE)  # its last row is the first of the tied ones
    assert previous[-1][3] == tied
    page = keyset_page(paged, sql_section, previous[-1])
    assert page[0][3] == tied  # the other order of that second comes next
    assert page == offset_page(paged, sql_section, newer + 1)


@pytest.mark.parametrize("offset", [PAGE, 2 * PAGE, 5_000, DEEP, 200_000 - PAGE])
def test_keyset_returns_the_same_page_as_offset(paged, sql_section, offset):
    previous = offset_page(paged, sql_section, offset - PAGE)
    expected = offset_page(paged, sql_section, offset)
    assert len(expected) == PAGE
    assert keyset_page(paged, sql_section, previous[-1]) == expected


def test_walking_keyset_pages_matches_offset_pages_from_a_deep_start(paged, sql_section):
    page = offset_page(paged, sql_section, DEEP - PAGE)
    for number in range(1, 6):
        page = keyset_page(paged, sql_section, page[-1])
        assert page == offset_page(paged, sql_section, DEEP - PAGE + number * PAGE)
    last = offset_page(paged, sql_section, 200_000 - PAGE)
    assert keyset_page(paged, sql_section, last[-1]) == []  # after the last row: an empty page, no error


def test_keyset_reads_one_page_and_offset_reads_every_skipped_row(paged, sql_section):
    boundary = offset_page(paged, sql_section, DEEP - PAGE)[-1]
    offset_sql, keyset_sql = statement(paged, sql_section, "offset"), statement(paged, sql_section, "keyset")
    if paged.engine == "postgres":
        offset_read = index_scan_rows(paged, offset_sql, (DEEP,))
        keyset_read = index_scan_rows(paged, keyset_sql, (boundary[3], boundary[0]))
        assert offset_read == DEEP + PAGE  # 100,020 rows fetched for 20 results
        assert keyset_read == PAGE
        assert paged.plan(offset_sql, (DEEP,)) == ["Limit", "Index Scan orders orders_created_at_id"]  # no Sort
        assert paged.plan(keyset_sql, (boundary[3], boundary[0])) == ["Limit", "Index Scan orders orders_created_at_id"]
    else:
        offset_plan = paged.plan(offset_sql, (DEEP,))
        keyset_plan = paged.plan(keyset_sql, (boundary[3], boundary[0]))
        assert offset_plan == ["SCAN orders USING INDEX orders_created_at_id"]
        # SQLite 3.40 seeks on the index's first column and checks id row by row: at most a second's ties
        assert keyset_plan == ["SEARCH orders USING INDEX orders_created_at_id (created_at<?)"]
        offset_work = sqlite_steps(paged, offset_sql, (DEEP,))
        keyset_work = sqlite_steps(paged, keyset_sql, (boundary[3], boundary[0]))
        assert offset_work > 100 * max(keyset_work, 1), (offset_work, keyset_work)
