-- Statistics drive the plan (PostgreSQL): a bulk change makes a rare status common, and only ANALYZE tells the planner.
-- --8<-- [start:setup]
-- autovacuum would also run ANALYZE in the background; switched off here so the example decides when.
CREATE TABLE order_archive (LIKE orders) WITH (autovacuum_enabled = off);
INSERT INTO order_archive SELECT * FROM orders;
CREATE INDEX order_archive_status ON order_archive (status);
ANALYZE order_archive;
-- --8<-- [end:setup]

-- --8<-- [start:query]
SELECT id, amount_cents FROM order_archive WHERE status = 'refunded';
-- --8<-- [end:query]

-- --8<-- [start:bulk_change]
-- A bulk refund: about three quarters of the rows become 'refunded'. The statistics still say 1%.
UPDATE order_archive SET status = 'refunded' WHERE status = 'delivered';
-- --8<-- [end:bulk_change]

-- --8<-- [start:analyze]
ANALYZE order_archive;
-- --8<-- [end:analyze]
