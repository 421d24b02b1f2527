// Package jobservertest is an in-process fake of the job-server API that
// airlock talks to (docs/jobserver.md), for tests. It serves on a local port,
// checks the headers of every call, records the calls, and can fail,
// slow down or go away on demand.
//
// It answers every call airlock makes, each known by a route name (which
// FailNextOn and RespondNextOn take):
//
//	route            call
//	authenticate     POST /releases/authenticate
//	authorise        POST /releases/authorise
//	release-create   POST /releases/workspace/<workspace>   (releases.go)
//	upload           POST /releases/release/<request id>    (releases.go)
//	events           POST /airlock/events/                  (releases.go)
//
// Every call must carry "Authorization: <API token>" and a JSON
// Content-Type, except uploads, which carry application/octet-stream;
// other calls get 401. Any other path answers 404.
package jobservertest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// APIPath is the path the API is served under: URL ends with it.
const APIPath = "/api/v2"

// maxRecordedBody bounds the body a call may send.
const maxRecordedBody = 64 << 20

// The route names, for FailNextOn and RespondNextOn, and Call.Route.
const (
	RouteAuthenticate  = "authenticate"
	RouteAuthorise     = "authorise"
	RouteReleaseCreate = "release-create"
	RouteUpload        = "upload"
	RouteEvents        = "events"
)

// Call is one call the server received, whether it was accepted or not.
type Call struct {
	Method  string
	Path    string // relative to URL(), such as "/releases/authenticate"
	Route   string // such as RouteAuthenticate; "" for a path the fake does not know
	Body    []byte
	Headers http.Header
}

// Server is a fake job-server. Its methods are safe for concurrent use.
type Server struct {
	t        testing.TB
	apiToken string
	mux      *http.ServeMux
	routeOf  map[string]string // mux pattern → route name
	addr     string            // host:port, kept across Down and Up

	mu      sync.Mutex
	srv     *httptest.Server // nil while down
	stop    chan struct{}    // closed by Down, to cut delays short
	users   map[string]*user // by username
	calls   []Call
	answers []answer            // canned answers for the next calls
	routed  map[string][]answer // canned answers for the next calls of a route
	delay   time.Duration

	// releases.go
	releases   map[string]*release // by request id (the airlock_id)
	releaseSeq int
	conflicts  []string
	events     []Event
	stall      time.Duration // uploads wait this long before they are handled
	dropAfter  int           // the next uploads to store then cut without an answer
}

type user struct {
	username string
	email    string
	tokens   map[string]bool // unused single-use tokens
	details  []byte
}

type answer struct {
	status int
	body   []byte
}

// New starts a fake job-server that accepts calls carrying
// "Authorization: <apiToken>" (which must not be empty) and a JSON
// Content-Type; other calls get 401. It stops when the test ends.
func New(t testing.TB, apiToken string) *Server {
	t.Helper()
	if apiToken == "" {
		t.Fatal("jobservertest: New needs an API token")
	}
	s := &Server{
		t: t, apiToken: apiToken, users: map[string]*user{}, stop: make(chan struct{}),
		routed: map[string][]answer{}, releases: map[string]*release{},
	}
	s.mux = http.NewServeMux()
	s.routeOf = map[string]string{}
	s.routes()
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.addr = s.srv.Listener.Addr().String()
	t.Cleanup(s.Down)
	return s
}

// routes registers the handler of each faked call, under APIPath, with
// its route name. Any other path answers 404.
func (s *Server) routes() {
	s.handle(RouteAuthenticate, "/releases/authenticate", s.authenticate)
	s.handle(RouteAuthorise, "/releases/authorise", s.authorise)
	s.handle(RouteReleaseCreate, "/releases/workspace/{workspace}", s.createRelease)
	s.handle(RouteUpload, "/releases/release/{request}", s.upload)
	s.handle(RouteEvents, "/airlock/events/{$}", s.event)
}

func (s *Server) handle(route, path string, h http.HandlerFunc) {
	pattern := "POST " + APIPath + path
	s.mux.HandleFunc(pattern, h)
	s.routeOf[pattern] = route
}

