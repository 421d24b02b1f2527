package auth

import (
	"strings"
	"testing"
)

func TestParseUsersFile(t *testing.T) {
	good := `{"alice": {"token": "a-b-c", "details": {"username": "alice", "fullname": "Alice A", "output_checker": false,
		"workspaces": {"ws1": {"project_details": {"name": "P", "ongoing": true, "orgs": ["Org"]}, "archived": false}},
		"copiloted_workspaces": {}}}}`
	users, err := ParseUsersFile([]byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if len(users) != 1 || users[0].User.Username != "alice" || !users[0].User.HasRole("ws1") || users[0].Token != "a-b-c" {
		t.Fatalf("parsed %+v", users)
	}
	tests := []struct {
		name, file, want string
	}{
		{"not JSON", `{`, "not a JSON object"},
		{"empty", `{}`, "no users"},
		{"no token", `{"a": {"details": {"username": "a"}}}`, `user "a" has no token`},
		{"no details", `{"a": {"token": "t"}}`, `user "a" has no details`},
		{"unknown key", `{"a": {"token": "t", "detail": {}}}`, `user "a": json: unknown field`},
		{"wrong username", `{"a": {"token": "t", "details": {"username": "b"}}}`, `has username "b"`},
		{"extra workspace key", `{"a": {"token": "t", "details": {"username": "a", "workspaces": {"w": {"project_details": {}, "archived": false, "x": 1}}}}}`, "exactly the keys"},
		{"missing archived", `{"a": {"token": "t", "details": {"username": "a", "workspaces": {"w": {"project_details": {}}}}}}`, "exactly the keys"},
		{"invalid UTF-8", "{\"a\xff\": {\"token\": \"t\", \"details\": {\"username\": \"a\xff\"}}}", "not valid UTF-8"},
		{"NUL in username", `{"a\u0000": {"token": "t", "details": {"username": "a\u0000"}}}`, "NUL"},
		{"shared token", `{"a": {"token": "t", "details": {"username": "a"}}, "b": {"token": "t", "details": {"username": "b"}}}`, "same token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseUsersFile([]byte(tt.file))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want %q", err, tt.want)
			}
		})
	}
}
