"""Both engines for every SQL snippet: an SQLite file and a database of the session's PostgreSQL."""

import re
import uuid

import psycopg
import pytest

from databases import fresh_database
from sql.generate_data import load
from sql_snippets import SQL, section


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
