"""snippets/sql/joins.sql: INNER and LEFT JOIN return different rows when a user has no orders."""

import pytest

USERS = [
    (1, "ana@example.com", "BR", "2024-01-01 09:00:00"),
    (2, "bo@example.com", "US", "2024-01-02 09:00:00"),
    (3, "cy@example.com", "IN", "2024-01-03 09:00:00"),  # never ordered
]
ORDERS = [
    (10, 1, "paid", 500, "2024-02-01 10:00:00"),
    (11, 1, "delivered", 700, "2024-02-02 10:00:00"),
    (12, 2, "cancelled", 300, "2024-02-03 10:00:00"),
]


@pytest.fixture
def shop(empty_database):
    empty_database.insert("users", ("id", "email", "country", "created_at"), USERS)
    empty_database.insert("orders", ("id", "user_id", "status", "amount_cents", "created_at"), ORDERS)
    return empty_database


def test_inner_join_leaves_out_the_user_without_orders(shop, sql_section):
    assert shop.rows(sql_section("joins.sql", "inner")) == [
        ("ana@example.com", 10, 500),
        ("ana@example.com", 11, 700),
        ("bo@example.com", 12, 300),
    ]


def test_left_join_keeps_the_user_without_orders_with_nulls(shop, sql_section):
    inner = shop.rows(sql_section("joins.sql", "inner"))
    left = shop.rows(sql_section("joins.sql", "left"))
    assert left == inner + [("cy@example.com", None, None)]  # cy sorts last by email
    assert left != inner  # so one is not a faster version of the other


def test_spend_per_user_counts_zero_for_the_user_without_orders(shop, sql_section):
    assert shop.rows(sql_section("joins.sql", "spend_per_user")) == [
        ("ana@example.com", 2, 1200),
        ("bo@example.com", 1, 300),
        ("cy@example.com", 0, 0),
    ]


def test_a_where_on_the_right_table_turns_left_into_inner_and_on_does_not(shop, sql_section):
    assert shop.rows(sql_section("joins.sql", "filter_in_where")) == [("ana@example.com", 10)]
    assert shop.rows(sql_section("joins.sql", "filter_in_on")) == [
        ("ana@example.com", 10),
        ("bo@example.com", None),
        ("cy@example.com", None),
    ]
