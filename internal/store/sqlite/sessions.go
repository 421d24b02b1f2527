package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// The web sessions' table: data is opaque to the store, expiry a time in
// the store's fixed-width UTC form, so that comparing the text compares
// the times.

const sessionFindSQL = `SELECT data FROM sessions WHERE token = ? AND expiry > ?`

// SessionFind returns the data of a session that has not expired.
func (s *Store) SessionFind(ctx context.Context, token string) ([]byte, bool, error) {
	var data []byte
	err := s.st.sessionFind.QueryRowContext(ctx, token, formatTime(time.Now())).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		// The token is a credential: keep it out of messages.
		return nil, false, fmt.Errorf("sqlite: find session: %w", err)
	}
	return data, true, nil
}

const sessionCommitSQL = `
		INSERT INTO sessions (token, data, expiry) VALUES (?, ?, ?)
		ON CONFLICT (token) DO UPDATE SET data = excluded.data, expiry = excluded.expiry`

// SessionCommit stores a session's data and expiry.
func (s *Store) SessionCommit(ctx context.Context, token string, data []byte, expiry time.Time) error {
	if data == nil {
		data = []byte{}
	}
	if _, err := s.st.sessionCommit.ExecContext(ctx, token, data, formatTime(expiry)); err != nil {
		return fmt.Errorf("sqlite: commit session: %w", err)
	}
	return nil
}

const sessionDeleteSQL = `DELETE FROM sessions WHERE token = ?`

// SessionDelete removes a session, if there is one.
func (s *Store) SessionDelete(ctx context.Context, token string) error {
	if _, err := s.st.sessionDelete.ExecContext(ctx, token); err != nil {
		return fmt.Errorf("sqlite: delete session: %w", err)
	}
	return nil
}

const sessionDeleteExpiredSQL = `DELETE FROM sessions WHERE expiry <= ?`

// SessionDeleteExpired removes the sessions that expired at or before now.
func (s *Store) SessionDeleteExpired(ctx context.Context, now time.Time) error {
	if _, err := s.st.sessionDeleteExpired.ExecContext(ctx, formatTime(now)); err != nil {
		return fmt.Errorf("sqlite: delete expired sessions: %w", err)
	}
	return nil
}
