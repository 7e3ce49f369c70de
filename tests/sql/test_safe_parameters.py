"""snippets/sql/safe_parameters.py on both engines: hostile strings are stored verbatim and run nothing."""

from sql.safe_parameters import add_user, find_users, find_users_unsafe

NOW = "2022-05-01 12:00:00"
HOSTILE = ["x'); DROP TABLE orders; --", "' OR '1'='1", "Robert'); DELETE FROM users; --", "\\'; SELECT 1; --", "é'\"`;"]


def test_a_hostile_string_is_stored_verbatim_and_runs_nothing(empty_database):
    for n, email in enumerate(HOSTILE, start=1):
        add_user(empty_database.connection, n, email, "IN", NOW)
    for n, email in enumerate(HOSTILE, start=1):
        assert find_users(empty_database.connection, email) == [(n, email)]
    assert empty_database.rows("SELECT count(*) FROM users") == [(len(HOSTILE),)]
    assert empty_database.rows("SELECT count(*) FROM orders") == [(0,)]  # the table is still there


def test_pasting_the_value_into_the_sql_lets_it_rewrite_the_query(empty_database):
    add_user(empty_database.connection, 1, "alice@example.com", "IN", NOW)
    add_user(empty_database.connection, 2, "bob@example.com", "US", NOW)
    assert find_users(empty_database.connection, "' OR '1'='1") == []
    assert len(find_users_unsafe(empty_database.connection, "' OR '1'='1")) == 2  # every user leaks
    assert find_users_unsafe(empty_database.connection, "alice@example.com") == [(1, "alice@example.com")]
