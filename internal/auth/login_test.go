package auth

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/jobservertest"
	"github.com/airlock-go/airlock/internal/testkit"
)

// fakeProvider knows users by username, each with a token that may be
// used any number of times. err, when set, is every answer; gate, when
// set, holds every Authenticate until it is closed.
type fakeProvider struct {
	mu     sync.Mutex
	tokens map[string]string
	err    error
	gate   chan struct{}
	calls  atomic.Int32
}

func newFakeProvider(users ...string) *fakeProvider {
	p := &fakeProvider{tokens: map[string]string{}}
	for _, u := range users {
		p.tokens[u] = u + "-secret-token"
	}
	return p
}

func (p *fakeProvider) Authenticate(ctx context.Context, user, token string) ([]byte, error) {
	p.calls.Add(1)
	p.mu.Lock()
	want, ok := p.tokens[user]
	err, gate := p.err, p.gate
	p.mu.Unlock()
	if gate != nil {
		<-gate
	}
	if err != nil {
		return nil, err
	}
	if !ok || token != want {
		return nil, ErrInvalidCredentials
	}
	return testkit.UserJSON(testkit.NewUser(user, testkit.Researcher, "ws")), nil
}

func (p *fakeProvider) Authorise(ctx context.Context, username string) ([]byte, error) {
	return nil, errors.New("fakeProvider: no Authorise")
}

// logBuffer collects log output.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *logBuffer) Logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type loginEnv struct {
	*testkit.Env
	login *Login
	logs  *logBuffer
}

func newLoginEnv(t *testing.T, p Provider) *loginEnv {
	env := testkit.NewEnv(t)
	logs := &logBuffer{}
	return &loginEnv{Env: env, logs: logs,
		login: NewLogin(p, env.Svc, LoginOptions{Logger: logs.Logger(), Now: env.Clock.Now})}
}

func TestLoginCachesTheUserByUsername(t *testing.T) {
	const token = "purple-monkey-dishwasher"
	s := jobservertest.New(t, testAPIToken)
	s.AddUser("alice", "alice@example.org", token, nil)
	e := newLoginEnv(t, NewJobServer(s.URL(), testAPIToken, nil))

	u, err := e.login.Login(e.Ctx, "  alice@example.org\t", token, "192.0.2.1:5555")
	if err != nil {
		t.Fatal(err)
	}
	if u.Username != "alice" {
		t.Fatalf("logged in as %q", u.Username)
	}
	if c := s.Calls()[0]; string(c.Body) != `{"token":"`+token+`","user":"alice@example.org"}` {
		t.Errorf("sent %s", c.Body)
	}
	if cached, _, err := e.Svc.CachedUser(e.Ctx, "alice"); err != nil || cached.Username != "alice" {
		t.Fatalf("cache: %+v, %v", cached, err)
	}
	if _, _, err := e.Svc.CachedUser(e.Ctx, "alice@example.org"); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("cached under the typed name too: %v", err)
	}
	logs := e.logs.String()
	for _, want := range []string{"level=INFO", "msg=login", "user=alice@example.org", "username=alice",
		"client=192.0.2.1", "outcome=success"} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q: %s", want, logs)
		}
	}
	if strings.Contains(logs, token) {
		t.Errorf("log tells the token: %s", logs)
	}
	// The token was single-use.
	if _, err := e.login.Login(e.Ctx, "alice", token, "192.0.2.1"); err != ErrInvalidCredentials {
		t.Errorf("second use of the token: %v", err)
	}
}

