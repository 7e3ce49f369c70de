"""The SQL snippets timed on SQLite and PostgreSQL, at 200,000 and 2,000,000 orders, as ratios.

For each size it loads the seeded orders into an SQLite file and into a PostgreSQL it starts on a free loopback
port (with fsync on, as a real server runs), then measures
- every query of the query-optimization and composite-and-covering-indexes pages without its index and with it;
- an OFFSET page against the keyset page at the same place, at the start and in the middle of the table;
- writing 500 new orders with autocommit per row, in one transaction, and as one multi-row INSERT.
Each measurement is the median of several runs; rounds repeat the whole set, and the tables show the median round.
They go to docs/includes/benchmarks/sql-*.md, which the data pages embed: sql-indexes.md on
composite-and-covering-indexes, sql-pagination.md on keyset-pagination, sql-writes.md on writes-views-and-maintenance.

    make bench          # or: .venv/bin/python benchmarks/sql_queries.py --sizes 200000 2000000 --repeats 3
"""

import argparse
import datetime
import functools
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "snippets"), str(ROOT / "tests"), str(ROOT / "tests" / "sql")]

from conftest import FAST_SHUTDOWN, postgres_answers, postgres_command, running_server  # noqa: E402
from databases import Database, fresh_database  # noqa: E402
from report import machine, write_tables  # noqa: E402
from sql.generate_data import load  # noqa: E402
from sql_snippets import section  # noqa: E402

OUTPUT = ROOT / "docs" / "includes" / "benchmarks"
ENGINES = {"sqlite": "SQLite", "postgres": "PostgreSQL"}
ORDERS_PER_USER = 20


@dataclass(frozen=True)
class IndexCase:
    """A query of the page, timed without the index and with it. Sections are (file, name); {engine} picks a dialect."""
    name: str
    query: tuple[str, str]
    index: tuple[str, str]

    def sql(self, part: tuple[str, str], engine: str) -> str:
        file, name = part
        return section(file.format(engine=engine), name)


CASES = [
    IndexCase("`user_id = 42`", ("index_usage.sql", "lookup"), ("index_usage.sql", "index")),
    IndexCase("A year as a half-open range", ("index_usage.sql", "half_open"), ("index_usage.sql", "created_at_index")),
    IndexCase("A year through a function, index on `created_at`",
              ("index_usage_{engine}.sql", "function"), ("index_usage.sql", "created_at_index")),
    IndexCase("A year through a function, expression index",
              ("index_usage_{engine}.sql", "function"), ("index_usage_{engine}.sql", "expression_index")),
    IndexCase("`user_id` and `status`, index on both", ("composite_index.sql", "both"), ("composite_index.sql", "index")),
    IndexCase("`status` alone, index on both", ("composite_index.sql", "status_only"), ("composite_index.sql", "index")),
    IndexCase("Only the indexed columns (covering)", ("covering_index.sql", "covered"), ("covering_index.sql", "index")),
    IndexCase("`SELECT *`, same index", ("covering_index.sql", "star"), ("covering_index.sql", "index")),
    IndexCase("`ORDER BY created_at DESC LIMIT 10`", ("order_by_limit.sql", "latest"), ("order_by_limit.sql", "index")),
]
WRITES = ["Autocommit, one INSERT per row", "One transaction, one INSERT per row", "One multi-row INSERT"]


def timed(run: Callable[[], object], budget: float) -> float:
    """Median seconds of `run`, repeated at least 3 times and until `budget` seconds have passed."""
    times: list[float] = []
    while len(times) < 3 or (sum(times) < budget and len(times) < 200):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def query(database: Database, sql: str, params: tuple = ()) -> Callable[[], object]:
    text = query_text(database, sql)
    return lambda: database.rows(text, params)


def index_name(statement: str) -> str:
    return statement.split("INDEX", 1)[1].split()[0]


def analyze(database: Database) -> None:
    database.run_script("ANALYZE")


def index_round(database: Database, budget: float) -> dict[str, tuple[float, float]]:
    """{case: (seconds without its index, seconds with it)} for one round on one engine."""
    measured = {}
    for case in CASES:
        run, create = query(database, case.sql(case.query, database.engine)), case.sql(case.index, database.engine)
        without = timed(run, budget)
        database.run_script(create)
        analyze(database)
        measured[case.name] = (without, timed(run, budget))
        database.run_script(f"DROP INDEX {index_name(create)}")
    return measured


