// Package gitrepotest builds real study repositories for tests: a study
// with project.yaml and scripts in two commits, its bare clone in a code
// folder, and a remote served by git's own HTTP backend on loopback that
// holds a third commit the clone lacks.
package gitrepotest

import (
	"bytes"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// ProjectV1 and ProjectV2 are the study's project.yaml at its first and
// second commits: the second changes the report action's run line.
const (
	ProjectV1 = `version: '4.0'

actions:
  generate_dataset:
    run: ehrql:v1 generate-dataset analysis/dataset_definition.py --output output/dataset.csv.gz
    outputs:
      highly_sensitive:
        dataset: output/dataset.csv.gz

  make_report:
    run: python:latest analysis/report.py --input output/dataset.csv.gz
    needs: [generate_dataset]
    outputs:
      moderately_sensitive:
        report: output/report.csv
`
	ProjectV2 = `version: '4.0'

actions:
  generate_dataset:
    run: ehrql:v1 generate-dataset analysis/dataset_definition.py --output output/dataset.csv.gz
    outputs:
      highly_sensitive:
        dataset: output/dataset.csv.gz

  make_report:
    run: python:latest analysis/report.py --input output/dataset.csv.gz --round 10
    needs: [generate_dataset]
    outputs:
      moderately_sensitive:
        report: output/report.csv
`
	ReportV1 = "import pandas as pd\n\ndf = pd.read_csv('output/dataset.csv.gz')\ndf.to_csv('output/report.csv')\n"
	ReportV2 = "import pandas as pd\n\ndf = pd.read_csv('output/dataset.csv.gz')\ndf = df.round(-1)\ndf.to_csv('output/report.csv')\n"
	Dataset  = "from ehrql import create_dataset\n\ndataset = create_dataset()\n"
)

// Study is a study's repositories.
type Study struct {
	// Work is the working repository the commits were made in.
	Work string
	// RepoDir is the code folder, with Name.git: a bare clone holding
	// Commit1 and Commit2.
	RepoDir string
	Name    string
	// RepoURL is the manifest's repo: https://github.com/opensafely/<Name>.
	RepoURL string
	// Commit1 and Commit2 are in the clone; Commit3 (project.yaml and
	// the report changed again, a symbolic link and a large file added)
	// only in the remote.
	Commit1, Commit2, Commit3 string
	// Remote serves <root>/opensafely/<Name>: RemoteURL is its base
	// (AIRLOCK_GIT_PROXY_URL).
	RemoteURL string
	Server    *httptest.Server
	// Uploads counts the fetches the remote answered (POSTs to
	// git-upload-pack); FailNext makes that many next requests answer 503;
	// Token, when set, is the password the remote requires; Hang makes it
	// hold every request until the test ends; User is the user name of
	// the last request that carried the token.
	Uploads  atomic.Int64
	FailNext atomic.Int64
	Token    atomic.Pointer[string]
	User     atomic.Pointer[string]
	Hang     atomic.Bool
	hangOnce sync.Once
	hung     chan struct{}
	bare     string // the remote's repository
}

// Publish pushes the working repository's commits to the remote.
func (s *Study) Publish(t testing.TB) {
	t.Helper()
	Git(t, s.Work, "push", "-q", "--force", s.bare, "main")
}

// Git runs git in dir, failing the test on error, and returns its output.
func Git(t testing.TB, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null",
		"GIT_AUTHOR_NAME=Researcher", "GIT_AUTHOR_EMAIL=r@example.org",
		"GIT_COMMITTER_NAME=Researcher", "GIT_COMMITTER_EMAIL=r@example.org",
		"GIT_AUTHOR_DATE=2026-01-02T03:04:05Z", "GIT_COMMITTER_DATE=2026-01-02T03:04:05Z",
	)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("git %s: %v: %s", strings.Join(args, " "), err, errb.String())
	}
	return strings.TrimSpace(out.String())
}

