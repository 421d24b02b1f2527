// Package demo creates a demo installation on disk for the `airlock demo`
// command: example workspaces in the OpenSAFELY job-runner layout (outputs,
// logs and metadata/manifest.json) and a dev users file.
//
// Everything it writes is deterministic: the same folder gets the same bytes
// and the same modification times however often Generate runs.
package demo

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// Setup says where Generate put things and who can log in.
type Setup struct {
	// WorkspaceDir holds one folder per workspace (AIRLOCK_WORKSPACE_DIR).
	WorkspaceDir string
	// UsersFile is the dev users file (AIRLOCK_DEV_USERS_FILE).
	UsersFile string
	// Users are the demo users, in the order to show them.
	Users []DemoUser
}

// DemoUser is a user of the users file with the token to log in with.
type DemoUser struct {
	Username    string
	Token       string
	Description string
}

// baseTime is the reference instant every generated timestamp is offset from.
var baseTime = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

// Generate creates the demo workspaces under dir/workspaces and the users
// file dir/users.json, creating dir if needed. It is idempotent: running it
// again on the same folder rewrites the same content and deletes nothing.
func Generate(dir string) (*Setup, error) {
	if dir == "" {
		return nil, errors.New("demo: no folder given")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	wsDir := filepath.Join(abs, "workspaces")
	for _, ws := range workspaces {
		if err := writeWorkspace(filepath.Join(wsDir, ws.Name), ws); err != nil {
			return nil, fmt.Errorf("demo: workspace %s: %w", ws.Name, err)
		}
	}
	usersFile := filepath.Join(abs, "users.json")
	users, err := writeUsers(usersFile)
	if err != nil {
		return nil, fmt.Errorf("demo: users file: %w", err)
	}
	return &Setup{WorkspaceDir: wsDir, UsersFile: usersFile, Users: users}, nil
}

// writeFile puts data at path with the given modification time. An existing
// file with the same bytes is left in place; otherwise the data goes to a
// temporary file in the same folder that is then renamed over path.
func writeFile(path string, data []byte, mtime time.Time) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	if old, err := os.ReadFile(path); err != nil || !bytes.Equal(old, data) {
		if err := replaceFile(path, data); err != nil {
			return err
		}
	}
	return os.Chtimes(path, mtime, mtime)
}

func replaceFile(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".demo-*.tmp")
	if err != nil {
		return err
	}
	name := tmp.Name()
	_, err = tmp.Write(data)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(name, 0o644)
	}
	if err == nil {
		err = os.Rename(name, path)
	}
	if err != nil {
		os.Remove(name) // our own temporary file, inside dir
		return err
	}
	return nil
}
