-- Users and their orders: INNER JOIN keeps only users with orders, LEFT JOIN keeps every user.
-- --8<-- [start:inner]
-- One row per matching pair: a user without orders is not in the result.
SELECT users.email, orders.id AS order_id, orders.amount_cents
FROM users
INNER JOIN orders ON orders.user_id = users.id
ORDER BY users.email, orders.id;
-- --8<-- [end:inner]

-- --8<-- [start:left]
-- Every user: one with no orders appears once, with NULL in the order's columns.
SELECT users.email, orders.id AS order_id, orders.amount_cents
FROM users
LEFT JOIN orders ON orders.user_id = users.id
ORDER BY users.email, orders.id;
-- --8<-- [end:left]

-- --8<-- [start:spend_per_user]
-- Spend per user, zero included: count(orders.id) skips the NULLs, and coalesce turns a missing sum into 0.
SELECT users.email, count(orders.id) AS orders, coalesce(sum(orders.amount_cents), 0) AS spent_cents
FROM users
LEFT JOIN orders ON orders.user_id = users.id
GROUP BY users.email
ORDER BY users.email;
-- --8<-- [end:spend_per_user]

-- --8<-- [start:filter_in_where]
-- A condition on the right-hand table in WHERE drops the NULL rows again: this is an INNER JOIN in effect.
SELECT users.email, orders.id AS order_id
FROM users
LEFT JOIN orders ON orders.user_id = users.id
WHERE orders.status = 'paid'
ORDER BY users.email, orders.id;
-- --8<-- [end:filter_in_where]

-- --8<-- [start:filter_in_on]
-- The same condition in ON keeps every user, and matches only their paid orders.
SELECT users.email, orders.id AS order_id
FROM users
LEFT JOIN orders ON orders.user_id = users.id AND orders.status = 'paid'
ORDER BY users.email, orders.id;
-- --8<-- [end:filter_in_on]
