// Package importref brings an OpenSAFELY Airlock (the reference, a Django
// application) installation's whole history into an empty airlock
// database: its requests (keeping their ids), file groups, comments,
// request files with their votes and release and upload state, users,
// and its audit log, appended to airlock's hash chain in order. The
// request-file copies move into airlock's request store, each verified
// by its sha256. docs/moving-from-reference.md says what is kept and
// what differs.
package importref

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/airlock-go/airlock/internal/blobstore"
	"github.com/airlock-go/airlock/internal/checks"
	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/store"
)

// Blobs is airlock's request store (blobstore.Store): Put copies a file
// in under its sha256, refusing bytes that do not hash to it.
type Blobs interface {
	Put(ctx context.Context, workspace string, src io.Reader, wantHash string, opts ...blobstore.PutOption) (string, int64, error)
}

// Options say where the reference keeps its data and how to import it.
type Options struct {
	// DB is the reference's database file (WORK_DIR/db.sqlite3).
	DB string
	// RequestDir is the reference's request folder, holding
	// <workspace>/<request id>/<sha256> copies.
	RequestDir string
	// WorkspaceDir, when set, is the reference's workspace folder: the
	// report names the requests' workspaces missing from it.
	WorkspaceDir string
	// DryRun reads and checks everything, copies and writes nothing.
	DryRun bool
	// AllowMissing imports requests whose copies are missing or do not
	// match their sha256, reporting them, instead of stopping.
	AllowMissing bool
	// Progress, when set, receives a line per stage.
	Progress func(format string, args ...any)
	// BatchSize is how many requests are read, written and verified at a
	// time (DefaultBatchSize when 0): the import holds one batch, never
	// the whole installation.
	BatchSize int

	// onBatch, when set (by tests), sees every batch read.
	onBatch func(*Batch)
}

// eachBatch reads the source's batches for opt.
func (opt Options) eachBatch(ctx context.Context, src *Source, fn func(*Batch) error) error {
	return src.EachBatch(ctx, opt.BatchSize, func(b *Batch) error {
		if opt.onBatch != nil {
			opt.onBatch(b)
		}
		return fn(b)
	})
}

// Problem is a request-file copy that is missing or does not match its
// sha256.
type Problem struct {
	Path string // the copy's path in the reference's request folder
	Why  string
}

// Report says what an import did (or, in a dry run, would do).
type Report struct {
	DryRun   bool
	Source   map[string]int64 // rows of each reference table
	Imported map[string]int64 // rows written to each airlock table (0 in a dry run)
	Copies   int              // distinct request-file copies verified (and copied)
	Bytes    int64            // their bytes
	Problems []Problem
	// AbsentWorkspaces are the requests' workspaces not in
	// Options.WorkspaceDir (when set).
	AbsentWorkspaces []string
	Verification     []string // what the verification checked, a line each
	// Copied, Wrote and Took are the times from the start until the
	// copies were verified (and copied), until the import's transaction
	// committed, and until the end (verified).
	Copied, Wrote, Took time.Duration
}

// Rows is how many rows the import wrote, in all tables.
func (r *Report) Rows() int64 {
	var n int64
	for _, v := range r.Imported {
		n += v
	}
	return n
}

// ErrCopies is returned (wrapped) when copies are missing or mismatch
// and Options.AllowMissing is not set; Report.Problems names them.
var ErrCopies = errors.New("request-file copies are missing or do not match their sha256")

