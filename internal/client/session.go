package client

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// Session is what a command-line login keeps: the server and an API token.
type Session struct {
	URL       string    `json:"url"`
	Token     string    `json:"token"`
	User      string    `json:"user"`
	ExpiresAt time.Time `json:"expires_at"`
}

// ErrNoSession is returned by LoadSession when there is no saved session.
var ErrNoSession = errors.New("no saved airlock session")

// DefaultSessionPath is where sessions are kept unless told otherwise:
// airlock/client.json in the user's config folder.
func DefaultSessionPath() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("finding the user's config folder: %w", err)
	}
	return filepath.Join(dir, "airlock", "client.json"), nil
}

// LoadSession reads a saved session; a missing file gives an error wrapping
// ErrNoSession.
func LoadSession(path string) (Session, error) {
	var s Session
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return s, fmt.Errorf("%w: %s does not exist", ErrNoSession, path)
	}
	if err != nil {
		return s, fmt.Errorf("reading the airlock session: %w", err)
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return s, fmt.Errorf("reading the airlock session %s: %w", path, err)
	}
	if s.URL == "" || s.Token == "" {
		return s, fmt.Errorf("%w: %s holds no server URL or token", ErrNoSession, path)
	}
	return s, nil
}

// SaveSession writes s to path readable by the user alone (0600), creating
// its folder (0700) when needed. The file is replaced atomically.
func SaveSession(path string, s Session) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("saving the airlock session: %w", err)
	}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("saving the airlock session: %w", err)
	}
	f, err := os.CreateTemp(dir, ".client-*.json")
	if err != nil {
		return fmt.Errorf("saving the airlock session: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // fails harmlessly once renamed
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return fmt.Errorf("saving the airlock session: %w", err)
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return fmt.Errorf("saving the airlock session: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("saving the airlock session: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("saving the airlock session: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("saving the airlock session: %w", err)
	}
	return nil
}

// RemoveSession deletes a saved session; a missing one is not an error.
func RemoveSession(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("removing the airlock session: %w", err)
	}
	return nil
}
