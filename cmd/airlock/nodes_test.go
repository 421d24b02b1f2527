package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"mime"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/airlock-go/airlock/internal/client"
	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/jobservertest"
	"github.com/airlock-go/airlock/internal/store"
	"github.com/airlock-go/airlock/internal/store/postgres"
	"github.com/airlock-go/airlock/internal/store/postgres/pgtest"
	"github.com/airlock-go/airlock/internal/testkit"
)

// The cast of TestSeveralNodes: one researcher with a role on every
// workspace, two output checkers.
const (
	nodesAuthor = "researcher"
	nodesC1     = "c1"
	nodesC2     = "c2"
	nodesGroup  = "tables"
)

// TestSeveralNodes runs two `airlock serve` processes on one PostgreSQL
// database, one request folder and one workspace folder, both running
// the uploader and releasing to a fake job-server, and drives many
// requests through both at once with the JSON API: the same researcher
// adding files and submitting through both nodes, the same and
// different checkers voting on the same files through both, the same
// reviewer submitting their review through both, returns and releases
// of the same request racing through both.
//
// Every answer is a success or, for the losing side of a race, a 409
// that changed nothing. Then: every acknowledged action is in the audit
// log exactly once (no lost write, no write from a refused call); each
// file's final vote is the vote of the last acknowledged call; each
// reviewer's review is counted once per turn; every request ends
// RELEASED with each file uploaded exactly once, with the reviewed
// bytes; and the audit chain verifies.
func TestSeveralNodes(t *testing.T) {
	dbURL := pgtest.NewDatabase(t)
	bin := buildAirlock(t)
	js := jobservertest.New(t, "api-secret")
	root := t.TempDir()
	wsDir := filepath.Join(root, "workspaces") // shared by both nodes
	reqDir := filepath.Join(root, "requests")  // shared by both nodes

	const (
		nRequests = 8
		nFiles    = 3
	)
	content := map[string]map[string][]byte{} // workspace → path → bytes
	var workspaces []string
	for i := range nRequests {
		ws := fmt.Sprintf("ws%02d", i+1)
		workspaces = append(workspaces, ws)
		w := testkit.NewDiskWorkspace(t, wsDir, ws)
		content[ws] = map[string][]byte{}
		for j := range nFiles {
			p := fmt.Sprintf("output/table_%d.csv", j+1)
			b := csvTable(i*nFiles + j)
			w.Output(p, string(b), nil)
			content[ws][p] = b
		}
		w.Save()
	}
	users := map[string]domain.User{
		nodesAuthor: testkit.NewUser(nodesAuthor, testkit.Researcher, workspaces...),
		nodesC1:     testkit.NewUser(nodesC1, testkit.Checker),
		nodesC2:     testkit.NewUser(nodesC2, testkit.Checker),
	}
	for name, u := range users {
		js.AddUser(name, "", "login-"+name+"-a", testkit.UserJSON(u))
		js.AddUser(name, "", "login-"+name+"-b", nil)
	}

	// Both nodes start at once, on an empty database: the migrations'
	// lock lets one migrate while the other waits.
	var nodes [2]*serveNode
	var wg sync.WaitGroup
	for i, name := range []string{"a", "b"} {
		wg.Go(func() {
			nodes[i] = startServeNode(t, bin, name, []string{
				"AIRLOCK_WORK_DIR=" + filepath.Join(root, "node-"+name),
				"AIRLOCK_DATABASE_URL=" + dbURL,
				"AIRLOCK_WORKSPACE_DIR=" + wsDir,
				"AIRLOCK_REQUEST_DIR=" + reqDir,
				"AIRLOCK_LISTEN=127.0.0.1:0",
				"AIRLOCK_API_TOKEN=api-secret",
				"AIRLOCK_API_ENDPOINT=" + js.URL(),
				"AIRLOCK_UPLOAD_DELAY=0.05",
				"AIRLOCK_UPLOAD_RETRY_DELAY=0.2",
				"AIRLOCK_LOG_LEVEL=info",
			})
		})
	}
	wg.Wait()
	if nodes[0] == nil || nodes[1] == nil {
		t.FailNow() // startServeNode said why
	}
	defer func() {
		if t.Failed() {
			for _, n := range nodes {
				t.Logf("node %s logs, without successful requests (last 8 KiB):\n%s", n.name, tail(notable(n.logs.String()), 8<<10))
			}
		}
	}()

	// Each user logs in once on each node (a single-use job-server token
	// each); an API token from one node is good on the other too.
	h := &nodesHarness{t: t, js: js, content: content, acked: map[actionKey]int{}, releases: map[string]int{}}
	ctx := t.Context()
	tokensA := map[string]string{}
	for name := range users {
		for i, n := range nodes {
			tok, err := client.New(n.base, "", nil).Token(ctx, name, "login-"+name+"-"+n.name)
			if err != nil {
				t.Fatalf("login of %s on node %s: %v", name, n.name, err)
			}
			if h.clients[i] == nil {
				h.clients[i] = map[string]*client.Client{}
			}
			h.clients[i][name] = client.New(n.base, tok.Token, nil)
			if i == 0 {
				tokensA[name] = tok.Token
			}
		}
	}
	if _, err := h.client(1, nodesC1).WithToken(tokensA[nodesC1]).Me(ctx); err != nil {
		t.Fatalf("node a's API token on node b: %v", err)
	}

	// Every request's life, all of them at once.
	ids := make([]string, len(workspaces))
	for i, ws := range workspaces {
		wg.Go(func() { ids[i] = h.lifecycle(ctx, ws) })
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}

	// The uploaders of both nodes take every request to RELEASED.
	for i, id := range ids {
		h.waitReleased(ctx, id, i%2)
	}

	for _, n := range nodes {
		n.stop(t)
	}
	h.checkUploads(ids, workspaces)
	h.checkNotifications(ids)
	h.checkAudit(ctx, dbURL, ids)
	code, out, stderr := airlock(t, "", "audit", "verify", "--database-url", dbURL)
	if code != 0 || !strings.Contains(out, "audit log intact") {
		t.Errorf("audit verify: exit %d\n%s%s", code, out, stderr)
	}
	for _, n := range nodes {
		if lines := errorLines(n.logs.String()); len(lines) > 0 {
			t.Errorf("node %s logged errors:\n%s", n.name, strings.Join(lines, "\n"))
		}
	}
	t.Logf("%d requests through 2 nodes: %d acknowledged actions, %d refused with 409 (races lost); %d release/return races won by a return",
		len(ids), h.total(), h.conflicts, h.returnWon)
}

