"""One connection to SQLite or to a database of a running PostgreSQL, for the SQL tests and the SQL benchmark."""

import sqlite3
import uuid
from pathlib import Path

import psycopg

from sql_snippets import SQL


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
