package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/airlock-go/airlock/internal/store"
)

const putUserSQL = `
		INSERT INTO users (user_id, api_data, last_refresh) VALUES (?, ?, ?)
		ON CONFLICT (user_id) DO UPDATE SET
			api_data = excluded.api_data, last_refresh = excluded.last_refresh`

// PutUser inserts or replaces a cached user document.
func (s *Store) PutUser(ctx context.Context, u store.UserRecord) error {
	_, err := s.st.putUser.ExecContext(ctx, u.Username, string(u.APIData), formatTime(u.LastRefresh))
	if err != nil {
		return fmt.Errorf("sqlite: put user %s: %w", u.Username, err)
	}
	return nil
}

const getUserSQL = `SELECT api_data, last_refresh FROM users WHERE user_id = ?`

// GetUser returns a cached user document.
func (s *Store) GetUser(ctx context.Context, username string) (store.UserRecord, error) {
	var (
		u       = store.UserRecord{Username: username}
		data    string
		refresh string
	)
	err := s.st.getUser.QueryRowContext(ctx, username).Scan(&data, &refresh)
	if errors.Is(err, sql.ErrNoRows) {
		err = store.ErrNotFound
	}
	if err == nil {
		u.APIData = []byte(data)
		u.LastRefresh, err = parseTime(refresh)
	}
	if err != nil {
		return store.UserRecord{}, fmt.Errorf("sqlite: get user %s: %w", username, err)
	}
	return u, nil
}

const createTokenSQL = `
		INSERT INTO api_tokens (hash, username, created_at, last_used_at, expires_at, revoked_at)
		VALUES (?, ?, ?, ?, ?, ?)`

// CreateToken stores a new API token. ErrConflict if its hash exists.
func (s *Store) CreateToken(ctx context.Context, t store.Token) error {
	_, err := s.st.createToken.ExecContext(ctx,
		t.Hash, t.Username, formatTime(t.CreatedAt), formatTime(t.LastUsedAt), formatTime(t.ExpiresAt),
		formatTimePtr(t.RevokedAt))
	if err != nil {
		return fmt.Errorf("sqlite: create token of %s: %w", t.Username, insertErr(err))
	}
	return nil
}

const getTokenSQL = `
		SELECT username, created_at, last_used_at, expires_at, revoked_at
		FROM api_tokens WHERE hash = ?`

// GetToken finds a token by its hash.
func (s *Store) GetToken(ctx context.Context, hash string) (store.Token, error) {
	var (
		t                          = store.Token{Hash: hash}
		created, lastUsed, expires string
		revoked                    sql.NullString
	)
	err := s.st.getToken.QueryRowContext(ctx, hash).Scan(&t.Username, &created, &lastUsed, &expires, &revoked)
	if errors.Is(err, sql.ErrNoRows) {
		err = store.ErrNotFound
	}
	if err == nil {
		t.CreatedAt, err = parseTime(created)
	}
	if err == nil {
		t.LastUsedAt, err = parseTime(lastUsed)
	}
	if err == nil {
		t.ExpiresAt, err = parseTime(expires)
	}
	if err == nil {
		t.RevokedAt, err = parseTimePtr(revoked)
	}
	if err != nil {
		// The hash is a credential's digest: keep it out of messages.
		return store.Token{}, fmt.Errorf("sqlite: get token: %w", err)
	}
	return t, nil
}

const touchTokenSQL = `UPDATE api_tokens SET last_used_at = ?, expires_at = ? WHERE hash = ?`

// TouchToken records a use of a token and moves its expiry.
func (s *Store) TouchToken(ctx context.Context, hash string, usedAt, expiresAt time.Time) error {
	err := execOne(ctx, s.st.touchToken, formatTime(usedAt), formatTime(expiresAt), hash)
	if err != nil {
		return fmt.Errorf("sqlite: touch token: %w", err)
	}
	return nil
}

const revokeTokenSQL = `UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, ?) WHERE hash = ?`

// RevokeToken marks a token revoked; a token revoked already keeps its
// first revocation time.
func (s *Store) RevokeToken(ctx context.Context, hash string, at time.Time) error {
	err := execOne(ctx, s.st.revokeToken, formatTime(at), hash)
	if err != nil {
		return fmt.Errorf("sqlite: revoke token: %w", err)
	}
	return nil
}
