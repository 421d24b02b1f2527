package jobservertest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func sum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// releaseBody builds the file list of a release (docs/jobserver.md,
// Releases) for files (name → bytes).
func releaseBody(t *testing.T, requestID string, files map[string][]byte) string {
	t.Helper()
	meta := ReleaseMetadata{Tool: "airlock", AirlockID: requestID}
	in := ReleaseBody{Metadata: meta, Review: json.RawMessage("null")}
	for name, b := range files {
		in.Files = append(in.Files, ReleaseFile{
			Name: name, URL: name, Size: int64(len(b)), SHA256: sum(b),
			Date: "2025-01-02T03:04:05.123456+00:00", Metadata: meta, Review: json.RawMessage("null"),
		})
	}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// createRelease creates a release and returns its Release-Id.
func createRelease(t *testing.T, s *Server, workspace, requestID string, files map[string][]byte) string {
	t.Helper()
	status, id, body, err := doCreate(s, workspace, releaseBody(t, requestID, files), "checker")
	if err != nil || status != http.StatusCreated || id == "" {
		t.Fatalf("create release: %d %q %s %v", status, id, body, err)
	}
	return id
}

func doCreate(s *Server, workspace, body, osUser string) (status int, releaseID, answer string, err error) {
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost,
		s.URL()+"/releases/workspace/"+workspace, strings.NewReader(body))
	if err != nil {
		return 0, "", "", err
	}
	req.Header.Set("Authorization", apiToken)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if osUser != "" {
		req.Header.Set("OS-User", osUser)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Release-Id"), string(b), nil
}

// upload sends a file as airlock's uploader does, unless headers say
// otherwise ("" removes a header).
func upload(client *http.Client, s *Server, requestID, filename string, content []byte, headers map[string]string) (int, string, error) {
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost,
		s.URL()+"/releases/release/"+requestID, bytes.NewReader(content))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Authorization", apiToken)
	req.Header.Set("Content-Type", "application/octet-stream")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("OS-User", "checker")
	req.Header.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": filename}))
	for k, v := range headers {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), nil
}

func TestCreateRelease(t *testing.T) {
	s := New(t, apiToken)
	files := map[string][]byte{"output/a.csv": []byte("a,b\n1,2\n")}
	good := releaseBody(t, "REQ1", files)
	edit := func(f func(*ReleaseBody)) string {
		var in ReleaseBody
		if err := json.Unmarshal([]byte(good), &in); err != nil {
			t.Fatal(err)
		}
		f(&in)
		b, _ := json.Marshal(in)
		return string(b)
	}
	tests := []struct {
		name, body, osUser string
		status             int
		want               string
	}{
		{"no OS-User", good, "", 400, "OS-User"},
		{"bad JSON", `{"files": [`, "checker", 400, "bad JSON"},
		{"unknown field", strings.Replace(good, `"sha256"`, `"sha_256"`, 1), "checker", 400, "sha_256"},
		{"no airlock_id", edit(func(in *ReleaseBody) { in.Metadata.AirlockID = "" }), "checker", 400, "airlock_id"},
		{"another tool", edit(func(in *ReleaseBody) { in.Metadata.Tool = "hatch" }), "checker", 400, "tool"},
		{"no files", edit(func(in *ReleaseBody) { in.Files = nil }), "checker", 400, "at least one file"},
		{"file listed twice", edit(func(in *ReleaseBody) { in.Files = append(in.Files, in.Files[0]) }), "checker", 400, "twice"},
		{"bad sha256", edit(func(in *ReleaseBody) { in.Files[0].SHA256 = "abc" }), "checker", 400, "sha256"},
		{"file metadata differs", edit(func(in *ReleaseBody) { in.Files[0].Metadata.AirlockID = "REQ2" }), "checker", 400, "metadata"},
		{"bad date", edit(func(in *ReleaseBody) { in.Files[0].Date = "yesterday" }), "checker", 400, "date"},
		{"a review", edit(func(in *ReleaseBody) { in.Review = json.RawMessage(`{}`) }), "checker", 400, "review"},
		{"no url", edit(func(in *ReleaseBody) { in.Files[0].URL = "" }), "checker", 400, "url"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, id, body, err := doCreate(s, "ws1", tt.body, tt.osUser)
			if err != nil {
				t.Fatal(err)
			}
			if status != tt.status || id != "" || !strings.Contains(body, tt.want) {
				t.Errorf("got %d %q %s, want %d with %q", status, id, body, tt.status, tt.want)
			}
		})
	}
	if got := s.Releases(); len(got) != 0 {
		t.Fatalf("refused creates were recorded: %v", got)
	}

	id := createRelease(t, s, "ws1", "REQ1", files)
	if again := createRelease(t, s, "ws1", "REQ1", files); again != id {
		t.Errorf("second create answered Release-Id %q, want %q", again, id)
	}
	other := createRelease(t, s, "ws1", "REQ2", files)
	if other == id {
		t.Errorf("two requests share Release-Id %q", id)
	}
	if s.ReleaseID("REQ1") != id || s.ReleaseID("REQ2") != other || s.ReleaseID("REQ3") != "" {
		t.Errorf("ReleaseID: %q %q %q", s.ReleaseID("REQ1"), s.ReleaseID("REQ2"), s.ReleaseID("REQ3"))
	}
	status, _, body, err := doCreate(s, "ws2", good, "checker")
	if err != nil || status != 400 || !strings.Contains(body, "workspace") {
		t.Errorf("same request, another workspace: %d %s %v", status, body, err)
	}
	got := s.Releases()
	if len(got) != 2 || string(got["REQ1"]) != good {
		t.Errorf("Releases() = %q", got)
	}
	var calls []string
	for _, c := range s.Calls() {
		calls = append(calls, c.Route)
	}
	if calls[0] != RouteReleaseCreate {
		t.Errorf("calls recorded with routes %v", calls)
	}
}

