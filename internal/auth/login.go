package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/airlock-go/airlock/internal/domain"
)

// UserCache is where logged-in users are cached (the service implements
// it).
type UserCache interface {
	// PutUser caches a user document and returns the user.
	PutUser(ctx context.Context, raw []byte) (domain.User, error)
	// CachedUser returns a cached user and when their document was last
	// fetched; an error wrapping domain.ErrNotFound when unknown.
	CachedUser(ctx context.Context, username string) (domain.User, time.Time, error)
}

// LoginOptions tunes a Login; every field has a default.
type LoginOptions struct {
	Logger *slog.Logger     // default slog.Default()
	Now    func() time.Time // default time.Now; the clock the UserCache stamps refreshes with
	// RefreshAfter is how old a user's document may get before Current
	// fetches it again (default 15 minutes).
	RefreshAfter time.Duration
	// RefreshRetry is how long Current waits, after a failed refresh of a
	// user, before trying again (default 1 minute): a job-server that is
	// down does not slow every request down.
	RefreshRetry time.Duration
	// Throttle counts failed logins per client address (default
	// NewThrottle(10, time.Minute, Now)).
	Throttle *Throttle
	// Backoff slows down failed logins per user (default NewBackoff(Now)).
	Backoff *Backoff
}

// DefaultRefreshAfter is how long a user document is used before it is
// fetched again (OpenSAFELY Airlock's AIRLOCK_AUTHZ_TIMEOUT; docs/jobserver.md, Logging in).
const DefaultRefreshAfter = 15 * time.Minute

// Login logs people in and keeps their cached documents fresh. It is safe
// for concurrent use.
type Login struct {
	provider     Provider
	users        UserCache
	log          *slog.Logger
	now          func() time.Time
	refreshAfter time.Duration
	refreshRetry time.Duration
	throttle     *Throttle
	backoff      *Backoff

	mu         sync.Mutex
	refreshing map[string]bool      // users being refreshed now
	retryAt    map[string]time.Time // users whose last refresh failed: not before
}

// NewLogin logs users in with p and caches them in users.
func NewLogin(p Provider, users UserCache, opts LoginOptions) *Login {
	l := &Login{
		provider: p, users: users, log: opts.Logger, now: opts.Now,
		refreshAfter: opts.RefreshAfter, refreshRetry: opts.RefreshRetry, throttle: opts.Throttle, backoff: opts.Backoff,
		refreshing: map[string]bool{}, retryAt: map[string]time.Time{},
	}
	if l.log == nil {
		l.log = slog.Default()
	}
	if l.now == nil {
		l.now = time.Now
	}
	if l.refreshAfter <= 0 {
		l.refreshAfter = DefaultRefreshAfter
	}
	if l.refreshRetry <= 0 {
		l.refreshRetry = time.Minute
	}
	if l.throttle == nil {
		l.throttle = NewThrottle(10, time.Minute, l.now)
	}
	if l.backoff == nil {
		l.backoff = NewBackoff(l.now)
	}
	return l
}

// ThrottledError refuses a login after too many failed ones from the same
// client address, or for the same user (see Login). It is returned as a value; errors.As finds it
// with a target of type *ThrottledError or **ThrottledError.
type ThrottledError struct {
	// RetryAfter is how long until a login may be tried again: whole
	// seconds, at least one.
	RetryAfter time.Duration
}

func (e ThrottledError) Error() string {
	return fmt.Sprintf("too many failed logins; try again in %d seconds", int64(e.RetryAfter/time.Second))
}

// As lets errors.As fill a *ThrottledError target as well.
func (e ThrottledError) As(target any) bool {
	if p, ok := target.(**ThrottledError); ok {
		c := e
		*p = &c
		return true
	}
	return false
}

// maxCredential bounds what is sent on: no user name or token is longer.
const maxCredential = 1024

