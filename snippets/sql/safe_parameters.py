"""Values travel as query parameters, never inside the SQL text, so a hostile string is only ever data."""

import sqlite3


# --8<-- [start:safe]
def placeholder(connection) -> str:
    """sqlite3 takes ?, psycopg takes %s; neither lets a value change the statement."""
    return "?" if isinstance(connection, sqlite3.Connection) else "%s"


def add_user(connection, user_id: int, email: str, country: str, created_at: str) -> None:
    mark = placeholder(connection)
    connection.execute(
        f"INSERT INTO users (id, email, country, created_at) VALUES ({mark}, {mark}, {mark}, {mark})",
        (user_id, email, country, created_at),
    )
    connection.commit()


def find_users(connection, email: str) -> list[tuple]:
    mark = placeholder(connection)
    return connection.execute(f"SELECT id, email FROM users WHERE email = {mark}", (email,)).fetchall()
# --8<-- [end:safe]


# --8<-- [start:unsafe]
def find_users_unsafe(connection, email: str) -> list[tuple]:
    """Never do this: the value is pasted into the SQL text, so it can rewrite the query."""
    return connection.execute(f"SELECT id, email FROM users WHERE email = '{email}'").fetchall()
# --8<-- [end:unsafe]
