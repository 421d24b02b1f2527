package auth

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/airlock-go/airlock/internal/domain"
)

// Provider checks credentials with the source of users and fetches user
// documents.
type Provider interface {
	// Authenticate checks user (a username or email) and a single-use
	// token; on success it returns the user document (the JSON "details"
	// object of docs/jobserver.md, Logging in, raw bytes).
	Authenticate(ctx context.Context, user, token string) ([]byte, error)
	// Authorise fetches a fresh user document for a username (refresh).
	Authorise(ctx context.Context, username string) ([]byte, error)
}

// The ways a provider refuses. Their texts are written for a person; the
// errors a JobServer returns wrap them (match with errors.Is) and read
// distinctly: "Invalid user or token", "job-server could not log you in
// (it answered 502)", "job-server cannot be reached; try again later".
var (
	// ErrInvalidCredentials: wrong user or token.
	//lint:ignore ST1005 shown to people as is
	ErrInvalidCredentials = errors.New("Invalid user or token")
	// ErrProviderError: job-server answered with an error (a status other
	// than 2xx and 403, or a 2xx answer that is not a user document).
	ErrProviderError = errors.New("job-server could not log you in")
	// ErrUnreachable: job-server could not be reached (connection error,
	// timeout).
	ErrUnreachable = errors.New("job-server cannot be reached; try again later")
)

const (
	opAuthenticate = "authenticate"
	opAuthorise    = "authorise"
)

// ProviderError is job-server's unusable answer. It wraps
// ErrProviderError. Its Error text is for a person; Detail (a short
// account of job-server's answer, never a token) is for the logs.
type ProviderError struct {
	Op     string // "authenticate" or "authorise"
	Status int    // the HTTP status job-server answered
	Detail string
}

func (e *ProviderError) Error() string {
	what := "log you in"
	if e.Op == opAuthorise {
		what = "refresh your details"
	}
	if e.Status >= 200 && e.Status < 300 {
		return fmt.Sprintf("job-server could not %s (its answer was not a user document)", what)
	}
	return fmt.Sprintf("job-server could not %s (it answered %d)", what, e.Status)
}

// Unwrap makes errors.Is(err, ErrProviderError) true.
func (e *ProviderError) Unwrap() error { return ErrProviderError }

// LogValue gives the logs the whole story.
func (e *ProviderError) LogValue() slog.Value {
	return slog.GroupValue(slog.String("op", e.Op), slog.Int("status", e.Status), slog.String("detail", e.Detail))
}

// UnreachableError is a failure to talk to job-server at all. It wraps
// ErrUnreachable and the transport's error (so errors.Is finds
// context.DeadlineExceeded, for one). Its Error text is for a person.
type UnreachableError struct {
	Op  string
	Err error
}

func (e *UnreachableError) Error() string { return ErrUnreachable.Error() }

// Unwrap makes errors.Is find ErrUnreachable and the cause.
func (e *UnreachableError) Unwrap() []error { return []error{ErrUnreachable, e.Err} }

// LogValue gives the logs the cause.
func (e *UnreachableError) LogValue() slog.Value {
	return slog.GroupValue(slog.String("op", e.Op), slog.String("cause", e.Err.Error()))
}

// errorDetail is the account of err for the logs: more than its text when
// err is a provider's failure.
func errorDetail(err error) string {
	var pe *ProviderError
	if errors.As(err, &pe) {
		return fmt.Sprintf("%s: job-server %s answered %d: %s", err.Error(), pe.Op, pe.Status, pe.Detail)
	}
	var ue *UnreachableError
	if errors.As(err, &ue) {
		return fmt.Sprintf("%s: job-server %s: %v", err.Error(), ue.Op, ue.Err)
	}
	return err.Error()
}

// DevProvider logs in the users of a users file: a login is an exact
// token match. It is safe for concurrent use.
type DevProvider struct {
	users map[string]devEntry
}

type devEntry struct {
	tokenHash [sha256.Size]byte
	details   []byte
}

// NewDevProvider serves the users of a users file (see LoadUsersFile).
func NewDevProvider(users []DevUser) *DevProvider {
	p := &DevProvider{users: make(map[string]devEntry, len(users))}
	for _, u := range users {
		p.users[u.User.Username] = devEntry{tokenHash: sha256.Sum256([]byte(u.Token)), details: bytes.Clone(u.Details)}
	}
	return p
}

// Authenticate checks the token of the user named user. The tokens are
// compared in constant time (as digests, so that their lengths do not
// show either), and an unknown user costs the same comparison.
func (p *DevProvider) Authenticate(ctx context.Context, user, token string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	e, known := p.users[user]
	got := sha256.Sum256([]byte(token))
	match := subtle.ConstantTimeCompare(got[:], e.tokenHash[:]) == 1
	if !known || !match || token == "" {
		return nil, ErrInvalidCredentials
	}
	return bytes.Clone(e.details), nil
}