// Import reads the reference's database and request folder, copies the
// request files into blobs and writes everything to st in one
// transaction, then verifies it (Verify). st must hold no request. A dry
// run (Options.DryRun) reads and checks only: st and blobs may be nil.
func Import(ctx context.Context, st store.Store, blobs Blobs, opt Options) (*Report, error) {
	start := time.Now()
	progress := opt.Progress
	if progress == nil {
		progress = func(string, ...any) {}
	}
	var importer store.Importer
	if !opt.DryRun {
		var ok bool
		if importer, ok = st.(store.Importer); !ok {
			return nil, errors.New("this store cannot import")
		}
		if rs, err := st.ListRequests(ctx, store.RequestFilter{}); err != nil {
			return nil, fmt.Errorf("look for requests in airlock's database: %w", err)
		} else if len(rs) > 0 {
			return nil, fmt.Errorf("%w (%d of them): import into an empty database", store.ErrNotEmpty, len(rs))
		}
	}
	src, err := OpenSource(ctx, opt.DB)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	rep := &Report{DryRun: opt.DryRun, Source: map[string]int64{}, Imported: map[string]int64{}}
	for _, t := range sourceTables {
		if rep.Source[t], err = src.Count(ctx, t); err != nil {
			return nil, err
		}
	}
	if err := src.CheckLinks(ctx); err != nil {
		return nil, err
	}
	progress("found %d requests, %d files, %d audit events, %d users", rep.Source["local_db_requestmetadata"],
		rep.Source["local_db_requestfilemetadata"], rep.Source["local_db_auditlog"], rep.Source["users_user"])

	if opt.WorkspaceDir != "" {
		if rep.AbsentWorkspaces, err = absentWorkspaces(ctx, src, opt.WorkspaceDir); err != nil {
			return nil, err
		}
	}
	// Reading every request to copy its files also checks every value
	// before anything is written.
	if err := copyBlobs(ctx, src, blobs, opt, rep); err != nil {
		return rep, err
	}
	if len(rep.Problems) > 0 && !opt.AllowMissing {
		return rep, fmt.Errorf("%d %w (run with --allow-missing to import without them)", len(rep.Problems), ErrCopies)
	}
	rep.Copied = time.Since(start)
	progress("verified %d request-file copies (%d bytes) in %s", rep.Copies, rep.Bytes, rep.Copied.Round(time.Millisecond))
	if opt.DryRun {
		rep.Took = time.Since(start)
		return rep, nil
	}

	headBefore, _, err := st.AuditHead(ctx)
	if err != nil {
		return rep, fmt.Errorf("read airlock's audit head: %w", err)
	}
	err = importer.Import(ctx, func(tx store.ImportTx) error {
		err := opt.eachBatch(ctx, src, func(b *Batch) error {
			irs := make([]store.ImportRequest, len(b.Requests))
			for i, r := range b.Requests {
				irs[i] = importRequest(r, b.times, rep)
			}
			return tx.WriteRequests(ctx, irs)
		})
		if err != nil {
			return err
		}
		users := make([]store.UserRecord, 0, userBatch)
		putUsers := func() error {
			err := tx.PutUsers(ctx, users)
			rep.Imported["users"] += int64(len(users))
			users = users[:0]
			return err
		}
		err = src.EachUser(ctx, func(u User) error {
			users = append(users, store.UserRecord{Username: u.Username, APIData: u.APIData, LastRefresh: u.LastRefresh})
			if len(users) == userBatch {
				return putUsers()
			}
			return nil
		})
		if err == nil && len(users) > 0 {
			err = putUsers()
		}
		if err != nil {
			return err
		}
		progress("wrote %d requests and %d users; appending the audit log", rep.Imported["requests"], rep.Imported["users"])
		// The audit log in batches: each is chained after the one before.
		const batchSize = 5000
		batch := make([]domain.Event, 0, batchSize)
		first := int64(0)
		flush := func() error {
			if len(batch) == 0 {
				return nil
			}
			if _, err := tx.AppendEvents(ctx, batch); err != nil {
				return fmt.Errorf("audit log rows from id %d: %w", first, err)
			}
			rep.Imported["audit_log"] += int64(len(batch))
			clear(batch) // let the events' maps go
			batch = batch[:0]
			return nil
		}
		err = src.EachEvent(ctx, func(e Event) error {
			if len(batch) == 0 {
				first = e.SourceID
			}
			batch = append(batch, e.Event)
			if len(batch) == batchSize {
				return flush()
			}
			return nil
		})
		if err != nil {
			return err
		}
		if err := flush(); err != nil {
			return err
		}
		progress("appended %d audit events; committing", rep.Imported["audit_log"])
		return nil
	})
	if err != nil {
		return rep, fmt.Errorf("import (nothing was written): %w", err)
	}
	rep.Wrote = time.Since(start)
	progress("committed in %s; verifying", rep.Wrote.Round(time.Millisecond))
	if err := Verify(ctx, st, src, headBefore, opt, rep); err != nil {
		rep.Took = time.Since(start)
		return rep, err
	}
	rep.Took = time.Since(start)
	return rep, nil
}

