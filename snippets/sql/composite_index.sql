-- A composite index on (user_id, status): which WHERE clauses can search it, and a skip scan.
-- --8<-- [start:index]
CREATE INDEX orders_user_status ON orders (user_id, status);
-- --8<-- [end:index]

-- --8<-- [start:user_only]
-- The leading column alone: the index is searched.
SELECT id, amount_cents FROM orders
WHERE user_id = 42;
-- --8<-- [end:user_only]

-- --8<-- [start:both]
-- Both columns: the index is searched on both.
SELECT id, amount_cents FROM orders
WHERE user_id = 42 AND status = 'refunded';
-- --8<-- [end:both]

-- --8<-- [start:status_only]
-- The second column alone: no leading column to search on, so the table is scanned.
SELECT id, amount_cents FROM orders
WHERE status = 'refunded';
-- --8<-- [end:status_only]

-- --8<-- [start:skip_scan_index]
-- Leading column with few distinct values (6 statuses): SQLite can skip-scan it.
CREATE INDEX orders_status_user ON orders (status, user_id);
-- --8<-- [end:skip_scan_index]
