-- Initial schema. Enums are stored as their names; times as TEXT in the
-- fixed-width UTC form 2006-01-02T15:04:05.000000Z, which sorts in time
-- order.

-- +goose Up
CREATE TABLE users (
    user_id      TEXT PRIMARY KEY,
    api_data     TEXT NOT NULL CHECK (json_valid(api_data)),
    last_refresh TEXT NOT NULL
);

CREATE TABLE requests (
    id                TEXT PRIMARY KEY,
    workspace         TEXT NOT NULL,
    project           TEXT NOT NULL DEFAULT '',
    organisations     TEXT NOT NULL DEFAULT '', -- comma-joined
    status            TEXT NOT NULL CHECK (status IN (
                          'PENDING', 'SUBMITTED', 'PARTIALLY_REVIEWED', 'REVIEWED', 'RETURNED',
                          'APPROVED', 'REJECTED', 'WITHDRAWN', 'RELEASED')),
    author            TEXT NOT NULL,
    created_at        TEXT NOT NULL,
    last_submitted_at TEXT,
    review_turn       INTEGER NOT NULL DEFAULT 0,
    version           INTEGER NOT NULL,
    updated_at        TEXT NOT NULL
);
CREATE INDEX requests_workspace ON requests (workspace);
CREATE INDEX requests_author ON requests (author);
CREATE INDEX requests_status ON requests (status);
-- An author has at most one active request per workspace. The status list
-- is domain.ActiveStatuses() and must match activeStatusesSQL in Go.
CREATE UNIQUE INDEX requests_one_active ON requests (workspace, author)
    WHERE status IN ('PENDING', 'SUBMITTED', 'PARTIALLY_REVIEWED', 'REVIEWED', 'RETURNED');

CREATE TABLE submitted_reviews (
    request_id   TEXT NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    reviewer     TEXT NOT NULL,
    review_turn  INTEGER NOT NULL,
    submitted_at TEXT NOT NULL,
    PRIMARY KEY (request_id, review_turn, reviewer)
);

CREATE TABLE file_groups (
    id         INTEGER PRIMARY KEY,
    request_id TEXT NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    context    TEXT NOT NULL DEFAULT '',
    controls   TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (request_id, name)
);

CREATE TABLE request_files (
    id                  INTEGER PRIMARY KEY,
    request_id          TEXT NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    group_id            INTEGER NOT NULL REFERENCES file_groups (id) ON DELETE CASCADE,
    relpath             TEXT NOT NULL,
    file_id             TEXT NOT NULL, -- sha256 hex of the content
    filetype            TEXT NOT NULL DEFAULT 'OUTPUT' CHECK (filetype IN ('OUTPUT', 'SUPPORTING', 'WITHDRAWN')),
    timestamp           REAL NOT NULL DEFAULT 0,
    size                INTEGER NOT NULL DEFAULT 0,
    job_id              TEXT NOT NULL DEFAULT '',
    commit_sha          TEXT NOT NULL DEFAULT '',
    repo                TEXT NOT NULL DEFAULT '',
    row_count           INTEGER,
    col_count           INTEGER,
    released_at         TEXT,
    released_by         TEXT,
    uploaded            INTEGER NOT NULL DEFAULT 0 CHECK (uploaded IN (0, 1)),
    uploaded_at         TEXT,
    upload_attempts     INTEGER NOT NULL DEFAULT 0,
    upload_attempted_at TEXT,
    UNIQUE (request_id, relpath)
);
CREATE INDEX request_files_group ON request_files (group_id);
CREATE INDEX request_files_file_id ON request_files (file_id);

CREATE TABLE file_reviews (
    id          INTEGER PRIMARY KEY,
    file_id     INTEGER NOT NULL REFERENCES request_files (id) ON DELETE RESTRICT,
    reviewer    TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('APPROVED', 'CHANGES_REQUESTED', 'UNDECIDED')),
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    review_turn INTEGER NOT NULL DEFAULT 0,
    UNIQUE (file_id, reviewer)
);

-- AUTOINCREMENT: a deleted comment's id is never given to another.
CREATE TABLE comments (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    group_id    INTEGER NOT NULL REFERENCES file_groups (id) ON DELETE CASCADE,
    request_id  TEXT NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    text        TEXT NOT NULL,
    author      TEXT NOT NULL,
    visibility  TEXT NOT NULL CHECK (visibility IN ('PUBLIC', 'PRIVATE')),
    review_turn INTEGER NOT NULL DEFAULT 0,
    created_at  TEXT NOT NULL
);
CREATE INDEX comments_group ON comments (group_id);
CREATE INDEX comments_request ON comments (request_id);

-- The audit log is a hash chain: ids are assigned by the store (the last
-- id + 1, from audit_head), prev_hash links each event to the one before.
CREATE TABLE audit_log (
    id         INTEGER PRIMARY KEY,
    type       TEXT NOT NULL,
    "user"     TEXT NOT NULL,
    workspace  TEXT NOT NULL DEFAULT '',
    request    TEXT,
    path       TEXT,
    extra      TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(extra)), -- JSON object of string to string
    created_at TEXT NOT NULL,
    hidden     INTEGER NOT NULL DEFAULT 0 CHECK (hidden IN (0, 1)),
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL
);
CREATE INDEX audit_log_user ON audit_log ("user");
CREATE INDEX audit_log_workspace ON audit_log (workspace);
CREATE INDEX audit_log_request ON audit_log (request);

CREATE TABLE audit_head (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    last_id   INTEGER NOT NULL,
    last_hash TEXT NOT NULL
);
INSERT INTO audit_head (id, last_id, last_hash) VALUES (1, 0, '');

CREATE TABLE api_tokens (
    hash         TEXT PRIMARY KEY, -- sha256 of the secret
    username     TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    last_used_at TEXT NOT NULL,
    expires_at   TEXT NOT NULL,
    revoked_at   TEXT
);
CREATE INDEX api_tokens_username ON api_tokens (username);

-- +goose Down
DROP TABLE api_tokens;
DROP TABLE audit_head;
DROP TABLE audit_log;
DROP TABLE comments;
DROP TABLE file_reviews;
DROP TABLE request_files;
DROP TABLE file_groups;
DROP TABLE submitted_reviews;
DROP TABLE requests;
DROP TABLE users;
