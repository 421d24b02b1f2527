package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/jobservertest"
	"github.com/airlock-go/airlock/internal/service"
	"github.com/airlock-go/airlock/internal/testkit"
)

const apiToken = "secret-api-token"

// The Dispatcher is what the service takes as its Notifier.
var _ interface {
	Notify(context.Context, domain.Notification)
} = (*Dispatcher)(nil)

func newLogger() (*slog.Logger, *testkit.SyncBuffer) {
	var buf testkit.SyncBuffer
	return slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})), &buf
}

// harness runs a Dispatcher for a test.
type harness struct {
	d    *Dispatcher
	reg  *prometheus.Registry
	logs *testkit.SyncBuffer
	stop func() // ends Run and waits for it
}

// run builds a Dispatcher from cfg (with quick retries unless cfg says
// otherwise) and runs it until the test ends.
func run(t *testing.T, cfg Config) *harness {
	t.Helper()
	h := build(t, cfg)
	h.start(t, context.Background())
	return h
}

func build(t *testing.T, cfg Config) *harness {
	t.Helper()
	logger, logs := newLogger()
	cfg.Logger = logger
	if cfg.Backoff == nil {
		cfg.Backoff = []time.Duration{time.Millisecond, 2 * time.Millisecond}
	}
	d := NewDispatcher(cfg)
	reg := prometheus.NewRegistry()
	reg.MustRegister(d.Collectors()...)
	return &harness{d: d, reg: reg, logs: logs, stop: func() {}}
}

func (h *harness) start(t *testing.T, parent context.Context) {
	ctx, cancel := context.WithCancel(parent)
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.d.Run(ctx)
	}()
	var once sync.Once
	h.stop = func() {
		once.Do(func() {
			cancel()
			select {
			case <-done:
			case <-time.After(30 * time.Second):
				t.Error("Run did not return")
			}
		})
	}
	t.Cleanup(h.stop)
}

func (h *harness) flush(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h.d.Flush(ctx); err != nil {
		t.Fatal(err)
	}
}

// metric reads a counter or gauge; sink "" for one with no label.
func (h *harness) metric(t *testing.T, name, sink string) float64 {
	t.Helper()
	mfs, err := h.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			label := ""
			for _, l := range m.GetLabel() {
				if l.GetName() == "sink" {
					label = l.GetValue()
				}
			}
			if label != sink {
				continue
			}
			if c := m.GetCounter(); c != nil {
				return c.GetValue()
			}
			return m.GetGauge().GetValue()
		}
	}
	t.Fatalf("no metric %s{sink=%q}", name, sink)
	return 0
}

func (h *harness) counts(t *testing.T, sink string) (sent, failed float64) {
	t.Helper()
	return h.metric(t, "airlock_notifications_sent_total", sink), h.metric(t, "airlock_notifications_failed_total", sink)
}

func jobServerSink(t *testing.T, s *jobservertest.Server, org, repo string) *JobServer {
	t.Helper()
	js, err := NewJobServer(JobServerConfig{Endpoint: s.URL(), Token: apiToken, Org: org, Repo: repo})
	if err != nil {
		t.Fatal(err)
	}
	return js
}

var returned = domain.Notification{
	EventType: "request_returned", Workspace: "ws1", Request: "01REQ", RequestAuthor: "alice", User: "bob",
	Updates: []domain.Update{{Update: "files returned", User: "bob", Group: "outputs"}, {Update: "second"}},
}

func eventCalls(s *jobservertest.Server) []jobservertest.Call {
	var out []jobservertest.Call
	for _, c := range s.Calls() {
		if c.Route == jobservertest.RouteEvents {
			out = append(out, c)
		}
	}
	return out
}