func TestLoginFailures(t *testing.T) {
	const token = "purple-monkey-dishwasher"
	tests := []struct {
		name        string
		setup       func(*jobservertest.Server)
		user, token string
		wantErr     error
		message     string
		outcome     string
		calls       int // calls to job-server
	}{
		{"wrong token", nil, "alice", "purple-monkey-dishwashes", ErrInvalidCredentials, "Invalid user or token", "invalid_credentials", 1},
		{"unknown user", nil, "mallory", token, ErrInvalidCredentials, "Invalid user or token", "invalid_credentials", 1},
		{"empty user", nil, "  ", token, ErrInvalidCredentials, "Invalid user or token", "invalid_credentials", 0},
		{"empty token", nil, "alice", "", ErrInvalidCredentials, "Invalid user or token", "invalid_credentials", 0},
		{"absurd token", nil, "alice", strings.Repeat(token, 100), ErrInvalidCredentials, "Invalid user or token", "invalid_credentials", 0},
		{"job-server fails", func(s *jobservertest.Server) { s.FailNext(502, 1) }, "alice", token,
			ErrProviderError, "job-server could not log you in (it answered 502)", "provider_error", 1},
		{"job-server down", func(s *jobservertest.Server) { s.Down() }, "alice", token,
			ErrUnreachable, "job-server cannot be reached; try again later", "unreachable", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := jobservertest.New(t, testAPIToken)
			s.AddUser("alice", "", token, nil)
			if tt.setup != nil {
				tt.setup(s)
			}
			e := newLoginEnv(t, NewJobServer(s.URL(), testAPIToken, nil))
			_, err := e.login.Login(e.Ctx, tt.user, tt.token, "203.0.113.9")
			if !errors.Is(err, tt.wantErr) || err.Error() != tt.message {
				t.Fatalf("got %v, want %v saying %q", err, tt.wantErr, tt.message)
			}
			if n := len(s.Calls()); n != tt.calls {
				t.Errorf("%d calls to job-server, want %d", n, tt.calls)
			}
			logs := e.logs.String()
			for _, want := range []string{"level=WARN", "msg=login", "client=203.0.113.9", "outcome=" + tt.outcome} {
				if !strings.Contains(logs, want) {
					t.Errorf("log lacks %q: %s", want, logs)
				}
			}
			if strings.TrimSpace(tt.user) != "" && !strings.Contains(logs, "user="+tt.user) {
				t.Errorf("log does not name the user: %s", logs)
			}
			if tt.token != "" && strings.Contains(logs, tt.token) || strings.Contains(logs, token) ||
				strings.Contains(logs, testAPIToken) {
				t.Errorf("log tells a secret: %s", logs)
			}
		})
	}
}

// throttled checks err is a ThrottledError with the wait, found whether
// the caller asks errors.As for a value or a pointer.
func throttled(t *testing.T, err error, wait time.Duration) {
	t.Helper()
	var v ThrottledError
	var p *ThrottledError
	if !errors.As(err, &v) || !errors.As(err, &p) {
		t.Fatalf("got %v, want a ThrottledError", err)
	}
	if v.RetryAfter != wait || p.RetryAfter != wait {
		t.Fatalf("retry after %v / %v, want %v", v.RetryAfter, p.RetryAfter, wait)
	}
	if want := fmt.Sprintf("too many failed logins; try again in %d seconds", wait/time.Second); err.Error() != want {
		t.Fatalf("message %q, want %q", err.Error(), want)
	}
}

// loginStep is one login attempt of a scenario, after advancing the
// clock: what it must give (nil, ErrInvalidCredentials, or a
// ThrottledError with the wait).
type loginStep struct {
	advance time.Duration
	user    string
	right   bool // the user's right token, else a wrong one
	addr    string
	want    error
}

func throttledFor(d time.Duration) error { return ThrottledError{RetryAfter: d} }

// runLoginSteps runs the steps in order on one Login.
func runLoginSteps(t *testing.T, e *loginEnv, steps []loginStep) {
	t.Helper()
	for i, s := range steps {
		e.Clock.Advance(s.advance)
		token := "wrong"
		if s.right {
			token = strings.TrimSpace(strings.ToLower(s.user)) + "-secret-token"
		}
		_, err := e.login.Login(e.Ctx, s.user, token, s.addr)
		var te ThrottledError
		switch want := s.want.(type) {
		case nil:
			if err != nil {
				t.Fatalf("step %d (%s from %s): got %v, want a login", i, s.user, s.addr, err)
			}
		case ThrottledError:
			if !errors.As(err, &te) {
				t.Fatalf("step %d (%s from %s): got %v, want throttled for %v", i, s.user, s.addr, err, want.RetryAfter)
			}
			throttled(t, err, want.RetryAfter)
		default:
			if !errors.Is(err, want) {
				t.Fatalf("step %d (%s from %s): got %v, want %v", i, s.user, s.addr, err, want)
			}
		}
	}
}

