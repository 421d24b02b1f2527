package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/service"
	"github.com/airlock-go/airlock/internal/testkit"
	"github.com/airlock-go/airlock/internal/workspace"
)

// bigPaths names n output files spread over folders of 100.
func bigPaths(n int) []string {
	paths := make([]string, n)
	for i := range paths {
		paths[i] = fmt.Sprintf("output/part_%02d/table_%04d.csv", i/100, i)
	}
	return paths
}

// pair is a 1,000-file request and, as the baseline of the same run, a
// 1-file request in the same state; each benchmark iteration makes the
// same call on both.
type pair struct {
	big, small *domain.Request
}

// latencies collects the time of each call of one kind.
type latencies []time.Duration

func (l latencies) p50() time.Duration {
	s := slices.Clone(l)
	slices.Sort(s)
	return s[len(s)/2]
}

// report puts the p50 of both requests' calls, and their ratio, on b.
func report(b *testing.B, big, small latencies) {
	b.ReportMetric(float64(big.p50().Microseconds())/1000, "big-p50-ms")
	b.ReportMetric(float64(small.p50().Microseconds())/1000, "1file-p50-ms")
	b.ReportMetric(float64(big.p50())/float64(small.p50()), "big/1file")
	b.ReportMetric(0, "ns/op") // an iteration calls on both requests
}

// timed makes the call and records its time, failing unless it answers want.
func (h *harness) timed(b *testing.B, l *latencies, want int, user, method, path string, body any) {
	start := time.Now()
	code, raw := h.call(user, method, path, body)
	*l = append(*l, time.Since(start))
	if code != want {
		b.Fatalf("%s %s: %d, want %d: %s", method, path, code, want, raw)
	}
}

// submittedPair builds, on SQLite, a SUBMITTED request of 1,000 files by
// Author and one of 1 file by Colleague (each with its group's context).
func submittedPair(b *testing.B) (*harness, pair) {
	h := newHarnessOn(b, testkit.NewSQLiteEnv(b))
	big := h.Pending(h.Author, bigPaths(1000)...)
	big = h.R(h.Svc.Submit(h.Ctx, h.Author, big.ID))
	small := h.Pending(h.Colleague, "output/single/only.csv")
	small = h.R(h.Svc.Submit(h.Ctx, h.Colleague, small.ID))
	return h, pair{big, small}
}

// BenchmarkBigRequestVote: an output checker's vote on one file of a
// 1,000-file request through the API (PUT /requests/{id}/votes/{path}),
// each vote a change (APPROVED and CHANGES_REQUESTED in turn), against
// the same vote on a 1-file request.
func BenchmarkBigRequestVote(b *testing.B) {
	h, p := submittedPair(b)
	votes := []string{"APPROVED", "CHANGES_REQUESTED"}
	var big, small latencies
	i := 0
	for b.Loop() {
		v := map[string]string{"vote": votes[(i/1000)%2]}
		f := p.big.Files[i%len(p.big.Files)].Relpath
		h.timed(b, &big, http.StatusOK, "c1", "PUT", "/api/v1/requests/"+p.big.ID+"/votes/"+f, v)
		v = map[string]string{"vote": votes[i%2]}
		h.timed(b, &small, http.StatusOK, "c1", "PUT", "/api/v1/requests/"+p.small.ID+"/votes/"+p.small.Files[0].Relpath, v)
		i++
	}
	report(b, big, small)
}

// BenchmarkBigRequestComment: an output checker's comment on a group of a
// 1,000-file request through the API, against the same on a 1-file
// request.
func BenchmarkBigRequestComment(b *testing.B) {
	h, p := submittedPair(b)
	var big, small latencies
	i := 0
	for b.Loop() {
		body := map[string]string{"text": fmt.Sprintf("Checked the counts (%d).", i)}
		h.timed(b, &big, http.StatusCreated, "c1", "POST", "/api/v1/requests/"+p.big.ID+"/groups/g/comments", body)
		h.timed(b, &small, http.StatusCreated, "c1", "POST", "/api/v1/requests/"+p.small.ID+"/groups/g/comments", body)
		i++
	}
	report(b, big, small)
}