func TestJobServerPayloadAndHeaders(t *testing.T) {
	s := jobservertest.New(t, apiToken)
	h := run(t, Config{Sinks: []Sink{jobServerSink(t, s, "", "")}})
	submitted := domain.Notification{
		EventType: "request_submitted", Workspace: "ws1", Request: "01REQ", RequestAuthor: "alice", User: "alice",
	}
	h.d.Notify(context.Background(), returned)
	h.d.Notify(context.Background(), submitted)
	h.flush(t)

	got := s.Events()
	if len(got) != 2 {
		t.Fatalf("job-server got %d events, want 2: %s", len(got), h.logs)
	}
	want := jobservertest.Event{
		EventType: "request_returned", Workspace: "ws1", Request: "01REQ", RequestAuthor: "alice", User: "bob",
		Updates: []jobservertest.EventUpdate{{Update: "files returned", User: "bob", Group: "outputs"}, {Update: "second"}},
		OSUser:  "bob",
	}
	if diff := cmp.Diff(want, got[0], cmpIgnoreBody); diff != "" {
		t.Errorf("event (-want +got):\n%s", diff)
	}
	// The exact JSON: no org or repo when they are not configured; null
	// updates; no empty user or group in an update.
	wantJSON := map[string]string{
		`{"event_type":"request_returned","workspace":"ws1","request":"01REQ","request_author":"alice","user":"bob",` +
			`"updates":[{"update":"files returned","user":"bob","group":"outputs"},{"update":"second"}]}`: "returned",
		`{"event_type":"request_submitted","workspace":"ws1","request":"01REQ","request_author":"alice","user":"alice",` +
			`"updates":null}`: "submitted",
	}
	for _, e := range got {
		if _, ok := wantJSON[string(e.Body)]; !ok {
			t.Errorf("body %s", e.Body)
		}
	}
	if got[1].OSUser != "alice" || got[1].Updates != nil {
		t.Errorf("second event: %+v", got[1])
	}
	for _, c := range eventCalls(s) {
		for k, v := range map[string]string{
			"Authorization": apiToken, "Content-Type": "application/json", "Accept": "application/json",
		} {
			if c.Headers.Get(k) != v {
				t.Errorf("header %s = %q, want %q", k, c.Headers.Get(k), v)
			}
		}
	}
	if sent, failed := h.counts(t, SinkJobServer); sent != 2 || failed != 0 {
		t.Errorf("sent %v, failed %v", sent, failed)
	}
}

var cmpIgnoreBody = cmp.FilterPath(func(p cmp.Path) bool { return p.String() == "Body" }, cmp.Ignore())

func TestJobServerOrgAndRepo(t *testing.T) {
	s := jobservertest.New(t, apiToken)
	h := run(t, Config{Sinks: []Sink{jobServerSink(t, s, "opensafely", "output-checking")}})
	h.d.Notify(context.Background(), returned)
	h.flush(t)
	got := s.Events()
	if len(got) != 1 || got[0].Org != "opensafely" || got[0].Repo != "output-checking" {
		t.Fatalf("events %+v; logs %s", got, h.logs)
	}
}

func TestNewJobServerRefuses(t *testing.T) {
	tests := []struct {
		name string
		cfg  JobServerConfig
		want string
	}{
		{"org without repo", JobServerConfig{Endpoint: "https://js/api/v2", Token: apiToken, Org: "o"}, "both"},
		{"repo without org", JobServerConfig{Endpoint: "https://js/api/v2", Token: apiToken, Repo: "r"}, "both"},
		{"no token", JobServerConfig{Endpoint: "https://js/api/v2"}, "token"},
		{"no endpoint", JobServerConfig{Token: apiToken}, "endpoint"},
		{"relative endpoint", JobServerConfig{Endpoint: "/api/v2", Token: apiToken}, "absolute"},
		{"other scheme", JobServerConfig{Endpoint: "ftp://js/api/v2", Token: apiToken}, "absolute"},
		{"malformed endpoint", JobServerConfig{Endpoint: "http://js:port/x", Token: apiToken}, "endpoint"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewJobServer(tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), apiToken) {
				t.Errorf("got %v, want an error about %q", err, tt.want)
			}
		})
	}
	if _, err := NewJobServer(JobServerConfig{Endpoint: "https://js/api/v2/", Token: apiToken, Org: "o", Repo: "r"}); err != nil {
		t.Errorf("valid: %v", err)
	}
}

