package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/airlock-go/airlock/internal/domain"
)

// TokenStore keeps API tokens by the hash of their secret; the service
// (service.Service) satisfies it. A token that is not there is an error
// wrapping domain.ErrNotFound.
type TokenStore interface {
	CreateToken(ctx context.Context, t domain.APIToken) error
	GetToken(ctx context.Context, hash string) (domain.APIToken, error)
	TouchToken(ctx context.Context, hash string, usedAt, expiresAt time.Time) error
	RevokeToken(ctx context.Context, hash string, at time.Time) error
}

// TokenIdleLifetime is how long an API token lives unused: every use
// moves its expiry to this long after.
const TokenIdleLifetime = 8 * 7 * 24 * time.Hour

// ErrUnauthenticated refuses a secret that names no live token.
var ErrUnauthenticated = errors.New("missing, unknown, revoked or expired token")

const (
	// TokenPrefix starts every secret, so that secret scanners can tell
	// an airlock token.
	TokenPrefix = "airlock_"
	// secretBytes is the randomness in a secret.
	secretBytes = 32
	// touchEvery is how often at most a token's use is written down.
	touchEvery = time.Minute
	// maxSecret: anything longer is refused before any work.
	maxSecret = 200
)

var secretLen = len(TokenPrefix) + base64.RawURLEncoding.EncodedLen(secretBytes)

// Tokens issues and checks API tokens. The secret is given to the client
// once; the store only ever sees its sha256. Tokens never logs. It is safe
// for concurrent use.
type Tokens struct {
	st  TokenStore
	now func() time.Time
}

// NewTokens keeps tokens in st; now defaults to time.Now.
func NewTokens(st TokenStore, now func() time.Time) *Tokens {
	if now == nil {
		now = time.Now
	}
	return &Tokens{st: st, now: now}
}

// clock is the time at the store's precision, so that the expiry Issue
// answers is the one stored.
func (t *Tokens) clock() time.Time { return t.now().UTC().Truncate(time.Microsecond) }

// Issue creates a token for username: 32 random bytes, base64url without
// padding after TokenPrefix. It returns the secret and when the token
// expires if unused.
func (t *Tokens) Issue(ctx context.Context, username string) (secret string, expiresAt time.Time, err error) {
	if username == "" {
		return "", time.Time{}, errors.New("auth: issue token: no username")
	}
	var b [secretBytes]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", time.Time{}, fmt.Errorf("auth: issue token for %s: %w", username, err)
	}
	secret = TokenPrefix + base64.RawURLEncoding.EncodeToString(b[:])
	now := t.clock()
	expiresAt = now.Add(TokenIdleLifetime)
	err = t.st.CreateToken(ctx, domain.APIToken{
		Hash: hashSecret(secret), Username: username, CreatedAt: now, LastUsedAt: now, ExpiresAt: expiresAt,
	})
	if err != nil {
		return "", time.Time{}, fmt.Errorf("auth: issue token for %s: %w", username, err)
	}
	return secret, expiresAt, nil
}

// Check returns the user a secret belongs to. A missing, malformed,
// unknown, revoked or expired secret gets ErrUnauthenticated; other errors
// are the store's. A use moves the token's expiry to TokenIdleLifetime
// from now, written at most once a minute per token.
func (t *Tokens) Check(ctx context.Context, secret string) (username string, err error) {
	if !wellFormed(secret) {
		return "", ErrUnauthenticated
	}
	hash := hashSecret(secret)
	tok, err := t.st.GetToken(ctx, hash)
	if errors.Is(err, domain.ErrNotFound) {
		return "", ErrUnauthenticated
	}
	if err != nil {
		return "", fmt.Errorf("auth: check token: %w", err)
	}
	now := t.clock()
	if tok.RevokedAt != nil || !now.Before(tok.ExpiresAt) {
		return "", ErrUnauthenticated
	}
	if now.Sub(tok.LastUsedAt) >= touchEvery {
		err := t.st.TouchToken(ctx, hash, now, now.Add(TokenIdleLifetime))
		if errors.Is(err, domain.ErrNotFound) {
			return "", ErrUnauthenticated
		}
		if err != nil {
			return "", fmt.Errorf("auth: check token of %s: %w", tok.Username, err)
		}
	}
	return tok.Username, nil
}

// Revoke ends a token now. A malformed or unknown secret gets
// ErrUnauthenticated; revoking a revoked token again changes nothing.
func (t *Tokens) Revoke(ctx context.Context, secret string) error {
	if !wellFormed(secret) {
		return ErrUnauthenticated
	}
	err := t.st.RevokeToken(ctx, hashSecret(secret), t.clock())
	if errors.Is(err, domain.ErrNotFound) {
		return ErrUnauthenticated
	}
	if err != nil {
		return fmt.Errorf("auth: revoke token: %w", err)
	}
	return nil
}

// wellFormed reports whether secret has the shape Issue gives secrets, so
// that garbage never reaches the store.
func wellFormed(secret string) bool {
	if len(secret) > maxSecret || len(secret) != secretLen || !strings.HasPrefix(secret, TokenPrefix) {
		return false
	}
	for _, c := range secret[len(TokenPrefix):] {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// hashSecret is how a secret is stored: its sha256, in hex.
func hashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}
