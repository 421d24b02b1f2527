package gitrepo_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/gitrepo"
	"github.com/airlock-go/airlock/internal/gitrepo/gitrepotest"
)

func names(es []domain.CodeEntry) string {
	var s []string
	for _, e := range es {
		n := e.Name
		if e.Kind == domain.CodeDir {
			n += "/"
		}
		s = append(s, n)
	}
	return strings.Join(s, " ")
}

func TestReadsTheClone(t *testing.T) {
	st := gitrepotest.New(t, "study")
	r := gitrepo.New(gitrepo.Config{Dir: st.RepoDir})
	ctx := context.Background()
	root, kids, err := r.Entry(ctx, st.RepoURL, st.Commit1, "")
	if err != nil {
		t.Fatal(err)
	}
	if root.Kind != domain.CodeDir || names(kids) != "analysis/ docs/ README.md project.yaml" {
		t.Fatalf("root: %+v %s", root, names(kids))
	}
	_, kids, err = r.Entry(ctx, st.RepoURL, st.Commit1, "analysis")
	if err != nil || names(kids) != "dataset_definition.py report.py" || kids[1].Path != "analysis/report.py" {
		t.Fatalf("analysis: %v %s", err, names(kids))
	}
	for commit, want := range map[string]string{st.Commit1: gitrepotest.ReportV1, st.Commit2: gitrepotest.ReportV2} {
		b, e, err := r.Read(ctx, st.RepoURL, commit, "analysis/report.py")
		if err != nil || string(b) != want || e.Size != int64(len(want)) || e.Kind != domain.CodeFile {
			t.Fatalf("read at %s: %v %q %+v", commit, err, b, e)
		}
	}
	if r.Fetches() != 0 {
		t.Fatalf("fetched %d times a commit it had", r.Fetches())
	}
}

func TestMissingCommitWithoutRemote(t *testing.T) {
	st := gitrepotest.New(t, "study")
	r := gitrepo.New(gitrepo.Config{Dir: st.RepoDir})
	_, _, err := r.Entry(context.Background(), st.RepoURL, st.Commit3, "")
	if !errors.Is(err, domain.ErrNotFound) || !strings.Contains(domain.Message(err), "no remote to fetch it from") {
		t.Fatalf("got %v", err)
	}
	// A study whose repository is not in the folder at all.
	_, _, err = r.Entry(context.Background(), "https://github.com/opensafely/other", st.Commit1, "")
	if !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("other study: %v", err)
	}
}

func TestFetchesAMissingCommitOnce(t *testing.T) {
	st := gitrepotest.New(t, "study")
	r := gitrepo.New(gitrepo.Config{Dir: st.RepoDir, RemoteURL: st.RemoteURL, Backoff: time.Millisecond})
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, errs[i] = r.Entry(ctx, st.RepoURL, st.Commit3, "analysis")
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if r.Fetches() != 1 || st.Uploads.Load() != 1 {
		t.Fatalf("8 viewers made %d fetches (%d at the remote), want 1", r.Fetches(), st.Uploads.Load())
	}
	b, _, err := r.Read(ctx, st.RepoURL, st.Commit3, "analysis/report.py")
	if err != nil || !strings.HasSuffix(string(b), "print('done')\n") {
		t.Fatalf("read the fetched commit: %v %q", err, b)
	}
	// Kept: a new Repos (a restarted server) finds it in the folder.
	r2 := gitrepo.New(gitrepo.Config{Dir: st.RepoDir, RemoteURL: st.RemoteURL})
	if _, _, err := r2.Entry(ctx, st.RepoURL, st.Commit3, ""); err != nil || r2.Fetches() != 0 {
		t.Fatalf("after restart: %v, %d fetches", err, r2.Fetches())
	}
	tags := gitrepotest.Git(t, filepath.Join(st.RepoDir, "study.git"), "tag", "--list")
	if tags != "fetched/"+st.Commit3 {
		t.Fatalf("tags %q", tags)
	}
}

