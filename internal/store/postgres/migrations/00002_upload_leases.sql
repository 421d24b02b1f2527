-- Uploads: when a failed upload may be tried again, and which uploader
-- holds a file (until when), so that several uploaders never upload the
-- same file at once and a crashed one's file is picked up again.

-- +goose Up
ALTER TABLE request_files ADD COLUMN upload_next_at TIMESTAMPTZ;
ALTER TABLE request_files ADD COLUMN upload_lease_owner TEXT;
ALTER TABLE request_files ADD COLUMN upload_lease_until TIMESTAMPTZ;
-- The files waiting for upload, in the order they are due (NULL, never
-- tried, first, as SQLite sorts them): a claim reads this index from the
-- front and stops at the first file free to take, however many files
-- requests hold.
CREATE INDEX request_files_upload_queue ON request_files (upload_next_at NULLS FIRST, id)
    WHERE released_at IS NOT NULL AND NOT uploaded;

-- +goose Down
DROP INDEX request_files_upload_queue;
ALTER TABLE request_files DROP COLUMN upload_lease_until;
ALTER TABLE request_files DROP COLUMN upload_lease_owner;
ALTER TABLE request_files DROP COLUMN upload_next_at;
