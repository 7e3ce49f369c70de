-- Users who spent over 100,000.00 in total: a subquery, and the same question as a JOIN and as a CTE.
-- --8<-- [start:in_subquery]
SELECT id, email FROM users
WHERE id IN (SELECT user_id FROM orders GROUP BY user_id HAVING sum(amount_cents) > 10000000)
ORDER BY id;
-- --8<-- [end:in_subquery]

-- --8<-- [start:correlated]
-- Runs the inner query once per user in principle; it needs an index on orders (user_id) to be cheap.
SELECT id, email FROM users
WHERE (SELECT sum(amount_cents) FROM orders WHERE orders.user_id = users.id) > 10000000
ORDER BY id;
-- --8<-- [end:correlated]

-- --8<-- [start:join_group_by]
SELECT users.id, users.email FROM users
JOIN orders ON orders.user_id = users.id
GROUP BY users.id, users.email
HAVING sum(orders.amount_cents) > 10000000
ORDER BY users.id;
-- --8<-- [end:join_group_by]

-- --8<-- [start:cte]
WITH spend AS (
    SELECT user_id, sum(amount_cents) AS total_cents FROM orders GROUP BY user_id
)
SELECT users.id, users.email FROM users
JOIN spend ON spend.user_id = users.id
WHERE spend.total_cents > 10000000
ORDER BY users.id;
-- --8<-- [end:cte]

-- --8<-- [start:in_big_orders]
-- Users with at least one order over 990.00: IN returns each user once.
SELECT id, email FROM users
WHERE id IN (SELECT user_id FROM orders WHERE amount_cents > 99000)
ORDER BY id;
-- --8<-- [end:in_big_orders]

-- --8<-- [start:join_duplicates]
-- Wrong rewrite: one row per matching order, so a user with three big orders appears three times.
SELECT users.id, users.email FROM users
JOIN orders ON orders.user_id = users.id
WHERE orders.amount_cents > 99000
ORDER BY users.id;
-- --8<-- [end:join_duplicates]

-- --8<-- [start:join_distinct]
SELECT DISTINCT users.id, users.email FROM users
JOIN orders ON orders.user_id = users.id
WHERE orders.amount_cents > 99000
ORDER BY users.id;
-- --8<-- [end:join_distinct]
