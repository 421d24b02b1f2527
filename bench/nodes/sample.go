package main

import (
	"bufio"
	"cmp"
	"context"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// usage is what a node uses at one moment: its resident memory (all of
// it, and the anonymous part: not files mapped in), from /proc; and from
// its /metrics (the standard Go and process collectors) its goroutines,
// the heap its last collection found live, its open files, and the
// memory the Go runtime holds (what it
// has from the system less the heap it has given back): the anonymous
// memory beyond that is the C code's, on SQLite its page caches; on
// SQLite also what SQLite itself counts in its page caches (each cached
// page takes about twice that in resident memory: the driver's
// allocator rounds it up to a power of two). And the calls the load has
// made to it so far, and the errors.
//
// Under load the goroutines come and go with the calls in flight: each
// call holds its connection's goroutine and a goroutine reading ahead on
// it, and each SQLite statement one watching the call's context, and on
// busy CPUs goroutines that have finished wait a while to be scheduled
// out. So goroutines are the median of a few reads 200 ms apart.
type usage struct {
	rss, rssAnon int64 // bytes
	goMem        int64 // bytes
	goroutines   int64
	heapLive     int64 // bytes
	openFDs      int64
	sqliteMem    int64 // bytes in SQLite's page caches (airlock_sqlite_page_cache_bytes), -1 if not reported
	calls, errs  int
	err          error // what could not be read, if anything
}

// goroutineReads is how many reads of /metrics give a sample's goroutines.
const goroutineReads = 5

// sample is every node's usage at one moment of the run.
type sample struct {
	label   string
	at      time.Duration // since the load started; negative before it
	nodes   []usage
	dbSize  int64 // bytes of the SQLite database and its WAL, -1 on PostgreSQL
	walSize int64 // bytes of the WAL alone
}

// sampler takes the samples of a run.
type sampler struct {
	nodes   []*node
	hc      *http.Client
	dbPath  string // the SQLite database file, "" on PostgreSQL
	clients int    // the load's
	stats   *stats // the load's calls

	mu      sync.Mutex
	samples []sample
}

// idle samples every node under label once the load's HTTP client has
// closed its idle connections and the nodes have had a moment to see
// them closed.
func (s *sampler) idle(ctx context.Context, label string, at time.Duration) {
	s.hc.CloseIdleConnections()
	select {
	case <-ctx.Done():
		return
	case <-time.After(2 * time.Second):
	}
	s.take(ctx, label, at)
}

// take samples every node now, under label.
func (s *sampler) take(ctx context.Context, label string, at time.Duration) {
	sm := sample{label: label, at: at, dbSize: -1}
	for i, n := range s.nodes {
		u := n.usage(ctx, s.hc)
		u.calls, u.errs = s.stats.totals(i)
		sm.nodes = append(sm.nodes, u)
	}
	if s.dbPath != "" {
		sm.walSize = fileSize(s.dbPath + "-wal")
		sm.dbSize = fileSize(s.dbPath) + sm.walSize
	}
	s.mu.Lock()
	s.samples = append(s.samples, sm)
	s.mu.Unlock()
}

// endLead is how long before the load's end the "end" sample is taken,
// so that the clients are still at work while it is read.
const endLead = 5 * time.Second

// during samples the load that started at start and lasts d: "start"
// once warmup has passed, then every interval (but not within half an
// interval of the end), and "end" endLead before the load ends, while
// the clients are still at work. It returns
// when the last sample is taken, or when load or ctx ends (a sample
// being taken is finished under ctx).
func (s *sampler) during(ctx, load context.Context, start time.Time, d, warmup, interval time.Duration) {
	end := d - endLead
	at := warmup
	for label := "start"; ; label = "" {
		if at >= end || (label == "" && at > end-interval/2) {
			at, label = end, "end"
		}
		select {
		case <-load.Done():
			return
		case <-time.After(time.Until(start.Add(at))):
		}
		if label == "" {
			label = "+" + (at - warmup).Round(time.Second).String()
		}
		s.take(ctx, label, at)
		if label == "end" {
			return
		}
		at += interval
	}
}

// find returns the sample labelled label.
func (s *sampler) find(label string) (sample, bool) {
	for _, sm := range s.samples {
		if sm.label == label {
			return sm, true
		}
	}
	return sample{}, false
}

// Growth limits: what counts as flat between the start and the end of
// the load. Resident memory may rise a little as caches fill. Goroutines
// under load vary with the calls in flight (see usage), so the end may
// have one more per client than the start; a leak of goroutines shows
// best idle: after the load, a node must be back to the goroutines it
// had before it, give or take a few (workers the load woke, connections
// not yet seen closed).
const (
	rssSlack  = 0.20 // of the start's resident memory
	idleSlack = 5
)

// print prints the samples, node by node, and a verdict per node
// comparing the end with the start (and idle after with idle before);
// it returns whether every node stayed flat.
func (s *sampler) print() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	flat := true
	for i, n := range s.nodes {
		fmt.Printf("\nnode %s (pid %d): resident memory and goroutines; calls/s and errors since the sample before\n", n.name, n.cmd.Process.Pid)
		fmt.Printf("%-12s %7s %8s %6s %8s %8s %8s %9s %9s %7s %10s %8s %7s %7s\n",
			"sample", "at", "calls/s", "errors", "RSS MiB", "anon MiB", "Go MiB", "not Go", "live heap", "SQLite", "goroutines", "open fds", "db MiB", "of WAL")
		var prev *sample
		for _, sm := range s.samples {
			u := sm.nodes[i]
			if u.err != nil {
				fmt.Printf("%-12s %7s   %v\n", sm.label, sm.at.Round(time.Second), u.err)
				continue
			}
			rate, errs, db, wal, sq := "-", "-", "-", "-", "-"
			if prev != nil && sm.at > prev.at {
				rate = fmt.Sprintf("%.0f", float64(u.calls-prev.nodes[i].calls)/(sm.at-prev.at).Seconds())
				errs = strconv.Itoa(u.errs - prev.nodes[i].errs)
			}
			if sm.dbSize >= 0 {
				db, wal = fmt.Sprintf("%.1f", mib(sm.dbSize)), fmt.Sprintf("%.1f", mib(sm.walSize))
			}
			if u.sqliteMem >= 0 {
				sq = fmt.Sprintf("%.1f", mib(u.sqliteMem))
			}
			fmt.Printf("%-12s %7s %8s %6s %8.1f %8.1f %8.1f %9.1f %9.1f %7s %10d %8d %7s %7s\n",
				sm.label, sm.at.Round(time.Second), rate, errs, mib(u.rss), mib(u.rssAnon), mib(u.goMem), mib(notGo(u)),
				mib(u.heapLive), sq, u.goroutines, u.openFDs, db, wal)
			if sm.label != "idle before" {
				prev = &sm
			}
		}
		ok, line := s.verdict(i)
		flat = flat && ok
		fmt.Printf("node %s: %s\n", n.name, line)
	}
	return flat
}