func TestUpload(t *testing.T) {
	s := New(t, apiToken)
	a, b := []byte("a,b\n1,2\n"), []byte("x\n")
	createRelease(t, s, "ws1", "REQ1", map[string][]byte{"output/a.csv": a, `output/odd "name".txt`: b})
	c := &http.Client{}

	tests := []struct {
		name, request, filename string
		content                 []byte
		headers                 map[string]string
		status                  int
		want                    string
	}{
		{"no OS-User", "REQ1", "output/a.csv", a, map[string]string{"OS-User": ""}, 400, "OS-User"},
		{"no Content-Disposition", "REQ1", "output/a.csv", a, map[string]string{"Content-Disposition": ""}, 400, "Content-Disposition"},
		{"inline", "REQ1", "output/a.csv", a, map[string]string{"Content-Disposition": `inline; filename="output/a.csv"`}, 400, "Content-Disposition"},
		{"no filename", "REQ1", "output/a.csv", a, map[string]string{"Content-Disposition": "attachment"}, 400, "Content-Disposition"},
		{"malformed disposition", "REQ1", "output/a.csv", a, map[string]string{"Content-Disposition": `attachment; filename="a`}, 400, "Content-Disposition"},
		{"JSON", "REQ1", "output/a.csv", a, map[string]string{"Content-Type": "application/json"}, 401, "application/octet-stream"},
		{"wrong API token", "REQ1", "output/a.csv", a, map[string]string{"Authorization": "nope"}, 401, "Invalid token"},
		{"no release", "REQ2", "output/a.csv", a, nil, 404, "Release not found"},
		{"not in the release", "REQ1", "output/c.csv", a, nil, 400, "not part of release"},
		{"bytes do not match the sha256", "REQ1", "output/a.csv", b, nil, 400, "do not match its sha256"},
		{"uploaded", "REQ1", "output/a.csv", a, nil, 201, "file_id"},
		{"a name to quote", "REQ1", `output/odd "name".txt`, b, nil, 201, "file_id"},
		{"again", "REQ1", "output/a.csv", a, nil, 400,
			`{"detail":"This version of 'output/a.csv' has already been uploaded from backend 'test'"}`},
		{"other bytes", "REQ1", "output/a.csv", b, nil, 400,
			`{"detail":"A different version of 'output/a.csv' has already been uploaded"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body, err := upload(c, s, tt.request, tt.filename, tt.content, tt.headers)
			if err != nil {
				t.Fatal(err)
			}
			if status != tt.status || !strings.Contains(body, tt.want) {
				t.Errorf("got %d %s, want %d with %q", status, body, tt.status, tt.want)
			}
		})
	}
	want := map[string][]byte{"output/a.csv": a, `output/odd "name".txt`: b}
	if diff := cmp.Diff(want, s.Uploaded("REQ1")); diff != "" {
		t.Errorf("Uploaded (-want +got):\n%s", diff)
	}
	if s.Uploaded("REQ2") != nil {
		t.Errorf("Uploaded of an unknown request: %v", s.Uploaded("REQ2"))
	}
	if n := s.UploadCount("REQ1", "output/a.csv"); n != 1 {
		t.Errorf("UploadCount = %d, want 1", n)
	}
	if n := s.UploadCount("REQ1", "output/c.csv") + s.UploadCount("REQ2", "output/a.csv"); n != 0 {
		t.Errorf("UploadCount of files never stored = %d", n)
	}
	if diff := cmp.Diff([]string{"REQ1/output/a.csv"}, s.Conflicts()); diff != "" {
		t.Errorf("Conflicts (-want +got):\n%s", diff)
	}

	// Creating the release again keeps what was uploaded.
	createRelease(t, s, "ws1", "REQ1", map[string][]byte{"output/a.csv": a, `output/odd "name".txt`: b})
	if status, body, _ := upload(c, s, "REQ1", "output/a.csv", a, nil); status != 400 || !strings.Contains(body, "already been uploaded") {
		t.Errorf("after a second create: %d %s", status, body)
	}
}

func TestEvents(t *testing.T) {
	s := New(t, apiToken)
	c := &http.Client{}
	url := s.URL() + "/airlock/events/"
	full := `{"event_type": "request_returned", "workspace": "ws1", "request": "REQ1", "request_author": "alice",
		"user": "bob", "updates": [{"update": "a comment", "user": "bob", "group": "g1"}], "org": "o", "repo": "r"}`
	bare := `{"event_type": "request_submitted", "workspace": "ws1", "request": "REQ1", "request_author": "alice",
		"user": "alice", "updates": null}`
	tests := []struct {
		name, body string
		headers    map[string]string
		status     int
		want       string
	}{
		{"full", full, map[string]string{"OS-User": "bob"}, 201, `{"status":"ok"}`},
		{"bare", bare, map[string]string{"OS-User": "alice"}, 201, `{"status":"ok"}`},
		{"no OS-User", bare, nil, 400, "OS-User"},
		{"not JSON", `[`, map[string]string{"OS-User": "alice"}, 400, "bad JSON"},
		{"no updates key", strings.Replace(bare, `, "updates": null`, "", 1), map[string]string{"OS-User": "alice"}, 400, "updates is required"},
		{"empty event type", strings.Replace(bare, "request_submitted", "", 1), map[string]string{"OS-User": "alice"}, 400, "event_type"},
		{"org without repo", strings.Replace(full, `, "repo": "r"`, "", 1), map[string]string{"OS-User": "bob"}, 400, "org and repo"},
		{"unknown update key", strings.Replace(full, `"group"`, `"team"`, 1), map[string]string{"OS-User": "bob"}, 400, "team"},
		{"update without text", strings.Replace(full, `"update": "a comment", `, "", 1), map[string]string{"OS-User": "bob"}, 400, "update is required"},
		{"unknown key", strings.Replace(bare, `"updates"`, `"extra": 1, "updates"`, 1), map[string]string{"OS-User": "alice"}, 400, "extra"},
		{"text content", bare, map[string]string{"OS-User": "alice", "Content-Type": "text/plain"}, 401, "Content-Type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body, err := post(t, c, url, tt.body, tt.headers)
			if err != nil {
				t.Fatal(err)
			}
			if status != tt.status || !strings.Contains(body, tt.want) {
				t.Errorf("got %d %s, want %d with %q", status, body, tt.status, tt.want)
			}
		})
	}
	got := s.Events()
	want := []Event{
		{EventType: "request_returned", Workspace: "ws1", Request: "REQ1", RequestAuthor: "alice", User: "bob",
			Updates: []EventUpdate{{Update: "a comment", User: "bob", Group: "g1"}}, Org: "o", Repo: "r",
			OSUser: "bob", Body: json.RawMessage(full)},
		{EventType: "request_submitted", Workspace: "ws1", Request: "REQ1", RequestAuthor: "alice", User: "alice",
			OSUser: "alice", Body: json.RawMessage(bare)},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Events (-want +got):\n%s", diff)
	}
	if got[1].Updates != nil {
		t.Errorf("null updates recorded as %#v", got[1].Updates)
	}
}

func TestFailNextOn(t *testing.T) {
	s := New(t, apiToken)
	s.AddUser("alice", "", "t", nil)
	content := []byte("a\n")
	createRelease(t, s, "ws1", "REQ1", map[string][]byte{"a.txt": content, "b.txt": content})
	c := &http.Client{}
	event := `{"event_type": "request_submitted", "workspace": "ws1", "request": "REQ1", "request_author": "alice",
		"user": "alice", "updates": null}`
	authorise := func() int {
		status, _, _ := post(t, c, s.URL()+"/releases/authorise", `{"user": "alice"}`, nil)
		return status
	}
	sendEvent := func() int {
		status, _, _ := post(t, c, s.URL()+"/airlock/events/", event, map[string]string{"OS-User": "alice"})
		return status
	}
	create := func() int {
		status, _, _, _ := doCreate(s, "ws1", releaseBody(t, "REQ1", map[string][]byte{"a.txt": content, "b.txt": content}), "checker")
		return status
	}
	send := func(name string) func() int {
		return func() int {
			status, _, _ := upload(c, s, "REQ1", name, content, nil)
			return status
		}
	}

	s.FailNextOn(RouteUpload, 503, 2)
	s.RespondNextOn(RouteEvents, 201, []byte(`{"status": "error", "message": "GitHub is down"}`), 1)
	s.FailNextOn(RouteReleaseCreate, 403, 1)
	s.FailNextOn(RouteAuthorise, 500, 1)
	s.FailNext(502, 1) // used up by the first call of a route with no failures of its own
	steps := []struct {
		name string
		call func() int
		want int
	}{
		{"authorise: its own failure", authorise, 500},
		{"authorise: then FailNext's", authorise, 502},
		{"authorise: then served", authorise, 200},
		{"upload fails", send("a.txt"), 503},
		{"event: canned answer", sendEvent, 201},
		{"upload fails again", send("a.txt"), 503},
		{"upload", send("a.txt"), 201},
		{"create", create, 403},
		{"create again", create, 201},
		{"event", sendEvent, 201},
	}
	for _, st := range steps {
		if got := st.call(); got != st.want {
			t.Errorf("%s: got %d, want %d", st.name, got, st.want)
		}
	}
	if n := len(s.Events()); n != 1 {
		t.Errorf("%d events recorded, want 1 (the canned answer records nothing)", n)
	}
	if n := s.UploadCount("REQ1", "a.txt"); n != 1 {
		t.Errorf("UploadCount = %d, want 1", n)
	}
}

// fatalRecorder records a Fatalf instead of failing the test.
type fatalRecorder struct {
	testing.TB
	msg string
}

func (f *fatalRecorder) Helper() {}

func (f *fatalRecorder) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func TestFailNextOnUnknownRoute(t *testing.T) {
	rec := &fatalRecorder{TB: t}
	s := New(rec, apiToken)
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.FailNextOn("uploads", 500, 1)
	}()
	<-done
	if !strings.Contains(rec.msg, `no route "uploads"`) {
		t.Errorf("got %q", rec.msg)
	}
}

func TestStallUploads(t *testing.T) {
	s := New(t, apiToken)
	content := []byte("a\n")
	createRelease(t, s, "ws1", "REQ1", map[string][]byte{"a.txt": content})

	s.StallUploads(time.Minute)
	quick := &http.Client{Timeout: 50 * time.Millisecond}
	_, _, err := upload(quick, s, "REQ1", "a.txt", content, nil)
	var ne interface{ Timeout() bool }
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("got %v, want a timeout", err)
	}
	// Other routes are not stalled.
	if status, _, _, err := doCreate(s, "ws1", releaseBody(t, "REQ2", map[string][]byte{"a.txt": content}), "checker"); err != nil || status != 201 {
		t.Fatalf("create while uploads stall: %d %v", status, err)
	}
	if len(s.Uploaded("REQ1")) != 0 {
		t.Fatal("a stalled upload the client gave up on was stored")
	}

	s.StallUploads(100 * time.Millisecond)
	start := time.Now()
	status, body, err := upload(&http.Client{}, s, "REQ1", "a.txt", content, nil)
	if err != nil || status != 201 {
		t.Fatalf("stalled a little: %d %s %v", status, body, err)
	}
	if d := time.Since(start); d < 100*time.Millisecond {
		t.Errorf("answered after %v, want at least 100ms", d)
	}
	s.StallUploads(0)
	if status, _, err := upload(quick, s, "REQ1", "a.txt", content, nil); err != nil || status != 400 {
		t.Fatalf("not stalled: %d %v", status, err)
	}
}

func TestDownCutsStalledUploads(t *testing.T) {
	s := New(t, apiToken)
	content := []byte("a\n")
	createRelease(t, s, "ws1", "REQ1", map[string][]byte{"a.txt": content})
	s.StallUploads(time.Minute)
	done := make(chan error, 1)
	go func() {
		_, _, err := upload(&http.Client{}, s, "REQ1", "a.txt", content, nil)
		done <- err
	}()
	for len(s.Calls()) < 2 {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond) // into the stall
	s.Down()
	select {
	case err := <-done:
		if err == nil {
			t.Error("a stalled upload was answered although the server went down")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Down did not cut a stalled upload")
	}
}

func TestDropAfterStore(t *testing.T) {
	s := New(t, apiToken)
	a, b := []byte("a\n"), []byte("b\n")
	createRelease(t, s, "ws1", "REQ1", map[string][]byte{"a.txt": a, "b.txt": b})
	c := &http.Client{}

	s.DropAfterStore(1)
	if status, body, err := upload(c, s, "REQ1", "a.txt", a, nil); err == nil {
		t.Fatalf("dropped upload answered %d %s", status, body)
	}
	if got := s.Uploaded("REQ1")["a.txt"]; !bytes.Equal(got, a) {
		t.Fatalf("dropped upload stored %q, want %q", got, a)
	}
	// The client retries: the file is there already.
	status, body, err := upload(c, s, "REQ1", "a.txt", a, nil)
	if err != nil || status != 400 || !strings.Contains(body, "This version of 'a.txt' has already been uploaded") {
		t.Fatalf("retry: %d %s %v", status, body, err)
	}
	// Only one upload was dropped.
	if status, body, err := upload(c, s, "REQ1", "b.txt", b, nil); err != nil || status != 201 {
		t.Fatalf("next upload: %d %s %v", status, body, err)
	}
	if n := s.UploadCount("REQ1", "a.txt"); n != 1 {
		t.Errorf("UploadCount = %d, want 1", n)
	}
	if len(s.Conflicts()) != 0 {
		t.Errorf("Conflicts = %v", s.Conflicts())
	}
	// A refused upload does not use up a drop.
	s.DropAfterStore(1)
	if status, _, err := upload(c, s, "REQ1", "a.txt", a, nil); err != nil || status != 400 {
		t.Fatalf("refused upload: %d %v", status, err)
	}
	createRelease(t, s, "ws1", "REQ2", map[string][]byte{"a.txt": a})
	if _, _, err := upload(c, s, "REQ2", "a.txt", a, nil); err == nil {
		t.Fatal("the drop was used up by a refused upload")
	}
}