// hammer is n failures for user, each from another address of the
// 192.0.2.0/24 network (a distributed attack: no address is throttled).
func hammer(user string, n, first int) []loginStep {
	var out []loginStep
	for i := range n {
		out = append(out, loginStep{0, user, false, fmt.Sprint("192.0.2.", first+i), ErrInvalidCredentials})
	}
	return out
}

// escalate is n more failures for user after its first ten, each from
// another address as soon as the back-off allows it.
func escalate(user string, n int) []loginStep {
	var out []loginStep
	for i := range n {
		out = append(out, loginStep{delay(BackoffFree + i), user, false, fmt.Sprint("192.0.2.", 100+i), ErrInvalidCredentials})
	}
	return out
}

func TestLoginBacksOffPerUser(t *testing.T) {
	const home, away = "203.0.113.7", "198.51.100.1"
	concat := func(parts ...[]loginStep) []loginStep { return slices.Concat(parts...) }
	tests := []struct {
		name  string
		steps []loginStep
	}{
		{"ten failures are free, then the wait doubles", concat(
			hammer("alice", 10, 0),
			[]loginStep{
				{0, "alice", true, away, throttledFor(time.Second)},
				{0, " ALICE ", true, away, throttledFor(time.Second)}, // the same user
				{0, "bob", true, away, nil},                           // other users are not held back
				{time.Second, "alice", false, "192.0.2.100", ErrInvalidCredentials},
				{0, "alice", true, away, throttledFor(2 * time.Second)},
				{time.Second, "alice", true, away, throttledFor(time.Second)},
				{time.Second, "alice", true, away, nil}, // the wait is over: the right token logs in
			},
		)},
		{"the wait is capped at a minute", concat(
			hammer("alice", 10, 0),
			// Each further failure as soon as allowed: 1, 2, 4, … 32, then 60 s.
			[]loginStep{
				{1 * time.Second, "alice", false, "192.0.2.101", ErrInvalidCredentials},
				{2 * time.Second, "alice", false, "192.0.2.102", ErrInvalidCredentials},
				{4 * time.Second, "alice", false, "192.0.2.103", ErrInvalidCredentials},
				{8 * time.Second, "alice", false, "192.0.2.104", ErrInvalidCredentials},
				{16 * time.Second, "alice", false, "192.0.2.105", ErrInvalidCredentials},
				{32 * time.Second, "alice", false, "192.0.2.106", ErrInvalidCredentials},
				{0, "alice", true, away, throttledFor(time.Minute)},
				{time.Minute, "alice", false, "192.0.2.107", ErrInvalidCredentials},
				{0, "alice", true, away, throttledFor(time.Minute)}, // never more than a minute
				{time.Minute, "alice", true, away, nil},
			},
		)},
		{"an attacker cannot keep the user out of a known address", concat(
			[]loginStep{{0, "alice", true, home, nil}},
			hammer("alice", 10, 0),
			escalate("alice", 20),
			[]loginStep{
				{0, "alice", true, away, throttledFor(time.Minute)},
				{0, "alice", true, home, nil}, // at home, at once
			},
			// The success forgot the failures: elsewhere she is free again.
			[]loginStep{{0, "alice", true, away, nil}},
		)},
		{"the known address is the user's, not anyone's", concat(
			[]loginStep{{0, "bob", true, home, nil}},
			hammer("alice", 10, 0),
			[]loginStep{{0, "alice", true, home, throttledFor(time.Second)}},
		)},
		{"a known address is forgotten after 30 days", concat(
			[]loginStep{{0, "alice", true, home, nil}},
			[]loginStep{{KnownAddressFor, "carol", true, away, nil}},
			hammer("alice", 10, 0),
			[]loginStep{{0, "alice", true, home, throttledFor(time.Second)}},
		)},
		{"failures are forgotten after 15 quiet minutes", concat(
			hammer("alice", 10, 0),
			escalate("alice", 2),
			[]loginStep{
				{BackoffForget - time.Second, "alice", false, "192.0.2.200", ErrInvalidCredentials},
				{0, "alice", true, away, throttledFor(8 * time.Second)},
				{BackoffForget, "alice", true, away, nil},
			},
		)},
		{"an attacker at one address meets the address's wall first", concat(
			[]loginStep{
				{0, "alice", false, "192.0.2.9", ErrInvalidCredentials},
				{0, "alice", false, "192.0.2.9", ErrInvalidCredentials},
				{0, "alice", false, "192.0.2.9", ErrInvalidCredentials},
				{0, "alice", false, "192.0.2.9", ErrInvalidCredentials},
				{0, "alice", false, "192.0.2.9", ErrInvalidCredentials},
				{0, "alice", false, "192.0.2.9", ErrInvalidCredentials},
				{0, "alice", false, "192.0.2.9", ErrInvalidCredentials},
				{0, "alice", false, "192.0.2.9", ErrInvalidCredentials},
				{0, "alice", false, "192.0.2.9", ErrInvalidCredentials},
				{0, "alice", false, "192.0.2.9", ErrInvalidCredentials},
				{0, "bob", true, "192.0.2.9", throttledFor(time.Minute)},
			},
		)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newFakeProvider("alice", "bob", "carol")
			e := newLoginEnv(t, p)
			runLoginSteps(t, e, tt.steps)
		})
	}
}

