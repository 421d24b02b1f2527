package auth

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/jobservertest"
)

const testAPIToken = "the-api-token"

func devUsers(t *testing.T) []DevUser {
	t.Helper()
	users, err := ParseUsersFile([]byte(`{
		"alice": {"token": "alice-token", "details": {"username": "alice", "fullname": "Alice A"}},
		"bob": {"token": "bob-token-that-is-longer", "details": {"username": "bob", "output_checker": true}}}`))
	if err != nil {
		t.Fatal(err)
	}
	return users
}

func TestDevProviderAuthenticate(t *testing.T) {
	p := NewDevProvider(devUsers(t))
	tests := []struct {
		name, user, token, want string // want: the username, or "" for ErrInvalidCredentials
	}{
		{"right token", "alice", "alice-token", "alice"},
		{"other user", "bob", "bob-token-that-is-longer", "bob"},
		{"wrong token", "alice", "alice-tokem", ""},
		{"token prefix", "alice", "alice-toke", ""},
		{"token longer", "alice", "alice-token2", ""},
		{"someone else's token", "alice", "bob-token-that-is-longer", ""},
		{"unknown user", "carol", "alice-token", ""},
		{"empty token", "alice", "", ""},
		{"empty user", "", "alice-token", ""},
		{"user differs in case", "Alice", "alice-token", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := p.Authenticate(context.Background(), tt.user, tt.token)
			if tt.want == "" {
				if err != ErrInvalidCredentials || doc != nil {
					t.Fatalf("got %s, %v; want ErrInvalidCredentials", doc, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			u, err := domain.ParseUser(doc)
			if err != nil || u.Username != tt.want {
				t.Fatalf("got %+v, %v", u, err)
			}
		})
	}
}

func TestDevProviderAuthorise(t *testing.T) {
	p := NewDevProvider(devUsers(t))
	doc, err := p.Authorise(context.Background(), "bob")
	if err != nil {
		t.Fatal(err)
	}
	if u, _ := domain.ParseUser(doc); u.Username != "bob" || !u.OutputChecker {
		t.Fatalf("got %s", doc)
	}
	doc[0] = 'X' // the caller's copy: the provider's stays intact
	if doc, _ := p.Authorise(context.Background(), "bob"); doc[0] != '{' {
		t.Fatal("Authorise handed out its own bytes")
	}
	if _, err := p.Authorise(context.Background(), "carol"); err != ErrInvalidCredentials {
		t.Fatalf("unknown user: got %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := p.Authorise(ctx, "bob"); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: got %v", err)
	}
}

func TestJobServerAuthenticate(t *testing.T) {
	const token = "correct-horse-battery"
	huge := []byte(`{"username": "huge", "fullname": "` + strings.Repeat("x", 2<<20) + `"}`)
	tests := []struct {
		name  string
		setup func(*jobservertest.Server)
		user  string
		// want is the username on success; else wantErr, and the message
		// a person sees.
		want    string
		wantErr error
		message string
	}{
		{name: "by username", user: "alice", want: "alice"},
		{name: "by email", user: "alice@example.org", want: "alice"},
		{name: "wrong user", user: "bob", wantErr: ErrInvalidCredentials, message: "Invalid user or token"},
		{name: "403", setup: func(s *jobservertest.Server) { s.FailNext(403, 1) }, user: "alice",
			wantErr: ErrInvalidCredentials, message: "Invalid user or token"},
		{name: "500", setup: func(s *jobservertest.Server) { s.FailNext(500, 1) }, user: "alice",
			wantErr: ErrProviderError, message: "job-server could not log you in (it answered 500)"},
		{name: "502 HTML", setup: func(s *jobservertest.Server) { s.RespondNext(502, []byte("<html>Bad gateway</html>"), 1) },
			user: "alice", wantErr: ErrProviderError, message: "job-server could not log you in (it answered 502)"},
		{name: "401: airlock's API token refused", setup: func(s *jobservertest.Server) { s.RespondNext(401, nil, 1) },
			user: "alice", wantErr: ErrProviderError, message: "(it answered 401)"},
		{name: "redirect", setup: func(s *jobservertest.Server) { s.RespondNext(302, nil, 1) },
			user: "alice", wantErr: ErrProviderError, message: "(it answered 302)"},
		{name: "malformed JSON", setup: func(s *jobservertest.Server) { s.RespondNext(200, []byte(`{"username": "alice"`), 1) },
			user: "alice", wantErr: ErrProviderError, message: "its answer was not a user document"},
		{name: "no username", setup: func(s *jobservertest.Server) { s.RespondNext(200, []byte(`{"fullname": "A"}`), 1) },
			user: "alice", wantErr: ErrProviderError, message: "its answer was not a user document"},
		{name: "huge body", setup: func(s *jobservertest.Server) { s.AddUser("huge", "", token, huge) },
			user: "huge", wantErr: ErrProviderError, message: "its answer was not a user document"},
		{name: "unreachable", setup: func(s *jobservertest.Server) { s.Down() }, user: "alice",
			wantErr: ErrUnreachable, message: "job-server cannot be reached; try again later"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := jobservertest.New(t, testAPIToken)
			s.AddUser("alice", "alice@example.org", token, nil)
			if tt.setup != nil {
				tt.setup(s)
			}
			js := NewJobServer(s.URL()+"/", testAPIToken, nil)
			doc, err := js.Authenticate(context.Background(), tt.user, token)
			if tt.wantErr == nil {
				if err != nil {
					t.Fatal(err)
				}
				if u, err := domain.ParseUser(doc); err != nil || u.Username != tt.want {
					t.Fatalf("got %s, %v", doc, err)
				}
			} else {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("got %v, want %v", err, tt.wantErr)
				}
				for _, other := range []error{ErrInvalidCredentials, ErrProviderError, ErrUnreachable} {
					if other != tt.wantErr && errors.Is(err, other) {
						t.Errorf("%v is also %v", err, other)
					}
				}
				if !strings.Contains(err.Error(), tt.message) {
					t.Errorf("message %q, want %q", err.Error(), tt.message)
				}
				if strings.Contains(errorDetail(err), token) || strings.Contains(errorDetail(err), testAPIToken) {
					t.Errorf("the error tells a secret: %s", errorDetail(err))
				}
			}
			for _, c := range s.Calls() {
				if c.Path != "/releases/authenticate" || c.Headers.Get("Authorization") != testAPIToken ||
					c.Headers.Get("Content-Type") != "application/json" || c.Headers.Get("Accept") != "application/json" {
					t.Errorf("call %s with headers %v", c.Path, c.Headers)
				}
			}
		})
	}
}

