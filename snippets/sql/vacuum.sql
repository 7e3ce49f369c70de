-- What VACUUM does and does not do (PostgreSQL): dead rows become reusable space, but the file keeps its size.
-- --8<-- [start:setup]
CREATE TABLE order_history WITH (autovacuum_enabled = off) AS SELECT * FROM orders;
-- --8<-- [end:setup]

-- --8<-- [start:delete]
-- Half of the rows, spread over every page: the file keeps all its pages, half full of dead rows.
DELETE FROM order_history WHERE id % 2 = 0;
-- --8<-- [end:delete]

-- --8<-- [start:vacuum]
-- Marks the dead rows' space free for new rows of this table. Readers and writers carry on.
VACUUM order_history;
-- --8<-- [end:vacuum]

-- --8<-- [start:vacuum_full]
-- Rewrites the table into a new, smaller file, holding an ACCESS EXCLUSIVE lock: no reads or writes meanwhile.
VACUUM FULL order_history;
-- --8<-- [end:vacuum_full]

-- --8<-- [start:size]
SELECT pg_relation_size('order_history');
-- --8<-- [end:size]

-- --8<-- [start:buffers]
-- Runs the query and counts 8 kB pages found in shared buffers (hit) and read from the operating system (read).
EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) SELECT count(*) FROM order_history;
-- --8<-- [end:buffers]