// csvTable is a small CSV output, different for each n.
func csvTable(n int) []byte {
	var b bytes.Buffer
	b.WriteString("region,age_band,count\n")
	for i := range 200 {
		fmt.Fprintf(&b, "region %d,%d-%d,%d\n", i%9, 10*(i%8), 10*(i%8)+9, 5*(i+n+2))
	}
	return b.Bytes()
}

// serveNode is one `airlock serve` process.
type serveNode struct {
	name string
	base string // http://host:port
	cmd  *exec.Cmd
	logs *testkit.SyncBuffer
	done chan struct{} // closed when the process has exited
}

var listeningRE = regexp.MustCompile(`msg=listening addr=(http://\S+)`)

// startServeNode starts `airlock serve` with env and waits until it
// answers /readyz. On failure it reports why and returns nil.
func startServeNode(t *testing.T, bin, name string, env []string) *serveNode {
	t.Helper()
	n := &serveNode{name: name, logs: &testkit.SyncBuffer{}, done: make(chan struct{})}
	n.cmd = exec.Command(bin, "serve")
	n.cmd.Env = append(os.Environ(), env...)
	stderr, err := n.cmd.StderrPipe()
	if err != nil {
		t.Errorf("node %s: %v", name, err)
		return nil
	}
	if err := n.cmd.Start(); err != nil {
		t.Errorf("node %s: start: %v", name, err)
		return nil
	}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			n.logs.Write([]byte(line + "\n"))
			if m := listeningRE.FindStringSubmatch(line); m != nil {
				select {
				case addr <- m[1]:
				default:
				}
			}
		}
		io.Copy(io.Discard, stderr)
		n.cmd.Wait()
		close(n.done)
	}()
	t.Cleanup(func() {
		select {
		case <-n.done:
		default:
			n.cmd.Process.Kill()
			<-n.done
		}
	})
	select {
	case n.base = <-addr:
	case <-n.done:
		t.Errorf("node %s stopped at start-up:\n%s", name, n.logs.String())
		return nil
	case <-time.After(60 * time.Second):
		t.Errorf("node %s did not start listening:\n%s", name, n.logs.String())
		return nil
	}
	resp, err := http.Get(n.base + "/readyz")
	if err != nil {
		t.Errorf("node %s: readyz: %v", name, err)
		return nil
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("node %s: readyz answered %d", name, resp.StatusCode)
		return nil
	}
	return n
}

