-- The ten newest orders: an index on created_at returns them in order, so nothing is sorted.
-- --8<-- [start:index]
CREATE INDEX orders_created_at ON orders (created_at);
-- --8<-- [end:index]

-- --8<-- [start:latest]
SELECT id, user_id, created_at FROM orders
ORDER BY created_at DESC
LIMIT 10;
-- --8<-- [end:latest]
