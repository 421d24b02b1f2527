// Package notify delivers the notifications of request status changes
// (docs/jobserver.md, Notifications) to job-server, to a webhook, or to the log.
//
// A Sink sends one notification and says whether it went through. The
// Dispatcher is the service's Notifier: it queues notifications and sends
// each to every sink in the background, with a timeout and a few retries,
// so that an action never waits for, nor fails because of, a notification.
package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/airlock-go/airlock/internal/domain"
)

// A Sink delivers notifications somewhere. Send must honour ctx.
type Sink interface {
	// Name names the sink in logs and metrics, such as "job-server".
	Name() string
	// Send delivers n once. An error that wraps ErrPermanent is not worth
	// retrying.
	Send(ctx context.Context, n domain.Notification) error
}

// The sink names.
const (
	SinkJobServer = "job-server"
	SinkWebhook   = "webhook"
	SinkLog       = "log"
)

// ErrPermanent marks a failure that sending again will not mend, such as
// a 400 answer.
var ErrPermanent = errors.New("permanent failure")

// maxAnswer bounds the answer read from a sink.
const maxAnswer = 64 << 10

// Payload is the JSON a notification is sent as (docs/jobserver.md, Notifications): the
// notification's fields, plus org and repo when they are configured.
type Payload struct {
	domain.Notification
	Org  string `json:"org,omitempty"`
	Repo string `json:"repo,omitempty"`
}

// StatusError is an answer other than the one a sink expects.
type StatusError struct {
	Sink   string
	Status int    // the HTTP status
	Detail string // the start of the answer's body, for the logs
}

func (e *StatusError) Error() string {
	if e.Detail == "" {
		return fmt.Sprintf("%s answered %d", e.Sink, e.Status)
	}
	return fmt.Sprintf("%s answered %d: %s", e.Sink, e.Status, e.Detail)
}

// Unwrap makes errors.Is(err, ErrPermanent) true for the answers that
// sending again will not change: 4xx but 408 (timeout) and 429 (too many
// requests), and 3xx (redirects are not followed).
func (e *StatusError) Unwrap() error {
	switch {
	case e.Status == http.StatusRequestTimeout, e.Status == http.StatusTooManyRequests:
		return nil
	case e.Status >= 300 && e.Status < 500:
		return ErrPermanent
	}
	return nil
}

// JobServerConfig configures the job-server sink.
type JobServerConfig struct {
	// Endpoint is the job-server API's base URL (AIRLOCK_API_ENDPOINT),
	// such as https://jobs.opensafely.org/api/v2.
	Endpoint string
	// Token is airlock's API token (AIRLOCK_API_TOKEN), sent as the
	// Authorization header.
	Token string
	// Org and Repo (AIRLOCK_OUTPUT_CHECKING_ORG/REPO) are added to every
	// payload; both or neither.
	Org, Repo string
	// Client sends the calls; nil gets one that does not follow
	// redirects. The Dispatcher bounds each call with a timeout.
	Client *http.Client
}

// JobServer sends notifications to job-server's /airlock/events/. It is
// safe for concurrent use.
type JobServer struct {
	url       string
	token     string
	org, repo string
	client    *http.Client
}

// NewJobServer builds the job-server sink. It refuses an endpoint that is
// not an absolute http(s) URL, an empty token, and org without repo or
// repo without org.
func NewJobServer(cfg JobServerConfig) (*JobServer, error) {
	endpoint := strings.TrimRight(cfg.Endpoint, "/")
	if err := checkURL(endpoint); err != nil {
		return nil, fmt.Errorf("job-server notifications: endpoint: %w", err)
	}
	if cfg.Token == "" {
		return nil, errors.New("job-server notifications: the API token is empty")
	}
	if err := checkOrgRepo(cfg.Org, cfg.Repo); err != nil {
		return nil, fmt.Errorf("job-server notifications: %w", err)
	}
	return &JobServer{
		url: endpoint + "/airlock/events/", token: cfg.Token, org: cfg.Org, repo: cfg.Repo,
		client: clientOrDefault(cfg.Client),
	}, nil
}

// Name is SinkJobServer.
func (j *JobServer) Name() string { return SinkJobServer }