// stop stops the node as an operator would (SIGINT: in-flight requests
// finish, queued notifications are sent) and waits for it.
func (n *serveNode) stop(t *testing.T) {
	t.Helper()
	n.cmd.Process.Signal(os.Interrupt)
	<-n.done
	if code := n.cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("node %s exited %d", n.name, code)
	}
}

// errorLines returns the ERROR lines of a node's log.
func errorLines(logs string) []string {
	var out []string
	for line := range strings.Lines(logs) {
		if strings.Contains(line, "level=ERROR") {
			out = append(out, strings.TrimSpace(line))
		}
	}
	return out
}

// notable drops the log lines of successful HTTP requests.
func notable(logs string) string {
	var b strings.Builder
	for line := range strings.Lines(logs) {
		if strings.Contains(line, `msg="http request"`) && strings.Contains(line, " status=2") {
			continue
		}
		b.WriteString(line)
	}
	return b.String()
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

// actionKey identifies acknowledged actions and the audit events that
// record them.
type actionKey struct {
	request, user string
	event         domain.EventType
	path          string
}

// nodesHarness drives the nodes and keeps the tally of what they
// acknowledged.
type nodesHarness struct {
	t       *testing.T
	js      *jobservertest.Server
	content map[string]map[string][]byte
	clients [2]map[string]*client.Client // by node, then user

	mu        sync.Mutex
	acked     map[actionKey]int // acknowledged actions that each write one audit event
	releases  map[string]int    // acknowledged releases per request
	conflicts int
	returnWon int // release/return races a return won
}

// client returns user's client on node (0 or 1).
func (h *nodesHarness) client(node int, user string) *client.Client { return h.clients[node][user] }

// outcome classifies an answer: true for a success; false for a 409 (a
// race lost, counted); anything else fails the test.
func (h *nodesHarness) outcome(what string, err error) bool {
	if err == nil {
		return true
	}
	var ae *client.APIError
	if errors.As(err, &ae) && ae.Status == http.StatusConflict {
		h.mu.Lock()
		h.conflicts++
		h.mu.Unlock()
		return false
	}
	h.t.Errorf("%s: %v", what, err)
	return false
}

// ack records an acknowledged action that writes exactly one audit event.
func (h *nodesHarness) ack(k actionKey) {
	h.mu.Lock()
	h.acked[k]++
	h.mu.Unlock()
}

func (h *nodesHarness) total() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, c := range h.acked {
		n += c
	}
	for _, c := range h.releases {
		n += c
	}
	return n
}

// together runs fns at once and waits for all of them.
func together(fns ...func()) {
	start := make(chan struct{})
	var wg sync.WaitGroup
	for _, fn := range fns {
		wg.Go(func() { <-start; fn() })
	}
	close(start)
	wg.Wait()
}

