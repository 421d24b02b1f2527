package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/store"
)

const eventColumns = `id, type, "user", workspace, request, path, extra, created_at, hidden, prev_hash, hash`

func scanEvent(sc interface{ Scan(...any) error }) (domain.Event, error) {
	var (
		e                  domain.Event
		typ, extra, create string
		request, path      sql.NullString
	)
	if err := sc.Scan(&e.ID, &typ, &e.User, &e.Workspace, &request, &path, &extra, &create,
		&e.Hidden, &e.PrevHash, &e.Hash); err != nil {
		return e, err
	}
	e.Type = domain.EventType(typ)
	e.Request, e.Path = request.String, path.String
	e.Extra = map[string]string{}
	if err := json.Unmarshal([]byte(extra), &e.Extra); err != nil {
		return e, fmt.Errorf("event %d: bad extra: %w", e.ID, err)
	}
	if e.Extra == nil { // the JSON null
		e.Extra = map[string]string{}
	}
	var err error
	if e.CreatedAt, err = parseTime(create); err != nil {
		return e, fmt.Errorf("event %d: %w", e.ID, err)
	}
	return e, nil
}

// Events returns the audit events f selects, newest first.
func (s *Store) Events(ctx context.Context, f store.EventFilter) ([]domain.Event, error) {
	var (
		conds []string
		args  []any
	)
	if f.User != "" {
		conds = append(conds, `"user" = ?`)
		args = append(args, f.User)
	}
	if f.Workspace != "" {
		conds = append(conds, "workspace = ?")
		args = append(args, f.Workspace)
	}
	if f.Request != "" {
		conds = append(conds, "request = ?")
		args = append(args, f.Request)
	}
	if f.Group != "" {
		conds = append(conds, "json_extract(extra, '$.group') = ?")
		args = append(args, f.Group)
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
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: events: %w", err)
	}
	defer rows.Close()
	var out []domain.Event
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: events: %w", err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: events: %w", err)
	}
	return out, nil
}

const allEventsSQL = `SELECT ` + eventColumns + ` FROM audit_log ORDER BY id`

// EachEvent calls fn on every event in id order, reading them one by one.
// It stops at fn's first error and returns it as it is.
func (s *Store) EachEvent(ctx context.Context, fn func(domain.Event) error) error {
	rows, err := s.st.allEvents.QueryContext(ctx)
	if err != nil {
		return fmt.Errorf("sqlite: each event: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return fmt.Errorf("sqlite: each event: %w", err)
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("sqlite: each event: %w", err)
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
	if err := s.st.auditHead.QueryRowContext(ctx).Scan(&id, &hash); err != nil {
		return 0, "", fmt.Errorf("sqlite: audit head: %w", err)
	}
	return id, hash, nil
}