func TestLoginThrottledAttemptsAreLoggedAndNeverAsked(t *testing.T) {
	p := newFakeProvider("alice")
	e := newLoginEnv(t, p)
	runLoginSteps(t, e, append(hammer("alice", 10, 0), loginStep{0, "alice", true, "198.51.100.1", throttledFor(time.Second)}))
	if n := p.calls.Load(); n != 10 {
		t.Errorf("provider called %d times, want 10: throttled attempts must not reach it", n)
	}
	if !strings.Contains(e.logs.String(), "outcome=throttled") {
		t.Errorf("throttled attempt not logged: %s", e.logs.String())
	}
}

func TestBackoffDelay(t *testing.T) {
	tests := []struct {
		fails int
		want  time.Duration
	}{
		{0, 0}, {9, 0}, {10, time.Second}, {11, 2 * time.Second}, {15, 32 * time.Second},
		{16, time.Minute}, {17, time.Minute}, {1000, time.Minute},
	}
	for _, tt := range tests {
		if got := delay(tt.fails); got != tt.want {
			t.Errorf("delay(%d) = %v, want %v", tt.fails, got, tt.want)
		}
	}
}

func TestBackoffBoundsItsMemory(t *testing.T) {
	c := newClock()
	b := NewBackoff(c.Now)
	b.maxKeys = 5
	for i := range 20 {
		u := fmt.Sprint("user", i)
		if _, ok := b.acquire(u, "192.0.2.1"); !ok {
			t.Fatalf("%s refused", u)
		}
		b.fail(u)
		b.succeed(fmt.Sprint("192.0.2.", i), u+"x")
	}
	if b.users.len() != 5 || b.known.len() != 5 {
		t.Errorf("tracking %d users and %d known addresses, want at most 5", b.users.len(), b.known.len())
	}
}

func TestLoginThrottlesPerAddress(t *testing.T) {
	p := newFakeProvider("alice")
	e := newLoginEnv(t, p)
	for i := range 10 {
		// Another port each time: still the same client.
		if _, err := e.login.Login(e.Ctx, fmt.Sprint("user", i), "wrong", fmt.Sprint("198.51.100.7:", 4000+i)); err != ErrInvalidCredentials {
			t.Fatalf("failure %d: %v", i, err)
		}
	}
	_, err := e.login.Login(e.Ctx, "alice", "alice-secret-token", "198.51.100.7")
	throttled(t, err, time.Minute)
	if _, err := e.login.Login(e.Ctx, "alice", "alice-secret-token", "198.51.100.8:4000"); err != nil {
		t.Fatalf("another address: %v", err)
	}
	// A success does not forgive the address.
	_, err = e.login.Login(e.Ctx, "user0", "wrong", "198.51.100.7")
	throttled(t, err, time.Minute)

	// IPv6 clients are counted by /64.
	for i := range 10 {
		e.login.Login(e.Ctx, fmt.Sprint("v6user", i), "wrong", fmt.Sprintf("[2001:db8:1:2::%x]:443", i))
	}
	_, err = e.login.Login(e.Ctx, "alice", "alice-secret-token", "2001:db8:1:2:ffff::1")
	throttled(t, err, time.Minute)
	if _, err := e.login.Login(e.Ctx, "alice", "alice-secret-token", "2001:db8:1:3::1"); err != nil {
		t.Fatalf("another /64: %v", err)
	}
}

