-- +goose Up
-- Disclosure checks (issue 8): the findings of each request file, as a
-- JSON array, and the author's override of blocking findings, as a JSON
-- object (NULL when there is none). Kept as text, as in SQLite, so that
-- `airlock db copy` moves them byte for byte.
ALTER TABLE request_files ADD COLUMN checks TEXT NOT NULL DEFAULT '[]' CHECK (checks::jsonb IS NOT NULL);
ALTER TABLE request_files ADD COLUMN checks_override TEXT CHECK (checks_override IS NULL OR checks_override::jsonb IS NOT NULL);

-- +goose Down
ALTER TABLE request_files DROP COLUMN checks_override;
ALTER TABLE request_files DROP COLUMN checks;