// lifecycle takes one request from nothing to APPROVED through both
// nodes, racing at every step, and returns its id ("" on failure).
func (h *nodesHarness) lifecycle(ctx context.Context, ws string) string {
	t := h.t
	paths := slices.Sorted(maps.Keys(h.content[ws]))
	rng := rand.New(rand.NewPCG(uint64(len(ws)), uint64(ws[len(ws)-1])))

	// The author adds the files through both nodes at once: one request
	// is created, holding all of them.
	var adds []func()
	for i, p := range paths {
		adds = append(adds, func() {
			_, err := h.client(i%2, nodesAuthor).AddFiles(ctx, ws, nodesGroup, []client.AddFile{{Path: p, FileType: client.FileTypeOutput}})
			if err != nil {
				t.Errorf("%s: add %s through node %d: %v", ws, p, i%2, err)
			}
		})
	}
	together(adds...)
	reqs, err := h.client(0, nodesAuthor).Requests(ctx, client.RequestFilter{Workspace: ws})
	if err != nil || len(reqs) != 1 {
		t.Errorf("%s: after adding through both nodes, requests %v (err %v), want exactly one", ws, reqs, err)
		return ""
	}
	id := reqs[0].ID
	r, err := h.client(1, nodesAuthor).Request(ctx, id)
	if err != nil {
		t.Errorf("%s: %v", ws, err)
		return ""
	}
	if g, _ := r.Group(nodesGroup); len(g.Files) != len(paths) {
		t.Errorf("%s: the request holds %d files, want %d", ws, len(g.Files), len(paths))
		return ""
	}
	for _, p := range paths {
		h.ack(actionKey{id, nodesAuthor, domain.EventRequestFileAdd, p})
	}
	if _, err := h.client(1, nodesAuthor).EditGroup(ctx, id, nodesGroup, "Counts by region and age band", "Rounded to 5; counts of 7 or less redacted"); err != nil {
		t.Errorf("%s: edit group: %v", ws, err)
		return ""
	}

	for turn := 1; ; turn++ {
		// Submit (or resubmit) through both nodes at once: one wins.
		if !h.race1(ctx, id, "submit", nodesAuthor, domain.EventRequestSubmit, func(c *client.Client) error {
			_, err := c.Submit(ctx, id)
			return err
		}) {
			return ""
		}
		if turn == 1 {
			h.voteRaces(ctx, id, paths, rng)
		}
		h.commentRaces(ctx, id, turn)
		h.reviewRace(ctx, id)
		if t.Failed() {
			return ""
		}
		status := h.releaseOrReturn(ctx, id, turn < 3)
		switch status {
		case "APPROVED":
			return id
		case "RETURNED":
			continue
		default:
			t.Errorf("%s: after the release/return race the request is %s", id, status)
			return ""
		}
	}
}

// race1 runs an action of user through both nodes at once: exactly one
// must succeed, the other lose with 409.
func (h *nodesHarness) race1(ctx context.Context, id, what, user string, ev domain.EventType, call func(*client.Client) error) bool {
	var ok [2]bool
	together(
		func() { ok[0] = h.outcome(id+": "+what+" via a", call(h.client(0, user))) },
		func() { ok[1] = h.outcome(id+": "+what+" via b", call(h.client(1, user))) },
	)
	if ok[0] == ok[1] {
		h.t.Errorf("%s: %s by %s through both nodes at once: successes %v, want exactly one", id, what, user, ok)
		return false
	}
	h.ack(actionKey{id, user, ev, ""})
	return true
}

// voteRaces: both checkers vote on every file through both nodes at
// once, each checker sending opposite votes through the two nodes.
// Afterwards each (checker, file) holds one of the acknowledged votes,
// the one the audit log says came last (checked in checkAudit). Then
// each checker changes their votes one call at a time, alternating
// nodes, and reads each back through the other node: the read sees the
// write at once.
func (h *nodesHarness) voteRaces(ctx context.Context, id string, paths []string, rng *rand.Rand) {
	t := h.t
	var calls []func()
	for _, p := range paths {
		for _, user := range []string{nodesC1, nodesC2} {
			votes := []string{client.VoteApproved, client.VoteChangesRequested}
			if rng.IntN(2) == 0 {
				votes[0], votes[1] = votes[1], votes[0]
			}
			for node, v := range votes {
				calls = append(calls, func() {
					_, err := h.client(node, user).Vote(ctx, id, p, v)
					if h.outcome(fmt.Sprintf("%s: %s votes %s on %s via node %d", id, user, v, p, node), err) {
						h.ack(actionKey{id, user, voteEvent(v), p})
					}
				})
			}
		}
	}
	rng.Shuffle(len(calls), func(i, j int) { calls[i], calls[j] = calls[j], calls[i] })
	together(calls...)

	// Read your writes across nodes: each write through one node is
	// seen by the next read through the other, cache or no cache.
	for i, p := range paths {
		for _, user := range []string{nodesC1, nodesC2} {
			for step, v := range []string{client.VoteChangesRequested, client.VoteApproved} {
				w, r := (i+step)%2, (i+step+1)%2
				_, err := h.client(w, user).Vote(ctx, id, p, v)
				if !h.outcome(fmt.Sprintf("%s: %s votes %s on %s", id, user, v, p), err) {
					t.Errorf("%s: a lone vote was refused", id)
					return
				}
				h.ack(actionKey{id, user, voteEvent(v), p})
				got := h.myVote(ctx, r, user, id, p)
				if got != v {
					t.Errorf("%s: %s voted %s on %s through node %d; node %d reads %q", id, user, v, p, w, r, got)
				}
			}
		}
	}
}

