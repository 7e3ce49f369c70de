-- The statements worth fixing (PostgreSQL): pg_stat_statements, ranked by total execution time in this database.
-- The server must start with shared_preload_libraries = 'pg_stat_statements'; the extension is per database.
-- --8<-- [start:enable]
CREATE EXTENSION IF NOT EXISTS pg_stat_statements;
-- --8<-- [end:enable]

-- --8<-- [start:top]
-- Statements that differ only in constants share one row; times are in milliseconds.
SELECT calls, total_exec_time, mean_exec_time, rows, shared_blks_hit, shared_blks_read, query
FROM pg_stat_statements
WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
ORDER BY total_exec_time DESC
LIMIT 10;
-- --8<-- [end:top]

-- --8<-- [start:reset]
-- Start a fresh measurement for this database only; with no arguments it clears every database's rows.
SELECT pg_stat_statements_reset(0, (SELECT oid FROM pg_database WHERE datname = current_database()), 0);
-- --8<-- [end:reset]
