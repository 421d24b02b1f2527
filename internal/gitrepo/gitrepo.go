// Package gitrepo reads studies' repositories at the commit a job ran, for
// the code browser (docs/settings.md, "Code browser").
//
// It keeps one bare repository per study under a folder
// (AIRLOCK_REPO_DIR/<name>.git) and, when a commit is missing and a remote
// is configured, fetches that commit alone (depth 1) from it. It runs the
// git binary: reading is ls-tree and cat-file, fetching is git's own
// fetch over HTTP(S), with its TLS, proxies and protocol v2 as operators
// already know them. Every argument is built from checked values only: a
// commit is 40 hex digits (domain.CheckCommit), a repository's name and
// remote path are plain names (domain.RepoPath), an object id comes from
// git's own listing, and a path is looked up in that listing, never given
// to git.
//
// Why the binary rather than a pure-Go library (go-git): fetching one
// commit by its id at depth 1 is what git's fetch does natively
// (protocol v2, the server's allow-*-in-want), with the HTTP features a
// proxy in a secure network needs (http.proxy, custom CAs); the library's
// support for fetching a bare commit id into a shallow repository is
// partial, and it would add a tree of modules to the build. The cost is
// a process per call: the tree of a commit is listed once and cached,
// since a commit's tree never changes, so a warm page starts none.
package gitrepo

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/workspace"
)

// Config says where the repositories are and how to fetch commits.
type Config struct {
	// Dir holds one bare repository per study, <name>.git.
	Dir string
	// RemoteURL is the base the missing commits are fetched from: the
	// repository's path ("opensafely/study") is appended. Empty: nothing
	// is fetched, only what is in Dir is shown.
	RemoteURL string
	// Token, when set, is sent (HTTP basic authentication, as a password)
	// to RemoteURL only: redirects are not followed.
	Token string
	// User is the user name sent with Token (default "airlock").
	User string
	// FetchTimeout bounds one attempt of a fetch (default 60s).
	FetchTimeout time.Duration
	// Retries is how many times a fetch that failed for a transient
	// reason (the network, a timeout, a 5xx) is tried again (default 3;
	// negative: never).
	Retries int
	// Backoff is the wait before the first retry, doubled each time
	// (default 1s).
	Backoff time.Duration
	// FailureTTL is how long a failed fetch is remembered, so that
	// viewers reloading a page do not each start one (default 30s).
	FailureTTL time.Duration
	// MaxFileSize is the largest file shown; larger ones are described,
	// never read (default 8 MiB).
	MaxFileSize int64
	// MaxEntries bounds the entries of a commit's tree that are indexed
	// (default 500,000).
	MaxEntries int
	// Git is the git binary (default "git" on PATH).
	Git    string
	Logger *slog.Logger
}

// Repos reads and fetches the repositories of Config.Dir. It is safe for
// concurrent use.
type Repos struct {
	cfg   Config
	mu    sync.Mutex
	locks map[string]*sync.Mutex // by repository name: one fetch at a time
	fails map[string]failure     // by name+commit
	trees *treeCache
	// fetches counts the fetches started (each attempt), for tests and
	// measurements.
	fetches atomic.Int64
}

type failure struct {
	err error
	at  time.Time
}

