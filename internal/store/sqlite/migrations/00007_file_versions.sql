-- Versions of request files (issue 13): every copy a file had on a
-- request, oldest first, with who added it and when, so that a checker
-- can see what changed since they voted. The copies themselves are in
-- the request store under their sha256 (file_id); `airlock gc` keeps
-- every version's. reviewed_versions says which version each reviewer
-- last voted on; it outlives the vote, which an update resets.

-- +goose Up
CREATE TABLE file_versions (
    request_id TEXT NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    relpath    TEXT NOT NULL,
    ordinal    INTEGER NOT NULL CHECK (ordinal > 0), -- 1, 2, ... per request and path
    file_id    TEXT NOT NULL, -- sha256 hex of the content
    size       INTEGER NOT NULL DEFAULT 0,
    timestamp  REAL NOT NULL DEFAULT 0,
    commit_sha TEXT NOT NULL DEFAULT '',
    job_id     TEXT NOT NULL DEFAULT '',
    added_by   TEXT NOT NULL,
    added_at   TEXT NOT NULL,
    PRIMARY KEY (request_id, relpath, ordinal)
);
CREATE INDEX file_versions_file_id ON file_versions (file_id);

CREATE TABLE reviewed_versions (
    request_id TEXT NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    relpath    TEXT NOT NULL,
    reviewer   TEXT NOT NULL,
    file_id    TEXT NOT NULL, -- the sha256 of the version last voted on
    voted_at   TEXT NOT NULL,
    PRIMARY KEY (request_id, relpath, reviewer)
);

-- The files already on requests: their current copy is their first
-- known version, added by the request's author at their last add or
-- update event (else when the request was created).
INSERT INTO file_versions (request_id, relpath, ordinal, file_id, size, timestamp, commit_sha, job_id, added_by, added_at)
SELECT f.request_id, f.relpath, 1, f.file_id, f.size, f.timestamp, f.commit_sha, f.job_id, r.author,
    COALESCE((SELECT MAX(a.created_at) FROM audit_log a
              WHERE a.request = f.request_id AND a.path = f.relpath
                AND a.type IN ('REQUEST_FILE_ADD', 'REQUEST_FILE_UPDATE')), r.created_at)
FROM request_files f JOIN requests r ON r.id = f.request_id;

INSERT INTO reviewed_versions (request_id, relpath, reviewer, file_id, voted_at)
SELECT f.request_id, f.relpath, v.reviewer, f.file_id, v.updated_at
FROM file_reviews v JOIN request_files f ON f.id = v.file_id;

-- +goose Down
DROP TABLE reviewed_versions;
DROP TABLE file_versions;
