-- Orders partitioned by year with PostgreSQL's declarative range partitioning, and which queries prune.
-- --8<-- [start:create]
CREATE TABLE orders_by_year (
    id           INTEGER NOT NULL,
    user_id      INTEGER NOT NULL,
    status       TEXT NOT NULL,
    amount_cents INTEGER NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (id, created_at)  -- a unique key must include the partition key
) PARTITION BY RANGE (created_at);

-- Lower bound included, upper bound excluded: the half-open range again.
CREATE TABLE orders_2021 PARTITION OF orders_by_year FOR VALUES FROM ('2021-01-01') TO ('2022-01-01');
CREATE TABLE orders_2022 PARTITION OF orders_by_year FOR VALUES FROM ('2022-01-01') TO ('2023-01-01');
CREATE TABLE orders_2023 PARTITION OF orders_by_year FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');
CREATE TABLE orders_2024 PARTITION OF orders_by_year FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');

-- Each row lands in the partition whose range holds its created_at.
INSERT INTO orders_by_year SELECT id, user_id, status, amount_cents, created_at FROM orders;
-- --8<-- [end:create]

-- --8<-- [start:pruned]
-- A range on the partition key: the plan reads orders_2022 only.
SELECT count(*) FROM orders_by_year
WHERE created_at >= '2022-01-01' AND created_at < '2023-01-01';
-- --8<-- [end:pruned]

-- --8<-- [start:all_partitions]
-- No condition on the partition key: every partition is scanned.
SELECT count(*) FROM orders_by_year
WHERE status = 'refunded';
-- --8<-- [end:all_partitions]

-- --8<-- [start:function]
-- A function around the key hides it from pruning as it hides it from an index: every partition again.
SELECT count(*) FROM orders_by_year
WHERE EXTRACT(YEAR FROM created_at) = 2022;
-- --8<-- [end:function]
