-- Newest orders, 20 to a page: OFFSET pagination, and the keyset (seek) pagination that replaces it.
-- --8<-- [start:index]
CREATE INDEX orders_created_at_id ON orders (created_at, id);
-- --8<-- [end:index]

-- --8<-- [start:offset]
-- Page k: skip 20 * (k - 1) rows. The database still reads every skipped row, then throws it away.
SELECT id, user_id, amount_cents, created_at FROM orders
ORDER BY created_at DESC, id DESC
LIMIT 20 OFFSET ?;
-- --8<-- [end:offset]

-- --8<-- [start:keyset]
-- The next page: the rows after the last one shown, whose created_at and id are the two parameters.
-- id breaks ties between orders placed in the same second, so no row is skipped or shown twice.
SELECT id, user_id, amount_cents, created_at FROM orders
WHERE (created_at, id) < (?, ?)
ORDER BY created_at DESC, id DESC
LIMIT 20;
-- --8<-- [end:keyset]