// Login checks credentials (throttled per client address and slowed down
// per user), caches the user document and returns the user. user is a
// username or an email, trimmed of spaces; clientAddr is the client's IP
// address, with or without a port (Proxies.ClientAddr).
//
// Two limits hold, each refusing with a ThrottledError that says how long
// to wait:
//
//   - per client address, a wall: 10 failures in a sliding minute and the
//     address is refused until enough of them are a minute old. Only that
//     address's holder is held back.
//   - per user, from any address, a back-off (Backoff): after 10 failures
//     each attempt waits 1 s, doubling up to a minute, until 15 minutes
//     pass without a failure. It never applies at an address the user
//     logged in from in the last 30 days, so nobody hammering a user's
//     name from elsewhere can keep the user out of their usual place; from
//     a new place the user waits at most a minute per attempt.
//
// Only failed credentials count: an empty or absurdly long user or token
// (refused without asking the provider) and the provider's
// ErrInvalidCredentials. A job-server that fails or cannot be reached does
// not count, and a success forgets the user's failures (not the
// address's). Refused attempts (ThrottledError) do not count either.
// Every attempt is logged, Info for a success and Warn otherwise, with the
// user, client address and outcome, never the token.
func (l *Login) Login(ctx context.Context, user, token, clientAddr string) (domain.User, error) {
	if err := errors.Join(domain.CheckText("the user name", user), domain.CheckText("the token", token)); err != nil {
		return domain.User{}, err
	}
	user = strings.TrimSpace(user)
	addr := clientKey(clientAddr)
	userKey := "user:" + strings.ToLower(user)
	var addrKeys []string
	if addr != "" {
		addrKeys = append(addrKeys, "addr:"+addr)
	}
	wait, ok, id := l.throttle.acquire(addrKeys...)
	if ok {
		if wait, ok = l.backoff.acquire(userKey, addr); !ok {
			l.throttle.release(id, addrKeys...)
		}
	}
	if !ok {
		err := ThrottledError{RetryAfter: roundUpSeconds(wait)}
		l.logAttempt(ctx, user, addr, "", "throttled", err)
		return domain.User{}, err
	}
	u, outcome, err := l.login(ctx, user, token)
	if errors.Is(err, ErrInvalidCredentials) {
		l.backoff.fail(userKey)
		l.logAttempt(ctx, user, addr, "", outcome, err)
		return domain.User{}, err // the attempt stays counted against the address
	}
	l.throttle.release(id, addrKeys...)
	l.backoff.release(userKey)
	if err != nil {
		l.logAttempt(ctx, user, addr, "", outcome, err)
		return domain.User{}, err
	}
	l.backoff.succeed(addr, userKey, "user:"+strings.ToLower(u.Username))
	l.logAttempt(ctx, user, addr, u.Username, outcome, nil)
	return u, nil
}

// login checks the credentials and caches the user; it names the outcome
// for the logs.
func (l *Login) login(ctx context.Context, user, token string) (domain.User, string, error) {
	if user == "" || token == "" || len(user) > maxCredential || len(token) > maxCredential {
		return domain.User{}, "invalid_credentials", ErrInvalidCredentials
	}
	doc, err := l.provider.Authenticate(ctx, user, token)
	switch {
	case errors.Is(err, ErrInvalidCredentials):
		return domain.User{}, "invalid_credentials", ErrInvalidCredentials
	case errors.Is(err, ErrUnreachable):
		return domain.User{}, "unreachable", err
	case errors.Is(err, ErrProviderError):
		return domain.User{}, "provider_error", err
	case err != nil:
		return domain.User{}, "error", fmt.Errorf("auth: log in %s: %w", clip(user, 100), err)
	}
	u, err := l.users.PutUser(ctx, doc)
	if err != nil {
		return domain.User{}, "error", fmt.Errorf("auth: log in %s: cache user: %w", clip(user, 100), err)
	}
	return u, "success", nil
}

func (l *Login) logAttempt(ctx context.Context, user, addr, username, outcome string, err error) {
	attrs := []slog.Attr{
		slog.String("user", clip(user, 100)),
		slog.String("client", addr),
		slog.String("outcome", outcome),
	}
	level := slog.LevelInfo
	if username != "" {
		attrs = append(attrs, slog.String("username", username))
	}
	if err != nil {
		level = slog.LevelWarn
		attrs = append(attrs, slog.String("err", errorDetail(err)))
	}
	l.log.LogAttrs(ctx, level, "login", attrs...)
}

