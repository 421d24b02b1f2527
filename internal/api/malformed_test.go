package api_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/airlock-go/airlock/internal/api"
	"github.com/airlock-go/airlock/internal/domain"
)

// badBodies are bodies no call accepts.
var badBodies = map[string]string{
	"not JSON":       `{"group": `,
	"garbage":        "\x00\xff\xfe not json",
	"a list":         `[1, 2, 3]`,
	"a string":       `"hello"`,
	"null":           `null`,
	"two values":     `{} {}`,
	"unknown field":  `{"surprise": true}`,
	"wrong types":    `{"group": 7, "files": "out/a.csv", "paths": {"a": 1}, "vote": [], "text": false, "context": 1, "controls": 2, "filetype": 3, "user": 4, "token": 5, "visibility": 6}`,
	"huge":           `{"text": "` + strings.Repeat("x", 1<<20+10) + `"}`,
	"deep nesting":   strings.Repeat("[", 100000),
	"hostile values": `{"group": "../../etc", "files": [{"path": "../../secret.csv", "filetype": "OUTPUT"}], "paths": ["/etc/passwd", "a\u0000b"], "vote": "MAYBE", "visibility": "SECRET", "filetype": "CODE", "context": "c", "controls": "c", "text": ""}`,
}

// TestMalformedBodiesForEveryRoute sends bad bodies to every call, as the
// user most likely to be allowed it: never a 5xx, always the error shape,
// and nothing written.
func TestMalformedBodiesForEveryRoute(t *testing.T) {
	h := newHarness(t)
	pending := h.RequestIn(h.Author, domain.StatusPending)
	h2 := h.RequestIn(h.Colleague, domain.StatusSubmitted)
	h.VoteAll(h2.ID, h.C3, domain.VoteApproved)
	for _, c := range matrix {
		if c.path == "/api/v1/auth/token" {
			continue // it would revoke the caller's token
		}
		id, caller := pending.ID, "author"
		if c.status != domain.StatusPending {
			id, caller = h2.ID, "c3"
		}
		path := replaceCID(strings.Replace(c.path, "%s", id, 1), 1)
		for name, body := range badBodies {
			before, before2 := h.snap(pending.ID), h.snap(h2.ID)
			status, raw := h.call(caller, c.method, path, body)
			if status >= 500 {
				t.Errorf("%s %s with %s: %d %s", c.method, path, name, status, raw)
				continue
			}
			if c.body == nil {
				continue // a call that takes no body ignores it
			}
			if status < 400 {
				t.Errorf("%s %s with %s: accepted (%d)", c.method, path, name, status)
				continue
			}
			eb := checkError(t, c.method+" "+path+" "+name, status, raw)
			if status == http.StatusUnauthorized || status == http.StatusForbidden {
				t.Errorf("%s %s with %s: %d: the body was not what was refused", c.method, path, name, status)
			}
			if name == "huge" && status != http.StatusRequestEntityTooLarge {
				t.Errorf("%s %s with a huge body: %d %s", c.method, path, status, eb.Error.Code)
			}
			if after, after2 := h.snap(pending.ID), h.snap(h2.ID); after != before || after2 != before2 {
				t.Errorf("%s %s with %s: refused but the data changed", c.method, path, name)
			}
		}
	}
}

// TestHostilePathsAndIDs: odd ids and paths get 4xx answers.
func TestHostilePathsAndIDs(t *testing.T) {
	h := newHarness(t)
	r := h.RequestIn(h.Author, domain.StatusSubmitted)
	paths := []string{
		"/api/v1/requests/..%2F..%2Fetc",
		"/api/v1/requests/" + strings.Repeat("A", 5000),
		"/api/v1/requests/%00",
		"/api/v1/requests/" + r.ID + "/content/..%2F..%2Fetc%2Fpasswd",
		"/api/v1/requests/" + r.ID + "/content/out/%2e%2e/%2e%2e/x.csv",
		"/api/v1/workspaces/..%2F/files/",
		"/api/v1/workspaces/ws/files/..%2F..%2Fsecret",
		"/api/v1/workspaces/ws/files/out/a.csv%00.png",
		"/api/v1/workspaces/%2e%2e/files/x",
		"/api/v1/requests/" + r.ID + "/groups/g/comments/abc/publish",
		"/api/v1/requests/" + r.ID + "/groups/g/comments/-1",
		"/api/v1/requests/" + r.ID + "/groups/g/comments/99999999999999999999999",
		"/api/v1/nonsense",
	}
	for _, p := range paths {
		for _, m := range []string{"GET", "POST", "DELETE", "PUT"} {
			status, raw := h.call("c3", m, p, nil)
			if status < 400 && !(m == "GET" && strings.Contains(p, "/content/out/a.csv")) {
				t.Errorf("%s %s: %d %s", m, p, status, raw)
			}
			if status >= 500 {
				t.Errorf("%s %s: %d", m, p, status)
			}
		}
	}
}

// TestClientGone: a call whose client hung up is answered 499, not as a
// fault of the server (500).
func TestClientGone(t *testing.T) {
	h := newHarness(t)
	r := h.Submitted(h.Author)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	req := httptest.NewRequest("GET", "/api/v1/requests/"+r.ID, nil).WithContext(ctx)
	req.Header.Set("Authorization", "Bearer "+h.tokens[h.C1.Username])
	rec := httptest.NewRecorder()
	h.h.ServeHTTP(rec, req)
	if rec.Code != api.StatusClientClosed {
		t.Errorf("canceled call: %d %s, want 499", rec.Code, rec.Body)
	}
}