func TestJobServerErrorDetail(t *testing.T) {
	const token = "correct-horse-battery"
	s := jobservertest.New(t, testAPIToken)
	s.RespondNext(500, []byte(`{"detail": "user alice with token correct-horse-battery \n exploded"}`), 1)
	_, err := NewJobServer(s.URL(), testAPIToken, nil).Authenticate(context.Background(), "alice", token)
	var pe *ProviderError
	if !errors.As(err, &pe) {
		t.Fatalf("got %v", err)
	}
	if pe.Op != "authenticate" || pe.Status != 500 || pe.Detail != "user alice with token [redacted] exploded" {
		t.Errorf("got %+v", pe)
	}
}

func TestJobServerTimeout(t *testing.T) {
	s := jobservertest.New(t, testAPIToken)
	s.AddUser("alice", "", "t", nil)
	s.Delay(5 * time.Second)
	js := NewJobServer(s.URL(), testAPIToken, &http.Client{Timeout: 50 * time.Millisecond})
	_, err := js.Authenticate(context.Background(), "alice", "t")
	if !errors.Is(err, ErrUnreachable) || err.Error() != "job-server cannot be reached; try again later" {
		t.Fatalf("got %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err = NewJobServer(s.URL(), testAPIToken, nil).Authorise(ctx, "alice")
	if !errors.Is(err, ErrUnreachable) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v", err)
	}
}

func TestJobServerAuthorise(t *testing.T) {
	s := jobservertest.New(t, testAPIToken)
	s.AddUser("alice", "", "t", nil)
	js := NewJobServer(s.URL(), testAPIToken, nil)
	ctx := context.Background()

	doc, err := js.Authorise(ctx, "alice")
	if u, _ := domain.ParseUser(doc); err != nil || u.Username != "alice" {
		t.Fatalf("got %s, %v", doc, err)
	}
	if c := s.Calls()[0]; c.Path != "/releases/authorise" || string(c.Body) != `{"user":"alice"}` {
		t.Errorf("call %s %s", c.Path, c.Body)
	}
	if _, err := js.Authorise(ctx, "bob"); err != ErrInvalidCredentials {
		t.Errorf("unknown: got %v", err)
	}
	s.RespondNext(200, []byte(`{"username": "mallory"}`), 1)
	if _, err := js.Authorise(ctx, "alice"); !errors.Is(err, ErrProviderError) ||
		err.Error() != "job-server could not refresh your details (its answer was not a user document)" {
		t.Errorf("another user's document: got %v", err)
	}
	s.FailNext(503, 1)
	if _, err := js.Authorise(ctx, "alice"); !errors.Is(err, ErrProviderError) ||
		err.Error() != "job-server could not refresh your details (it answered 503)" {
		t.Errorf("503: got %v", err)
	}
}