func TestJobServerAnswers(t *testing.T) {
	tests := []struct {
		name      string
		setup     func(*jobservertest.Server)
		wantErr   string // "" for success
		permanent bool
	}{
		{"ok", nil, "", false},
		{"500", func(s *jobservertest.Server) { s.FailNextOn(jobservertest.RouteEvents, 500, 1) }, "job-server answered 500", false},
		{"502 HTML", func(s *jobservertest.Server) {
			s.RespondNextOn(jobservertest.RouteEvents, 502, []byte("<html>\n  Bad gateway\n</html>"), 1)
		}, "job-server answered 502: <html> Bad gateway </html>", false},
		{"429", func(s *jobservertest.Server) { s.FailNextOn(jobservertest.RouteEvents, 429, 1) }, "answered 429", false},
		{"400", func(s *jobservertest.Server) { s.FailNextOn(jobservertest.RouteEvents, 400, 1) }, "answered 400", true},
		{"200 is not 201", func(s *jobservertest.Server) {
			s.RespondNextOn(jobservertest.RouteEvents, 200, []byte(`{"status": "ok"}`), 1)
		}, "answered 200", false},
		{"redirect not followed", func(s *jobservertest.Server) { s.RespondNextOn(jobservertest.RouteEvents, 302, nil, 1) }, "answered 302", true},
		{"status error", func(s *jobservertest.Server) {
			s.RespondNextOn(jobservertest.RouteEvents, 201, []byte(`{"status": "error", "message": "GitHub is down"}`), 1)
		}, `status "error": GitHub is down`, true},
		{"not JSON", func(s *jobservertest.Server) { s.RespondNextOn(jobservertest.RouteEvents, 201, []byte(`created`), 1) }, "no JSON status", true},
		{"down", func(s *jobservertest.Server) { s.Down() }, "post to http://127.0.0.1", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := jobservertest.New(t, apiToken)
			if tt.setup != nil {
				tt.setup(s)
			}
			err := jobServerSink(t, s, "", "").Send(context.Background(), returned)
			if tt.wantErr == "" {
				if err != nil || len(s.Events()) != 1 {
					t.Fatalf("got %v, %d events", err, len(s.Events()))
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("got %v, want an error with %q", err, tt.wantErr)
			}
			if errors.Is(err, ErrPermanent) != tt.permanent {
				t.Errorf("permanent = %v, want %v", errors.Is(err, ErrPermanent), tt.permanent)
			}
			if strings.Contains(err.Error(), apiToken) {
				t.Errorf("the error shows the token: %v", err)
			}
		})
	}
}

func TestFailureRetriedThenCounted(t *testing.T) {
	s := jobservertest.New(t, apiToken)
	h := run(t, Config{Sinks: []Sink{jobServerSink(t, s, "", "")}})
	s.FailNextOn(jobservertest.RouteEvents, 500, 3)
	h.d.Notify(context.Background(), returned)
	h.flush(t)
	if n := len(eventCalls(s)); n != 3 {
		t.Errorf("%d attempts, want 3", n)
	}
	if len(s.Events()) != 0 {
		t.Errorf("events recorded: %+v", s.Events())
	}
	if sent, failed := h.counts(t, SinkJobServer); sent != 0 || failed != 1 {
		t.Errorf("sent %v, failed %v; want 0, 1", sent, failed)
	}
	logs := h.logs.String()
	for _, want := range []string{
		`level=ERROR msg="notification failed" sink=job-server event_type=request_returned request=01REQ`,
		"attempts=3", "job-server answered 500",
	} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %q:\n%s", want, logs)
		}
	}
	if strings.Contains(logs, apiToken) {
		t.Errorf("logs show the token:\n%s", logs)
	}

	// It recovers: the next one goes through, after a failed attempt.
	s.FailNextOn(jobservertest.RouteEvents, 503, 1)
	h.d.Notify(context.Background(), returned)
	h.flush(t)
	if len(s.Events()) != 1 {
		t.Errorf("%d events, want 1", len(s.Events()))
	}
	if sent, failed := h.counts(t, SinkJobServer); sent != 1 || failed != 1 {
		t.Errorf("sent %v, failed %v; want 1, 1", sent, failed)
	}
}

func TestPermanentFailureNotRetried(t *testing.T) {
	s := jobservertest.New(t, apiToken)
	h := run(t, Config{Sinks: []Sink{jobServerSink(t, s, "", "")}})
	s.FailNextOn(jobservertest.RouteEvents, 400, 1)
	h.d.Notify(context.Background(), returned)
	h.flush(t)
	if n := len(eventCalls(s)); n != 1 {
		t.Errorf("%d attempts, want 1", n)
	}
	if _, failed := h.counts(t, SinkJobServer); failed != 1 {
		t.Errorf("failed %v, want 1", failed)
	}
}

