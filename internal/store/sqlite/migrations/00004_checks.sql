-- +goose Up
-- Disclosure checks (issue 8): the findings of each request file, as a
-- JSON array, and the author's override of blocking findings, as a JSON
-- object (NULL when there is none).
ALTER TABLE request_files ADD COLUMN checks TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(checks));
ALTER TABLE request_files ADD COLUMN checks_override TEXT CHECK (checks_override IS NULL OR json_valid(checks_override));

-- +goose Down
ALTER TABLE request_files DROP COLUMN checks_override;
ALTER TABLE request_files DROP COLUMN checks;
