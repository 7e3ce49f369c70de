-- Upserts for an idempotent consumer: ON CONFLICT DO NOTHING, DO UPDATE, and DO UPDATE only for a newer version.
-- --8<-- [start:tables]
-- The consumer's state: each order's latest status, and the payments it has recorded.
CREATE TABLE order_status (
    order_id INTEGER PRIMARY KEY,
    status   TEXT NOT NULL,
    version  INTEGER NOT NULL
);

CREATE TABLE payments (
    event_id     TEXT PRIMARY KEY,  -- the event's own id, the same in every copy of it
    order_id     INTEGER NOT NULL,
    amount_cents INTEGER NOT NULL
);
-- --8<-- [end:tables]

-- --8<-- [start:do_nothing]
-- A copy of an event already recorded inserts nothing: one row per event id, however often it arrives.
INSERT INTO payments (event_id, order_id, amount_cents)
VALUES (:event_id, :order_id, :amount_cents)
ON CONFLICT (event_id) DO NOTHING;
-- --8<-- [end:do_nothing]

-- --8<-- [start:do_update]
-- Last write wins: a repeat is harmless, but a late, older event overwrites a newer status.
INSERT INTO order_status (order_id, status, version)
VALUES (:order_id, :status, :version)
ON CONFLICT (order_id) DO UPDATE SET status = excluded.status, version = excluded.version;
-- --8<-- [end:do_update]

-- --8<-- [start:newer_only]
-- Newest version wins: an event at or below the stored version changes nothing.
INSERT INTO order_status (order_id, status, version)
VALUES (:order_id, :status, :version)
ON CONFLICT (order_id) DO UPDATE SET status = excluded.status, version = excluded.version
WHERE excluded.version > order_status.version;
-- --8<-- [end:newer_only]

-- --8<-- [start:not_unique]
-- Wrong: status is not unique, so there is no conflict to detect, and both engines reject the statement.
INSERT INTO order_status (order_id, status, version)
VALUES (:order_id, :status, :version)
ON CONFLICT (status) DO NOTHING;
-- --8<-- [end:not_unique]