func TestNotifyNeverBlocks(t *testing.T) {
	s := jobservertest.New(t, apiToken)
	s.Delay(time.Minute) // job-server hangs
	h := run(t, Config{Sinks: []Sink{jobServerSink(t, s, "", "")}, DrainTimeout: 100 * time.Millisecond})
	h.d.Notify(context.Background(), returned)
	for len(s.Calls()) == 0 { // the first is being sent
		time.Sleep(time.Millisecond)
	}
	for i := range 20 {
		start := time.Now()
		h.d.Notify(context.Background(), returned)
		if d := time.Since(start); d > 100*time.Millisecond {
			t.Fatalf("Notify %d took %v while job-server hangs", i, d)
		}
	}
	if q := h.metric(t, "airlock_notifications_queued", ""); q != 20 {
		t.Errorf("queued %v, want 20", q)
	}
	// Shutting down cuts the hung call short and gives up on the rest
	// once the drain timeout is over.
	start := time.Now()
	h.stop()
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Run took %v to return", d)
	}
	if sent, failed := h.counts(t, SinkJobServer); sent != 0 || failed != 21 {
		t.Errorf("sent %v, failed %v; want 0, 21", sent, failed)
	}
	// After Run, notifications are dropped, still without blocking.
	h.d.Notify(context.Background(), returned)
	if dropped := h.metric(t, "airlock_notifications_dropped_total", ""); dropped != 1 {
		t.Errorf("dropped %v, want 1", dropped)
	}
	if !strings.Contains(h.logs.String(), `msg="notification dropped" reason="the dispatcher has stopped"`) {
		t.Errorf("logs:\n%s", h.logs)
	}
}

func TestTimeout(t *testing.T) {
	s := jobservertest.New(t, apiToken)
	s.Delay(time.Minute)
	// Each attempt is cut off long before the server's minute: the three
	// attempts end in seconds, not minutes. (250 ms, not less: on a loaded
	// machine a shorter timeout may end an attempt before it reaches the
	// server, and the server would count fewer.)
	h := run(t, Config{Sinks: []Sink{jobServerSink(t, s, "", "")}, Timeout: 250 * time.Millisecond})
	start := time.Now()
	h.d.Notify(context.Background(), returned)
	h.flush(t)
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("three timed-out attempts took %v: the timeout did not cut them off", d)
	}
	if !strings.Contains(h.logs.String(), "attempts=3") {
		t.Errorf("the dispatcher did not give up after 3 attempts; logs:\n%s", h.logs)
	}
	if n := len(eventCalls(s)); n != 3 {
		t.Errorf("the server saw %d attempts, want 3", n)
	}
	if _, failed := h.counts(t, SinkJobServer); failed != 1 {
		t.Errorf("failed %v, want 1", failed)
	}
	if !strings.Contains(h.logs.String(), "deadline exceeded") {
		t.Errorf("logs:\n%s", h.logs)
	}
}

// webhook is an httptest webhook that records what it receives.
type webhook struct {
	mu      sync.Mutex
	bodies  [][]byte
	headers []http.Header
	fail    int // answer 500 to the next calls
	srv     *httptest.Server
}

func newWebhook(t *testing.T) *webhook {
	w := &webhook{}
	w.srv = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.mu.Lock()
		defer w.mu.Unlock()
		if r.Method != http.MethodPost || r.URL.Path != "/hooks/T0/SECRET" {
			http.Error(rw, "wrong place", http.StatusNotFound)
			return
		}
		if w.fail > 0 {
			w.fail--
			http.Error(rw, "oops", http.StatusInternalServerError)
			return
		}
		w.bodies = append(w.bodies, body)
		w.headers = append(w.headers, r.Header.Clone())
		rw.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(w.srv.Close)
	return w
}

func (w *webhook) received() ([][]byte, []http.Header) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.bodies), slices.Clone(w.headers)
}