// verdict compares node i's end with its start, and its goroutines idle
// after the load with those idle before.
func (s *sampler) verdict(i int) (bool, string) {
	start, ok1 := s.find("start")
	end, ok2 := s.find("end")
	if !ok1 || !ok2 || start.nodes[i].err != nil || end.nodes[i].err != nil {
		return false, "verdict: NOT MEASURED (the start or end sample is missing)"
	}
	a, b := start.nodes[i], end.nodes[i]
	rssOK := float64(b.rss) <= float64(a.rss)*(1+rssSlack)
	gSlack := int64(s.clients)
	gOK := b.goroutines <= a.goroutines+gSlack
	line := fmt.Sprintf("RSS %.1f → %.1f MiB (%+.0f%%: Go's %+.1f MiB, live heap %+.1f MiB; not Go's %+.1f MiB",
		mib(a.rss), mib(b.rss), 100*(float64(b.rss)/float64(a.rss)-1), mib(b.goMem-a.goMem), mib(b.heapLive-a.heapLive), mib(notGo(b)-notGo(a)))
	if a.sqliteMem >= 0 && b.sqliteMem >= 0 {
		line += fmt.Sprintf(", SQLite's page caches %.1f → %.1f MiB", mib(a.sqliteMem), mib(b.sqliteMem))
	}
	if start.dbSize >= 0 {
		line += fmt.Sprintf(", while the database grew %+.1f MiB", mib(end.dbSize-start.dbSize))
	}
	line += fmt.Sprintf("), goroutines %d → %d (%+d)", a.goroutines, b.goroutines, b.goroutines-a.goroutines)
	idleOK := true
	before, ok3 := s.find("idle before")
	after, ok4 := s.find("idle after")
	if ok3 && ok4 && before.nodes[i].err == nil && after.nodes[i].err == nil {
		x, y := before.nodes[i].goroutines, after.nodes[i].goroutines
		idleOK = y <= x+idleSlack
		line += fmt.Sprintf("; idle goroutines %d → %d (%+d)", x, y, y-x)
	}
	if rssOK && gOK && idleOK {
		return true, "verdict: FLAT, " + line
	}
	var grew []string
	if !rssOK {
		grew = append(grew, fmt.Sprintf("RSS by more than %.0f%%", 100*rssSlack))
	}
	if !gOK {
		grew = append(grew, fmt.Sprintf("goroutines under load by more than %d", gSlack))
	}
	if !idleOK {
		grew = append(grew, fmt.Sprintf("idle goroutines by more than %d", idleSlack))
	}
	return false, "verdict: GREW (" + strings.Join(grew, ", ") + "), " + line
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

// notGo is the anonymous memory the Go runtime does not account for: on
// SQLite, the C library's (its page caches above all).
func notGo(u usage) int64 { return max(0, u.rssAnon-u.goMem) }

func fileSize(p string) int64 {
	fi, err := os.Stat(p)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// usage reads the node's resident memory from /proc and the rest from
// its /metrics.
func (n *node) usage(ctx context.Context, hc *http.Client) usage {
	var u usage
	u.rss, u.rssAnon, u.err = processRSS(n.cmd.Process.Pid)
	if u.err != nil {
		return u
	}
	var goroutines []int64
	for i := range goroutineReads {
		if i > 0 {
			select {
			case <-ctx.Done():
				u.err = ctx.Err()
				return u
			case <-time.After(200 * time.Millisecond):
			}
		}
		m, err := scrape(ctx, hc, n.base+"/metrics", "go_goroutines", "go_gc_heap_live_bytes", "process_open_fds",
			"go_memstats_sys_bytes", "go_memstats_heap_released_bytes", "airlock_sqlite_page_cache_bytes?")
		if err != nil {
			u.err = err
			return u
		}
		goroutines = append(goroutines, m[0])
		u.heapLive, u.openFDs, u.goMem, u.sqliteMem = m[1], m[2], m[3]-m[4], m[5]
	}
	slices.Sort(goroutines)
	u.goroutines = goroutines[len(goroutines)/2]
	return u
}

// processRSS is the process's resident memory, all of it and the
// anonymous part (VmRSS and RssAnon in /proc/PID/status).
func processRSS(pid int) (rss, anon int64, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, fmt.Errorf("resident memory: %w", err)
	}
	fields := map[string]int64{}
	for line := range strings.Lines(string(b)) {
		name, rest, _ := strings.Cut(line, ":")
		if name != "VmRSS" && name != "RssAnon" {
			continue
		}
		f := strings.Fields(rest) // "123456 kB"
		if len(f) != 2 || f[1] != "kB" {
			return 0, 0, fmt.Errorf("resident memory: unexpected line %q in /proc/%d/status", strings.TrimSpace(line), pid)
		}
		kb, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return 0, 0, fmt.Errorf("resident memory: unexpected line %q in /proc/%d/status", strings.TrimSpace(line), pid)
		}
		fields[name] = kb << 10
	}
	rss, ok1 := fields["VmRSS"]
	anon, ok2 := fields["RssAnon"]
	if !ok1 || !ok2 {
		return 0, 0, fmt.Errorf("resident memory: no VmRSS or RssAnon in /proc/%d/status", pid)
	}
	return rss, anon, nil
}

