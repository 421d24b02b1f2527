package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"
)

func TestScrape(t *testing.T) {
	const exposition = `# HELP go_goroutines Number of goroutines that currently exist.
# TYPE go_goroutines gauge
go_goroutines 253
go_gc_duration_seconds{quantile="0.5"} 0.000123
go_memstats_heap_inuse_bytes 4.2156032e+07
process_open_fds 189
go_goroutines_extra 7
`
	tests := []struct {
		name    string
		status  int
		body    string
		names   []string
		want    []int64
		wantErr string
	}{
		{"values in the order asked", http.StatusOK, exposition,
			[]string{"process_open_fds", "go_goroutines", "go_memstats_heap_inuse_bytes"}, []int64{189, 253, 42156032}, ""},
		{"an optional metric, present and missing", http.StatusOK, exposition,
			[]string{"go_goroutines", "process_open_fds?", "airlock_sqlite_page_cache_bytes?"}, []int64{253, 189, -1}, ""},
		{"a missing metric", http.StatusOK, exposition, []string{"go_goroutines", "go_threads"}, nil, "no go_threads"},
		{"a value that is no number", http.StatusOK, "go_goroutines many\n", []string{"go_goroutines"}, nil, "go_goroutines"},
		{"an error status", http.StatusServiceUnavailable, "", []string{"go_goroutines"}, nil, "503"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tt.status)
				w.Write([]byte(tt.body))
			}))
			defer srv.Close()
			got, err := scrape(context.Background(), srv.Client(), srv.URL, tt.names...)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("scrape: %v, want an error naming %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || !slices.Equal(got, tt.want) {
				t.Fatalf("scrape = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

func TestProcessRSS(t *testing.T) {
	rss, anon, err := processRSS(os.Getpid())
	if err != nil {
		t.Skipf("no /proc here: %v", err)
	}
	if rss <= 0 || anon <= 0 || anon > rss {
		t.Fatalf("processRSS = %d, %d; want 0 < anon <= rss", rss, anon)
	}
}

func TestGroupGoroutines(t *testing.T) {
	const dump = `
goroutine 1 [select, 3 minutes]:
runtime.gopark(0x0?, 0x0?, 0x0?, 0x0?, 0x0?)
	/usr/lib/go/src/runtime/proc.go:435 +0xce fp=0xc0 sp=0xc0 pc=0x4
github.com/airlock-go/airlock/internal/release.(*Uploader).work(0xc0, {0x1, 0x2})
	/src/internal/release/uploader.go:98 +0x1a5 fp=0xc0 sp=0xc0 pc=0x5
created by github.com/airlock-go/airlock/internal/release.(*Uploader).Run in goroutine 22
	/src/internal/release/uploader.go:82 +0x7c

goroutine 2 [select]:
runtime.gopark(0x0?, 0x0?, 0x0?, 0x0?, 0x0?)
	/usr/lib/go/src/runtime/proc.go:435 +0xce
github.com/airlock-go/airlock/internal/release.(*Uploader).work(0xc0, {0x1, 0x2})
	/src/internal/release/uploader.go:98 +0x1a5
created by github.com/airlock-go/airlock/internal/release.(*Uploader).Run in goroutine 22
	/src/internal/release/uploader.go:82 +0x7c

goroutine 3 [IO wait]:
internal/poll.runtime_pollWait(0x7f, 0x72)
	/usr/lib/go/src/runtime/netpoll.go:351 +0x85
net.(*netFD).Read(0xc0, {0xc0, 0x1, 0x1})
	/usr/lib/go/src/net/fd_posix.go:68 +0x25
created by net/http.(*Server).Serve in goroutine 9
	/usr/lib/go/src/net/http/server.go:3454 +0x485

goroutine 4 [GC worker (idle)]:
runtime.gopark(0x0?, 0x0?, 0x0?, 0x0?, 0x0?)
	/usr/lib/go/src/runtime/proc.go:435 +0xce
created by runtime.gcBgMarkStartWorkers in goroutine 1
	/usr/lib/go/src/runtime/mgc.go:1373 +0x105
`
	want := []string{
		"    2 [select]: github.com/airlock-go/airlock/internal/release.(*Uploader).work, created by github.com/airlock-go/airlock/internal/release.(*Uploader).Run",
		"    1 [GC worker (idle)]: , created by runtime.gcBgMarkStartWorkers",
		"    1 [IO wait]: net.(*netFD).Read, created by net/http.(*Server).Serve",
	}
	if got := groupGoroutines(dump); !slices.Equal(got, want) {
		t.Fatalf("groupGoroutines =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestVerdict(t *testing.T) {
	const mb = 1 << 20
	samples := func(startRSS, endRSS, startG, endG, idleBefore, idleAfter int64) []sample {
		one := func(label string, rss, g int64) sample {
			return sample{label: label, nodes: []usage{{rss: rss, rssAnon: rss / 2, goroutines: g}}}
		}
		return []sample{
			one("idle before", 40*mb, idleBefore), one("start", startRSS, startG),
			one("end", endRSS, endG), one("idle after", endRSS, idleAfter),
		}
	}
	tests := []struct {
		name     string
		samples  []sample
		wantFlat bool
		wantText string
	}{
		{"flat", samples(100*mb, 110*mb, 250, 300, 19, 21), true, "FLAT"},
		{"less at the end", samples(100*mb, 90*mb, 250, 200, 19, 19), true, "FLAT"},
		{"memory grew", samples(100*mb, 130*mb, 250, 250, 19, 19), false, "GREW (RSS by more than 20%)"},
		{"goroutines grew under load", samples(100*mb, 100*mb, 250, 351, 19, 19), false, "GREW (goroutines under load by more than 100)"},
		{"goroutines left idle", samples(100*mb, 100*mb, 250, 250, 19, 25), false, "GREW (idle goroutines by more than 5)"},
		{"no end sample", samples(100*mb, 100*mb, 250, 250, 19, 19)[:2], false, "NOT MEASURED"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &sampler{samples: tt.samples, clients: 100}
			flat, text := s.verdict(0)
			if flat != tt.wantFlat || !strings.Contains(text, tt.wantText) {
				t.Fatalf("verdict = %v, %q; want %v and %q", flat, text, tt.wantFlat, tt.wantText)
			}
		})
	}
}