func TestLoginOutageDoesNotCount(t *testing.T) {
	p := newFakeProvider("alice")
	p.err = &UnreachableError{Op: "authenticate", Err: errors.New("connection refused")}
	e := newLoginEnv(t, p)
	for i := range 20 {
		if _, err := e.login.Login(e.Ctx, "alice", "alice-secret-token", "192.0.2.1"); !errors.Is(err, ErrUnreachable) {
			t.Fatalf("attempt %d: %v", i, err)
		}
	}
	if logs := e.logs.String(); !strings.Contains(logs, "connection refused") {
		t.Errorf("log lacks the cause: %s", logs)
	}
	p.mu.Lock()
	p.err = nil
	p.mu.Unlock()
	if _, err := e.login.Login(e.Ctx, "alice", "alice-secret-token", "192.0.2.1"); err != nil {
		t.Fatal(err)
	}
}

func TestLoginConcurrentAttemptsAreThrottled(t *testing.T) {
	p := newFakeProvider("alice")
	p.gate = make(chan struct{})
	e := newLoginEnv(t, p)
	results := make(chan error)
	for range 50 {
		go func() {
			_, err := e.login.Login(e.Ctx, "alice", "wrong", "192.0.2.1")
			results <- err
		}()
	}
	// Ten attempts reach the provider and wait there; the forty others
	// are refused at once.
	for range 40 {
		var te ThrottledError
		if err := <-results; !errors.As(err, &te) {
			t.Fatalf("got %v, want throttled", err)
		}
	}
	close(p.gate)
	for range 10 {
		if err := <-results; err != ErrInvalidCredentials {
			t.Fatalf("got %v", err)
		}
	}
	if n := p.calls.Load(); n != 10 {
		t.Errorf("provider called %d times", n)
	}
}

func TestLoginConcurrentAttemptsFromManyAddressesBackOff(t *testing.T) {
	p := newFakeProvider("alice")
	p.gate = make(chan struct{})
	e := newLoginEnv(t, p)
	results := make(chan error)
	for i := range 50 {
		go func() {
			_, err := e.login.Login(e.Ctx, "alice", "wrong", fmt.Sprint("192.0.2.", i))
			results <- err
		}()
	}
	// Ten attempts reach the provider (the free ones) and wait there; the
	// forty others are refused at once, whatever their address.
	for range 40 {
		var te ThrottledError
		if err := <-results; !errors.As(err, &te) {
			t.Fatalf("got %v, want throttled", err)
		}
	}
	close(p.gate)
	for range 10 {
		if err := <-results; err != ErrInvalidCredentials {
			t.Fatalf("got %v", err)
		}
	}
	if n := p.calls.Load(); n != 10 {
		t.Errorf("provider called %d times", n)
	}
}

// countingProvider counts Authorise calls.
type countingProvider struct {
	Provider
	authorise atomic.Int32
}

func (p *countingProvider) Authorise(ctx context.Context, username string) ([]byte, error) {
	p.authorise.Add(1)
	return p.Provider.Authorise(ctx, username)
}