func (s *Server) knownRoute(route string) bool {
	for _, known := range s.routeOf {
		if known == route {
			return true
		}
	}
	return false
}

// route names the route of r, "" when the fake does not know it.
func (s *Server) route(r *http.Request) string {
	_, pattern := s.mux.Handler(r)
	return s.routeOf[pattern]
}

// URL is the API's base URL, what AIRLOCK_API_ENDPOINT would be (no
// trailing slash). It stays the same across Down and Up.
func (s *Server) URL() string { return "http://" + s.addr + APIPath }

// AddUser registers a user, or updates one: Authenticate then accepts
// their username, or their email (in any case) when not empty, with
// token, once. details is the user document that authenticate and
// authorise answer, sent as it is (so it may be made malformed on
// purpose); nil gets a minimal document naming the user. Registering a
// user again adds the token and replaces a non-nil details.
func (s *Server) AddUser(username, email, token string, details []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[username]
	if !ok {
		u = &user{username: username, tokens: map[string]bool{}}
		s.users[username] = u
	}
	if email != "" {
		u.email = email
	}
	if token != "" {
		u.tokens[token] = true
	}
	switch {
	case details != nil:
		u.details = bytes.Clone(details)
	case u.details == nil:
		u.details, _ = json.Marshal(map[string]any{
			"username": username, "fullname": username, "output_checker": false,
			"workspaces": map[string]any{}, "copiloted_workspaces": map[string]any{},
		})
	}
}

// SetDetails replaces the document of a registered user, as if their
// permissions changed on job-server.
func (s *Server) SetDetails(username string, details []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[username]
	if !ok {
		s.t.Fatalf("jobservertest: SetDetails: no user %q", username)
	}
	u.details = bytes.Clone(details)
}

// injectedFailure is the body of the answers of FailNext and FailNextOn.
const injectedFailure = `{"detail": "jobservertest: injected failure"}`

// FailNext makes the next n calls (that pass the header checks) answer
// status with a JSON {"detail": ...} body.
func (s *Server) FailNext(status, n int) {
	s.RespondNext(status, []byte(injectedFailure), n)
}

// FailNextOn makes the next n calls of route (such as RouteUpload) that
// pass the header checks answer status with a JSON {"detail": ...} body.
// Calls of other routes are not affected. The failures of a route are
// used up before those of FailNext.
func (s *Server) FailNextOn(route string, status, n int) {
	s.t.Helper()
	s.RespondNextOn(route, status, []byte(injectedFailure), n)
}

// RespondNextOn makes the next n calls of route that pass the header
// checks answer status with body, whatever they ask.
func (s *Server) RespondNextOn(route string, status int, body []byte, n int) {
	s.t.Helper()
	if !s.knownRoute(route) {
		s.t.Fatalf("jobservertest: no route %q", route)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.routed[route] = append(s.routed[route], answer{status: status, body: bytes.Clone(body)})
	}
}

// RespondNext makes the next n calls (that pass the header checks) answer
// status with body, whatever they ask.
func (s *Server) RespondNext(status int, body []byte, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.answers = append(s.answers, answer{status: status, body: bytes.Clone(body)})
	}
}

// Delay makes every call wait d before it is answered (0: no wait).
func (s *Server) Delay(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.delay = d
}

// Down stops the server: its port refuses connections and connections in
// progress are cut. It does nothing if the server is down already.
func (s *Server) Down() {
	s.mu.Lock()
	srv := s.srv
	if srv != nil {
		s.srv = nil
		close(s.stop)
	}
	s.mu.Unlock()
	if srv != nil {
		srv.CloseClientConnections()
		srv.Close()
	}
}