func TestWebhook(t *testing.T) {
	s := jobservertest.New(t, apiToken)
	hook := newWebhook(t)
	sinks, err := SinksFor(Settings{
		APIEndpoint: s.URL(), APIToken: apiToken, Org: "o", Repo: "r", WebhookURL: hook.srv.URL + "/hooks/T0/SECRET",
	})
	if err != nil {
		t.Fatal(err)
	}
	h := run(t, Config{Sinks: sinks})
	hook.mu.Lock()
	hook.fail = 1
	hook.mu.Unlock()
	h.d.Notify(context.Background(), returned)
	h.flush(t)

	bodies, headers := hook.received()
	if len(bodies) != 1 {
		t.Fatalf("webhook got %d bodies, want 1; logs %s", len(bodies), h.logs)
	}
	events := s.Events()
	if len(events) != 1 || !bytes.Equal(events[0].Body, bodies[0]) {
		t.Errorf("webhook got %s, job-server %+v: want the same JSON", bodies[0], events)
	}
	var payload map[string]any
	if err := json.Unmarshal(bodies[0], &payload); err != nil || payload["org"] != "o" || payload["event_type"] != "request_returned" {
		t.Errorf("payload %s: %v", bodies[0], err)
	}
	if headers[0].Get("Authorization") != "" || headers[0].Get("Content-Type") != "application/json" {
		t.Errorf("webhook headers %v", headers[0])
	}
	for _, sink := range []string{SinkJobServer, SinkWebhook} {
		if sent, failed := h.counts(t, sink); sent != 1 || failed != 0 {
			t.Errorf("%s: sent %v, failed %v", sink, sent, failed)
		}
	}

	// A webhook that keeps failing is counted, and its URL's secret path
	// is never logged.
	hook.mu.Lock()
	hook.fail = 3
	hook.mu.Unlock()
	h.d.Notify(context.Background(), returned)
	h.flush(t)
	if sent, failed := h.counts(t, SinkWebhook); sent != 1 || failed != 1 {
		t.Errorf("webhook: sent %v, failed %v; want 1, 1", sent, failed)
	}
	if sent, _ := h.counts(t, SinkJobServer); sent != 2 {
		t.Errorf("job-server: sent %v, want 2 (a failing webhook does not stop it)", sent)
	}
	hook.srv.Close()
	h.d.Notify(context.Background(), returned)
	h.flush(t)
	logs := h.logs.String()
	if !strings.Contains(logs, "sink=webhook") || !strings.Contains(logs, "post to "+hook.srv.URL+":") {
		t.Errorf("logs:\n%s", logs)
	}
	if strings.Contains(logs, "SECRET") || strings.Contains(logs, apiToken) {
		t.Errorf("logs show a secret:\n%s", logs)
	}
}

func TestNewWebhookRefuses(t *testing.T) {
	for _, cfg := range []WebhookConfig{
		{URL: ""}, {URL: "hooks.example.org/x"}, {URL: "https://h/x", Org: "o"}, {URL: "mailto:a@b"},
		{URL: "https://h:port/SECRET"},
	} {
		_, err := NewWebhook(cfg)
		if err == nil {
			t.Errorf("%+v: no error", cfg)
		} else if strings.Contains(err.Error(), "SECRET") {
			t.Errorf("%+v: the error shows the URL's path: %v", cfg, err)
		}
	}
}

// recordSink records what it is sent; when gate is not nil, each Send
// waits for it (or for its context).
type recordSink struct {
	mu   sync.Mutex
	got  []domain.Notification
	vals []any
	gate chan struct{}
}

type ctxKey struct{}

func (r *recordSink) Name() string { return "record" }

func (r *recordSink) Send(ctx context.Context, n domain.Notification) error {
	if r.gate != nil {
		select {
		case <-r.gate:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, n)
	r.vals = append(r.vals, ctx.Value(ctxKey{}))
	return nil
}

func (r *recordSink) received() []domain.Notification {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got)
}

func TestQueueFull(t *testing.T) {
	sink := &recordSink{}
	h := build(t, Config{Sinks: []Sink{sink}, QueueSize: 2})
	for i := range 5 {
		n := returned
		n.Request = string(rune('A' + i))
		h.d.Notify(context.Background(), n)
	}
	if dropped := h.metric(t, "airlock_notifications_dropped_total", ""); dropped != 3 {
		t.Errorf("dropped %v, want 3", dropped)
	}
	if n := strings.Count(h.logs.String(), `level=ERROR msg="notification dropped" reason="the queue is full"`); n != 3 {
		t.Errorf("%d drops logged, want 3:\n%s", n, h.logs)
	}
	h.start(t, context.Background())
	h.flush(t)
	var requests []string
	for _, n := range sink.received() {
		requests = append(requests, n.Request)
	}
	if diff := cmp.Diff([]string{"A", "B"}, requests); diff != "" {
		t.Errorf("sent (-want +got):\n%s", diff)
	}
}

