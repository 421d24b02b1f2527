// Package config holds airlock's settings: read from flags or AIRLOCK_*
// environment variables (the struct tags drive the command line), then
// checked and resolved into paths by Validate.
package config

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/airlock-go/airlock/internal/checks"
)

// Database locates the server's own state.
type Database struct {
	WorkDir     string `name:"work-dir" env:"AIRLOCK_WORK_DIR" default:"./workdir" help:"Folder for the server's own state: database and request files."`
	DatabaseURL string `name:"database-url" env:"AIRLOCK_DATABASE_URL" help:"sqlite:PATH or a postgres:// URL (default sqlite:$AIRLOCK_WORK_DIR/airlock.db)."`
}

// Location is the database the settings name: a SQLite file or a
// PostgreSQL server. Exactly one field is set.
type Location struct {
	SQLitePath  string // the SQLite database file
	PostgresURL string // a postgres:// or postgresql:// URL
}

// String names the database for messages, without any password.
func (l Location) String() string {
	if l.SQLitePath != "" {
		return l.SQLitePath
	}
	u, err := url.Parse(l.PostgresURL)
	if err != nil {
		return "the PostgreSQL database"
	}
	return u.Redacted()
}

// Locate returns the database the settings name.
func (d *Database) Locate() (Location, error) {
	if d.WorkDir == "" {
		return Location{}, errors.New("AIRLOCK_WORK_DIR (--work-dir) must not be empty")
	}
	if d.DatabaseURL == "" {
		return Location{SQLitePath: filepath.Join(d.WorkDir, "airlock.db")}, nil
	}
	loc, err := ParseDatabaseURL(d.WorkDir, d.DatabaseURL)
	if err != nil {
		return Location{}, fmt.Errorf("AIRLOCK_DATABASE_URL (--database-url): %w", err)
	}
	return loc, nil
}

// ParseDatabaseURL reads sqlite:PATH (a relative PATH is taken relative to
// dir) or a postgres:// or postgresql:// URL.
func ParseDatabaseURL(dir, raw string) (Location, error) {
	switch {
	case strings.HasPrefix(raw, "sqlite:///"):
		// dj_database_url's forms, as OpenSAFELY Airlock writes them:
		// sqlite:///relative.db and sqlite:////absolute.db.
		p := strings.TrimPrefix(raw, "sqlite:///")
		if p == "" {
			return Location{}, fmt.Errorf("%q names no file; use sqlite:PATH", raw)
		}
		return Location{SQLitePath: resolve(dir, p)}, nil
	case strings.HasPrefix(raw, "sqlite:"):
		p := strings.TrimPrefix(strings.TrimPrefix(raw, "sqlite:"), "//")
		if p == "" {
			return Location{}, fmt.Errorf("%q names no file; use sqlite:PATH", raw)
		}
		return Location{SQLitePath: resolve(dir, p)}, nil
	case strings.HasPrefix(raw, "postgres://"), strings.HasPrefix(raw, "postgresql://"):
		if _, err := url.Parse(raw); err != nil {
			// url's message quotes the URL, password and all.
			return Location{}, errors.New("the postgres:// URL does not parse (check for unescaped characters in the password)")
		}
		return Location{PostgresURL: raw}, nil
	}
	return Location{}, fmt.Errorf("%q is neither sqlite:PATH nor a postgres:// URL", redactRaw(raw))
}

// redactRaw hides the password of anything that looks like a URL with
// one.
func redactRaw(raw string) string {
	if u, err := url.Parse(raw); err == nil && u.User != nil {
		return u.Redacted()
	}
	return raw
}

// Checks names the disclosure checks' configuration.
type Checks struct {
	ChecksConfig string `name:"checks-config" env:"AIRLOCK_CHECKS_CONFIG" help:"JSON file of the disclosure checks' rules (default: OpenSAFELY's published rules)."`
}

// Checker reads and validates the disclosure checks' configuration: the
// file the setting names, else the defaults.
func (c *Checks) Checker() (*checks.Checker, error) {
	cfg := checks.Default()
	if c.ChecksConfig != "" {
		var err error
		if cfg, err = checks.LoadConfig(c.ChecksConfig); err != nil {
			return nil, fmt.Errorf("AIRLOCK_CHECKS_CONFIG (--checks-config): %w", err)
		}
	}
	ck, err := checks.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("AIRLOCK_CHECKS_CONFIG (--checks-config): %w", err)
	}
	return ck, nil
}

