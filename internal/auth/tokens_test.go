package auth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/service"
	"github.com/airlock-go/airlock/internal/store/sqlite"
)

// memTokens is a TokenStore in memory that remembers every argument it
// was given, to prove it never sees a secret.
type memTokens struct {
	mu      sync.Mutex
	tokens  map[string]domain.APIToken
	seen    []string
	gets    int
	touches int
	fail    error
}

func newMemTokens() *memTokens { return &memTokens{tokens: map[string]domain.APIToken{}} }

func (m *memTokens) saw(args ...any) {
	for _, a := range args {
		m.seen = append(m.seen, fmt.Sprintf("%+v", a))
	}
}

func (m *memTokens) CreateToken(_ context.Context, t domain.APIToken) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.saw(t)
	if m.fail != nil {
		return m.fail
	}
	if _, ok := m.tokens[t.Hash]; ok {
		return errors.New("a token with this hash exists")
	}
	m.tokens[t.Hash] = t
	return nil
}

func (m *memTokens) GetToken(_ context.Context, hash string) (domain.APIToken, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.saw(hash)
	m.gets++
	if m.fail != nil {
		return domain.APIToken{}, m.fail
	}
	t, ok := m.tokens[hash]
	if !ok {
		return domain.APIToken{}, domain.Errorf(domain.ErrNotFound, "no such token")
	}
	return t, nil
}

func (m *memTokens) TouchToken(_ context.Context, hash string, usedAt, expiresAt time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.saw(hash, usedAt, expiresAt)
	m.touches++
	t, ok := m.tokens[hash]
	if !ok {
		return domain.Errorf(domain.ErrNotFound, "no such token")
	}
	t.LastUsedAt, t.ExpiresAt = usedAt, expiresAt
	m.tokens[hash] = t
	return nil
}

func (m *memTokens) RevokeToken(_ context.Context, hash string, at time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.saw(hash, at)
	t, ok := m.tokens[hash]
	if !ok {
		return domain.Errorf(domain.ErrNotFound, "no such token")
	}
	if t.RevokedAt == nil {
		t.RevokedAt = &at
	}
	m.tokens[hash] = t
	return nil
}

