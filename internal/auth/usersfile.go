// Package auth knows who people are: where users come from (the users
// file of development and demo deployments, or job-server), logging in
// with throttling of failed attempts, keeping cached user documents fresh,
// and the API tokens of the JSON API.
package auth

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/airlock-go/airlock/internal/domain"
)

// DevUser is one entry of the users file.
type DevUser struct {
	Token   string
	User    domain.User
	Details json.RawMessage // the user document, as job-server would send it
}

// LoadUsersFile reads and checks a users file: a JSON object keyed by
// username, each {"token": ..., "details": <user document>}. Every
// problem is reported with the user it concerns.
func LoadUsersFile(path string) ([]DevUser, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("users file: %w", err)
	}
	return ParseUsersFile(raw)
}

// ParseUsersFile checks the content of a users file.
func ParseUsersFile(raw []byte) ([]DevUser, error) {
	var entries map[string]json.RawMessage
	if err := domain.CheckTextBytes("the users file", raw); err != nil {
		return nil, fmt.Errorf("users file: %w", err)
	}
	if err := json.Unmarshal(raw, &entries); err != nil {
		return nil, fmt.Errorf("users file: not a JSON object of users: %v", err)
	}
	if len(entries) == 0 {
		return nil, fmt.Errorf("users file: has no users")
	}
	names := make([]string, 0, len(entries))
	for name := range entries {
		names = append(names, name)
	}
	slices.Sort(names)
	var out []DevUser
	tokens := map[string]string{}
	for _, name := range names {
		var e struct {
			Token   string          `json:"token"`
			Details json.RawMessage `json:"details"`
		}
		dec := json.NewDecoder(bytes.NewReader(entries[name]))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&e); err != nil {
			return nil, fmt.Errorf("users file: user %q: %v", name, err)
		}
		if strings.TrimSpace(e.Token) == "" {
			return nil, fmt.Errorf("users file: user %q has no token", name)
		}
		if other, ok := tokens[e.Token]; ok {
			return nil, fmt.Errorf("users file: users %q and %q have the same token", other, name)
		}
		tokens[e.Token] = name
		if len(e.Details) == 0 {
			return nil, fmt.Errorf("users file: user %q has no details", name)
		}
		if err := domain.ValidateUserDocument(e.Details); err != nil {
			return nil, fmt.Errorf("users file: user %q: %s", name, domain.Message(err))
		}
		u, err := domain.ParseUser(e.Details)
		if err != nil {
			return nil, fmt.Errorf("users file: user %q: %s", name, domain.Message(err))
		}
		if u.Username != name {
			return nil, fmt.Errorf("users file: user %q has username %q in its details", name, u.Username)
		}
		out = append(out, DevUser{Token: e.Token, User: u, Details: e.Details})
	}
	return out, nil
}