// Server is everything `airlock serve` needs.
type Server struct {
	Database `embed:""`
	Checks   `embed:""`
	Edge     `embed:""`
	Code     `embed:""`
	Tracing  `embed:""`

	WorkspaceDir     string  `name:"workspace-dir" env:"AIRLOCK_WORKSPACE_DIR" help:"Folder holding one folder per workspace (required)."`
	RequestDir       string  `name:"request-dir" env:"AIRLOCK_REQUEST_DIR" help:"Where request-file copies live (default $AIRLOCK_WORK_DIR/requests)."`
	Listen           string  `name:"listen" env:"AIRLOCK_LISTEN" default:"127.0.0.1:8000" help:"Address to listen on."`
	DevUsersFile     string  `name:"dev-users-file" env:"AIRLOCK_DEV_USERS_FILE" help:"Users file; login is an exact token match."`
	APIEndpoint      string  `name:"api-endpoint" env:"AIRLOCK_API_ENDPOINT" default:"https://jobs.opensafely.org/api/v2" help:"job-server API base URL, no trailing /."`
	APIToken         string  `name:"api-token" env:"AIRLOCK_API_TOKEN" help:"job-server token."`
	ReleaseDir       string  `name:"release-dir" env:"AIRLOCK_RELEASE_DIR" help:"Where released files are written without job-server (default $AIRLOCK_WORK_DIR/released)."`
	UploadDelay      float64 `name:"upload-delay" env:"AIRLOCK_UPLOAD_DELAY" default:"1" help:"Seconds between uploader polls."`
	UploadRetryDelay float64 `name:"upload-retry-delay" env:"AIRLOCK_UPLOAD_RETRY_DELAY" default:"60" help:"Seconds before a failed upload is retried."`
	WebhookURL       string  `name:"webhook-url" env:"AIRLOCK_WEBHOOK_URL" help:"Every notification is also POSTed here as JSON."`

	OutputCheckingOrg  string `name:"output-checking-org" env:"AIRLOCK_OUTPUT_CHECKING_ORG" help:"GitHub organisation of the output-checking repository, sent with notifications (with --output-checking-repo)."`
	OutputCheckingRepo string `name:"output-checking-repo" env:"AIRLOCK_OUTPUT_CHECKING_REPO" help:"Output-checking repository, sent with notifications (with --output-checking-org)."`

	UploadWorkers int           `name:"upload-workers" env:"AIRLOCK_UPLOAD_WORKERS" default:"4" help:"Files uploaded at once."`
	Backend       string        `name:"backend" env:"BACKEND" default:"test" help:"The name of this backend (OpenSAFELY Airlock's BACKEND), logged at start."`
	UploadLease   time.Duration `name:"upload-lease" env:"AIRLOCK_UPLOAD_LEASE" default:"30s" help:"How long an uploader holds a file without renewing its lease (it renews every third of it while uploading); a crashed uploader's files are taken over by another within it."`
	RegularAt     string        `name:"regular-at" env:"AIRLOCK_REGULAR_AT" help:"Time of day (UTC, HH:MM) to create the regular release requests of regular_release_requests.json: serve does it when set; worker always, at 02:00 when unset."`

	// Warnings are what Validate found worth saying but not refusing,
	// for the caller to log.
	Warnings []string `kong:"-"`
}