def page_round(database: Database, orders: int, budget: float) -> dict[int, tuple[float, float]]:
    """{offset: (seconds for the OFFSET page, seconds for the keyset page after the same row)}."""
    create = section("pagination.sql", "index")
    database.run_script(create)
    analyze(database)
    measured = {}
    for offset in (20, orders // 2):
        before = database.rows(query_text(database, "SELECT id, created_at FROM orders ORDER BY created_at DESC, id DESC "
                                                    "LIMIT 1 OFFSET ?"), (offset - 1,))[0]
        by_offset = query(database, section("pagination.sql", "offset"), (offset,))
        by_key = query(database, section("pagination.sql", "keyset"), (before[1], before[0]))
        assert by_offset() == by_key(), "OFFSET and keyset must return the same page"
        measured[offset] = (timed(by_offset, budget), timed(by_key, budget))
    database.run_script(f"DROP INDEX {index_name(create)}")
    return measured


def query_text(database: Database, sql: str) -> str:
    return sql.replace("?", database.mark)


def write_round(database: Database, first_id: int, count: int) -> dict[str, float]:
    """{way of writing: seconds for `count` new orders}, each from an autocommit connection, removed afterwards."""
    rows = [(first_id + n, 1, "paid", 1_000 + n, "2025-01-01 12:00:00") for n in range(count)]
    insert = query_text(database, "INSERT INTO orders (id, user_id, status, amount_cents, created_at) VALUES (?, ?, ?, ?, ?)")
    values = ", ".join([f"({database.mark}, {database.mark}, {database.mark}, {database.mark}, {database.mark})"] * count)
    multi_row = f"INSERT INTO orders (id, user_id, status, amount_cents, created_at) VALUES {values}"
    flat = tuple(value for row in rows for value in row)
    connection = database.connection
    autocommit(database, True)
    ways = {
        WRITES[0]: lambda: [connection.execute(insert, row) for row in rows],
        WRITES[1]: lambda: in_transaction(database, lambda: connection.cursor().executemany(insert, rows)),
        WRITES[2]: lambda: connection.execute(multi_row, flat),
    }
    measured = {}
    for name, write in ways.items():
        start = time.perf_counter()
        write()
        measured[name] = time.perf_counter() - start
        connection.execute(query_text(database, "DELETE FROM orders WHERE id >= ?"), (first_id,))
    autocommit(database, False)
    return measured


def autocommit(database: Database, on: bool) -> None:
    if database.engine == "sqlite":
        database.connection.isolation_level = None if on else ""
    else:
        database.connection.autocommit = on


def in_transaction(database: Database, work: Callable[[], object]) -> None:
    database.connection.execute("BEGIN")
    work()
    database.connection.execute("COMMIT")


@dataclass
class Results:
    """Seconds per round, keyed by (engine, orders)."""
    indexes: dict = field(default_factory=dict)  # {case name: [(without index, with index), ...]}
    pages: dict = field(default_factory=dict)  # {offset: [(OFFSET page, keyset page), ...]}
    writes: dict = field(default_factory=dict)  # {way of writing: [seconds, ...]}


def measure(engine: str, orders: int, directory: Path, server, args: argparse.Namespace, results: Results) -> None:
    database, remove = fresh_database(engine, directory, server)
    try:
        load(database.connection, user_count=max(1, orders // ORDERS_PER_USER), order_count=orders, log_count=0)
        if engine == "postgres":
            autocommit(database, True)
            database.connection.execute("VACUUM ANALYZE")
            autocommit(database, False)
        else:
            analyze(database)
        key = (engine, orders)
        indexes, pages, writes = results.indexes.setdefault(key, {}), results.pages.setdefault(key, {}), results.writes.setdefault(key, {})
        for round_number in range(args.repeats):
            for case, pair in index_round(database, args.budget).items():
                indexes.setdefault(case, []).append(pair)
            for offset, pair in page_round(database, orders, args.budget).items():
                pages.setdefault(offset, []).append(pair)
            for way, seconds in write_round(database, orders + 1, args.written).items():
                writes.setdefault(way, []).append(seconds)
            print(f"{ENGINES[engine]}, {orders:,} orders: round {round_number + 1}/{args.repeats} done", file=sys.stderr)
    finally:
        remove()


def middle(pairs: list[tuple[float, float]]) -> tuple[float, float]:
    return statistics.median(a for a, _ in pairs), statistics.median(b for _, b in pairs)


def ms(seconds: float) -> str:
    value = seconds * 1000
    return f"{value:,.0f}" if value >= 100 else f"{value:.3g}"


def ratio(slow: float, fast: float) -> str:
    return f"{slow / fast:,.0f}×" if slow / fast >= 10 else f"{slow / fast:.1f}×"


def index_table(results: Results, sizes: list[int]) -> str:
    header = "| Query | " + " | ".join(f"{size:,} orders: without index (ms) | with index (ms) | speed-up" for size in sizes) + " |"
    lines = []
    for engine, title in ENGINES.items():
        lines += [f"**{title}**", "", header, "| --- |" + " ---: | ---: | ---: |" * len(sizes)]
        for case in CASES:
            cells = []
            for size in sizes:
                without, with_index = middle(results.indexes[(engine, size)][case.name])
                cells += [ms(without), ms(with_index), ratio(without, with_index)]
            lines.append(f"| {case.name} | " + " | ".join(cells) + " |")
        lines.append("")
    return "\n".join(lines)


def page_table(results: Results, sizes: list[int]) -> str:
    lines = ["| Engine | Orders | Page after row | OFFSET (ms) | Keyset (ms) | Keyset is faster by |",
             "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for engine, title in ENGINES.items():
        for size in sizes:
            for offset, pairs in results.pages[(engine, size)].items():
                by_offset, by_key = middle(pairs)
                lines.append(f"| {title} | {size:,} | {offset:,} | {ms(by_offset)} | {ms(by_key)} | {ratio(by_offset, by_key)} |")
    return "\n".join(lines) + "\n"


def write_table(results: Results, sizes: list[int], count: int) -> str:
    lines = [f"| Engine | Orders in the table | {' | '.join(f'{way}: {count:,} orders (ms)' for way in WRITES)} | Autocommit is slower by |",
             "| --- | ---: |" + " ---: |" * (len(WRITES) + 1)]
    for engine, title in ENGINES.items():
        for size in sizes:
            medians = [statistics.median(results.writes[(engine, size)][way]) for way in WRITES]
            lines.append(f"| {title} | {size:,} | {' | '.join(ms(m) for m in medians)} | {ratio(medians[0], min(medians[1:]))} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[200_000, 2_000_000], help="orders per run")
    parser.add_argument("--repeats", type=int, default=3, help="rounds; the tables show medians")
    parser.add_argument("--budget", type=float, default=0.3, help="seconds of runs per measurement, at least 3 runs")
    parser.add_argument("--written", type=int, default=500, help="new orders per write measurement")
    parser.add_argument("--output", type=Path, default=OUTPUT, help="directory for the three tables")
    args = parser.parse_args()
    if min(args.sizes) < 100:
        parser.error("--sizes must be at least 100 orders each")
    if min(args.repeats, args.written) < 1 or not args.budget > 0:
        parser.error("--repeats and --written must be at least 1, and --budget above 0")

    results = Results()
    durable = functools.partial(postgres_command, durable=True)
    with running_server("postgres", durable, ready=postgres_answers, timeout=60, stop_signal=FAST_SHUTDOWN) as server, \
            tempfile.TemporaryDirectory(prefix="sql-bench-") as tmp:
        with psycopg.connect(host="127.0.0.1", port=server.port, user="postgres", dbname="postgres") as connection:
            version = connection.info.server_version
        for size in args.sizes:
            for engine in ENGINES:
                measure(engine, size, Path(tmp), server, args, results)

    footer = (f"Measured {datetime.date.today().isoformat()} on {machine()}, with SQLite {sqlite3.sqlite_version} "
              f"(a file, default settings) and PostgreSQL {version // 10_000}.{version % 10_000} (loopback, fsync on, "
              f"default settings). The median of {args.repeats} round{'s' * (args.repeats > 1)}. Produced by `benchmarks/sql_queries.py`.")
    write_tables(args.output, {"sql-indexes.md": index_table(results, args.sizes),
                               "sql-pagination.md": page_table(results, args.sizes),
                               "sql-writes.md": write_table(results, args.sizes, args.written)}, footer)


if __name__ == "__main__":
    main()