func TestEveryEventNameGoesThroughUnchanged(t *testing.T) {
	s := jobservertest.New(t, apiToken)
	h := run(t, Config{Sinks: []Sink{jobServerSink(t, s, "o", "r")}})
	var want []string
	for _, tr := range domain.Transitions() {
		if tr.Notification == "" {
			t.Errorf("transition %s → %s has no notification", tr.From, tr.To)
			continue
		}
		want = append(want, tr.Notification)
		h.d.Notify(context.Background(), domain.Notification{
			EventType: tr.Notification, Workspace: "ws1", Request: "01REQ", RequestAuthor: "alice", User: "bob",
		})
	}
	h.flush(t)
	var got []string
	for _, e := range s.Events() {
		got = append(got, e.EventType)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("event types (-sent +job-server got):\n%s", diff)
	}
}

func TestContextValuesKeptCancellationNot(t *testing.T) {
	sink := &recordSink{}
	h := run(t, Config{Sinks: []Sink{sink}})
	ctx, cancel := context.WithCancel(context.WithValue(context.Background(), ctxKey{}, "req-42"))
	h.d.Notify(ctx, returned)
	cancel() // the HTTP request that acted is over
	h.flush(t)
	sink.mu.Lock()
	defer sink.mu.Unlock()
	if len(sink.got) != 1 || sink.vals[0] != "req-42" {
		t.Errorf("got %d, values %v", len(sink.got), sink.vals)
	}
}