func TestTokensIssueAndCheck(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	st := newMemTokens()
	tokens := NewTokens(st, c.Now)

	secret, expires, err := tokens.Issue(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(secret, "airlock_") || len(secret) != len("airlock_")+43 {
		t.Errorf("secret %q", secret)
	}
	if !expires.Equal(c.Now().Add(8 * 7 * 24 * time.Hour)) {
		t.Errorf("expires %v", expires)
	}
	other, _, _ := tokens.Issue(ctx, "alice")
	if other == secret {
		t.Error("two tokens with the same secret")
	}

	// Only the hash is stored.
	sum := sha256.Sum256([]byte(secret))
	stored, ok := st.tokens[hex.EncodeToString(sum[:])]
	if !ok || stored.Username != "alice" || !stored.ExpiresAt.Equal(expires) || stored.RevokedAt != nil {
		t.Fatalf("stored %+v", stored)
	}

	steps := []struct {
		advance time.Duration
		want    string // "" for ErrUnauthenticated
		touches int
	}{
		{0, "alice", 0},
		{30 * time.Second, "alice", 0},                // used just now: not written again
		{31 * time.Second, "alice", 1},                // a minute after: written
		{TokenIdleLifetime - time.Second, "alice", 2}, // idle almost 8 weeks: still alive, and extended
		{TokenIdleLifetime - time.Second, "alice", 3},
		{TokenIdleLifetime, "", 3}, // idle 8 weeks: expired
	}
	for i, s := range steps {
		c.Advance(s.advance)
		got, err := tokens.Check(ctx, secret)
		if s.want == "" {
			if err != ErrUnauthenticated {
				t.Fatalf("step %d: got %q, %v; want ErrUnauthenticated", i, got, err)
			}
		} else if err != nil || got != s.want {
			t.Fatalf("step %d: got %q, %v", i, got, err)
		}
		if st.touches != s.touches {
			t.Fatalf("step %d: %d touches, want %d", i, st.touches, s.touches)
		}
	}
	for _, seen := range st.seen {
		if strings.Contains(seen, secret) || strings.Contains(seen, secret[len("airlock_"):]) {
			t.Fatalf("the store saw the secret: %s", seen)
		}
	}
}

func TestTokensRevoke(t *testing.T) {
	ctx := context.Background()
	tokens := NewTokens(newMemTokens(), newClock().Now)
	secret, _, _ := tokens.Issue(ctx, "alice")
	keep, _, _ := tokens.Issue(ctx, "alice")
	if err := tokens.Revoke(ctx, secret); err != nil {
		t.Fatal(err)
	}
	if _, err := tokens.Check(ctx, secret); err != ErrUnauthenticated {
		t.Errorf("revoked: %v", err)
	}
	if err := tokens.Revoke(ctx, secret); err != nil {
		t.Errorf("revoked twice: %v", err)
	}
	if u, err := tokens.Check(ctx, keep); err != nil || u != "alice" {
		t.Errorf("the other token: %q, %v", u, err)
	}
	unknown := "airlock_" + strings.Repeat("A", 43)
	if err := tokens.Revoke(ctx, unknown); err != ErrUnauthenticated {
		t.Errorf("unknown: %v", err)
	}
	if err := tokens.Revoke(ctx, "garbage"); err != ErrUnauthenticated {
		t.Errorf("garbage: %v", err)
	}
}

func TestTokensRefuseGarbage(t *testing.T) {
	ctx := context.Background()
	st := newMemTokens()
	tokens := NewTokens(st, newClock().Now)
	secret, _, _ := tokens.Issue(ctx, "alice")
	for name, s := range map[string]string{
		"empty":           "",
		"short":           "x",
		"no prefix":       secret[len("airlock_"):],
		"other prefix":    "airlokk_" + secret[len("airlock_"):],
		"bearer":          "Bearer " + secret,
		"space":           secret + " ",
		"cut short":       secret[:len(secret)-1],
		"one more":        secret + "A",
		"padded":          secret[:len(secret)-1] + "=",
		"standard base64": secret[:len(secret)-1] + "+",
		"absurd":          strings.Repeat("a", 201),
		"huge":            "airlock_" + strings.Repeat("A", 1<<20),
		"NUL":             secret[:len(secret)-1] + "\x00",
		"non-ASCII":       secret[:len(secret)-2] + "é",
	} {
		if u, err := tokens.Check(ctx, s); err != ErrUnauthenticated {
			t.Errorf("%s: got %q, %v", name, u, err)
		}
	}
	if st.gets != 0 {
		t.Errorf("garbage reached the store %d times", st.gets)
	}
	if _, err := tokens.Check(ctx, "airlock_"+strings.Repeat("A", 43)); err != ErrUnauthenticated || st.gets != 1 {
		t.Errorf("well-formed unknown: %v", err)
	}
}

func TestTokensStoreFailure(t *testing.T) {
	ctx := context.Background()
	st := newMemTokens()
	tokens := NewTokens(st, newClock().Now)
	secret, _, _ := tokens.Issue(ctx, "alice")
	st.fail = errors.New("disk on fire")
	_, err := tokens.Check(ctx, secret)
	if err == nil || errors.Is(err, ErrUnauthenticated) || !strings.Contains(err.Error(), "disk on fire") {
		t.Errorf("got %v: a broken store is not a bad token", err)
	}
	if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), hashSecret(secret)) {
		t.Errorf("the error tells the secret or its hash: %v", err)
	}
	if _, _, err := tokens.Issue(ctx, "bob"); err == nil {
		t.Error("Issue ignored the store's failure")
	}
	if _, _, err := tokens.Issue(ctx, ""); err == nil {
		t.Error("issued a token to nobody")
	}
}

func TestTokensSQLite(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "airlock.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	svc := service.New(service.Config{Store: st})
	var _ TokenStore = svc

	c := newClock()
	c.Advance(123456789 * time.Nanosecond) // below the store's precision
	tokens := NewTokens(svc, c.Now)
	secret, expires, err := tokens.Issue(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	stored, err := st.GetToken(ctx, hashSecret(secret))
	if err != nil || stored.Username != "alice" || !stored.ExpiresAt.Equal(expires) {
		t.Fatalf("stored %+v, %v; want expiry %v", stored, err, expires)
	}
	if u, err := tokens.Check(ctx, secret); err != nil || u != "alice" {
		t.Fatalf("check: %q, %v", u, err)
	}
	c.Advance(7 * 7 * 24 * time.Hour)
	if u, err := tokens.Check(ctx, secret); err != nil || u != "alice" {
		t.Fatalf("after 7 weeks: %q, %v", u, err)
	}
	c.Advance(7 * 7 * 24 * time.Hour) // 14 weeks after issue, 7 after the last use
	if u, err := tokens.Check(ctx, secret); err != nil || u != "alice" {
		t.Fatalf("touch did not extend: %q, %v", u, err)
	}
	c.Advance(TokenIdleLifetime)
	if _, err := tokens.Check(ctx, secret); err != ErrUnauthenticated {
		t.Fatalf("idle 8 weeks: %v", err)
	}

	live, _, _ := tokens.Issue(ctx, "bob")
	if err := tokens.Revoke(ctx, live); err != nil {
		t.Fatal(err)
	}
	if _, err := tokens.Check(ctx, live); err != ErrUnauthenticated {
		t.Fatalf("revoked: %v", err)
	}
	if err := tokens.Revoke(ctx, "airlock_"+strings.Repeat("B", 43)); err != ErrUnauthenticated {
		t.Fatalf("revoke unknown: %v", err)
	}
	if _, err := tokens.Check(ctx, "airlock_"+strings.Repeat("B", 43)); err != ErrUnauthenticated {
		t.Fatalf("check unknown: %v", err)
	}
}
