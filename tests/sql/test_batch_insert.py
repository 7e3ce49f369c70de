"""snippets/sql/batch_insert.sql: a multi-row INSERT, one transaction and autocommit per row write the same rows;
only the number of committed transactions differs, and a multi-row INSERT with one bad row writes nothing."""

import sqlite3

import psycopg
import pytest

WAYS = {"multi_row": 1, "one_transaction": 1, "autocommit": 3}  # section -> transactions that wrote the rows
EXPECTED = [
    (1, 1, "pending", 1999, "2024-03-01 09:00:00"),
    (2, 1, "paid", 4500, "2024-03-01 09:05:00"),
    (3, 1, "shipped", 750, "2024-03-01 09:10:00"),
]


def statements(sql: str) -> list[str]:
    """The statements of a section, one by one, as a client in autocommit mode sends them."""
    code = "\n".join(line for line in sql.splitlines() if not line.startswith("--"))
    return [statement.strip() for statement in code.split(";") if statement.strip()]


def run_in_autocommit(database, sql: str) -> None:
    """Autocommit: the driver adds no BEGIN of its own, so only the SQL's BEGIN ... COMMIT groups statements."""
    connection = database.connection
    if database.engine == "sqlite":
        connection.isolation_level = None
    else:
        connection.autocommit = True
    try:
        for statement in statements(sql):
            connection.execute(statement)
    finally:
        if database.engine == "sqlite":
            connection.isolation_level = ""
        else:
            connection.autocommit = False


def file_change_counter(database) -> int:
    """SQLite's header field at offset 24, which every committed write transaction increments (rollback journal)."""
    (_, _, path), = [row for row in database.rows("PRAGMA database_list") if row[1] == "main"]
    with open(path, "rb") as file:
        return int.from_bytes(file.read(28)[24:28], "big")


def orders(database) -> list[tuple]:
    rows = database.rows("SELECT id, user_id, status, amount_cents, CAST(created_at AS TEXT) FROM orders ORDER BY id")
    database.connection.commit()
    return rows


@pytest.fixture
def database(empty_database):
    empty_database.insert("users", ("id", "email", "country", "created_at"), [(1, "a@example.com", "IN", "2024-01-01")])
    return empty_database


@pytest.mark.parametrize("way", WAYS)
def test_each_way_writes_the_same_rows_in_its_own_number_of_transactions(database, sql_section, way):
    if database.engine == "sqlite":
        assert database.rows("PRAGMA journal_mode") == [("delete",)]  # the header counter counts commits in this mode
        before = file_change_counter(database)
    run_in_autocommit(database, sql_section("batch_insert.sql", way))

    assert orders(database) == EXPECTED
    if database.engine == "sqlite":
        transactions = file_change_counter(database) - before
    else:  # xmin is the id of the transaction that inserted each row
        (transactions,), = database.rows("SELECT count(DISTINCT xmin::text) FROM orders")
    assert transactions == WAYS[way]


def test_a_multi_row_insert_with_one_bad_row_writes_none_and_autocommit_keeps_the_rows_before_it(database, sql_section):
    errors = (sqlite3.IntegrityError, psycopg.errors.CheckViolation)
    # 'NEW', the status in the notes' example, breaks the schema's CHECK on orders.status
    for way in ("multi_row", "autocommit"):
        with pytest.raises(errors, match="(?i)check constraint"):
            run_in_autocommit(database, sql_section("batch_insert.sql", way).replace("'shipped'", "'NEW'"))
        database.connection.rollback()
        assert orders(database) == ([] if way == "multi_row" else EXPECTED[:2])