// Current returns the cached user, refreshing their document from the
// provider when it is older than RefreshAfter. When the refresh fails
// (job-server down) it keeps and returns the cached user, logs a warning
// and does not try again for that user before RefreshRetry. While one
// request refreshes a user, others get the cached user without waiting.
// An unknown user gets an error wrapping domain.ErrNotFound.
func (l *Login) Current(ctx context.Context, username string) (domain.User, error) {
	u, refreshed, err := l.users.CachedUser(ctx, username)
	if err != nil {
		return domain.User{}, fmt.Errorf("auth: current user: %w", err)
	}
	now := l.now()
	if now.Sub(refreshed) <= l.refreshAfter || !l.startRefresh(username, now) {
		return u, nil
	}
	fresh, err := l.refresh(ctx, username)
	// A refresh cut short by the caller going away says nothing of
	// job-server: the next request may try again at once.
	l.endRefresh(username, err != nil && ctx.Err() == nil)
	if err != nil {
		l.log.LogAttrs(ctx, slog.LevelWarn, "refresh of user failed; using the cached user",
			slog.String("username", username), slog.Time("last_refresh", refreshed),
			slog.String("err", errorDetail(err)))
		return u, nil
	}
	return fresh, nil
}

// Author returns the user a request is made for on their behalf (the
// regular release requests), as Current does; a user airlock has never
// seen (they never logged in) is fetched from the provider
// (POST /releases/authorise with job-server), as their login would, and
// cached. A user the provider does not know either is an error wrapping
// domain.ErrNotFound; a provider that fails or cannot be reached, one
// wrapping domain.ErrUnavailable whose text says what happened (nothing is
// cached: the next run asks again).
func (l *Login) Author(ctx context.Context, username string) (domain.User, error) {
	u, err := l.Current(ctx, username)
	if !errors.Is(err, domain.ErrNotFound) {
		return u, err
	}
	u, err = l.refresh(ctx, username)
	switch {
	case err == nil:
		l.log.InfoContext(ctx, "fetched a user who never logged in from the provider", "username", username)
		return u, nil
	case errors.Is(err, ErrInvalidCredentials):
		return domain.User{}, domain.Errorf(domain.ErrNotFound,
			"user %s is not known to airlock: they never logged in, and %s does not know them either", username, l.providerName())
	case ctx.Err() != nil:
		return domain.User{}, fmt.Errorf("auth: fetch user %s: %w", username, ctx.Err())
	}
	return domain.User{}, &domain.Error{Kind: domain.ErrUnavailable,
		Msg: fmt.Sprintf("user %s is not known to airlock (they never logged in) and could not be fetched from %s: %s; the next run tries again", username, l.providerName(), errorDetail(err))}
}

// providerName names where users come from, for messages.
func (l *Login) providerName() string {
	if _, ok := l.provider.(*DevProvider); ok {
		return "the users file"
	}
	return "job-server"
}

func (l *Login) refresh(ctx context.Context, username string) (domain.User, error) {
	doc, err := l.provider.Authorise(ctx, username)
	if err != nil {
		return domain.User{}, err
	}
	if d, err := domain.ParseUser(doc); err != nil || d.Username != username {
		return domain.User{}, fmt.Errorf("auth: refresh %s: the provider sent another user's document or none", username)
	}
	u, err := l.users.PutUser(ctx, doc)
	if err != nil {
		return domain.User{}, fmt.Errorf("auth: refresh %s: cache user: %w", username, err)
	}
	return u, nil
}

// startRefresh claims the refresh of username, unless another request is
// refreshing them or their last refresh failed too recently.
func (l *Login) startRefresh(username string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.refreshing[username] {
		return false
	}
	if at, ok := l.retryAt[username]; ok {
		if now.Before(at) {
			return false
		}
		delete(l.retryAt, username)
	}
	l.refreshing[username] = true
	return true
}

func (l *Login) endRefresh(username string, failed bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.refreshing, username)
	if failed {
		l.retryAt[username] = l.now().Add(l.refreshRetry)
	}
}

// clientKey is the throttle's name for a client address: the IP address
// without its port, and for IPv6 its /64 network (what one client
// usually holds). An address that does not parse is used as it is.
func clientKey(addr string) string {
	addr = strings.TrimSpace(addr)
	if host, _, err := net.SplitHostPort(addr); err == nil {
		addr = host
	}
	ip, err := netip.ParseAddr(addr)
	if err != nil {
		return clip(addr, 100)
	}
	ip = ip.Unmap()
	if ip.Is6() {
		if p, err := ip.WithZone("").Prefix(64); err == nil {
			return p.String()
		}
	}
	return ip.String()
}

// roundUpSeconds rounds d up to whole seconds, at least one.
func roundUpSeconds(d time.Duration) time.Duration {
	s := (d + time.Second - 1) / time.Second
	return max(s, 1) * time.Second
}
