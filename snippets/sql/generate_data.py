"""Deterministic test data for schema.sql: users, orders with a skewed status, and logs across four years."""

import datetime
import random
import sqlite3
from collections.abc import Iterator

START = datetime.datetime(2021, 1, 1)
SPAN_SECONDS = 4 * 365 * 24 * 3600  # 2021 to 2024
STATUSES = {"delivered": 75, "shipped": 10, "paid": 7, "pending": 3, "cancelled": 4, "refunded": 1}
LEVELS = {"debug": 50, "info": 40, "warning": 8, "error": 2}
COUNTRIES = ["IN", "US", "DE", "BR", "GB", "JP", "FR", "NG"]


def counted(name: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{name} must be a whole number of rows, 0 or more, got {value!r}")
    return value


# --8<-- [start:rows]
def timestamp(rng: random.Random) -> str:
    """A second in 2021-2024, as text that both SQLite and PostgreSQL read as a TIMESTAMP."""
    return (START + datetime.timedelta(seconds=rng.randrange(SPAN_SECONDS))).isoformat(sep=" ")


def users(count: int, seed: int = 7) -> Iterator[tuple]:
    rng = random.Random(seed)
    for n in range(1, count + 1):
        yield n, f"user{n}@example.com", rng.choice(COUNTRIES), timestamp(rng)


def orders(count: int, user_count: int, seed: int = 7) -> Iterator[tuple]:
    """A few users place most orders (weights 1/rank), and most orders end up delivered."""
    rng = random.Random(seed + 1)
    ranks = list(range(1, user_count + 1))
    buyers = rng.choices(ranks, weights=[1 / rank for rank in ranks], k=count)
    statuses = rng.choices(list(STATUSES), weights=list(STATUSES.values()), k=count)
    for n, (user_id, status) in enumerate(zip(buyers, statuses), start=1):
        yield n, user_id, status, rng.randrange(100, 100_000), timestamp(rng)


def logs(count: int, seed: int = 7) -> Iterator[tuple]:
    rng = random.Random(seed + 2)
    levels = rng.choices(list(LEVELS), weights=list(LEVELS.values()), k=count)
    for n, level in enumerate(levels, start=1):
        yield n, level, f"{level} event {rng.randrange(1000)}", timestamp(rng)
# --8<-- [end:rows]


TABLES = {
    "users": ("id", "email", "country", "created_at"),
    "orders": ("id", "user_id", "status", "amount_cents", "created_at"),
    "logs": ("id", "level", "message", "created_at"),
}


# --8<-- [start:load]
def load(connection, user_count: int = 10_000, order_count: int = 200_000, log_count: int = 50_000,
         seed: int = 7) -> None:
    """Fill the empty tables of schema.sql in one transaction: executemany on SQLite, COPY on PostgreSQL."""
    user_count, order_count, log_count = (counted("user_count", user_count), counted("order_count", order_count),
                                          counted("log_count", log_count))
    if order_count and not user_count:
        raise ValueError("user_count must be at least 1 when there are orders to place")
    rows = {
        "users": users(user_count, seed),
        "orders": orders(order_count, user_count, seed),
        "logs": logs(log_count, seed),
    }
    if isinstance(connection, sqlite3.Connection):
        with connection:
            for table, columns in TABLES.items():
                marks = ", ".join("?" * len(columns))
                connection.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows[table])
        return
    with connection.transaction(), connection.cursor() as cursor:  # psycopg 3
        for table, columns in TABLES.items():
            with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows[table]:
                    copy.write_row(row)
# --8<-- [end:load]