// Send posts n to job-server as the acting user. It succeeds only on a
// 201 answer whose JSON status is "ok".
func (j *JobServer) Send(ctx context.Context, n domain.Notification) error {
	body, err := json.Marshal(Payload{Notification: n, Org: j.org, Repo: j.repo})
	if err != nil {
		return fmt.Errorf("encode notification: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, j.url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("job-server notification: %w", err)
	}
	req.Header.Set("OS-User", n.User)
	req.Header.Set("Authorization", j.token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	status, answer, err := do(j.client, req)
	if err != nil {
		return err
	}
	if status != http.StatusCreated {
		return &StatusError{Sink: SinkJobServer, Status: status, Detail: excerpt(answer)}
	}
	var out struct {
		Status  string `json:"status"`
		Message string `json:"message"`
	}
	if err := json.Unmarshal(answer, &out); err != nil {
		return fmt.Errorf("job-server answered 201 with no JSON status (%s): %w", excerpt(answer), ErrPermanent)
	}
	if out.Status != "ok" {
		// Job-server acted on part of the event, maybe: sending it again
		// could open a second issue.
		return fmt.Errorf("job-server answered status %q: %s: %w", out.Status, excerpt([]byte(out.Message)), ErrPermanent)
	}
	return nil
}

// WebhookConfig configures the webhook sink.
type WebhookConfig struct {
	// URL is where notifications are posted (AIRLOCK_WEBHOOK_URL). It may
	// hold a secret: logs and errors show only its scheme and host.
	URL string
	// Org and Repo are added to every payload, as for job-server; both or
	// neither.
	Org, Repo string
	// Client sends the calls; nil gets one that does not follow
	// redirects.
	Client *http.Client
}

// Webhook posts notifications, as JSON, to a URL. Any 2xx answer is a
// success. It is safe for concurrent use.
type Webhook struct {
	url       string
	org, repo string
	client    *http.Client
}

// NewWebhook builds the webhook sink. It refuses a URL that is not an
// absolute http(s) URL, and org without repo or repo without org.
func NewWebhook(cfg WebhookConfig) (*Webhook, error) {
	if err := checkURL(cfg.URL); err != nil {
		return nil, fmt.Errorf("webhook notifications: URL: %w", err)
	}
	if err := checkOrgRepo(cfg.Org, cfg.Repo); err != nil {
		return nil, fmt.Errorf("webhook notifications: %w", err)
	}
	return &Webhook{url: cfg.URL, org: cfg.Org, repo: cfg.Repo, client: clientOrDefault(cfg.Client)}, nil
}

// Name is SinkWebhook.
func (h *Webhook) Name() string { return SinkWebhook }

// Send posts n to the webhook.
func (h *Webhook) Send(ctx context.Context, n domain.Notification) error {
	body, err := json.Marshal(Payload{Notification: n, Org: h.org, Repo: h.repo})
	if err != nil {
		return fmt.Errorf("encode notification: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("webhook notification to %s: %w", redact(h.url), redactURLError(err))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("OS-User", n.User)
	status, answer, err := do(h.client, req)
	if err != nil {
		return err
	}
	if status < 200 || status > 299 {
		return &StatusError{Sink: SinkWebhook, Status: status, Detail: excerpt(answer)}
	}
	return nil
}

// Log only logs notifications: the sink of a deployment without
// job-server.
type Log struct {
	Logger *slog.Logger // nil: slog.Default()
}

// Name is SinkLog.
func (l Log) Name() string { return SinkLog }

// Send logs n.
func (l Log) Send(ctx context.Context, n domain.Notification) error {
	logger := l.Logger
	if logger == nil {
		logger = slog.Default()
	}
	updates := make([]string, len(n.Updates))
	for i, u := range n.Updates {
		updates[i] = u.Update
	}
	logger.InfoContext(ctx, "notification", "event_type", n.EventType, "workspace", n.Workspace,
		"request", n.Request, "request_author", n.RequestAuthor, "user", n.User, "updates", updates)
	return nil
}

// do sends req and reads the start of the answer. A failure to send names
// the URL by its scheme and host only.
func do(client *http.Client, req *http.Request) (int, []byte, error) {
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("post to %s: %w", redact(req.URL.String()), redactURLError(err))
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return 0, nil, fmt.Errorf("read the answer of %s: %w", redact(req.URL.String()), err)
	}
	return resp.StatusCode, answer, nil
}

// redactURLError strips the URL from the *url.Error the client returns
// (which repeats it whole), keeping its cause.
func redactURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// redact keeps the scheme and host of a URL: a webhook's path or query
// may be its secret.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "(a malformed URL)"
	}
	return u.Scheme + "://" + u.Host
}

// excerpt is the start of an answer, on one line, for an error message.
func excerpt(b []byte) string {
	const max = 200
	s := strings.Join(strings.Fields(string(b)), " ")
	if len(s) > max {
		s = s[:max] + "…"
	}
	return s
}

func checkURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("not a URL: %w", redactURLError(err))
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is not an absolute http(s) URL", redact(raw))
	}
	return nil
}

func checkOrgRepo(org, repo string) error {
	if (org == "") != (repo == "") {
		return fmt.Errorf("output-checking org and repo must both be set or both be unset (org %q, repo %q)", org, repo)
	}
	return nil
}

// clientOrDefault returns client, or a client that does not follow
// redirects: a 3xx is an answer, not a place to send the token.
func clientOrDefault(client *http.Client) *http.Client {
	if client != nil {
		return client
	}
	return &http.Client{
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}