// New makes Repos. The folder is created when the first commit is
// fetched.
func New(cfg Config) *Repos {
	if cfg.FetchTimeout <= 0 {
		cfg.FetchTimeout = 60 * time.Second
	}
	if cfg.Retries == 0 {
		cfg.Retries = 3
	}
	if cfg.Retries < 0 {
		cfg.Retries = 0
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = time.Second
	}
	if cfg.FailureTTL <= 0 {
		cfg.FailureTTL = 30 * time.Second
	}
	if cfg.MaxFileSize <= 0 {
		cfg.MaxFileSize = 8 << 20
	}
	if cfg.MaxEntries <= 0 {
		cfg.MaxEntries = 500_000
	}
	if cfg.Git == "" {
		cfg.Git = "git"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	cfg.RemoteURL = strings.TrimRight(cfg.RemoteURL, "/")
	return &Repos{cfg: cfg, locks: map[string]*sync.Mutex{}, fails: map[string]failure{}, trees: newTreeCache(8)}
}

// Fetches is the number of fetch attempts made so far.
func (r *Repos) Fetches() int64 { return r.fetches.Load() }

// MaxFileSize is the largest file Read returns.
func (r *Repos) MaxFileSize() int64 { return r.cfg.MaxFileSize }

// gitDir is the bare repository of a study.
func (r *Repos) gitDir(name string) string { return filepath.Join(r.cfg.Dir, name+".git") }

// run runs git on a repository with a clean environment: no system or
// user configuration, no prompts, C messages. extraEnv adds to it.
func (r *Repos) run(ctx context.Context, gitDir string, stdout io.Writer, extraEnv []string, args ...string) error {
	full := append([]string{"--git-dir=" + gitDir}, args...)
	cmd := exec.CommandContext(ctx, r.cfg.Git, full...)
	cmd.Env = append([]string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + r.cfg.Dir,
		"LC_ALL=C",
		"GIT_CONFIG_NOSYSTEM=1",
		"GIT_CONFIG_GLOBAL=/dev/null",
		"GIT_TERMINAL_PROMPT=0",
		"GIT_ASKPASS=/bin/false",
		"GIT_LITERAL_PATHSPECS=1",
		"GIT_NO_REPLACE_OBJECTS=1",
	}, extraEnv...)
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = stdout, &limitedWriter{w: &stderr, n: 8 << 10}
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("git %s: %w", args[0], ctx.Err())
		}
		return &gitError{args: args[0], stderr: strings.TrimSpace(stderr.String()), err: err}
	}
	return nil
}

// gitError is a git command that failed, with what it said.
type gitError struct {
	args   string
	stderr string
	err    error
}

func (e *gitError) Error() string { return fmt.Sprintf("git %s: %v: %s", e.args, e.err, e.stderr) }
func (e *gitError) Unwrap() error { return e.err }

type limitedWriter struct {
	w io.Writer
	n int
}

func (l *limitedWriter) Write(p []byte) (int, error) {
	if l.n > 0 {
		k := min(len(p), l.n)
		l.w.Write(p[:k])
		l.n -= k
	}
	return len(p), nil
}

// has reports whether the repository holds the commit.
func (r *Repos) has(ctx context.Context, name, commit string) (bool, error) {
	dir := r.gitDir(name)
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return false, nil
	}
	err := r.run(ctx, dir, io.Discard, nil, "cat-file", "-e", commit+"^{commit}")
	var ge *gitError
	if errors.As(err, &ge) {
		return false, nil
	}
	return err == nil, err
}

// ensure makes sure the repository holds the commit, fetching it when
// missing and a remote is configured. Viewers of one repository wait for
// one another's fetch: a commit fetched while they waited is not fetched
// again.
func (r *Repos) ensure(ctx context.Context, repoURL, commit string) (string, error) {
	if err := domain.CheckCommit(commit); err != nil {
		return "", err
	}
	rpath, name, err := domain.RepoPath(repoURL)
	if err != nil {
		return "", err
	}
	ok, err := r.has(ctx, name, commit)
	if err != nil || ok {
		return name, err
	}
	if r.cfg.RemoteURL == "" {
		return "", domain.Errorf(domain.ErrNotFound,
			"Commit %s of %s is not in the code folder, and no remote to fetch it from is configured (AIRLOCK_GIT_PROXY_URL).", domain.ShortCommit(commit), name)
	}
	lock := r.lock(name)
	lock.Lock()
	defer lock.Unlock()
	if ok, err := r.has(ctx, name, commit); err != nil || ok {
		return name, err
	}
	key := name + "@" + commit
	r.mu.Lock()
	f, failed := r.fails[key]
	r.mu.Unlock()
	if failed && time.Since(f.at) < r.cfg.FailureTTL {
		return "", f.err
	}
	if err := r.fetch(ctx, rpath, name, commit); err != nil {
		if ctx.Err() == nil {
			r.mu.Lock()
			for k, f := range r.fails {
				if time.Since(f.at) >= r.cfg.FailureTTL {
					delete(r.fails, k) // so that the map holds only recent failures
				}
			}
			r.fails[key] = failure{err: err, at: time.Now()}
			r.mu.Unlock()
		}
		return "", err
	}
	return name, nil
}

func (r *Repos) lock(name string) *sync.Mutex {
	r.mu.Lock()
	defer r.mu.Unlock()
	l, ok := r.locks[name]
	if !ok {
		l = &sync.Mutex{}
		r.locks[name] = l
	}
	return l
}

