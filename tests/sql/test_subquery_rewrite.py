"""snippets/sql/subquery_rewrite.sql: a subquery, its JOIN + GROUP BY and its CTE rewrite give the same users;
a JOIN without GROUP BY or DISTINCT repeats them."""

from collections import Counter

import pytest


@pytest.fixture
def spenders(loaded_database, sql_section):
    return sorted(loaded_database.rows(sql_section("subquery_rewrite.sql", "in_subquery")))


def test_the_big_spenders_are_a_real_subset(spenders, loaded_database):
    (users,), = loaded_database.rows("SELECT count(*) FROM users")
    assert 10 < len(spenders) < users // 10  # neither empty nor everyone: a comparison that can fail
    assert len(spenders) == 102  # the number the page quotes, from the seeded data


@pytest.mark.parametrize("rewrite", ["join_group_by", "cte"])
def test_join_and_cte_rewrites_return_the_same_users(spenders, loaded_database, sql_section, rewrite):
    assert sorted(loaded_database.rows(sql_section("subquery_rewrite.sql", rewrite))) == spenders


def test_correlated_subquery_returns_the_same_users(spenders, loaded_database, index, sql_section):
    index("CREATE INDEX orders_user_id ON orders (user_id)")  # one lookup per user instead of one scan per user
    assert sorted(loaded_database.rows(sql_section("subquery_rewrite.sql", "correlated"))) == spenders


def test_a_join_without_group_by_or_distinct_repeats_users_that_in_returns_once(loaded_database, sql_section):
    once = loaded_database.rows(sql_section("subquery_rewrite.sql", "in_big_orders"))
    joined = loaded_database.rows(sql_section("subquery_rewrite.sql", "join_duplicates"))
    distinct = loaded_database.rows(sql_section("subquery_rewrite.sql", "join_distinct"))

    assert len(set(once)) == len(once) > 0
    assert len(joined) > len(once)  # the duplicate trap
    assert max(Counter(joined).values()) > 1
    assert sorted(set(joined)) == sorted(once)  # the same users, repeated
    assert sorted(distinct) == sorted(once)
    assert (len(once), len(joined), max(Counter(joined).values())) == (857, 1990, 200)  # as the page quotes