// importRequest is r as the store writes it, counting its rows in rep:
// its submitted reviews of this turn and (their times from the audit
// log) of the turn before, and when each file's copy was added.
func importRequest(r *domain.Request, known times, rep *Report) store.ImportRequest {
	ir := store.ImportRequest{Request: r, Added: make([]time.Time, len(r.Files))}
	for _, reviewer := range slices.Sorted(maps.Keys(r.SubmittedReviews)) {
		ir.Submitted = append(ir.Submitted, store.SubmittedReview{Reviewer: reviewer, Turn: r.ReviewTurn, At: r.SubmittedReviews[reviewer]})
	}
	for _, reviewer := range r.TurnReviewers {
		at, ok := known.reviews[reviewKey{r.ID, reviewer, r.ReviewTurn - 1}]
		if !ok { // the audit log lacks it: the turn's end is the best known time
			at = r.CreatedAt
			if r.LastSubmittedAt != nil {
				at = *r.LastSubmittedAt
			}
		}
		ir.Submitted = append(ir.Submitted, store.SubmittedReview{Reviewer: reviewer, Turn: r.ReviewTurn - 1, At: at})
	}
	for i := range r.Files {
		f := &r.Files[i]
		f.Checks = []checks.Finding{} // the reference ran no disclosure checks
		added, ok := known.added[fileKey{r.ID, f.Relpath}]
		if !ok {
			added = r.CreatedAt
		}
		ir.Added[i] = added
		rep.Imported["file_reviews"] += int64(len(f.Reviews))
		rep.Imported["reviewed_versions"] += int64(len(f.Reviews)) // the version each vote was cast on
	}
	rep.Imported["requests"]++
	rep.Imported["submitted_reviews"] += int64(len(ir.Submitted))
	rep.Imported["file_groups"] += int64(len(r.Groups))
	rep.Imported["request_files"] += int64(len(r.Files))
	rep.Imported["file_versions"] += int64(len(r.Files)) // each file's first
	rep.Imported["comments"] += int64(len(r.Comments))
	return ir
}

type reviewKey struct {
	request, reviewer string
	turn              int
}

type fileKey struct{ request, relpath string }

// times are what the audit log alone says: when each reviewer submitted
// their review in each turn (the reference keeps the current turn's
// only), and when each file's current copy was added.
type times struct {
	reviews map[reviewKey]time.Time
	added   map[fileKey]time.Time
}

// userBatch is how many users are written at a time.
const userBatch = 1000

// copyWorkers is how many copies are verified and copied at once: each
// copy waits mostly on its fsyncs, so several overlap.
const copyWorkers = 8

// copyBlobs verifies (and, unless a dry run, copies into blobs) every
// distinct request-file copy the requests reference, reading the requests
// a batch at a time, collecting the missing and mismatching ones in
// rep.Problems (by path).
func copyBlobs(ctx context.Context, src *Source, blobs Blobs, opt Options, rep *Report) error {
	root, err := os.OpenRoot(opt.RequestDir)
	if err != nil {
		return fmt.Errorf("the reference's request folder: %w", err)
	}
	defer root.Close()
	type job struct{ rel, workspace, sha string }
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var mu sync.Mutex // guards rep
	next := make(chan job, copyWorkers)
	var wg sync.WaitGroup
	for range copyWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range next {
				size, err := copyOne(ctx, root, j.rel, j.workspace, j.sha, blobs, opt.DryRun)
				var pe problemError
				mu.Lock()
				switch {
				case errors.As(err, &pe):
					rep.Problems = append(rep.Problems, Problem{Path: filepath.Join(opt.RequestDir, j.rel), Why: pe.why})
				case err != nil:
					cancel(fmt.Errorf("copy %s: %w", filepath.Join(opt.RequestDir, j.rel), err))
				default:
					rep.Copies++
					rep.Bytes += size
				}
				mu.Unlock()
			}
		}()
	}
	readErr := opt.eachBatch(ctx, src, func(b *Batch) error {
		for _, r := range b.Requests {
			seen := map[string]bool{} // a request's paths may share a copy
			for _, f := range r.Files {
				if seen[f.FileID] {
					continue
				}
				seen[f.FileID] = true
				select {
				case next <- job{rel: filepath.Join(r.Workspace, r.ID, f.FileID), workspace: r.Workspace, sha: f.FileID}:
				case <-ctx.Done():
					return context.Cause(ctx)
				}
			}
		}
		return nil
	})
	close(next)
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return err
	}
	if readErr != nil {
		return readErr
	}
	slices.SortFunc(rep.Problems, func(a, b Problem) int { return strings.Compare(a.Path, b.Path) })
	return nil
}

// absentWorkspaces lists the requests' workspaces that are not folders of
// dir.
func absentWorkspaces(ctx context.Context, src *Source, dir string) ([]string, error) {
	all, err := src.Workspaces(ctx)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, ws := range all {
		if fi, err := os.Stat(filepath.Join(dir, ws)); err != nil || !fi.IsDir() || !blobstoreValid(ws) {
			out = append(out, ws)
		}
	}
	return out, nil
}
