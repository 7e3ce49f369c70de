-- A WHERE on an indexed column, and the half-open range that lets an index on created_at serve a year.
-- --8<-- [start:index]
CREATE INDEX orders_user_id ON orders (user_id);
-- --8<-- [end:index]

-- --8<-- [start:lookup]
SELECT id, status, amount_cents FROM orders
WHERE user_id = 42;
-- --8<-- [end:lookup]

-- --8<-- [start:created_at_index]
CREATE INDEX orders_created_at ON orders (created_at);
-- --8<-- [end:created_at_index]

-- --8<-- [start:half_open]
-- Sargable: the bare column compared with constants, so the index is searched for the range.
SELECT count(*) FROM orders
WHERE created_at >= '2022-01-01' AND created_at < '2023-01-01';
-- --8<-- [end:half_open]
