"""The SQL benchmark still runs and fills every table; its times come from `make bench`, never from here."""

import subprocess
import sys
from pathlib import Path

BENCHMARK = Path(__file__).parents[2] / "benchmarks" / "sql_queries.py"


def rows(table: str) -> list[list[str]]:
    lines = [line for line in table.splitlines() if line.startswith("| ") and "---" not in line]
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in lines]


def number(cell: str) -> float:
    return float(cell.rstrip("×").replace(",", ""))


def test_a_short_run_times_every_query_page_and_way_of_writing_on_both_engines(tmp_path):
    command = [sys.executable, str(BENCHMARK), "--sizes", "300", "600", "--repeats", "1", "--budget", "0.001",
               "--written", "5", "--output", str(tmp_path)]
    subprocess.run(command, check=True, capture_output=True, text=True, timeout=180)

    indexes = (tmp_path / "sql-indexes.md").read_text()
    assert indexes.count("**SQLite**") == indexes.count("**PostgreSQL**") == 1
    table = [row for row in rows(indexes) if row[0] != "Query"]
    assert len(table) == 2 * 9 and len({row[0] for row in table}) == 9
    for row in table:
        for without, with_index, speed_up in (row[1:4], row[4:7]):
            assert abs(number(without) / number(with_index) - number(speed_up)) <= 0.1 * number(speed_up) + 0.06

    pages = rows((tmp_path / "sql-pagination.md").read_text())[1:]
    assert [row[:3] for row in pages] == [[engine, size, after] for engine in ("SQLite", "PostgreSQL")
                                          for size, half in (("300", "150"), ("600", "300")) for after in ("20", half)]

    writes = rows((tmp_path / "sql-writes.md").read_text())
    assert "5 orders" in writes[0][2]
    assert [row[:2] for row in writes[1:]] == [["SQLite", "300"], ["SQLite", "600"], ["PostgreSQL", "300"], ["PostgreSQL", "600"]]
    assert all(number(cell) > 0 for row in writes[1:] for cell in row[2:])
    assert "fsync on" in (tmp_path / "sql-writes.md").read_text()


def test_nonsense_sizes_are_refused_by_name(tmp_path):
    done = subprocess.run([sys.executable, str(BENCHMARK), "--sizes", "0", "--output", str(tmp_path)],
                          capture_output=True, text=True)
    assert done.returncode == 2 and "--sizes" in done.stderr


INCLUDES = Path(__file__).parents[2] / "docs" / "includes" / "benchmarks"


def committed(file: str) -> dict[tuple[str, ...], list[float]]:
    """The committed table's ratio columns, keyed by the row's leading text cells (engine and query, or engine and rows)."""
    engine, found = None, {}
    for line in (INCLUDES / file).read_text().splitlines():
        if line.startswith("**"):
            engine = line.strip("*")
        elif line.startswith("| ") and "---" not in line and "(ms)" not in line:
            cells = [cell.strip() for cell in line.strip("|").split("|")]
            found[(engine, *cells[:1]) if engine else tuple(cells[:3])] = [number(cell) for cell in cells if cell.endswith("×")]
    return found


def test_the_committed_index_table_backs_what_the_page_says():
    """composite-and-covering-indexes.md: orders of magnitude where a few rows are searched, no gain where a scan stays a scan."""
    ratios = committed("sql-indexes.md")
    for engine in ("SQLite", "PostgreSQL"):
        for query in ("`user_id` and `status`, index on both", "`ORDER BY created_at DESC LIMIT 10`"):
            assert min(ratios[(engine, query)]) >= 100, (engine, query)
        for query in ("`user_id = 42`", "Only the indexed columns (covering)", "`SELECT *`, same index"):
            assert 10 <= min(ratios[(engine, query)]) and max(ratios[(engine, query)]) <= 100, (engine, query)
        for query in ("A year through a function, index on `created_at`", "`status` alone, index on both"):
            assert all(0.85 <= ratio <= 1.15 for ratio in ratios[(engine, query)]), (engine, query)


def test_the_committed_page_and_write_tables_back_what_the_page_says():
    pages = committed("sql-pagination.md")
    deep = {key: value for key, value in pages.items() if key[2] not in ("20",)}
    assert len(deep) == 4 and all(ratio >= 10 for (ratio,) in deep.values())
    assert all(0.7 <= ratio <= 1.5 for key, (ratio,) in pages.items() if key[2] == "20")
    writes = committed("sql-writes.md")
    assert all(ratio >= 10 for (ratio,) in writes.values())
