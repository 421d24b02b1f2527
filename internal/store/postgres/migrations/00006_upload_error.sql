-- Uploads: why a file's last upload attempt failed, shown with its
-- attempts and next attempt while job-server cannot take it.

-- +goose Up
ALTER TABLE request_files ADD COLUMN upload_error TEXT;

-- +goose Down
ALTER TABLE request_files DROP COLUMN upload_error;
