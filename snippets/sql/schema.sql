-- The tables every SQL example on the site runs on, the same on SQLite and PostgreSQL.
-- --8<-- [start:schema]
CREATE TABLE users (
    id         INTEGER PRIMARY KEY,
    email      TEXT NOT NULL UNIQUE,
    country    TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE orders (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id),
    status       TEXT NOT NULL
                 CHECK (status IN ('pending', 'paid', 'shipped', 'delivered', 'cancelled', 'refunded')),
    amount_cents INTEGER NOT NULL CHECK (amount_cents > 0),
    created_at   TIMESTAMP NOT NULL
);

CREATE TABLE logs (
    id         INTEGER PRIMARY KEY,
    level      TEXT NOT NULL CHECK (level IN ('debug', 'info', 'warning', 'error')),
    message    TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
-- --8<-- [end:schema]
