package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A reference deployment's environment starts airlock: both the token
// and the users file (job-server wins, with a warning), a users file
// relative to the work folder.
func TestServerReferenceEnvironment(t *testing.T) {
	work := t.TempDir()
	ws := filepath.Join(work, "workspaces")
	if err := os.Mkdir(ws, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(work, "dev_users.json"), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	base := func() Server {
		return Server{Database: Database{WorkDir: work}, WorkspaceDir: ws, Listen: "127.0.0.1:8000",
			APIEndpoint: "https://jobs.opensafely.org/api/v2", UploadDelay: 1, UploadRetryDelay: 60, UploadWorkers: 4,
			UploadLease: 30e9, Backend: "test"}
	}
	tests := []struct {
		name        string
		token, file string
		wantErr     string
		wantFile    string
		wantWarning string
	}{
		{"token only", "tok", "", "", "", ""},
		{"relative users file", "", "dev_users.json", "", filepath.Join(work, "dev_users.json"), ""},
		{"both: job-server, with a warning", "tok", "dev_users.json", "", "", "users log in through job-server"},
		{"neither", "", "", "set one of AIRLOCK_DEV_USERS_FILE", "", ""},
		{"users file missing", "", "nowhere.json", "AIRLOCK_DEV_USERS_FILE", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := base()
			s.APIToken, s.DevUsersFile = tt.token, tt.file
			err := s.Validate()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Validate() = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s.DevUsersFile != tt.wantFile {
				t.Errorf("users file %q, want %q", s.DevUsersFile, tt.wantFile)
			}
			if got := strings.Join(s.Warnings, "\n"); (tt.wantWarning == "") != (got == "") || !strings.Contains(got, tt.wantWarning) {
				t.Errorf("warnings %q, want %q", got, tt.wantWarning)
			}
		})
	}
}