func voteEvent(v string) domain.EventType {
	if v == client.VoteApproved {
		return domain.EventRequestFileApprove
	}
	return domain.EventRequestFileRequestChanges
}

// myVote reads user's vote on a file through node.
func (h *nodesHarness) myVote(ctx context.Context, node int, user, id, path string) string {
	r, err := h.client(node, user).Request(ctx, id)
	if err != nil {
		h.t.Errorf("%s: read as %s: %v", id, user, err)
		return ""
	}
	g, _ := r.Group(nodesGroup)
	for _, f := range g.Files {
		if f.Path == path && f.MyVote != nil {
			return *f.MyVote
		}
	}
	return ""
}

// commentRaces: both checkers comment through both nodes at once; every
// comment is kept.
func (h *nodesHarness) commentRaces(ctx context.Context, id string, turn int) {
	var calls []func()
	for node := range 2 {
		for _, user := range []string{nodesC1, nodesC2} {
			calls = append(calls, func() {
				text := fmt.Sprintf("turn %d: %s through node %d", turn, user, node)
				_, err := h.client(node, user).Comment(ctx, id, nodesGroup, text, client.VisibilityPrivate)
				if h.outcome(id+": comment", err) {
					h.ack(actionKey{id, user, domain.EventRequestComment, ""})
				}
			})
		}
	}
	together(calls...)
}

// reviewRace: both checkers submit their reviews through both nodes at
// once. Each review counts once: one submission per checker succeeds,
// and the request is REVIEWED with exactly their two reviews.
func (h *nodesHarness) reviewRace(ctx context.Context, id string) {
	t := h.t
	var ok [2][2]bool
	var calls []func()
	for node := range 2 {
		for ci, user := range []string{nodesC1, nodesC2} {
			calls = append(calls, func() {
				_, err := h.client(node, user).Review(ctx, id)
				ok[ci][node] = h.outcome(fmt.Sprintf("%s: review by %s via node %d", id, user, node), err)
			})
		}
	}
	together(calls...)
	for ci, user := range []string{nodesC1, nodesC2} {
		if ok[ci][0] == ok[ci][1] {
			t.Errorf("%s: %s submitted their review through both nodes: successes %v, want exactly one", id, user, ok[ci])
			continue
		}
		h.ack(actionKey{id, user, domain.EventRequestReview, ""})
	}
	r, err := h.client(rand.IntN(2), nodesC1).Request(ctx, id)
	if err != nil {
		t.Errorf("%s: %v", id, err)
		return
	}
	if r.Status != "REVIEWED" || len(r.SubmittedReviews) != 2 {
		t.Errorf("%s: after both reviews: status %s, reviews %v", id, r.Status, r.SubmittedReviews)
	}
}

