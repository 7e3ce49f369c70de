-- A covering index: the query reads only columns the index holds, so the table is not visited.
-- --8<-- [start:index]
CREATE INDEX orders_user_status ON orders (user_id, status);
-- --8<-- [end:index]

-- --8<-- [start:covered]
-- Only columns in the index: answered from the index alone.
SELECT user_id, status FROM orders
WHERE user_id = 42;
-- --8<-- [end:covered]

-- --8<-- [start:star]
-- SELECT * needs amount_cents and created_at too, so every match is fetched from the table.
SELECT * FROM orders
WHERE user_id = 42;
-- --8<-- [end:star]
