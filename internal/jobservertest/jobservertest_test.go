package jobservertest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

const apiToken = "api-token"

// post calls the fake as airlock would, unless headers say otherwise.
func post(t *testing.T, client *http.Client, url, body string, headers map[string]string) (int, string, error) {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", apiToken)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
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

func TestAuthenticateAndAuthorise(t *testing.T) {
	s := New(t, apiToken)
	s.AddUser("alice", "Alice@example.org", "one-two-three", nil)
	s.AddUser("alice", "", "four-five-six", nil)
	bob := []byte(`{"username": "bob", "output_checker": true}`)
	s.AddUser("bob", "", "bob-token", bob)
	c := &http.Client{}
	auth, authz := s.URL()+"/releases/authenticate", s.URL()+"/releases/authorise"

	tests := []struct {
		name, url, body string
		headers         map[string]string
		status          int
		want            string
	}{
		{"by username", auth, `{"user": "alice", "token": "one-two-three"}`, nil, 200, `"username":"alice"`},
		{"token is single-use", auth, `{"user": "alice", "token": "one-two-three"}`, nil, 403, "Invalid user or token"},
		{"by email, any case", auth, `{"user": "alice@EXAMPLE.org", "token": "four-five-six"}`, nil, 200, `"username":"alice"`},
		{"details as given", auth, `{"user": "bob", "token": "bob-token"}`, nil, 200, string(bob)},
		{"someone else's token", auth, `{"user": "alice", "token": "bob-token"}`, nil, 403, "Invalid user or token"},
		{"unknown user", auth, `{"user": "carol", "token": "x"}`, nil, 403, "Invalid user or token"},
		{"empty token", auth, `{"user": "bob", "token": ""}`, nil, 403, "Invalid user or token"},
		{"bad JSON", auth, `{"user": `, nil, 400, "bad JSON"},
		{"authorise", authz, `{"user": "bob"}`, nil, 200, string(bob)},
		{"authorise unknown", authz, `{"user": "carol"}`, nil, 403, "Invalid user"},
		{"no API token", authz, `{"user": "bob"}`, map[string]string{"Authorization": ""}, 401, "Invalid token"},
		{"wrong API token", authz, `{"user": "bob"}`, map[string]string{"Authorization": "Bearer " + apiToken}, 401, "Invalid token"},
		{"not JSON", authz, `{"user": "bob"}`, map[string]string{"Content-Type": "text/plain"}, 401, "Content-Type"},
		{"JSON with charset", authz, `{"user": "bob"}`, map[string]string{"Content-Type": "application/json; charset=utf-8"}, 200, "bob"},
		{"unknown path", s.URL() + "/releases/nonsense", `{}`, nil, 404, ""},
		{"under the events path", s.URL() + "/airlock/events/more", `{}`, nil, 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body, err := post(t, c, tt.url, tt.body, tt.headers)
			if err != nil {
				t.Fatal(err)
			}
			if status != tt.status || !strings.Contains(body, tt.want) {
				t.Errorf("got %d %s, want %d with %q", status, body, tt.status, tt.want)
			}
		})
	}

	calls := s.Calls()
	if len(calls) != len(tests) {
		t.Fatalf("recorded %d calls, want %d", len(calls), len(tests))
	}
	first := calls[0]
	if first.Method != http.MethodPost || first.Path != "/releases/authenticate" ||
		!strings.Contains(string(first.Body), "one-two-three") || first.Headers.Get("Authorization") != apiToken {
		t.Errorf("first call recorded as %+v", first)
	}
}

func TestSetDetails(t *testing.T) {
	s := New(t, apiToken)
	s.AddUser("alice", "", "t", nil)
	s.SetDetails("alice", []byte(`{"username": "alice", "output_checker": true}`))
	_, body, err := post(t, &http.Client{}, s.URL()+"/releases/authorise", `{"user": "alice"}`, nil)
	if err != nil || !strings.Contains(body, `"output_checker": true`) {
		t.Fatalf("got %s, %v", body, err)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatal(err)
	}
}

func TestFailNextAndRespondNext(t *testing.T) {
	s := New(t, apiToken)
	s.AddUser("alice", "", "t", nil)
	s.FailNext(502, 2)
	s.RespondNext(201, []byte(`{"status": "ok"}`), 1)
	c := &http.Client{}
	url := s.URL() + "/releases/authorise"
	for i, want := range []int{502, 502, 201, 200} {
		status, body, err := post(t, c, url, `{"user": "alice"}`, nil)
		if err != nil || status != want {
			t.Errorf("call %d: got %d %s %v, want %d", i, status, body, err, want)
		}
	}
	// A call refused for its headers does not use up a failure.
	s.FailNext(500, 1)
	if status, _, _ := post(t, c, url, `{}`, map[string]string{"Authorization": "x"}); status != 401 {
		t.Errorf("bad header: got %d", status)
	}
	if status, _, _ := post(t, c, url, `{"user": "alice"}`, nil); status != 500 {
		t.Errorf("after a refused call: got %d, want the injected 500", status)
	}
}

func TestDownAndUp(t *testing.T) {
	s := New(t, apiToken)
	s.AddUser("alice", "", "t", nil)
	c := &http.Client{}
	url := s.URL() + "/releases/authorise"
	if status, _, err := post(t, c, url, `{"user": "alice"}`, nil); err != nil || status != 200 {
		t.Fatalf("up: %d %v", status, err)
	}
	s.Down()
	s.Down() // twice is fine
	if _, _, err := post(t, c, url, `{"user": "alice"}`, nil); err == nil {
		t.Fatal("down: the call went through")
	}
	s.Up()
	s.Up()
	if s.URL() != url[:len(url)-len("/releases/authorise")] {
		t.Errorf("URL changed to %s", s.URL())
	}
	if status, _, err := post(t, c, url, `{"user": "alice"}`, nil); err != nil || status != 200 {
		t.Fatalf("up again: %d %v", status, err)
	}
}

func TestDelay(t *testing.T) {
	s := New(t, apiToken)
	s.AddUser("alice", "", "t", nil)
	s.Delay(time.Second)
	c := &http.Client{Timeout: 50 * time.Millisecond}
	_, _, err := post(t, c, s.URL()+"/releases/authorise", `{"user": "alice"}`, nil)
	var ne interface{ Timeout() bool }
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("got %v, want a timeout", err)
	}
	s.Delay(0)
	if status, _, err := post(t, c, s.URL()+"/releases/authorise", `{"user": "alice"}`, nil); err != nil || status != 200 {
		t.Fatalf("no delay: %d %v", status, err)
	}
}

func TestDownCutsDelayedCalls(t *testing.T) {
	s := New(t, apiToken)
	s.Delay(time.Minute)
	done := make(chan error, 1)
	go func() {
		req, _ := http.NewRequest(http.MethodPost, s.URL()+"/releases/authorise", bytes.NewReader([]byte(`{}`)))
		req.Header.Set("Authorization", apiToken)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	for len(s.Calls()) == 0 {
		time.Sleep(time.Millisecond)
	}
	start := time.Now()
	s.Down()
	if err := <-done; err == nil {
		t.Error("a delayed call was answered although the server went down")
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("Down took %v", d)
	}
}