// releaseOrReturn: each checker releases through one node and (when
// withReturn) returns through the other, all at once. Either a return
// won (exactly one, and no release), or a release did (any number of
// releases, which re-running completes, and no return). It returns the
// status the request is left in.
func (h *nodesHarness) releaseOrReturn(ctx context.Context, id string, withReturn bool) string {
	t := h.t
	var mu sync.Mutex
	var returned, released int
	var calls []func()
	for node := range 2 {
		for _, user := range []string{nodesC1, nodesC2} {
			release := !withReturn || (node == 1) == (user == nodesC1)
			calls = append(calls, func() {
				c := h.client(node, user)
				if release {
					_, err := c.Release(ctx, id)
					if h.outcome(fmt.Sprintf("%s: release by %s via node %d", id, user, node), err) {
						mu.Lock()
						released++
						mu.Unlock()
					}
					return
				}
				_, err := c.Return(ctx, id)
				if h.outcome(fmt.Sprintf("%s: return by %s via node %d", id, user, node), err) {
					mu.Lock()
					returned++
					mu.Unlock()
					h.ack(actionKey{id, user, domain.EventRequestReturn, ""})
				}
			})
		}
	}
	together(calls...)
	r, err := h.client(0, nodesAuthor).Request(ctx, id)
	if err != nil {
		t.Errorf("%s: %v", id, err)
		return ""
	}
	switch {
	case returned == 1 && released == 0:
		if r.Status != "RETURNED" {
			t.Errorf("%s: a return won but the request is %s", id, r.Status)
		}
		h.mu.Lock()
		h.returnWon++
		h.mu.Unlock()
	case returned == 0 && released > 0:
		if r.Status != "APPROVED" && r.Status != "RELEASED" {
			t.Errorf("%s: a release won but the request is %s", id, r.Status)
		}
		h.mu.Lock()
		h.releases[id] += released
		h.mu.Unlock()
		return "APPROVED"
	default:
		t.Errorf("%s: %d returns and %d releases succeeded at once", id, returned, released)
	}
	return r.Status
}