// fetch fetches one commit at depth 1, retrying transient failures with
// back-off, and tags it fetched/<commit> so that it stays.
func (r *Repos) fetch(ctx context.Context, rpath, name, commit string) error {
	dir := r.gitDir(name)
	if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
		if err := os.MkdirAll(r.cfg.Dir, 0o755); err != nil {
			return fmt.Errorf("gitrepo: make the code folder: %w", err)
		}
		if err := r.run(ctx, dir, io.Discard, nil, "init", "--bare", "--quiet"); err != nil {
			return fmt.Errorf("gitrepo: create %s: %w", name, err)
		}
	}
	remote := r.cfg.RemoteURL + "/" + rpath
	cfg := [][2]string{
		{"http.followRedirects", "false"},
		{"credential.helper", ""},
		// Only the remote's own transport (https, http, or file for a
		// local mirror): never ssh, ext or a submodule's.
		{"protocol.allow", "never"},
		{"protocol." + scheme(r.cfg.RemoteURL) + ".allow", "always"},
	}
	if r.cfg.Token != "" {
		// Scoped to the remote's URL by git itself: sent to no other host.
		user := r.cfg.User
		if user == "" {
			user = "airlock"
		}
		auth := base64.StdEncoding.EncodeToString([]byte(user + ":" + r.cfg.Token))
		cfg = append(cfg, [2]string{"http." + r.cfg.RemoteURL + "/.extraHeader", "Authorization: Basic " + auth})
	}
	// Through the environment, not the command line: a token is not
	// shown to other users of the machine.
	env := []string{"GIT_CONFIG_COUNT=" + strconv.Itoa(len(cfg))}
	for i, kv := range cfg {
		env = append(env, fmt.Sprintf("GIT_CONFIG_KEY_%d=%s", i, kv[0]), fmt.Sprintf("GIT_CONFIG_VALUE_%d=%s", i, kv[1]))
	}
	wait := r.cfg.Backoff
	var err error
	for attempt := 0; ; attempt++ {
		r.fetches.Add(1)
		actx, cancel := context.WithTimeout(ctx, r.cfg.FetchTimeout)
		start := time.Now()
		err = r.run(actx, dir, io.Discard, env, "fetch", "--quiet", "--no-tags", "--no-write-fetch-head", "--depth=1", "--", remote, commit)
		timedOut := actx.Err() != nil && ctx.Err() == nil
		cancel()
		if err == nil {
			r.cfg.Logger.Info("fetched a commit", "repo", name, "commit", commit, "attempts", attempt+1, "took", time.Since(start))
			break
		}
		transient := timedOut || isTransient(err)
		r.cfg.Logger.Warn("fetching a commit failed", "repo", name, "commit", commit, "attempt", attempt+1, "transient", transient, "err", redact(err, r.cfg.Token))
		if !transient || attempt >= r.cfg.Retries || ctx.Err() != nil {
			return fetchError(name, commit, err, timedOut, transient)
		}
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return fmt.Errorf("gitrepo: fetch %s: %w", name, ctx.Err())
		}
		wait *= 2
	}
	if err := r.run(ctx, dir, io.Discard, nil, "update-ref", "refs/tags/fetched/"+commit, commit); err != nil {
		return fmt.Errorf("gitrepo: keep %s: %w", domain.ShortCommit(commit), err)
	}
	return nil
}

// scheme is a URL's scheme ("https").
func scheme(remote string) string {
	s, _, _ := strings.Cut(remote, "://")
	return strings.ToLower(s)
}

// fetchError is what a person is told when a commit could not be fetched.
func fetchError(name, commit string, err error, timedOut, transient bool) error {
	sc := domain.ShortCommit(commit)
	switch {
	case timedOut:
		return domain.Errorf(domain.ErrUnavailable, "Fetching commit %s of %s timed out. Try again later.", sc, name)
	case transient:
		return domain.Errorf(domain.ErrUnavailable, "Commit %s of %s could not be fetched: the code server could not be reached. Try again later.", sc, name)
	}
	return domain.Errorf(domain.ErrNotFound, "Commit %s of %s could not be fetched: the code server does not have it (or airlock may not read the repository).", sc, name)
}

// isTransient reports whether git failed for a reason that may pass: the
// network, TLS, or the server's 5xx.
func isTransient(err error) bool {
	var ge *gitError
	if !errors.As(err, &ge) {
		return false
	}
	s := strings.ToLower(ge.stderr)
	for _, m := range []string{
		"could not resolve host", "connection refused", "connection reset", "connection timed out",
		"operation timed out", "timed out", "rpc failed", "early eof", "unexpected disconnect",
		"the requested url returned error: 5", "gnutls", "ssl", "tls", "empty reply from server",
		"transfer closed", "failed to connect",
	} {
		if strings.Contains(s, m) {
			return true
		}
	}
	return false
}

