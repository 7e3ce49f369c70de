-- Three orders written three ways: one multi-row INSERT, one transaction of single-row INSERTs, autocommit per row.
-- --8<-- [start:multi_row]
-- One statement: one transaction, one commit, and all three rows or none.
INSERT INTO orders (id, user_id, status, amount_cents, created_at) VALUES
    (1, 1, 'pending', 1999, '2024-03-01 09:00:00'),
    (2, 1, 'paid',    4500, '2024-03-01 09:05:00'),
    (3, 1, 'shipped',  750, '2024-03-01 09:10:00');
-- --8<-- [end:multi_row]

-- --8<-- [start:one_transaction]
-- Three statements, one transaction: one commit.
BEGIN;
INSERT INTO orders (id, user_id, status, amount_cents, created_at) VALUES (1, 1, 'pending', 1999, '2024-03-01 09:00:00');
INSERT INTO orders (id, user_id, status, amount_cents, created_at) VALUES (2, 1, 'paid',    4500, '2024-03-01 09:05:00');
INSERT INTO orders (id, user_id, status, amount_cents, created_at) VALUES (3, 1, 'shipped',  750, '2024-03-01 09:10:00');
COMMIT;
-- --8<-- [end:one_transaction]

-- --8<-- [start:autocommit]
-- No BEGIN in autocommit mode: every statement is its own transaction, three commits.
INSERT INTO orders (id, user_id, status, amount_cents, created_at) VALUES (1, 1, 'pending', 1999, '2024-03-01 09:00:00');
INSERT INTO orders (id, user_id, status, amount_cents, created_at) VALUES (2, 1, 'paid',    4500, '2024-03-01 09:05:00');
INSERT INTO orders (id, user_id, status, amount_cents, created_at) VALUES (3, 1, 'shipped',  750, '2024-03-01 09:10:00');
-- --8<-- [end:autocommit]
