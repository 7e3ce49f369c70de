"""Both engines for every SQL snippet: an SQLite file and a database of the session's PostgreSQL."""

import re
import sqlite3
import uuid
from pathlib import Path

import psycopg
import pytest

SQL = Path(__file__).parents[2] / "snippets" / "sql"


def section(file: str, name: str) -> str:
    """The SQL between `-- --8<-- [start:name]` and `[end:name]` in snippets/sql/<file>, as the page shows it."""
    text = (SQL / file).read_text()
    found = re.search(rf"^-- --8<-- \[start:{name}\]\n(.*?)^-- --8<-- \[end:{name}\]", text, re.S | re.M)
    assert found, f"no section {name!r} in snippets/sql/{file}"
    return found.group(1)


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

    def insert(self, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
        marks = ", ".join([self.mark] * len(columns))
        cursor = self.connection.cursor()
        cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)
        self.connection.commit()


@pytest.fixture
def sql_section():
    """sql_section("year_range.sql", "between"): a named section of a SQL snippet."""
    return section


@pytest.fixture(params=["sqlite", "postgres"])
def empty_database(request, tmp_path):
    """A fresh database with schema.sql applied and no rows, on each engine in turn."""
    if request.param == "sqlite":
        connection = sqlite3.connect(tmp_path / "test.db")
        connection.execute("PRAGMA foreign_keys = ON")  # off by default in SQLite
        database = Database("sqlite", connection)
        database.run_script((SQL / "schema.sql").read_text())
        yield database
        connection.close()
        return
    server = request.getfixturevalue("postgres_server")
    name = f"test_{uuid.uuid4().hex[:12]}"
    admin = dict(host="127.0.0.1", port=server.port, user="postgres", autocommit=True)
    with psycopg.connect(dbname="postgres", **admin) as control:
        control.execute(f"CREATE DATABASE {name}")
    connection = psycopg.connect(host="127.0.0.1", port=server.port, user="postgres", dbname=name)
    database = Database("postgres", connection)
    database.run_script((SQL / "schema.sql").read_text())
    yield database
    connection.close()
    with psycopg.connect(dbname="postgres", **admin) as control:
        control.execute(f"DROP DATABASE {name}")
