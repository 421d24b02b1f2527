package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/airlock-go/airlock/internal/store"
)

const putUserSQL = `
		INSERT INTO users (user_id, api_data, last_refresh) VALUES ($1, $2, $3)
		ON CONFLICT (user_id) DO UPDATE SET
			api_data = excluded.api_data, last_refresh = excluded.last_refresh`

// PutUser inserts or replaces a cached user document.
func (s *Store) PutUser(ctx context.Context, u store.UserRecord) error {
	err := retry(ctx, func() error {
		_, err := s.pool.Exec(ctx, putUserSQL, u.Username, string(u.APIData), u.LastRefresh)
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: put user %s: %w", u.Username, classify(err))
	}
	return nil
}

const getUserSQL = `SELECT api_data, last_refresh FROM users WHERE user_id = $1`

// GetUser returns a cached user document, byte for byte as it was put.
func (s *Store) GetUser(ctx context.Context, username string) (store.UserRecord, error) {
	u := store.UserRecord{Username: username}
	var data string
	err := s.pool.QueryRow(ctx, getUserSQL, username).Scan(&data, &u.LastRefresh)
	if errors.Is(err, pgx.ErrNoRows) {
		err = store.ErrNotFound
	}
	if err != nil {
		return store.UserRecord{}, fmt.Errorf("postgres: get user %s: %w", username, classify(err))
	}
	u.APIData = []byte(data)
	return u, nil
}

const createTokenSQL = `
		INSERT INTO api_tokens (hash, username, created_at, last_used_at, expires_at, revoked_at)
		VALUES ($1, $2, $3, $4, $5, $6)`

// CreateToken stores a new API token. ErrConflict if its hash exists.
func (s *Store) CreateToken(ctx context.Context, t store.Token) error {
	err := retry(ctx, func() error {
		_, err := s.pool.Exec(ctx, createTokenSQL, t.Hash, t.Username, t.CreatedAt, t.LastUsedAt, t.ExpiresAt, t.RevokedAt)
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: create token of %s: %w", t.Username, classify(err))
	}
	return nil
}

const getTokenSQL = `
		SELECT username, created_at, last_used_at, expires_at, revoked_at
		FROM api_tokens WHERE hash = $1`

// GetToken finds a token by its hash.
func (s *Store) GetToken(ctx context.Context, hash string) (store.Token, error) {
	t := store.Token{Hash: hash}
	err := s.pool.QueryRow(ctx, getTokenSQL, hash).Scan(&t.Username, &t.CreatedAt, &t.LastUsedAt, &t.ExpiresAt, &t.RevokedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		err = store.ErrNotFound
	}
	if err != nil {
		// The hash is a credential's digest: keep it out of messages.
		return store.Token{}, fmt.Errorf("postgres: get token: %w", classify(err))
	}
	return t, nil
}

// execOne runs a statement of its own that must change a row, retrying
// deadlocks; ErrNotFound when it changes none.
func (s *Store) execOne(ctx context.Context, query string, args ...any) error {
	var n int64
	err := retry(ctx, func() error {
		tag, err := s.pool.Exec(ctx, query, args...)
		n = tag.RowsAffected()
		return err
	})
	if err != nil {
		return classify(err)
	}
	if n == 0 {
		return store.ErrNotFound
	}
	return nil
}

const touchTokenSQL = `UPDATE api_tokens SET last_used_at = $1, expires_at = $2 WHERE hash = $3`

// TouchToken records a use of a token and moves its expiry.
func (s *Store) TouchToken(ctx context.Context, hash string, usedAt, expiresAt time.Time) error {
	if err := s.execOne(ctx, touchTokenSQL, usedAt, expiresAt, hash); err != nil {
		return fmt.Errorf("postgres: touch token: %w", classify(err))
	}
	return nil
}

const revokeTokenSQL = `UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, $1) WHERE hash = $2`

// RevokeToken marks a token revoked; a token revoked already keeps its
// first revocation time.
func (s *Store) RevokeToken(ctx context.Context, hash string, at time.Time) error {
	if err := s.execOne(ctx, revokeTokenSQL, at, hash); err != nil {
		return fmt.Errorf("postgres: revoke token: %w", classify(err))
	}
	return nil
}