// Authorise returns the users file's document of username.
func (p *DevProvider) Authorise(ctx context.Context, username string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	e, ok := p.users[username]
	if !ok {
		return nil, ErrInvalidCredentials
	}
	return bytes.Clone(e.details), nil
}

// maxDocument is the largest user document job-server may send.
const maxDocument = 1 << 20

// DefaultJobServerTimeout bounds each call to job-server when NewJobServer
// is given no client.
const DefaultJobServerTimeout = 10 * time.Second

// JobServer logs users in with job-server (docs/jobserver.md). It is safe for
// concurrent use.
type JobServer struct {
	endpoint string
	apiToken string
	client   *http.Client
}

// NewJobServer talks to the job-server API at endpoint (its base URL, such
// as https://jobs.opensafely.org/api/v2), sending apiToken with every call.
// A nil client gets one with a 10 s timeout that does not follow
// redirects.
func NewJobServer(endpoint, apiToken string, client *http.Client) *JobServer {
	if client == nil {
		client = &http.Client{
			Timeout: DefaultJobServerTimeout,
			CheckRedirect: func(*http.Request, []*http.Request) error {
				return http.ErrUseLastResponse // a 3xx is an answer, not a place to send credentials
			},
		}
	}
	return &JobServer{endpoint: strings.TrimRight(endpoint, "/"), apiToken: apiToken, client: client}
}

// Authenticate asks job-server to check user (a username or email) and
// their single-use token.
func (j *JobServer) Authenticate(ctx context.Context, user, token string) ([]byte, error) {
	return j.call(ctx, opAuthenticate, map[string]string{"user": user, "token": token}, token)
}

// Authorise fetches username's current document from job-server. A
// document for anyone else is refused.
func (j *JobServer) Authorise(ctx context.Context, username string) ([]byte, error) {
	doc, err := j.call(ctx, opAuthorise, map[string]string{"user": username}, "")
	if err != nil {
		return nil, err
	}
	u, _ := domain.ParseUser(doc) // call checked it parses
	if u.Username != username {
		return nil, &ProviderError{Op: opAuthorise, Status: http.StatusOK,
			Detail: fmt.Sprintf("asked for %q, got the document of %q", username, clip(u.Username, 100))}
	}
	return doc, nil
}

// call POSTs body to /releases/<op> and returns a valid user document.
// secret (the user's token) is kept out of every error.
func (j *JobServer) call(ctx context.Context, op string, body map[string]string, secret string) ([]byte, error) {
	payload, err := json.Marshal(body)
	if err != nil {
		return nil, fmt.Errorf("auth: job-server %s: %w", op, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, j.endpoint+"/releases/"+op, bytes.NewReader(payload))
	if err != nil {
		// Only a malformed endpoint gets here; the URL holds no secret.
		return nil, fmt.Errorf("auth: job-server %s: %w", op, err)
	}
	req.Header.Set("Authorization", j.apiToken)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := j.client.Do(req)
	if err != nil {
		return nil, &UnreachableError{Op: op, Err: err}
	}
	defer resp.Body.Close()
	raw, readErr := io.ReadAll(io.LimitReader(resp.Body, maxDocument+1))
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		if len(raw) > maxDocument {
			return nil, &ProviderError{Op: op, Status: resp.StatusCode, Detail: "answer larger than 1 MiB"}
		}
		if readErr != nil {
			return nil, &UnreachableError{Op: op, Err: readErr}
		}
		if _, err := domain.ParseUser(raw); err != nil {
			return nil, &ProviderError{Op: op, Status: resp.StatusCode,
				Detail: j.redact(domain.Message(err), secret)}
		}
		return raw, nil
	case resp.StatusCode == http.StatusForbidden:
		return nil, ErrInvalidCredentials
	default:
		return nil, &ProviderError{Op: op, Status: resp.StatusCode, Detail: j.redact(summarise(raw), secret)}
	}
}

// redact removes the secrets this client knows from s.
func (j *JobServer) redact(s, secret string) string {
	for _, x := range []string{secret, j.apiToken} {
		if x != "" {
			s = strings.ReplaceAll(s, x, "[redacted]")
		}
	}
	return s
}

// summarise makes a short, printable account of an error answer: its JSON
// "detail" when it has one, else the start of its text.
func summarise(raw []byte) string {
	var doc struct {
		Detail any `json:"detail"`
	}
	s := string(raw)
	if json.Unmarshal(raw, &doc) == nil && doc.Detail != nil {
		if d, ok := doc.Detail.(string); ok {
			s = d
		} else if b, err := json.Marshal(doc.Detail); err == nil {
			s = string(b)
		}
	}
	s = strings.Join(strings.FieldsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || !unicode.IsPrint(r) }), " ")
	if s == "" {
		return "(empty answer)"
	}
	return clip(s, 200)
}

// clip shortens s to at most n runes, marking the cut.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}