func TestRunDrainsOnShutdown(t *testing.T) {
	sink := &recordSink{}
	h := build(t, Config{Sinks: []Sink{sink}})
	for range 3 {
		h.d.Notify(context.Background(), returned)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	h.d.Run(ctx) // already over: only drains
	if n := len(sink.received()); n != 3 {
		t.Errorf("drained %d, want 3", n)
	}
	if err := h.d.Flush(context.Background()); err != nil {
		t.Errorf("Flush after Run: %v", err)
	}
}

func TestDrainTimeout(t *testing.T) {
	sink := &recordSink{gate: make(chan struct{})} // never opens
	h := build(t, Config{Sinks: []Sink{sink}, DrainTimeout: 50 * time.Millisecond})
	for range 3 {
		h.d.Notify(context.Background(), returned)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	start := time.Now()
	h.d.Run(ctx)
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("drain took %v", d)
	}
	if sent, failed := h.counts(t, "record"); sent != 0 || failed != 3 {
		t.Errorf("sent %v, failed %v; want 0, 3", sent, failed)
	}
	if !strings.Contains(h.logs.String(), "attempts=0") {
		t.Errorf("the ones never tried should be logged with attempts=0:\n%s", h.logs)
	}
}

func TestFlushHonoursContext(t *testing.T) {
	h := build(t, Config{Sinks: []Sink{&recordSink{}}})
	h.d.Notify(context.Background(), returned) // not running: stays queued
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := h.d.Flush(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("got %v", err)
	}
}

func TestLogSink(t *testing.T) {
	logger, logs := newLogger()
	if err := (Log{Logger: logger}).Send(context.Background(), returned); err != nil {
		t.Fatal(err)
	}
	want := `level=INFO msg=notification event_type=request_returned workspace=ws1 request=01REQ request_author=alice user=bob updates="[files returned second]"`
	if !strings.Contains(logs.String(), want) {
		t.Errorf("got %s\nwant %s", logs, want)
	}
}

func TestSinksFor(t *testing.T) {
	names := func(sinks []Sink) []string {
		var out []string
		for _, s := range sinks {
			out = append(out, s.Name())
		}
		return out
	}
	tests := []struct {
		name    string
		s       Settings
		want    []string
		wantErr string
	}{
		{"dev", Settings{}, []string{SinkLog}, ""},
		{"dev with webhook", Settings{WebhookURL: "https://h/x"}, []string{SinkLog, SinkWebhook}, ""},
		{"job-server", Settings{APIEndpoint: "https://js/api/v2", APIToken: apiToken}, []string{SinkJobServer}, ""},
		{"both", Settings{APIEndpoint: "https://js/api/v2", APIToken: apiToken, WebhookURL: "http://h/x", Org: "o", Repo: "r"},
			[]string{SinkJobServer, SinkWebhook}, ""},
		{"org alone", Settings{Org: "o"}, nil, "both"},
		{"bad endpoint", Settings{APIEndpoint: "js", APIToken: apiToken}, nil, "endpoint"},
		{"bad webhook", Settings{WebhookURL: "h/x"}, nil, "webhook"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sinks, err := SinksFor(tt.s)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got %v, want an error with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, names(sinks)); diff != "" {
				t.Errorf("sinks (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNoRetries(t *testing.T) {
	s := jobservertest.New(t, apiToken)
	h := run(t, Config{Sinks: []Sink{jobServerSink(t, s, "", "")}, Backoff: []time.Duration{}})
	s.FailNextOn(jobservertest.RouteEvents, 500, 1)
	h.d.Notify(context.Background(), returned)
	h.flush(t)
	if n := len(eventCalls(s)); n != 1 {
		t.Errorf("%d attempts, want 1", n)
	}
	if _, failed := h.counts(t, SinkJobServer); failed != 1 {
		t.Errorf("failed %v, want 1", failed)
	}
}

func TestDefaults(t *testing.T) {
	d := NewDispatcher(Config{Sinks: []Sink{Log{}}})
	if d.timeout != DefaultTimeout || d.drain != DefaultDrainTimeout || cap(d.lanes[0].queue) != DefaultQueueSize ||
		!slices.Equal(d.backoff, []time.Duration{time.Second, 2 * time.Second}) {
		t.Errorf("defaults: timeout %v, drain %v, queue %d, backoff %v", d.timeout, d.drain, cap(d.lanes[0].queue), d.backoff)
	}
}

// TestHangingWebhookNeverSlowsActions: with a webhook that never answers,
// many actions in a row each return while the webhook still holds the
// first notification; job-server gets every notification all the same;
// and the webhook's queue stays bounded: what does not fit is dropped,
// logged and counted, never kept without limit.
func TestHangingWebhookNeverSlowsActions(t *testing.T) {
	var entered atomic.Int32
	unblock := make(chan struct{})
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		entered.Add(1)
		select {
		case <-unblock:
		case <-r.Context().Done():
		}
	}))
	defer hook.Close()
	defer close(unblock)
	wh, err := NewWebhook(WebhookConfig{URL: hook.URL})
	if err != nil {
		t.Fatal(err)
	}
	js := jobservertest.New(t, apiToken)
	const queue = 5
	h := run(t, Config{
		Sinks: []Sink{jobServerSink(t, js, "", ""), wh}, QueueSize: queue,
		Timeout: time.Hour, Backoff: []time.Duration{}, DrainTimeout: 100 * time.Millisecond,
	})
	e := testkit.NewEnv(t)
	e.Svc = service.New(service.Config{
		Store: e.Store, Workspaces: e.Files, Blobs: e.Files, Notifier: h.d, Now: e.Clock.Now,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})

	const actions = 30
	var slowest time.Duration
	for i := range actions {
		r := e.Pending(e.Author)
		start := time.Now()
		e.R(e.Svc.Withdraw(e.Ctx, e.Author, r.ID))
		slowest = max(slowest, time.Since(start))
		if i == 0 {
			// The first notification reaches the webhook, which holds it.
			deadline := time.Now().Add(30 * time.Second)
			for entered.Load() == 0 && time.Now().Before(deadline) {
				time.Sleep(time.Millisecond)
			}
		}
		// The action has returned, and the webhook still holds the first
		// notification unanswered.
		if got := entered.Load(); got != 1 {
			t.Fatalf("after action %d the webhook has %d calls, want 1 held open", i, got)
		}
		// job-server, another sink, gets this action's notification
		// meanwhile (waited for, so that its own queue never fills).
		deadline := time.Now().Add(30 * time.Second)
		for len(js.Events()) < i+1 && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		if got := len(js.Events()); got != i+1 {
			t.Fatalf("after action %d job-server has %d notifications, want %d", i, got, i+1)
		}
	}
	t.Logf("%d withdrawals while the webhook hangs; the slowest took %v", actions, slowest)

	// The webhook's queue is bounded: one held, queue waiting, the rest
	// dropped for the webhook alone.
	if q := h.metric(t, "airlock_notifications_queued", ""); q != queue {
		t.Errorf("queued %v, want %d", q, queue)
	}
	wantDropped := actions - 1 - queue
	if d := h.metric(t, "airlock_notifications_dropped_total", ""); d != float64(wantDropped) {
		t.Errorf("dropped %v, want %d", d, wantDropped)
	}
	if n := strings.Count(h.logs.String(), `msg="notification dropped" reason="the queue is full" sink=webhook`); n != wantDropped {
		t.Errorf("%d webhook drops logged, want %d", n, wantDropped)
	}
	if sent, failed := h.counts(t, SinkJobServer); sent != actions || failed != 0 {
		t.Errorf("job-server: sent %v, failed %v; want %d, 0", sent, failed, actions)
	}
}