// Write writes files (path → content) under dir.
func Write(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for p, c := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// Commit stages everything in dir and commits it.
func Commit(t testing.TB, dir, msg string) string {
	t.Helper()
	Git(t, dir, "add", "-A")
	Git(t, dir, "commit", "-q", "-m", msg)
	return Git(t, dir, "rev-parse", "HEAD")
}

// New builds the study named name under t.TempDir(): the working
// repository, the code folder with its bare clone, and the remote.
func New(t testing.TB, name string) *Study {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatalf("the git binary is needed: %v", err)
	}
	root := t.TempDir()
	s := &Study{Name: name, RepoURL: "https://github.com/opensafely/" + name, hung: make(chan struct{})}
	s.Work = filepath.Join(root, "work")
	if err := os.MkdirAll(s.Work, 0o755); err != nil {
		t.Fatal(err)
	}
	Git(t, s.Work, "init", "-q", "-b", "main")
	Write(t, s.Work, map[string]string{
		"project.yaml": ProjectV1, "analysis/report.py": ReportV1, "analysis/dataset_definition.py": Dataset,
		"README.md": "# " + name + "\n\nA study.\n", "docs/notes.txt": "notes\n",
	})
	s.Commit1 = Commit(t, s.Work, "first")
	Write(t, s.Work, map[string]string{"project.yaml": ProjectV2, "analysis/report.py": ReportV2})
	s.Commit2 = Commit(t, s.Work, "round the report")

	s.RepoDir = filepath.Join(root, "repos")
	Git(t, root, "clone", "-q", "--bare", s.Work, filepath.Join(s.RepoDir, name+".git"))

	// The third commit, only in the remote.
	Write(t, s.Work, map[string]string{"analysis/report.py": ReportV2 + "print('done')\n", "big.txt": strings.Repeat("x", 64<<10)})
	if err := os.Symlink("/etc/passwd", filepath.Join(s.Work, "passwd-link")); err != nil {
		t.Fatal(err)
	}
	s.Commit3 = Commit(t, s.Work, "third")

	remoteRoot := filepath.Join(root, "remote")
	bare := filepath.Join(remoteRoot, "opensafely", name+".git")
	Git(t, root, "clone", "-q", "--bare", s.Work, bare)
	Git(t, bare, "config", "uploadpack.allowAnySHA1InWant", "true")
	Git(t, bare, "config", "http.uploadpack", "true")
	s.bare = bare
	execPath := Git(t, root, "--exec-path")
	backend := &cgi.Handler{
		Path: filepath.Join(execPath, "git-http-backend"),
		Env:  []string{"GIT_PROJECT_ROOT=" + remoteRoot, "GIT_HTTP_EXPORT_ALL=1"},
	}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.Hang.Load() {
			select {
			case <-r.Context().Done():
			case <-s.hung:
			}
			return
		}
		if s.FailNext.Load() > 0 {
			s.FailNext.Add(-1)
			http.Error(w, "try later", http.StatusServiceUnavailable)
			return
		}
		if token := s.Token.Load(); token != nil {
			user, pw, ok := r.BasicAuth()
			if !ok || pw != *token {
				w.Header().Set("WWW-Authenticate", `Basic realm="git"`)
				http.Error(w, "no", http.StatusUnauthorized)
				return
			}
			s.User.Store(&user)
		}
		// The repository is served as <path>.git, as a proxy would.
		r.URL.Path = strings.TrimSuffix(r.URL.Path, "/info/refs")
		if strings.HasSuffix(r.URL.Path, "/git-upload-pack") {
			s.Uploads.Add(1)
			r.URL.Path = strings.TrimSuffix(r.URL.Path, "/git-upload-pack") + ".git/git-upload-pack"
		} else if r.URL.Query().Get("service") != "" {
			r.URL.Path += ".git/info/refs"
		}
		backend.ServeHTTP(w, r)
	}))
	t.Cleanup(func() {
		s.hangOnce.Do(func() { close(s.hung) })
		s.Server.Close()
	})
	s.RemoteURL = s.Server.URL
	return s
}
