-- Web sessions (the pages' logins, flash messages and per-user toggles),
-- kept by token until they expire.

-- +goose Up
CREATE TABLE sessions (
    token  TEXT PRIMARY KEY,
    data   BYTEA NOT NULL,
    expiry TIMESTAMPTZ NOT NULL
);
CREATE INDEX sessions_expiry ON sessions (expiry);

-- +goose Down
DROP INDEX sessions_expiry;
DROP TABLE sessions;