func TestCurrentRefreshes(t *testing.T) {
	s := jobservertest.New(t, testAPIToken)
	s.AddUser("alice", "", "one-use", nil)
	p := &countingProvider{Provider: NewJobServer(s.URL(), testAPIToken, nil)}
	e := newLoginEnv(t, p)
	if _, err := e.login.Login(e.Ctx, "alice", "one-use", "192.0.2.1"); err != nil {
		t.Fatal(err)
	}
	s.SetDetails("alice", []byte(`{"username": "alice", "output_checker": true}`))
	current := func(wantChecker bool, wantCalls int32) {
		t.Helper()
		u, err := e.login.Current(e.Ctx, "alice")
		if err != nil {
			t.Fatal(err)
		}
		if u.Username != "alice" || u.OutputChecker != wantChecker {
			t.Fatalf("got %+v", u)
		}
		if n := p.authorise.Load(); n != wantCalls {
			t.Fatalf("%d refreshes, want %d", n, wantCalls)
		}
	}

	e.Clock.Advance(14 * time.Minute)
	current(false, 0) // fresh enough
	e.Clock.Advance(2 * time.Minute)
	current(true, 1) // refreshed
	current(true, 1) // and fresh again

	s.SetDetails("alice", []byte(`{"username": "alice", "fullname": "Alice Again"}`))
	s.Down()
	e.Clock.Advance(16 * time.Minute)
	current(true, 2) // the refresh failed: the cached user stands
	if logs := e.logs.String(); !strings.Contains(logs, "level=WARN") || !strings.Contains(logs, "refresh of user failed") ||
		!strings.Contains(logs, "username=alice") {
		t.Errorf("no warning: %s", logs)
	}
	current(true, 2) // not tried again at once
	s.Up()
	e.Clock.Advance(30 * time.Second)
	current(true, 2)
	e.Clock.Advance(31 * time.Second)
	current(false, 3) // tried again after a minute

	if _, err := e.login.Current(e.Ctx, "nobody"); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("unknown user: %v", err)
	}
}

func TestCurrentDevProvider(t *testing.T) {
	users := devUsers(t)
	e := newLoginEnv(t, NewDevProvider(users))
	if _, err := e.login.Login(e.Ctx, "bob", "bob-token-that-is-longer", "192.0.2.1"); err != nil {
		t.Fatal(err)
	}
	e.Clock.Advance(time.Hour)
	u, err := e.login.Current(e.Ctx, "bob")
	if err != nil || !u.OutputChecker {
		t.Fatalf("got %+v, %v", u, err)
	}
	_, refreshed, _ := e.Svc.CachedUser(e.Ctx, "bob")
	if e.Clock.Now().Sub(refreshed) > time.Second {
		t.Errorf("not refreshed: last refresh %v", refreshed)
	}
}

func TestCurrentRefreshesOnceAtATime(t *testing.T) {
	gate := make(chan struct{})
	p := &blockingAuthorise{Provider: NewDevProvider(devUsers(t)), gate: gate}
	e := newLoginEnv(t, p)
	if _, err := e.login.Login(e.Ctx, "alice", "alice-token", ""); err != nil {
		t.Fatal(err)
	}
	e.Clock.Advance(time.Hour)
	done := make(chan error)
	go func() {
		_, err := e.login.Current(e.Ctx, "alice")
		done <- err
	}()
	for p.calls.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	// While the refresh hangs, other requests get the cached user.
	for range 5 {
		if _, err := e.login.Current(e.Ctx, "alice"); err != nil {
			t.Fatal(err)
		}
	}
	close(gate)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n := p.calls.Load(); n != 1 {
		t.Errorf("%d refreshes", n)
	}
}

type blockingAuthorise struct {
	Provider
	gate  chan struct{}
	calls atomic.Int32
}

func (p *blockingAuthorise) Authorise(ctx context.Context, username string) ([]byte, error) {
	p.calls.Add(1)
	<-p.gate
	return p.Provider.Authorise(ctx, username)
}

func TestClientKey(t *testing.T) {
	for in, want := range map[string]string{
		"192.0.2.1:5555":          "192.0.2.1",
		"192.0.2.1":               "192.0.2.1",
		" 192.0.2.1 ":             "192.0.2.1",
		"[::ffff:192.0.2.1]:80":   "192.0.2.1",
		"[2001:db8::1%eth0]:443":  "2001:db8::/64",
		"2001:db8:0:0:1::1":       "2001:db8::/64",
		"unix-socket":             "unix-socket",
		"":                        "",
		"[2001:db8:a:b::1]:12345": "2001:db8:a:b::/64",
	} {
		if got := clientKey(in); got != want {
			t.Errorf("clientKey(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRoundUpSeconds(t *testing.T) {
	for in, want := range map[time.Duration]time.Duration{
		0: time.Second, time.Millisecond: time.Second, time.Second: time.Second,
		time.Second + time.Nanosecond: 2 * time.Second, 59*time.Second + 999*time.Millisecond: time.Minute,
	} {
		if got := roundUpSeconds(in); got != want {
			t.Errorf("roundUpSeconds(%v) = %v, want %v", in, got, want)
		}
	}
}
