package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/store"
)

const (
	eventColumns = `id, type, "user", workspace, request, path, extra, created_at, hidden, prev_hash, hash`
	allEventsSQL = `SELECT ` + eventColumns + ` FROM audit_log ORDER BY id`
	auditHeadSQL = `SELECT last_id, last_hash FROM audit_head WHERE id = 1`
)

func scanEvent(sc interface{ Scan(...any) error }) (domain.Event, error) {
	var (
		e             domain.Event
		typ, extra    string
		request, path sql.NullString
	)
	if err := sc.Scan(&e.ID, &typ, &e.User, &e.Workspace, &request, &path, &extra, timeCol{&e.CreatedAt},
		&e.Hidden, &e.PrevHash, &e.Hash); err != nil {
		return e, err
	}
	e.Type = domain.EventType(typ)
	e.Request, e.Path = request.String, path.String
	m, err := store.DecodeExtra(extra)
	if err != nil {
		return e, fmt.Errorf("event %d: bad extra: %w", e.ID, err)
	}
	e.Extra = m
	return e, nil
}

// Events returns the audit events f selects, newest first.
func (s *Store) Events(ctx context.Context, f store.EventFilter) ([]domain.Event, error) {
	var (
		conds []string
		args  []any
	)
	add := func(cond string, v any) {
		conds = append(conds, cond)
		args = append(args, v)
	}
	if f.User != "" {
		add(`"user" = ?`, f.User)
	}
	if f.Workspace != "" {
		add("workspace = ?", f.Workspace)
	}
	if f.Request != "" {
		add("request = ?", f.Request)
	}
	if f.Group != "" {
		add("extra->>'group' = ?", f.Group)
	}
	if len(f.ExcludeTypes) > 0 {
		conds = append(conds, "type NOT IN ("+placeholders(len(f.ExcludeTypes))+")")
		for _, t := range f.ExcludeTypes {
			args = append(args, string(t))
		}
	}
	if f.Before > 0 {
		conds = append(conds, "id < ?")
		args = append(args, f.Before)
	}
	query := `SELECT ` + eventColumns + ` FROM audit_log`
	if len(conds) > 0 {
		query += " WHERE " + strings.Join(conds, " AND ")
	}
	query += " ORDER BY id DESC"
	if f.Limit > 0 {
		query += " LIMIT ?"
		args = append(args, f.Limit)
	}
	var out []domain.Event
	err := q{s: s}.each(ctx, func(rows *sql.Rows) error {
		e, err := scanEvent(rows)
		out = append(out, e)
		return err
	}, query, args...)
	if err != nil {
		return nil, s.fail(err, "events")
	}
	return out, nil
}

// EachEvent calls fn on every event in id order, reading them one by one.
// It stops at fn's first error and returns it as it is.
func (s *Store) EachEvent(ctx context.Context, fn func(domain.Event) error) error {
	var fnErr error
	err := q{s: s}.each(ctx, func(rows *sql.Rows) error {
		e, err := scanEvent(rows)
		if err != nil {
			return err
		}
		fnErr = fn(e)
		return fnErr
	}, allEventsSQL)
	if fnErr != nil {
		return fnErr
	}
	return s.fail(err, "each event")
}

// AuditHead returns the id and hash of the last event (0, "" for none).
func (s *Store) AuditHead(ctx context.Context) (int64, string, error) {
	var id int64
	var hash string
	if err := (q{s: s}).queryRow(ctx, auditHeadSQL).Scan(&id, &hash); err != nil {
		return 0, "", s.fail(err, "audit head")
	}
	return id, hash, nil
}
