"""Both engines for every SQL snippet: an SQLite file and a database of the session's PostgreSQL."""

import re
import sqlite3
import uuid
from pathlib import Path

import psycopg
import pytest

from sql.generate_data import load
from sql_snippets import SQL, section

class Database:
    """One connection to either engine, with the few calls the tests need, written once for both."""

    def __init__(self, engine: str, connection) -> None:
        self.engine, self.connection = engine, connection
        self.mark = "?" if engine == "sqlite" else "%s"

    def run_script(self, sql: str) -> None:
        if self.engine == "sqlite":
            self.connection.executescript(sql)
        else:
            self.connection.execute(sql)
        self.connection.commit()

    def rows(self, sql: str, params: tuple = ()) -> list[tuple]:
        return self.connection.execute(sql, params).fetchall()

    def plan(self, sql: str, params: tuple = ()) -> list[str]:
        """The plan as one line per step: SQLite's EXPLAIN QUERY PLAN details, or PostgreSQL's
        EXPLAIN (FORMAT JSON) nodes as "Node Type [on relation] [using index]", outermost first."""
        if self.engine == "sqlite":
            return [row[3] for row in self.rows(f"EXPLAIN QUERY PLAN {sql}", params)]
        (document,), = self.rows(f"EXPLAIN (FORMAT JSON) {sql}", params)
        lines, stack = [], [document[0]["Plan"]]
        while stack:
            node = stack.pop(0)
            words = [node["Node Type"], node.get("Relation Name"), node.get("Index Name")]
            lines.append(" ".join(word for word in words if word))
            stack[:0] = node.get("Plans", [])
        return lines

    def index_conditions(self, sql: str) -> list[str]:
        """PostgreSQL only: every 'Index Cond' in the plan, the predicates an index is searched with."""
        (document,), = self.rows(f"EXPLAIN (FORMAT JSON) {sql}")
        found, stack = [], [document[0]["Plan"]]
        while stack:
            node = stack.pop()
            found += [node["Index Cond"]] if "Index Cond" in node else []
            stack += node.get("Plans", [])
        return found

    def insert(self, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
        marks = ", ".join([self.mark] * len(columns))
        cursor = self.connection.cursor()
        cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)
        self.connection.commit()


def fresh_database(engine: str, directory: Path, postgres_server=None) -> tuple["Database", callable]:
    """(database with schema.sql applied and no rows, a function that closes and removes it)."""
    if engine == "sqlite":
        connection = sqlite3.connect(directory / f"{uuid.uuid4().hex[:12]}.db", cached_statements=0)  # fresh plans
        connection.execute("PRAGMA foreign_keys = ON")  # off by default in SQLite
        database = Database("sqlite", connection)
        database.run_script((SQL / "schema.sql").read_text())
        return database, connection.close
    name = f"test_{uuid.uuid4().hex[:12]}"
    admin = dict(host="127.0.0.1", port=postgres_server.port, user="postgres", dbname="postgres", autocommit=True)
    with psycopg.connect(**admin) as control:
        control.execute(f"CREATE DATABASE {name}")
    connection = psycopg.connect(host="127.0.0.1", port=postgres_server.port, user="postgres", dbname=name)
    database = Database("postgres", connection)
    database.run_script((SQL / "schema.sql").read_text())

    def remove() -> None:
        connection.close()
        with psycopg.connect(**admin) as control:
            control.execute(f"DROP DATABASE {name} WITH (FORCE)")

    return database, remove


@pytest.fixture
def sql_section():
    """sql_section("year_range.sql", "between"): a named section of a SQL snippet."""
    return section


@pytest.fixture(params=["sqlite", "postgres"])
def empty_database(request, tmp_path):
    """A fresh database with schema.sql applied and no rows, on each engine in turn."""
    server = request.getfixturevalue("postgres_server") if request.param == "postgres" else None
    database, remove = fresh_database(request.param, tmp_path, server)
    yield database
    remove()


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def loaded_database(request, tmp_path_factory):
    """One database per engine for the session: schema.sql, 10k users, 200k orders, 50k logs, statistics
    gathered. Only primary keys are indexed; tests add their indexes with `index` and must not change rows."""
    server = request.getfixturevalue("postgres_server") if request.param == "postgres" else None
    database, remove = fresh_database(request.param, tmp_path_factory.mktemp("sql"), server)
    load(database.connection)
    if database.engine == "sqlite":
        database.run_script("ANALYZE")
    else:
        database.connection.autocommit = True
        database.connection.execute("VACUUM ANALYZE")  # statistics, and the visibility map index-only scans need
        database.connection.autocommit = False
    yield database
    remove()


@pytest.fixture
def index(loaded_database):
    """index("CREATE INDEX name ON ..."): create indexes on the loaded database; dropped after the test."""
    created = []

    def create(statement: str) -> None:
        name = re.search(r"INDEX\s+(\w+)", statement, re.I).group(1)
        loaded_database.run_script(statement)
        loaded_database.run_script("ANALYZE")  # statistics for the new index, which plans such as skip scans need
        created.append(name)

    yield create
    for name in created:
        loaded_database.run_script(f"DROP INDEX {name}")


@pytest.fixture
def postgres_orders(postgres_server):
    """postgres_orders(user_count=1_000, order_count=20_000): a new PostgreSQL database with schema.sql and seeded
    rows, as an autocommit psycopg connection, for PostgreSQL-only features. Every one is dropped afterwards."""
    admin = dict(host="127.0.0.1", port=postgres_server.port, user="postgres", dbname="postgres", autocommit=True)
    created: list[tuple[str, psycopg.Connection]] = []

    def make(user_count: int = 1_000, order_count: int = 20_000) -> psycopg.Connection:
        name = f"test_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(**admin) as control:
            control.execute(f"CREATE DATABASE {name}")
        connection = psycopg.connect(**{**admin, "dbname": name})
        created.append((name, connection))
        connection.execute((SQL / "schema.sql").read_text())
        load(connection, user_count=user_count, order_count=order_count, log_count=0)
        return connection

    yield make
    for name, connection in created:
        connection.close()
        with psycopg.connect(**admin) as control:
            control.execute(f"DROP DATABASE {name} WITH (FORCE)")
