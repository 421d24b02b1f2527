package postgres

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/store"
)

const eventColumns = `id, type, "user", workspace, request, path, extra, created_at, hidden, prev_hash, hash`

func scanEvent(row pgx.Row) (domain.Event, error) {
	var (
		e             domain.Event
		typ           string
		request, path *string
	)
	if err := row.Scan(&e.ID, &typ, &e.User, &e.Workspace, &request, &path, &e.Extra, &e.CreatedAt,
		&e.Hidden, &e.PrevHash, &e.Hash); err != nil {
		return e, err
	}
	e.Type = domain.EventType(typ)
	e.Request, e.Path = derefString(request), derefString(path)
	if e.Extra == nil {
		e.Extra = map[string]string{}
	}
	return e, nil
}

// Events returns the audit events f selects, newest first.
func (s *Store) Events(ctx context.Context, f store.EventFilter) ([]domain.Event, error) {
	var (
		conds []string
		args  []any
	)
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if f.User != "" {
		conds = append(conds, `"user" = `+arg(f.User))
	}
	if f.Workspace != "" {
		conds = append(conds, "workspace = "+arg(f.Workspace))
	}
	if f.Request != "" {
		conds = append(conds, "request = "+arg(f.Request))
	}
	if f.Group != "" {
		conds = append(conds, "extra->>'group' = "+arg(f.Group))
	}
	if len(f.ExcludeTypes) > 0 {
		types := make([]string, len(f.ExcludeTypes))
		for i, t := range f.ExcludeTypes {
			types[i] = string(t)
		}
		conds = append(conds, "type <> ALL("+arg(types)+")")
	}
	if f.Before > 0 {
		conds = append(conds, "id < "+arg(f.Before))
	}
	query := `SELECT ` + eventColumns + ` FROM audit_log`
	if len(conds) > 0 {
		query += " WHERE " + strings.Join(conds, " AND ")
	}
	query += " ORDER BY id DESC"
	if f.Limit > 0 {
		query += " LIMIT " + arg(f.Limit)
	}
	rows, err := s.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: events: %w", classify(err))
	}
	defer rows.Close()
	var out []domain.Event
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return nil, fmt.Errorf("postgres: events: %w", classify(err))
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: events: %w", classify(err))
	}
	return out, nil
}

const allEventsSQL = `SELECT ` + eventColumns + ` FROM audit_log ORDER BY id`

// EachEvent calls fn on every event in id order, reading them one by one.
// It stops at fn's first error and returns it as it is.
func (s *Store) EachEvent(ctx context.Context, fn func(domain.Event) error) error {
	rows, err := s.pool.Query(ctx, allEventsSQL)
	if err != nil {
		return fmt.Errorf("postgres: each event: %w", classify(err))
	}
	defer rows.Close()
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return fmt.Errorf("postgres: each event: %w", classify(err))
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("postgres: each event: %w", classify(err))
	}
	return nil
}

const auditHeadSQL = `SELECT last_id, last_hash FROM audit_head WHERE id = 1`

// AuditHead returns the id and hash of the last event (0 and "" when the
// log is empty).
func (s *Store) AuditHead(ctx context.Context) (int64, string, error) {
	var (
		id   int64
		hash string
	)
	if err := s.pool.QueryRow(ctx, auditHeadSQL).Scan(&id, &hash); err != nil {
		return 0, "", fmt.Errorf("postgres: audit head: %w", classify(err))
	}
	return id, hash, nil
}
