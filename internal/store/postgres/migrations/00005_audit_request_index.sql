-- +goose Up
-- A request's newest audit event (RequestStamp, read on every request
-- read) is the last entry of this index for the request, however long the
-- log grows.
DROP INDEX audit_log_request;
CREATE INDEX audit_log_request ON audit_log (request, id);

-- +goose Down
DROP INDEX audit_log_request;
CREATE INDEX audit_log_request ON audit_log (request);