func TestFetchIntoAnEmptyFolder(t *testing.T) {
	st := gitrepotest.New(t, "study")
	dir := filepath.Join(t.TempDir(), "repos")
	r := gitrepo.New(gitrepo.Config{Dir: dir, RemoteURL: st.RemoteURL})
	if _, _, err := r.Entry(context.Background(), st.RepoURL, st.Commit1, ""); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Join(dir, "study.git", "HEAD")); err != nil || fi.IsDir() {
		t.Fatalf("no bare repository made: %v", err)
	}
}

func TestFetchRetriesTransientFailures(t *testing.T) {
	st := gitrepotest.New(t, "study")
	st.FailNext.Store(2)
	r := gitrepo.New(gitrepo.Config{Dir: st.RepoDir, RemoteURL: st.RemoteURL, Backoff: time.Millisecond})
	if _, _, err := r.Entry(context.Background(), st.RepoURL, st.Commit3, ""); err != nil {
		t.Fatal(err)
	}
	if r.Fetches() != 3 {
		t.Fatalf("%d attempts, want 3 (two 503s, then success)", r.Fetches())
	}
}

func TestFetchGivesUp(t *testing.T) {
	st := gitrepotest.New(t, "study")
	st.FailNext.Store(100)
	r := gitrepo.New(gitrepo.Config{Dir: st.RepoDir, RemoteURL: st.RemoteURL, Backoff: time.Millisecond, Retries: 2})
	ctx := context.Background()
	_, _, err := r.Entry(ctx, st.RepoURL, st.Commit3, "")
	if !errors.Is(err, domain.ErrUnavailable) || !strings.Contains(domain.Message(err), "could not be reached") {
		t.Fatalf("got %v", err)
	}
	if r.Fetches() != 3 {
		t.Fatalf("%d attempts, want 3", r.Fetches())
	}
	// Remembered for a while: reloading the page starts no new fetch.
	if _, _, err2 := r.Entry(ctx, st.RepoURL, st.Commit3, ""); !errors.Is(err2, domain.ErrUnavailable) || r.Fetches() != 3 {
		t.Fatalf("again: %v, %d attempts", err2, r.Fetches())
	}
}

func TestFetchOfACommitTheRemoteLacks(t *testing.T) {
	st := gitrepotest.New(t, "study")
	r := gitrepo.New(gitrepo.Config{Dir: st.RepoDir, RemoteURL: st.RemoteURL, Backoff: time.Millisecond})
	_, _, err := r.Entry(context.Background(), st.RepoURL, strings.Repeat("ab", 20), "")
	if !errors.Is(err, domain.ErrNotFound) || !strings.Contains(domain.Message(err), "does not have it") {
		t.Fatalf("got %v", err)
	}
	if r.Fetches() != 1 {
		t.Fatalf("a permanent failure was tried %d times", r.Fetches())
	}
}

func TestFetchTimesOut(t *testing.T) {
	st := gitrepotest.New(t, "study")
	st.Hang.Store(true)
	r := gitrepo.New(gitrepo.Config{Dir: st.RepoDir, RemoteURL: st.RemoteURL, FetchTimeout: time.Second, Retries: -1})
	_, _, err := r.Entry(context.Background(), st.RepoURL, st.Commit3, "")
	if !errors.Is(err, domain.ErrUnavailable) || !strings.Contains(domain.Message(err), "timed out") {
		t.Fatalf("got %v", err)
	}
}

func TestToken(t *testing.T) {
	st := gitrepotest.New(t, "study")
	token := "s3cret"
	st.Token.Store(&token)
	without := gitrepo.New(gitrepo.Config{Dir: st.RepoDir, RemoteURL: st.RemoteURL})
	if _, _, err := without.Entry(context.Background(), st.RepoURL, st.Commit3, ""); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("without the token: %v", err)
	}
	with := gitrepo.New(gitrepo.Config{Dir: st.RepoDir, RemoteURL: st.RemoteURL, Token: "s3cret", User: "jobrunner-tpp"})
	if _, _, err := with.Entry(context.Background(), st.RepoURL, st.Commit3, ""); err != nil {
		t.Fatalf("with the token: %v", err)
	}
	if u := st.User.Load(); u == nil || *u != "jobrunner-tpp" {
		t.Fatalf("the remote saw user %v, want jobrunner-tpp", u)
	}
}