// Up restarts a stopped server on the same address. It does nothing if
// the server is up.
func (s *Server) Up() {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv != nil {
		return
	}
	ln, err := net.Listen("tcp", s.addr)
	if err != nil {
		s.t.Fatalf("jobservertest: listen again on %s: %v", s.addr, err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	s.srv = srv
	s.stop = make(chan struct{})
}

// Calls returns the calls received so far, oldest first.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Call, len(s.calls))
	for i, c := range s.calls {
		out[i] = Call{Method: c.Method, Path: c.Path, Route: c.Route, Body: bytes.Clone(c.Body), Headers: c.Headers.Clone()}
	}
	return out
}

// serve records the call, waits any delay, checks the headers, answers a
// canned answer if one is queued and otherwise routes the call.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxRecordedBody+1))
	if err != nil {
		return // the client went away
	}
	route := s.route(r)
	s.mu.Lock()
	s.calls = append(s.calls, Call{
		Method: r.Method, Path: strings.TrimPrefix(r.URL.Path, APIPath), Route: route, Body: body, Headers: r.Header.Clone(),
	})
	delay, stop := s.delay, s.stop
	s.mu.Unlock()

	wait(r, delay, stop)
	if len(body) > maxRecordedBody {
		writeJSON(w, http.StatusRequestEntityTooLarge, detail("body too large"))
		return
	}
	if r.Header.Get("Authorization") != s.apiToken || s.apiToken == "" {
		writeJSON(w, http.StatusUnauthorized, detail("Invalid token."))
		return
	}
	wantType := "application/json"
	if route == RouteUpload {
		wantType = "application/octet-stream"
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != wantType {
		writeJSON(w, http.StatusUnauthorized, detail("jobservertest: Content-Type must be "+wantType))
		return
	}
	s.mu.Lock()
	var canned *answer
	if q := s.routed[route]; len(q) > 0 && route != "" {
		canned = &q[0]
		s.routed[route] = q[1:]
	} else if len(s.answers) > 0 {
		canned = &s.answers[0]
		s.answers = s.answers[1:]
	}
	s.mu.Unlock()
	if canned != nil {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(canned.status)
		w.Write(canned.body)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	s.mux.ServeHTTP(w, r)
}

// wait waits d, or cuts the connection (no answer at all) if the client
// goes away or the server goes down first.
func wait(r *http.Request, d time.Duration, stop <-chan struct{}) {
	if d <= 0 {
		return
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
	case <-r.Context().Done():
		panic(http.ErrAbortHandler)
	case <-stop:
		panic(http.ErrAbortHandler)
	}
}

// authenticate: {"user": username or email, "token": single-use token}.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request) {
	var in struct {
		User  string `json:"user"`
		Token string `json:"token"`
	}
	if !readJSON(w, r, &in) {
		return
	}
	s.mu.Lock()
	var doc []byte
	if u := s.lookup(in.User); u != nil && in.Token != "" && u.tokens[in.Token] {
		delete(u.tokens, in.Token) // single use
		doc = u.details
	}
	s.mu.Unlock()
	if doc == nil {
		writeJSON(w, http.StatusForbidden, detail("Invalid user or token"))
		return
	}
	writeRaw(w, http.StatusOK, doc)
}

// lookup finds a user by username, else by email; s.mu is held.
func (s *Server) lookup(name string) *user {
	if u, ok := s.users[name]; ok {
		return u
	}
	for _, u := range s.users {
		if u.email != "" && strings.EqualFold(u.email, name) {
			return u
		}
	}
	return nil
}

// authorise: {"user": username}.
func (s *Server) authorise(w http.ResponseWriter, r *http.Request) {
	var in struct {
		User string `json:"user"`
	}
	if !readJSON(w, r, &in) {
		return
	}
	s.mu.Lock()
	var doc []byte
	if u, ok := s.users[in.User]; ok {
		doc = u.details
	}
	s.mu.Unlock()
	if doc == nil {
		writeJSON(w, http.StatusForbidden, detail("Invalid user"))
		return
	}
	writeRaw(w, http.StatusOK, doc)
}

func readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		writeJSON(w, http.StatusBadRequest, detail(fmt.Sprintf("bad JSON body: %v", err)))
		return false
	}
	return true
}

func detail(msg string) map[string]string { return map[string]string{"detail": msg} }

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	writeRaw(w, status, b)
}

func writeRaw(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(body)
}