func redact(err error, token string) string {
	s := err.Error()
	if token != "" {
		s = strings.ReplaceAll(s, token, "***")
	}
	return s
}

// Entry returns what is at a path of a repository at a commit: a folder
// with its entries (folders first, then by name), or a file, link or
// submodule with none. The commit is fetched first when missing.
func (r *Repos) Entry(ctx context.Context, repoURL, commit, relpath string) (domain.CodeEntry, []domain.CodeEntry, error) {
	t, e, err := r.lookup(ctx, repoURL, commit, relpath)
	if err != nil {
		return domain.CodeEntry{}, nil, err
	}
	if e.Kind != domain.CodeDir {
		return e.CodeEntry, nil, nil
	}
	kids := t.children[e.Path]
	out := make([]domain.CodeEntry, len(kids))
	for i, k := range kids {
		out[i] = k.CodeEntry
	}
	return e.CodeEntry, out, nil
}

// Read returns the bytes of a file of a repository at a commit. A link,
// a submodule, a folder or a file larger than MaxFileSize is refused with
// why.
func (r *Repos) Read(ctx context.Context, repoURL, commit, relpath string) ([]byte, domain.CodeEntry, error) {
	t, e, err := r.lookup(ctx, repoURL, commit, relpath)
	if err != nil {
		return nil, domain.CodeEntry{}, err
	}
	switch e.Kind {
	case domain.CodeDir:
		return nil, e.CodeEntry, domain.Errorf(domain.ErrInvalidInput, "%s is a folder.", relpath)
	case domain.CodeSymlink:
		return nil, e.CodeEntry, domain.Errorf(domain.ErrInvalidInput, "%s is a symbolic link: links are not followed.", relpath)
	case domain.CodeSubmodule:
		return nil, e.CodeEntry, domain.Errorf(domain.ErrInvalidInput, "%s is a submodule: another repository's code, not in this one.", relpath)
	}
	if e.Size > r.cfg.MaxFileSize {
		return nil, e.CodeEntry, domain.Errorf(domain.ErrInvalidInput, "%s is %d bytes, more than the %d the code browser shows.", relpath, e.Size, r.cfg.MaxFileSize)
	}
	var buf bytes.Buffer
	buf.Grow(int(e.Size))
	lw := &capWriter{w: &buf, n: r.cfg.MaxFileSize}
	if err := r.run(ctx, r.gitDir(t.name), lw, nil, "cat-file", "blob", e.object); err != nil {
		return nil, e.CodeEntry, fmt.Errorf("gitrepo: read %s at %s: %w", relpath, domain.ShortCommit(commit), err)
	}
	if lw.over {
		return nil, e.CodeEntry, domain.Errorf(domain.ErrInvalidInput, "%s is larger than the code browser shows.", relpath)
	}
	return buf.Bytes(), e.CodeEntry, nil
}

type capWriter struct {
	w    io.Writer
	n    int64
	over bool
}

func (c *capWriter) Write(p []byte) (int, error) {
	if int64(len(p)) > c.n {
		c.over = true
		return 0, errors.New("too large")
	}
	c.n -= int64(len(p))
	return c.w.Write(p)
}

// lookup finds a path in the commit's tree.
func (r *Repos) lookup(ctx context.Context, repoURL, commit, relpath string) (*tree, *node, error) {
	clean, err := workspace.CleanPath(relpath)
	if err != nil {
		return nil, nil, err
	}
	t, err := r.tree(ctx, repoURL, commit)
	if err != nil {
		return nil, nil, err
	}
	e, ok := t.nodes[clean]
	if !ok {
		return nil, nil, domain.Errorf(domain.ErrNotFound, "%s has no file or folder %s at commit %s.", t.name, clean, domain.ShortCommit(commit))
	}
	return t, e, nil
}

// tree is the index of every entry of a commit's tree.
type tree struct {
	name     string
	nodes    map[string]*node
	children map[string][]*node
	skipped  int // entries whose names cannot be shown
}

type node struct {
	domain.CodeEntry
	object string
}

