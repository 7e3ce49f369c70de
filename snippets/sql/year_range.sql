-- Orders placed in 2022: a BETWEEN on dates, and the half-open range that replaces it.
-- --8<-- [start:between]
-- Wrong for timestamps. On PostgreSQL '2022-12-31' means midnight, so the rest of 31 December is left out;
-- SQLite compares the text, and every time on 31 December sorts after '2022-12-31', so all of it is left out.
SELECT count(*) FROM orders
WHERE created_at BETWEEN '2022-01-01' AND '2022-12-31';
-- --8<-- [end:between]

-- --8<-- [start:half_open]
-- Every instant of 2022, whatever the column's precision, and an index on created_at can serve it.
SELECT count(*) FROM orders
WHERE created_at >= '2022-01-01' AND created_at < '2023-01-01';
-- --8<-- [end:half_open]
