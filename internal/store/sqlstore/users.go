package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/airlock-go/airlock/internal/store"
)

// Users, API tokens and web sessions: single statements, run again after
// a deadlock. A session's data is opaque to the store.
const (
	putUserSQL = `
		INSERT INTO users (user_id, api_data, last_refresh) VALUES (?, ?, ?)
		ON CONFLICT (user_id) DO UPDATE SET
			api_data = excluded.api_data, last_refresh = excluded.last_refresh`
	getUserSQL     = `SELECT api_data, last_refresh FROM users WHERE user_id = ?`
	createTokenSQL = `
		INSERT INTO api_tokens (hash, username, created_at, last_used_at, expires_at, revoked_at)
		VALUES (?, ?, ?, ?, ?, ?)`
	getTokenSQL = `
		SELECT username, created_at, last_used_at, expires_at, revoked_at
		FROM api_tokens WHERE hash = ?`
	touchTokenSQL    = `UPDATE api_tokens SET last_used_at = ?, expires_at = ? WHERE hash = ?`
	revokeTokenSQL   = `UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, ?) WHERE hash = ?`
	sessionFindSQL   = `SELECT data FROM sessions WHERE token = ? AND expiry > ?`
	sessionCommitSQL = `
		INSERT INTO sessions (token, data, expiry) VALUES (?, ?, ?)
		ON CONFLICT (token) DO UPDATE SET data = excluded.data, expiry = excluded.expiry`
	sessionDeleteSQL        = `DELETE FROM sessions WHERE token = ?`
	sessionDeleteExpiredSQL = `DELETE FROM sessions WHERE expiry <= ?`
)

// exec runs a write of its own, again after a deadlock.
func (s *Store) exec(ctx context.Context, query string, args ...any) error {
	return s.retry(ctx, func() error {
		_, err := q{s: s}.exec(ctx, query, args...)
		return err
	})
}

// execOne runs a write of its own that must change a row, again after a
// deadlock; ErrNotFound when it changes none.
func (s *Store) execOne(ctx context.Context, query string, args ...any) error {
	return s.retry(ctx, func() error { return q{s: s}.execOne(ctx, query, args...) })
}

// PutUser inserts or replaces a cached user document.
func (s *Store) PutUser(ctx context.Context, u store.UserRecord) error {
	return s.fail(s.exec(ctx, putUserSQL, u.Username, string(u.APIData), u.LastRefresh), "put user %s", u.Username)
}

// GetUser returns a cached user document, byte for byte as it was put.
func (s *Store) GetUser(ctx context.Context, username string) (store.UserRecord, error) {
	u := store.UserRecord{Username: username}
	var data string
	err := q{s: s}.queryRow(ctx, getUserSQL, username).Scan(&data, timeCol{&u.LastRefresh})
	if errors.Is(err, sql.ErrNoRows) {
		err = store.ErrNotFound
	}
	if err != nil {
		return store.UserRecord{}, s.fail(err, "get user %s", username)
	}
	u.APIData = []byte(data)
	return u, nil
}

// CreateToken stores a new API token. ErrConflict if its hash exists.
func (s *Store) CreateToken(ctx context.Context, t store.Token) error {
	err := s.exec(ctx, createTokenSQL, t.Hash, t.Username, t.CreatedAt, t.LastUsedAt, t.ExpiresAt, t.RevokedAt)
	return s.fail(err, "create token of %s", t.Username)
}

// GetToken finds a token by its hash.
func (s *Store) GetToken(ctx context.Context, hash string) (store.Token, error) {
	t := store.Token{Hash: hash}
	err := q{s: s}.queryRow(ctx, getTokenSQL, hash).Scan(&t.Username, timeCol{&t.CreatedAt}, timeCol{&t.LastUsedAt},
		timeCol{&t.ExpiresAt}, nullTimeCol{&t.RevokedAt})
	if errors.Is(err, sql.ErrNoRows) {
		err = store.ErrNotFound
	}
	if err != nil {
		// The hash identifies a credential: keep it out of messages.
		return store.Token{}, s.fail(err, "get token")
	}
	return t, nil
}

// TouchToken records a use of a token and moves its expiry.
func (s *Store) TouchToken(ctx context.Context, hash string, usedAt, expiresAt time.Time) error {
	return s.fail(s.execOne(ctx, touchTokenSQL, usedAt, expiresAt, hash), "touch token")
}

// RevokeToken marks a token revoked (a revoked one keeps its first time).
func (s *Store) RevokeToken(ctx context.Context, hash string, at time.Time) error {
	return s.fail(s.execOne(ctx, revokeTokenSQL, at, hash), "revoke token")
}

// SessionFind returns the data of a session that has not expired.
func (s *Store) SessionFind(ctx context.Context, token string) ([]byte, bool, error) {
	var data []byte
	err := q{s: s}.queryRow(ctx, sessionFindSQL, token, time.Now()).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		// The token is a credential: keep it out of messages.
		return nil, false, s.fail(err, "find session")
	}
	if data == nil {
		data = []byte{}
	}
	return data, true, nil
}

// SessionCommit stores a session's data and expiry.
func (s *Store) SessionCommit(ctx context.Context, token string, data []byte, expiry time.Time) error {
	if data == nil {
		data = []byte{}
	}
	return s.fail(s.exec(ctx, sessionCommitSQL, token, data, expiry), "commit session")
}

// SessionDelete removes a session, if there is one.
func (s *Store) SessionDelete(ctx context.Context, token string) error {
	return s.fail(s.exec(ctx, sessionDeleteSQL, token), "delete session")
}

// SessionDeleteExpired removes the sessions that expired at or before now.
func (s *Store) SessionDeleteExpired(ctx context.Context, now time.Time) error {
	return s.fail(s.exec(ctx, sessionDeleteExpiredSQL, now), "delete expired sessions")
}