// tree returns the commit's index, from the cache or listed by git.
func (r *Repos) tree(ctx context.Context, repoURL, commit string) (*tree, error) {
	if err := domain.CheckCommit(commit); err != nil {
		return nil, err
	}
	key := repoURL + "\x00" + commit
	if t := r.trees.get(key); t != nil {
		return t, nil
	}
	name, err := r.ensure(ctx, repoURL, commit)
	if err != nil {
		return nil, err
	}
	t, err := r.list(ctx, name, commit)
	if err != nil {
		return nil, err
	}
	r.trees.put(key, t)
	return t, nil
}

// list reads the whole tree of a commit with one ls-tree.
func (r *Repos) list(ctx context.Context, name, commit string) (*tree, error) {
	var out bytes.Buffer
	if err := r.run(ctx, r.gitDir(name), &out, nil, "ls-tree", "-r", "-t", "-l", "-z", "--full-tree", commit); err != nil {
		return nil, fmt.Errorf("gitrepo: list %s at %s: %w", name, domain.ShortCommit(commit), err)
	}
	t := &tree{name: name, nodes: map[string]*node{"": {CodeEntry: domain.CodeEntry{Kind: domain.CodeDir}}}, children: map[string][]*node{}}
	data := out.Bytes()
	for len(data) > 0 {
		i := bytes.IndexByte(data, 0)
		if i < 0 {
			i = len(data)
		}
		rec := string(data[:i])
		data = data[min(i+1, len(data)):]
		if len(t.nodes) > r.cfg.MaxEntries {
			return nil, domain.Errorf(domain.ErrInvalidInput, "%s has more than %d files at commit %s: too many to browse.", name, r.cfg.MaxEntries, domain.ShortCommit(commit))
		}
		n, ok := parseEntry(rec)
		if !ok {
			t.skipped++
			continue
		}
		parent := parentOf(n.Path)
		if p, ok := t.nodes[parent]; !ok || p.Kind != domain.CodeDir {
			t.skipped++ // under a name that was skipped
			continue
		}
		t.nodes[n.Path] = n
		t.children[parent] = append(t.children[parent], n)
	}
	for _, kids := range t.children {
		sort.Slice(kids, func(i, j int) bool {
			if (kids[i].Kind == domain.CodeDir) != (kids[j].Kind == domain.CodeDir) {
				return kids[i].Kind == domain.CodeDir
			}
			return kids[i].Name < kids[j].Name
		})
	}
	return t, nil
}

// parseEntry reads "<mode> <type> <object> <size>\t<path>". A path that
// is not a canonical relative path (workspace.CleanPath) is not shown.
func parseEntry(rec string) (*node, bool) {
	meta, p, ok := strings.Cut(rec, "\t")
	if !ok {
		return nil, false
	}
	f := strings.Fields(meta)
	if len(f) != 4 || len(f[2]) < 40 {
		return nil, false
	}
	if clean, err := workspace.CleanPath(p); err != nil || clean != p || p == "" {
		return nil, false
	}
	n := &node{object: f[2], CodeEntry: domain.CodeEntry{Path: p, Name: p[strings.LastIndexByte(p, '/')+1:]}}
	switch {
	case f[1] == "tree":
		n.Kind = domain.CodeDir
	case f[1] == "commit":
		n.Kind = domain.CodeSubmodule
	case f[0] == "120000":
		n.Kind = domain.CodeSymlink
	case f[1] == "blob":
		n.Kind = domain.CodeFile
	default:
		return nil, false
	}
	if n.Kind != domain.CodeDir {
		n.Size, _ = strconv.ParseInt(f[3], 10, 64)
	}
	return n, true
}

func parentOf(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[:i]
	}
	return ""
}

// treeCache keeps the indexes of the last commits browsed: a commit's
// tree never changes, so an entry is never stale.
type treeCache struct {
	mu    sync.Mutex
	max   int
	order []string
	m     map[string]*tree
}

func newTreeCache(max int) *treeCache { return &treeCache{max: max, m: map[string]*tree{}} }

func (c *treeCache) get(k string) *tree {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.m[k]
	if t != nil {
		c.touch(k)
	}
	return t
}

func (c *treeCache) put(k string, t *tree) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[k]; !ok && len(c.order) >= c.max {
		delete(c.m, c.order[0])
		c.order = c.order[1:]
	}
	c.m[k] = t
	c.touch(k)
}

func (c *treeCache) touch(k string) {
	for i, o := range c.order {
		if o == k {
			c.order = append(c.order[:i], c.order[i+1:]...)
			break
		}
	}
	c.order = append(c.order, k)
}
