package importref

import (
	"context"
	"runtime"
	"strings"
	"testing"
	"weak"

	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/store"
)

// TestImportHoldsOneBatch: the import reads, writes and verifies the
// requests a batch at a time and lets each batch go before the next, so
// its memory does not grow with the installation. At the start of every
// batch, after a full collection, no more than one batch's worth of the
// requests read before may still be reachable; an importer that kept
// them (a slice of every request, a map by id) keeps all of them.
func TestImportHoldsOneBatch(t *testing.T) {
	const requests, size = 60, 5
	gen := generate(t, t.TempDir(), genOptions{Requests: requests, Files: 4})
	tg := newTarget(t)
	var (
		earlier  []weak.Pointer[domain.Request]
		batches  int
		mostHeld int
	)
	rep, err := tg.run(t, gen.WorkDir, func(o *Options) {
		o.BatchSize = size
		o.onBatch = func(b *Batch) {
			batches++
			if len(b.Requests) > size {
				t.Errorf("a batch of %d requests, the batch size is %d", len(b.Requests), size)
			}
			runtime.GC()
			held := 0
			for _, w := range earlier {
				if w.Value() != nil {
					held++
				}
			}
			mostHeld = max(mostHeld, held)
			for _, r := range b.Requests {
				earlier = append(earlier, weak.Make(r))
			}
		}
	})
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	if rep.Imported["requests"] != requests {
		t.Fatalf("imported %v", rep.Imported)
	}
	// Three passes (copy, write, verify) of requests/size batches each.
	if want := 3 * requests / size; batches != want {
		t.Errorf("%d batches, want %d", batches, want)
	}
	if mostHeld > size {
		t.Errorf("%d requests read earlier were still held at the start of a batch; at most %d (one batch) may be", mostHeld, size)
	}
}

// TestImportRowsOfNoRequest: rows the import would not reach from any
// request (it reads rows by their request) are named, and nothing is
// written.
func TestImportRowsOfNoRequest(t *testing.T) {
	for _, tc := range []struct{ name, stmt, want string }{
		{"a group of no request", `INSERT INTO local_db_filegroupmetadata (name, request_id, context, controls, created_at, updated_at)
			VALUES ('g', 'NOPE', '', '', '2025-01-01 00:00:00', '2025-01-01 00:00:00')`,
			"local_db_filegroupmetadata row 7: its request NOPE does not exist"},
		{"a file in another request's group", `UPDATE local_db_requestfilemetadata SET filegroup_id = 3 WHERE id = 1`,
			"local_db_requestfilemetadata row 1: its group 3 is not a group of its request"},
		{"a vote on no file", `UPDATE local_db_filereview SET file_id = 99999 WHERE id = 1`,
			"local_db_filereview row 1: its file 99999 does not exist"},
		{"a comment on no group", `UPDATE local_db_filegroupcomment SET filegroup_id = 99999 WHERE id = 1`,
			"local_db_filegroupcomment row 1: its group 99999 does not exist"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			gen := generate(t, t.TempDir(), genOptions{Requests: 3})
			execSource(t, gen.WorkDir+"/db.sqlite3", tc.stmt)
			for _, dry := range []bool{true, false} {
				tg := newTarget(t)
				_, err := tg.run(t, gen.WorkDir, func(o *Options) { o.DryRun = dry })
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("import (dry run %v): %v, want %q", dry, err, tc.want)
				}
				if rs, _ := tg.env.Store.ListRequests(context.Background(), store.RequestFilter{}); len(rs) != 0 {
					t.Errorf("a refused import wrote %d requests", len(rs))
				}
			}
		})
	}
}