func TestHostileInput(t *testing.T) {
	st := gitrepotest.New(t, "study")
	r := gitrepo.New(gitrepo.Config{Dir: st.RepoDir, RemoteURL: st.RemoteURL, MaxFileSize: 1024})
	ctx := context.Background()
	for _, c := range []string{"", "HEAD", "main", "--upload-pack=touch /tmp/x", st.Commit1[:39], strings.ToUpper(st.Commit1),
		st.Commit1 + "^", "../" + st.Commit1[3:], st.Commit1 + ":project.yaml"} {
		if _, _, err := r.Entry(ctx, st.RepoURL, c, ""); !errors.Is(err, domain.ErrInvalidInput) {
			t.Errorf("commit %q: %v", c, err)
		}
	}
	for _, p := range []string{"..", "../study.git/config", "analysis/../project.yaml", "/etc/passwd", "analysis//report.py",
		"%2e%2e/x", "analysis\\report.py", "a\x00b", "./project.yaml"} {
		if _, _, err := r.Entry(ctx, st.RepoURL, st.Commit1, p); !errors.Is(err, domain.ErrInvalidInput) {
			t.Errorf("path %q: %v", p, err)
		}
	}
	for _, u := range []string{"", "https://github.com/opensafely/..", "https://github.com/opensafely/.git", "https://x/a/b/c/d/e",
		"https://github.com/opensafely/st%20udy", "https://github.com/-", "::"} {
		if _, _, err := r.Entry(ctx, u, st.Commit1, ""); err == nil {
			t.Errorf("repo %q accepted", u)
		}
	}
	// A link in the repository is listed as one and never followed; a
	// file over the limit is described, not read.
	_, kids, err := r.Entry(ctx, st.RepoURL, st.Commit3, "")
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]domain.CodeKind{}
	for _, k := range kids {
		kinds[k.Name] = k.Kind
	}
	if kinds["passwd-link"] != domain.CodeSymlink || kinds["big.txt"] != domain.CodeFile {
		t.Fatalf("kinds %v", kinds)
	}
	if _, _, err := r.Read(ctx, st.RepoURL, st.Commit3, "passwd-link"); !errors.Is(err, domain.ErrInvalidInput) || !strings.Contains(domain.Message(err), "not followed") {
		t.Fatalf("link read: %v", err)
	}
	if _, e, err := r.Read(ctx, st.RepoURL, st.Commit3, "big.txt"); !errors.Is(err, domain.ErrInvalidInput) || e.Size != 64<<10 {
		t.Fatalf("big read: %v %+v", err, e)
	}
	if _, _, err := r.Read(ctx, st.RepoURL, st.Commit3, "analysis"); !errors.Is(err, domain.ErrInvalidInput) {
		t.Fatalf("folder read: %v", err)
	}
	if _, _, err := r.Entry(ctx, st.RepoURL, st.Commit1, "no/such/file"); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("missing path: %v", err)
	}
}

func TestUnshowableNamesAreLeftOut(t *testing.T) {
	st := gitrepotest.New(t, "study")
	gitrepotest.Write(t, st.Work, map[string]string{"back\\slash.txt": "x", "new\nline.txt": "y", "ok.txt": "z"})
	c := gitrepotest.Commit(t, st.Work, "odd names")
	gitrepotest.Git(t, filepath.Join(st.RepoDir, "study.git"), "fetch", "-q", st.Work, "main:refs/heads/odd")
	r := gitrepo.New(gitrepo.Config{Dir: st.RepoDir})
	_, kids, err := r.Entry(context.Background(), st.RepoURL, c, "")
	if err != nil {
		t.Fatal(err)
	}
	got := names(kids)
	if strings.Contains(got, "slash") || strings.Contains(got, "line") || !strings.Contains(got, "ok.txt") {
		t.Fatalf("entries %q", got)
	}
}