// waitReleased waits for the uploaders to take the request to RELEASED.
func (h *nodesHarness) waitReleased(ctx context.Context, id string, node int) {
	t := h.t
	deadline := time.Now().Add(60 * time.Second)
	for {
		r, err := h.client(node, nodesAuthor).Request(ctx, id)
		if err != nil {
			t.Errorf("%s: %v", id, err)
			return
		}
		if r.Status == "RELEASED" {
			return
		}
		if r.Status != "APPROVED" {
			t.Errorf("%s: %s while waiting for the upload", id, r.Status)
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("%s: still %s after a minute of uploading", id, r.Status)
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// checkUploads: job-server holds every output file exactly once, with
// the bytes that were reviewed.
func (h *nodesHarness) checkUploads(ids, workspaces []string) {
	t := h.t
	for i, id := range ids {
		uploaded := h.js.Uploaded(id)
		for p, want := range h.content[workspaces[i]] {
			if !bytes.Equal(uploaded[p], want) {
				t.Errorf("%s: %s uploaded as %d bytes that are not the reviewed file", id, p, len(uploaded[p]))
			}
			if c := h.js.UploadCount(id, p); c != 1 {
				t.Errorf("%s: %s uploaded %d times", id, p, c)
			}
		}
		if len(uploaded) != len(h.content[workspaces[i]]) {
			t.Errorf("%s: %d files uploaded, want %d", id, len(uploaded), len(h.content[workspaces[i]]))
		}
	}
	// Nothing failed, so each file was sent once: no uploader sent a file
	// another had sent (job-server's "already uploaded" answer would hide
	// that from the counts above).
	sent := map[string]int{}
	for _, c := range h.js.Calls() {
		if c.Route == jobservertest.RouteUpload {
			_, params, _ := mime.ParseMediaType(c.Headers.Get("Content-Disposition"))
			sent[c.Path+" "+params["filename"]]++
		}
	}
	for k, n := range sent {
		if n != 1 {
			t.Errorf("upload %s sent %d times", k, n)
		}
	}
	if c := h.js.Conflicts(); len(c) != 0 {
		t.Errorf("uploads with different bytes: %v", c)
	}
}

// checkNotifications: job-server heard of each status change once, from
// whichever node made it.
func (h *nodesHarness) checkNotifications(ids []string) {
	got := map[string]map[string]int{}
	for _, ev := range h.js.Events() {
		if got[ev.Request] == nil {
			got[ev.Request] = map[string]int{}
		}
		got[ev.Request][ev.EventType]++
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, id := range ids {
		returned := 0
		for k, n := range h.acked {
			if k.request == id && k.event == domain.EventRequestReturn {
				returned += n
			}
		}
		want := map[string]int{
			"request_submitted": 1, "request_resubmitted": returned, "request_partially_reviewed": returned + 1,
			"request_reviewed": returned + 1, "request_returned": returned, "request_approved": 1, "request_released": 1,
		}
		for typ, n := range want {
			if got[id][typ] != n {
				h.t.Errorf("%s: job-server was told %s %d times, want %d", id, typ, got[id][typ], n)
			}
		}
	}
}

// checkAudit reads the audit log from the database: every acknowledged
// action is there exactly once and nothing else of those kinds is (a
// refused call wrote nothing); the last vote event of each checker on
// each file is their vote as stored; each request was approved once,
// each file released and uploaded once.
func (h *nodesHarness) checkAudit(ctx context.Context, dbURL string, ids []string) {
	t := h.t
	st, err := postgres.Open(ctx, dbURL)
	if err != nil {
		t.Fatalf("open the database: %v", err)
	}
	defer st.Close()
	tracked := map[domain.EventType]bool{
		domain.EventRequestFileAdd: true, domain.EventRequestSubmit: true, domain.EventRequestFileApprove: true,
		domain.EventRequestFileRequestChanges: true, domain.EventRequestComment: true, domain.EventRequestReview: true,
		domain.EventRequestReturn: true,
	}
	once := []domain.EventType{domain.EventRequestCreate, domain.EventRequestApprove, domain.EventRequestRelease}
	perFile := []domain.EventType{domain.EventRequestFileRelease, domain.EventRequestFileUpload}
	for _, id := range ids {
		events, err := st.Events(ctx, store.EventFilter{Request: id})
		if err != nil {
			t.Fatalf("audit of %s: %v", id, err)
		}
		slices.SortFunc(events, func(a, b domain.Event) int { return int(a.ID - b.ID) })
		logged := map[actionKey]int{}
		counts := map[domain.EventType]int{}
		perPath := map[domain.EventType]map[string]int{}
		lastVote := map[[2]string]domain.EventType{}
		for _, ev := range events {
			counts[ev.Type]++
			if perPath[ev.Type] == nil {
				perPath[ev.Type] = map[string]int{}
			}
			perPath[ev.Type][ev.Path]++
			if tracked[ev.Type] {
				logged[actionKey{id, ev.User, ev.Type, ev.Path}]++
			}
			if ev.Type == domain.EventRequestFileApprove || ev.Type == domain.EventRequestFileRequestChanges {
				lastVote[[2]string{ev.User, ev.Path}] = ev.Type
			}
		}
		h.mu.Lock()
		acked := map[actionKey]int{}
		for k, n := range h.acked {
			if k.request == id {
				acked[k] = n
			}
		}
		releases := h.releases[id]
		h.mu.Unlock()
		for k, n := range acked {
			if logged[k] != n {
				t.Errorf("%s: %s by %s on %q acknowledged %d times, in the audit log %d times", id, k.event, k.user, k.path, n, logged[k])
			}
		}
		for k, n := range logged {
			if _, ok := acked[k]; !ok {
				t.Errorf("%s: %d %s events by %s on %q that no acknowledged call made", id, n, k.event, k.user, k.path)
			}
		}
		for _, ev := range once {
			if counts[ev] != 1 {
				t.Errorf("%s: %d %s events, want 1", id, counts[ev], ev)
			}
		}
		for _, ev := range perFile {
			for _, p := range slices.Sorted(maps.Keys(h.content[events[0].Workspace])) {
				if perPath[ev][p] != 1 {
					t.Errorf("%s: %d %s events for %s, want 1", id, perPath[ev][p], ev, p)
				}
			}
		}
		if releases < 1 {
			t.Errorf("%s: no release was acknowledged", id)
		}
		// The stored votes are those of the last vote events.
		r, err := st.GetRequest(ctx, id)
		if err != nil {
			t.Fatalf("load %s: %v", id, err)
		}
		for _, f := range r.OutputFiles() {
			for _, user := range []string{nodesC1, nodesC2} {
				rv, ok := f.Reviews[user]
				want := lastVote[[2]string{user, f.Relpath}]
				if !ok || voteEvent(string(rv.Vote)) != want {
					t.Errorf("%s: %s's vote on %s is %v, the last vote logged is %s", id, user, f.Relpath, rv.Vote, want)
				}
			}
		}
		if r.Status != domain.StatusReleased {
			t.Errorf("%s: %s in the database", id, r.Status)
		}
	}
}
