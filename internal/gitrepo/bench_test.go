package gitrepo_test

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/airlock-go/airlock/internal/gitrepo"
	"github.com/airlock-go/airlock/internal/gitrepo/gitrepotest"
)

// bigRepo makes a bare repository <dir>/big.git with one commit of n
// files in 100 folders (analysis/dNN/fNNNNN.py), with git fast-import.
func bigRepo(b *testing.B, n int) (dir, commit string) {
	b.Helper()
	dir = b.TempDir()
	bare := filepath.Join(dir, "big.git")
	gitrepotest.Git(b, dir, "init", "-q", "--bare", bare)
	var s bytes.Buffer
	s.WriteString("commit refs/heads/main\ncommitter R <r@example.org> 1700000000 +0000\ndata 3\nbig\n")
	yaml := "actions: {}\n"
	fmt.Fprintf(&s, "M 644 inline project.yaml\ndata %d\n%s\n", len(yaml), yaml)
	for i := range n {
		body := fmt.Sprintf("print(%d)\n", i)
		fmt.Fprintf(&s, "M 644 inline analysis/d%02d/f%05d.py\ndata %d\n%s\n", i%100, i, len(body), body)
	}
	cmd := exec.Command("git", "--git-dir="+bare, "fast-import", "--quiet")
	cmd.Stdin = &s
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("fast-import: %v: %s", err, out)
	}
	return dir, gitrepotest.Git(b, bare, "rev-parse", "main")
}

// BenchmarkCodeTree10k: a tree page of a repository of 10,000 files (the
// root, a folder and its parent: three listings). Cold: a new Repos, so
// git lists the commit's tree; warm: the same Repos, from its cache.
// baseline: `git ls-tree -r` alone, the least a cold page can cost.
func BenchmarkCodeTree10k(b *testing.B) {
	dir, commit := bigRepo(b, 10_000)
	url := "https://github.com/opensafely/big"
	page := func(r *gitrepo.Repos) {
		for _, p := range []string{"", "analysis", "analysis/d42"} {
			if _, _, err := r.Entry(context.Background(), url, commit, p); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("baseline-ls-tree", func(b *testing.B) {
		for b.Loop() {
			if err := exec.Command("git", "--git-dir="+filepath.Join(dir, "big.git"), "ls-tree", "-r", "-t", "-l", "-z", commit).Run(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("cold", func(b *testing.B) {
		for b.Loop() {
			page(gitrepo.New(gitrepo.Config{Dir: dir}))
		}
	})
	b.Run("warm", func(b *testing.B) {
		r := gitrepo.New(gitrepo.Config{Dir: dir})
		page(r)
		for b.Loop() {
			page(r)
		}
	})
}

// BenchmarkCodeFetch: fetching a missing commit from the loopback remote
// into an empty code folder, by 16 viewers at once; fetches/op must be 1.
func BenchmarkCodeFetch(b *testing.B) {
	st := gitrepotest.New(b, "study")
	var fetches int64
	for b.Loop() {
		b.StopTimer()
		r := gitrepo.New(gitrepo.Config{Dir: filepath.Join(b.TempDir(), "repos"), RemoteURL: st.RemoteURL, Backoff: time.Millisecond})
		b.StartTimer()
		var wg sync.WaitGroup
		for range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, _, err := r.Entry(context.Background(), st.RepoURL, st.Commit3, ""); err != nil {
					b.Error(err)
				}
			}()
		}
		wg.Wait()
		fetches += r.Fetches()
	}
	b.ReportMetric(float64(fetches)/float64(b.N), "fetches/op")
}
