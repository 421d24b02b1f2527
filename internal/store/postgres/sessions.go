package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// The web sessions' table: data is opaque to the store. Expiry is compared
// with this process's clock, as the SQLite store does.

const sessionFindSQL = `SELECT data FROM sessions WHERE token = $1 AND expiry > $2`

// SessionFind returns the data of a session that has not expired.
func (s *Store) SessionFind(ctx context.Context, token string) ([]byte, bool, error) {
	var data []byte
	err := s.pool.QueryRow(ctx, sessionFindSQL, token, time.Now()).Scan(&data)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		// The token is a credential: keep it out of messages.
		return nil, false, fmt.Errorf("postgres: find session: %w", classify(err))
	}
	if data == nil {
		data = []byte{}
	}
	return data, true, nil
}

const sessionCommitSQL = `
		INSERT INTO sessions (token, data, expiry) VALUES ($1, $2, $3)
		ON CONFLICT (token) DO UPDATE SET data = excluded.data, expiry = excluded.expiry`

// SessionCommit stores a session's data and expiry.
func (s *Store) SessionCommit(ctx context.Context, token string, data []byte, expiry time.Time) error {
	if data == nil {
		data = []byte{}
	}
	err := retry(ctx, func() error {
		_, err := s.pool.Exec(ctx, sessionCommitSQL, token, data, expiry)
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: commit session: %w", classify(err))
	}
	return nil
}

const sessionDeleteSQL = `DELETE FROM sessions WHERE token = $1`

// SessionDelete removes a session, if there is one.
func (s *Store) SessionDelete(ctx context.Context, token string) error {
	err := retry(ctx, func() error {
		_, err := s.pool.Exec(ctx, sessionDeleteSQL, token)
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: delete session: %w", classify(err))
	}
	return nil
}

const sessionDeleteExpiredSQL = `DELETE FROM sessions WHERE expiry <= $1`

// SessionDeleteExpired removes the sessions that expired at or before now.
func (s *Store) SessionDeleteExpired(ctx context.Context, now time.Time) error {
	err := retry(ctx, func() error {
		_, err := s.pool.Exec(ctx, sessionDeleteExpiredSQL, now)
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: delete expired sessions: %w", classify(err))
	}
	return nil
}