// BenchmarkBigRequestWithdrawFile: the author withdrawing one file from a
// PENDING 1,000-file request through the API (POST
// /requests/{id}/files/withdraw, whose answer is the whole request), the
// file added back after each call (untimed), against the same on a
// 1-file request.
func BenchmarkBigRequestWithdrawFile(b *testing.B) {
	h := newHarnessOn(b, testkit.NewSQLiteEnv(b))
	big := h.Pending(h.Author, bigPaths(1000)...)
	small := h.Pending(h.Colleague, "output/single/only.csv")
	var bigL, smallL latencies
	i := 0
	for b.Loop() {
		for _, c := range []struct {
			user domain.User
			r    *domain.Request
			l    *latencies
		}{{h.Author, big, &bigL}, {h.Colleague, small, &smallL}} {
			f := c.r.Files[i%len(c.r.Files)].Relpath
			h.timed(b, c.l, http.StatusOK, c.user.Username, "POST", "/api/v1/requests/"+c.r.ID+"/files/withdraw",
				map[string][]string{"paths": {f}})
			b.StopTimer()
			if _, err := h.Svc.AddFiles(h.Ctx, c.user, testkit.Workspace, "g",
				[]service.AddFile{{Path: f, FileType: domain.FileOutput}}); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		}
		i++
	}
	report(b, bigL, smallL)
}

// coldReader is the workspace reader of a benchmark, replaced by a new
// one (with nothing parsed) before each cold call.
type coldReader struct{ *workspace.Reader }

// writeManifest writes the manifest of a workspace of n outputs in 100
// folders (n/100 files each) under dir; the files themselves are not
// needed to list folders.
func writeManifest(b *testing.B, dir, ws string, n int) {
	b.Helper()
	outputs := make(map[string]map[string]any, n)
	for i := range n {
		outputs[fmt.Sprintf("output/group_%03d/table_%06d.csv", i%100, i)] = map[string]any{
			"level": "moderately_sensitive", "excluded": false, "job_id": "j", "job_request": "jr", "action": "a",
			"repo": "https://github.com/opensafely/study", "commit": "abcdef1", "size": 1234, "timestamp": 1.7e9,
			"content_hash": fmt.Sprintf("%064x", i), "message": nil, "row_count": 10, "col_count": 3, "user": "u",
			"out_of_date_output": false, "out_of_date_action": false,
		}
	}
	raw, err := json.Marshal(map[string]any{"workspace": ws, "repo": "https://github.com/opensafely/study", "outputs": outputs})
	if err != nil {
		b.Fatal(err)
	}
	p := filepath.Join(dir, ws, "metadata", "manifest.json")
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(p, raw, 0o644); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkColdListing100k: the first listing of a folder (1,000 files)
// of a 100,000-output workspace through the API (GET
// /workspaces/{ws}/files/{dir}/), its manifest parsed for the first time
// (a new reader each iteration), against the same listing once the
// manifest is parsed (warm) in the same run. tree-MB is the heap the
// parsed tree holds, measured after a garbage collection; cold-cpu-p50-ms
// the CPU the cold answer took, all cores together, which a busy machine
// changes less than its wall time.
func BenchmarkColdListing100k(b *testing.B) {
	e := testkit.NewSQLiteEnv(b)
	dir := b.TempDir()
	writeManifest(b, dir, testkit.Workspace, 100_000)
	cr := &coldReader{workspace.NewReader(dir)}
	e.Svc = service.New(service.Config{Store: e.Store, Workspaces: cr, Blobs: e.Files, Notifier: e.Notes, Now: e.Clock.Now})
	h := newHarnessOn(b, e)
	path := "/api/v1/workspaces/" + testkit.Workspace + "/files/output/group_042/"
	var cold, warm latencies
	var treeBytes, coldCPU []float64
	var ms runtime.MemStats
	for b.Loop() {
		b.StopTimer()
		cr.Reader = workspace.NewReader(dir)
		runtime.GC()
		runtime.ReadMemStats(&ms)
		before := ms.HeapAlloc
		cpu0, _ := processCPU()
		b.StartTimer()
		h.timed(b, &cold, http.StatusOK, "author", "GET", path, nil)
		b.StopTimer()
		if cpu1, ok := processCPU(); ok {
			coldCPU = append(coldCPU, float64((cpu1-cpu0).Microseconds())/1000)
		}
		runtime.GC()
		runtime.ReadMemStats(&ms)
		treeBytes = append(treeBytes, float64(ms.HeapAlloc)-float64(before))
		b.StartTimer()
		h.timed(b, &warm, http.StatusOK, "author", "GET", path, nil)
	}
	slices.Sort(treeBytes)
	b.ReportMetric(float64(cold.p50().Microseconds())/1000, "cold-p50-ms")
	b.ReportMetric(float64(warm.p50().Microseconds())/1000, "warm-p50-ms")
	b.ReportMetric(float64(cold.p50())/float64(warm.p50()), "cold/warm")
	b.ReportMetric(treeBytes[len(treeBytes)/2]/(1<<20), "tree-MB")
	if len(coldCPU) > 0 {
		slices.Sort(coldCPU)
		b.ReportMetric(coldCPU[len(coldCPU)/2], "cold-cpu-p50-ms")
	}
	b.ReportMetric(0, "ns/op")
}