// scrape reads the values of the unlabelled metrics names from a
// Prometheus text exposition at url, in the order of names. A name
// ending in "?" is optional: -1 when the exposition has none.
func scrape(ctx context.Context, hc *http.Client, url string, names ...string) ([]int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		io.Copy(io.Discard, resp.Body)
		return nil, fmt.Errorf("metrics: %s", resp.Status)
	}
	out := make([]int64, len(names))
	found := make([]bool, len(names))
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), " ")
		if !ok {
			continue
		}
		for i, want := range names {
			if name == strings.TrimSuffix(want, "?") {
				v, err := strconv.ParseFloat(value, 64)
				if err != nil {
					return nil, fmt.Errorf("metrics: %s: %w", name, err)
				}
				out[i], found[i] = int64(v), true
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	for i, ok := range found {
		if !ok && strings.HasSuffix(names[i], "?") {
			out[i] = -1
		} else if !ok {
			return nil, fmt.Errorf("metrics: no %s", names[i])
		}
	}
	return out, nil
}

// dumpGoroutines stops the node with SIGQUIT, which makes the Go
// runtime write every goroutine's stack to the node's log, and returns
// the goroutines grouped by where they wait and who created them, the
// largest groups first.
func (n *node) dumpGoroutines() ([]string, error) {
	n.cmd.Process.Signal(syscall.SIGQUIT)
	select {
	case <-n.done:
	case <-time.After(30 * time.Second):
		n.cmd.Process.Kill()
		<-n.done
		return nil, fmt.Errorf("node %s did not stop within 30 s of SIGQUIT", n.name)
	}
	b, err := os.ReadFile(n.log)
	if err != nil {
		return nil, err
	}
	_, dump, ok := strings.Cut(string(b), "SIGQUIT: quit")
	if !ok {
		return nil, fmt.Errorf("node %s wrote no goroutine dump:\n%s", n.name, n.logTail())
	}
	return groupGoroutines(dump), nil
}

// waited is how long a goroutine has waited, in a dump's "[select, 3
// minutes]": not part of what groups goroutines.
var waited = regexp.MustCompile(`, \d+ minutes`)

// groupGoroutines counts the goroutines of a Go runtime's dump (blocks
// separated by blank lines, each "goroutine N [state]:" then frames of
// two lines, function then file:line) by state, first frame outside the
// runtime, and "created by" frame.
func groupGoroutines(dump string) []string {
	counts := map[string]int{}
	for block := range strings.SplitSeq(dump, "\n\n") {
		lines := strings.Split(strings.TrimSpace(block), "\n")
		if len(lines) < 2 || !strings.HasPrefix(lines[0], "goroutine ") {
			continue
		}
		state := waited.ReplaceAllString(lines[0][strings.IndexByte(lines[0], '['):], "")
		var top, creator string
		for _, l := range lines[1:] {
			if strings.HasPrefix(l, "\t") {
				continue // file:line
			}
			fn := l[:max(0, strings.LastIndexByte(l, '('))]
			if rest, ok := strings.CutPrefix(l, "created by "); ok {
				creator, _, _ = strings.Cut(rest, " in goroutine")
				break
			}
			if top == "" && !strings.HasPrefix(fn, "runtime.") && !strings.HasPrefix(fn, "internal/") && !strings.HasPrefix(fn, "sync.") {
				top = fn
			}
		}
		counts[fmt.Sprintf("%s %s, created by %s", state, top, creator)]++
	}
	keys := slices.Collect(maps.Keys(counts))
	slices.SortFunc(keys, func(a, b string) int { return cmp.Or(counts[b]-counts[a], strings.Compare(a, b)) })
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = fmt.Sprintf("%5d %s", counts[k], k)
	}
	return out
}
