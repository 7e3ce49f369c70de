"""snippets/sql/year_range.sql: the notes' BETWEEN drops most of 31 December; the half-open range keeps it."""

ORDER = ("id", "user_id", "status", "amount_cents", "created_at")
EDGES = [
    "2021-12-31 23:59:59",  # just before the year
    "2022-01-01 00:00:00",
    "2022-06-15 12:00:00",
    "2022-12-31 00:00:00",  # midnight: PostgreSQL's BETWEEN keeps it, SQLite's does not
    "2022-12-31 10:30:00",
    "2022-12-31 23:59:59.999",
    "2023-01-01 00:00:00",  # just after the year
]


def test_between_drops_31_december_after_midnight_and_the_half_open_range_keeps_it(empty_database, sql_section):
    empty_database.insert("users", ("id", "email", "country", "created_at"), [(1, "a@example.com", "IN", EDGES[0])])
    empty_database.insert("orders", ORDER, [(n, 1, "paid", 100, at) for n, at in enumerate(EDGES, start=1)])

    between = empty_database.rows(sql_section("year_range.sql", "between"))
    half_open = empty_database.rows(sql_section("year_range.sql", "half_open"))

    assert half_open == [(5,)]  # every order of 2022, on both engines
    if empty_database.engine == "postgres":
        assert between == [(3,)]  # '2022-12-31' is a timestamp at midnight: 10:30 and 23:59:59.999 are lost
    else:
        assert between == [(2,)]  # SQLite compares text, and '2022-12-31 00:00:00' > '2022-12-31': all of the day is lost