// Validate checks every setting, naming the first bad one, and fills in
// the folders that default to places under the work folder.
func (s *Server) Validate() error {
	if s.DevUsersFile == "" && s.APIToken == "" {
		return errors.New("set one of AIRLOCK_DEV_USERS_FILE (--dev-users-file) and AIRLOCK_API_TOKEN (--api-token)")
	}
	if s.DevUsersFile != "" && s.APIToken != "" {
		// OpenSAFELY Airlock's behaviour: the token wins.
		s.Warnings = append(s.Warnings, "both AIRLOCK_API_TOKEN and AIRLOCK_DEV_USERS_FILE are set: users log in through job-server, and the users file "+s.DevUsersFile+" is not read")
		s.DevUsersFile = ""
	}
	if _, err := s.Locate(); err != nil {
		return err
	}
	if s.WorkspaceDir == "" {
		return errors.New("AIRLOCK_WORKSPACE_DIR (--workspace-dir) is required: the folder holding one folder per workspace")
	}
	s.WorkspaceDir = resolve(s.WorkDir, s.WorkspaceDir)
	if err := isDir(s.WorkspaceDir); err != nil {
		return fmt.Errorf("AIRLOCK_WORKSPACE_DIR (--workspace-dir): %w", err)
	}
	if s.DevUsersFile != "" {
		s.DevUsersFile = resolve(s.WorkDir, s.DevUsersFile)
		if _, err := os.Stat(s.DevUsersFile); err != nil {
			return fmt.Errorf("AIRLOCK_DEV_USERS_FILE (--dev-users-file): %w", err)
		}
	}
	s.RequestDir = Resolve(s.WorkDir, s.RequestDir, "requests")
	s.ReleaseDir = Resolve(s.WorkDir, s.ReleaseDir, "released")
	if err := checkURL(s.APIEndpoint); err != nil {
		return fmt.Errorf("AIRLOCK_API_ENDPOINT (--api-endpoint): %w", err)
	}
	if strings.HasSuffix(s.APIEndpoint, "/") {
		return fmt.Errorf("AIRLOCK_API_ENDPOINT (--api-endpoint): %q must not end with /", s.APIEndpoint)
	}
	if s.WebhookURL != "" {
		if err := checkURL(s.WebhookURL); err != nil {
			return fmt.Errorf("AIRLOCK_WEBHOOK_URL (--webhook-url): %w", err)
		}
	}
	if s.Listen == "" || !strings.Contains(s.Listen, ":") {
		return fmt.Errorf("AIRLOCK_LISTEN (--listen): %q is not a host:port address", s.Listen)
	}
	if s.UploadDelay <= 0 {
		return fmt.Errorf("AIRLOCK_UPLOAD_DELAY (--upload-delay): must be a positive number of seconds, not %v", s.UploadDelay)
	}
	if (s.OutputCheckingOrg == "") != (s.OutputCheckingRepo == "") {
		return errors.New("set both or neither of AIRLOCK_OUTPUT_CHECKING_ORG (--output-checking-org) and AIRLOCK_OUTPUT_CHECKING_REPO (--output-checking-repo)")
	}
	if s.UploadWorkers < 1 || s.UploadWorkers > 64 {
		return fmt.Errorf("AIRLOCK_UPLOAD_WORKERS (--upload-workers): must be between 1 and 64, not %d", s.UploadWorkers)
	}
	if s.UploadLease < time.Second {
		return fmt.Errorf("AIRLOCK_UPLOAD_LEASE (--upload-lease): must be at least a second, not %v", s.UploadLease)
	}
	if s.UploadRetryDelay <= 0 {
		return fmt.Errorf("AIRLOCK_UPLOAD_RETRY_DELAY (--upload-retry-delay): must be a positive number of seconds, not %v", s.UploadRetryDelay)
	}
	if _, _, err := s.RegularTime(); err != nil {
		return err
	}
	if _, err := s.Checker(); err != nil {
		return err
	}
	if err := s.ValidateCode(s.WorkDir); err != nil {
		return err
	}
	if err := s.CheckTracing(); err != nil {
		return err
	}
	s.Warnings = append(s.Warnings, s.Tracing.Warnings...)
	return s.Edge.Validate()
}

// Resolve returns the folder a setting names: p, or def when p is empty,
// taken relative to the work folder unless it is absolute.
func Resolve(workDir, p, def string) string {
	if p == "" {
		p = def
	}
	return resolve(workDir, p)
}

// resolve makes p relative to the work folder unless it is absolute.
func resolve(workDir, p string) string {
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	return filepath.Join(workDir, p)
}

func isDir(p string) error {
	fi, err := os.Stat(p)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s is not a folder", p)
	}
	return nil
}

func checkURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("%q is not a URL: %v", raw, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is not an http(s) URL", raw)
	}
	return nil
}

// DefaultWorkerRegularAt is when `airlock worker` creates the regular
// release requests when AIRLOCK_REGULAR_AT is not set: 02:00 UTC.
const DefaultWorkerRegularAt = 2 * time.Hour

// RegularTime is AIRLOCK_REGULAR_AT as a time after midnight (UTC), and
// whether it is set.
func (s *Server) RegularTime() (time.Duration, bool, error) {
	if s.RegularAt == "" {
		return 0, false, nil
	}
	at, err := ParseTimeOfDay(s.RegularAt)
	if err != nil {
		return 0, false, fmt.Errorf("AIRLOCK_REGULAR_AT (--regular-at): %w", err)
	}
	return at, true, nil
}

// ParseTimeOfDay reads a time of day as HH:MM (00:00 to 23:59, such as
// 02:30), or as a duration after midnight under a day (2h30m, the form
// `airlock worker --regular-at` always took).
func ParseTimeOfDay(v string) (time.Duration, error) {
	if h, m, ok := strings.Cut(v, ":"); ok {
		hh, errH := strconv.Atoi(h)
		mm, errM := strconv.Atoi(m)
		digits := strings.Trim(h+m, "0123456789") == ""
		if !digits || errH != nil || errM != nil || len(h) < 1 || len(h) > 2 || len(m) != 2 || hh < 0 || hh > 23 || mm < 0 || mm > 59 {
			return 0, fmt.Errorf("%q is not a time of day: give HH:MM, from 00:00 to 23:59 (UTC), such as 02:30", v)
		}
		return time.Duration(hh)*time.Hour + time.Duration(mm)*time.Minute, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 || d >= 24*time.Hour {
		return 0, fmt.Errorf("%q is not a time of day: give HH:MM, from 00:00 to 23:59 (UTC), such as 02:30", v)
	}
	return d, nil
}
