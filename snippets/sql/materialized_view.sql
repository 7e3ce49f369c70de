-- A materialised view of daily revenue per status (PostgreSQL), and the unique index a concurrent refresh needs.
-- --8<-- [start:create]
CREATE MATERIALIZED VIEW daily_revenue AS
SELECT created_at::date AS day, status, count(*) AS orders, sum(amount_cents) AS revenue_cents
FROM orders
GROUP BY created_at::date, status;
-- --8<-- [end:create]

-- --8<-- [start:refresh]
-- Recomputes the whole result; readers of daily_revenue wait until it commits.
REFRESH MATERIALIZED VIEW daily_revenue;
-- --8<-- [end:refresh]

-- --8<-- [start:unique_index]
-- One row per (day, status): plain columns, no WHERE clause.
CREATE UNIQUE INDEX daily_revenue_day_status ON daily_revenue (day, status);
-- --8<-- [end:unique_index]

-- --8<-- [start:refresh_concurrently]
-- Builds the new result beside the old one and applies the difference; readers keep reading the old rows.
REFRESH MATERIALIZED VIEW CONCURRENTLY daily_revenue;
-- --8<-- [end:refresh_concurrently]
