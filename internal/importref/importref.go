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
	"os"
	"path/filepath"
	"slices"
	"strconv"
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
	Took             time.Duration
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
	h, err := src.ReadHistory(ctx)
	if err != nil {
		return nil, err
	}
	rep := &Report{DryRun: opt.DryRun, Source: map[string]int64{}, Imported: map[string]int64{}}
	for _, t := range sourceTables {
		if rep.Source[t], err = src.Count(ctx, t); err != nil {
			return nil, err
		}
	}
	progress("read %d requests, %d files, %d audit events, %d users", rep.Source["local_db_requestmetadata"],
		rep.Source["local_db_requestfilemetadata"], rep.Source["local_db_auditlog"], rep.Source["users_user"])
	known, err := readTimes(ctx, src)
	if err != nil {
		return nil, err
	}

	if opt.WorkspaceDir != "" {
		rep.AbsentWorkspaces = absentWorkspaces(h, opt.WorkspaceDir)
	}
	if err := copyBlobs(ctx, h, blobs, opt, rep); err != nil {
		return rep, err
	}
	if len(rep.Problems) > 0 && !opt.AllowMissing {
		return rep, fmt.Errorf("%d %w (run with --allow-missing to import without them)", len(rep.Problems), ErrCopies)
	}
	progress("verified %d request-file copies (%d bytes)", rep.Copies, rep.Bytes)
	if opt.DryRun {
		rep.Took = time.Since(start)
		return rep, nil
	}

	headBefore, _, err := st.AuditHead(ctx)
	if err != nil {
		return rep, fmt.Errorf("read airlock's audit head: %w", err)
	}
	err = importer.Import(ctx, func(tx store.ImportTx) error {
		for _, r := range h.Requests {
			if err := writeRequest(ctx, tx, r, known, rep); err != nil {
				return fmt.Errorf("request %s: %w", r.ID, err)
			}
		}
		for _, u := range h.Users {
			if err := tx.PutUser(ctx, store.UserRecord{Username: u.Username, APIData: u.APIData, LastRefresh: u.LastRefresh}); err != nil {
				return err
			}
			rep.Imported["users"]++
		}
		progress("wrote %d requests and %d users; appending the audit log", len(h.Requests), len(h.Users))
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
			batch = batch[:0]
			return nil
		}
		err := src.EachEvent(ctx, func(e Event) error {
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
		return flush()
	})
	if err != nil {
		return rep, fmt.Errorf("import (nothing was written): %w", err)
	}
	progress("committed; verifying")
	if err := Verify(ctx, st, src, h, headBefore, rep); err != nil {
		return rep, err
	}
	rep.Took = time.Since(start)
	return rep, nil
}

// writeRequest writes a request with everything on it.
func writeRequest(ctx context.Context, tx store.ImportTx, r *domain.Request, known times, rep *Report) error {
	if err := tx.CreateRequest(ctx, r); err != nil {
		return err
	}
	rep.Imported["requests"]++
	for reviewer, at := range r.SubmittedReviews {
		if err := tx.AddSubmittedReview(ctx, r.ID, reviewer, r.ReviewTurn, at); err != nil {
			return err
		}
		rep.Imported["submitted_reviews"]++
	}
	for _, reviewer := range r.TurnReviewers {
		at, ok := known.reviews[reviewKey{r.ID, reviewer, r.ReviewTurn - 1}]
		if !ok { // the audit log lacks it: the turn's end is the best known time
			at = r.CreatedAt
			if r.LastSubmittedAt != nil {
				at = *r.LastSubmittedAt
			}
		}
		if err := tx.AddSubmittedReview(ctx, r.ID, reviewer, r.ReviewTurn-1, at); err != nil {
			return err
		}
		rep.Imported["submitted_reviews"]++
	}
	for _, g := range r.Groups {
		if err := tx.CreateGroup(ctx, r.ID, g); err != nil {
			return err
		}
		rep.Imported["file_groups"]++
	}
	for _, f := range r.Files {
		f.Checks = []checks.Finding{} // the reference ran no disclosure checks
		if err := tx.InsertFile(ctx, r.ID, f); err != nil {
			return err
		}
		rep.Imported["request_files"]++
		added, ok := known.added[fileKey{r.ID, f.Relpath}]
		if !ok {
			added = r.CreatedAt
		}
		if _, err := tx.AddFileVersion(ctx, r.ID, f.Relpath, domain.FileVersion{
			FileID: f.FileID, Size: f.Size, Timestamp: f.Timestamp, Commit: f.Commit, JobID: f.JobID,
			AddedBy: r.Author, AddedAt: added,
		}); err != nil {
			return err
		}
		reviewers := make([]string, 0, len(f.Reviews))
		for name := range f.Reviews {
			reviewers = append(reviewers, name)
		}
		slices.Sort(reviewers)
		for _, name := range reviewers {
			if err := tx.PutReview(ctx, r.ID, f.Relpath, f.Reviews[name]); err != nil {
				return err
			}
			rep.Imported["file_reviews"]++
		}
	}
	for _, c := range r.Comments {
		if _, err := tx.InsertComment(ctx, r.ID, c); err != nil {
			return err
		}
		rep.Imported["comments"]++
	}
	return nil
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

// readTimes reads times from the audit log's REQUEST_REVIEW,
// REQUEST_FILE_ADD and REQUEST_FILE_UPDATE rows.
func readTimes(ctx context.Context, src *Source) (times, error) {
	out := times{reviews: map[reviewKey]time.Time{}, added: map[fileKey]time.Time{}}
	err := src.EachEvent(ctx, func(e Event) error {
		if e.Request == "" {
			return nil
		}
		switch e.Type {
		case domain.EventRequestReview:
			turn, err := strconv.Atoi(e.Extra["review_turn"])
			if err == nil {
				out.reviews[reviewKey{e.Request, e.User, turn}] = e.CreatedAt
			}
		case domain.EventRequestFileAdd, domain.EventRequestFileUpdate:
			out.added[fileKey{e.Request, e.Path}] = e.CreatedAt
		}
		return nil
	})
	return out, err
}

// copyWorkers is how many copies are verified and copied at once: each
// copy waits mostly on its fsyncs, so several overlap.
const copyWorkers = 8

// copyBlobs verifies (and, unless a dry run, copies into blobs) every
// distinct request-file copy the requests reference, collecting the
// missing and mismatching ones in rep.Problems (by path).
func copyBlobs(ctx context.Context, h *History, blobs Blobs, opt Options, rep *Report) error {
	root, err := os.OpenRoot(opt.RequestDir)
	if err != nil {
		return fmt.Errorf("the reference's request folder: %w", err)
	}
	defer root.Close()
	type job struct {
		rel, workspace, sha string
		size                int64
		err                 error
	}
	var jobs []*job
	seen := map[string]bool{}
	for _, r := range h.Requests {
		for _, f := range r.Files {
			rel := filepath.Join(r.Workspace, r.ID, f.FileID)
			if !seen[rel] {
				seen[rel] = true
				jobs = append(jobs, &job{rel: rel, workspace: r.Workspace, sha: f.FileID})
			}
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	next := make(chan *job)
	var wg sync.WaitGroup
	for range copyWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range next {
				j.size, j.err = copyOne(ctx, root, j.rel, j.workspace, j.sha, blobs, opt.DryRun)
			}
		}()
	}
	for _, j := range jobs {
		if ctx.Err() != nil {
			break
		}
		next <- j
	}
	close(next)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	for _, j := range jobs {
		var pe problemError
		switch {
		case errors.As(j.err, &pe):
			rep.Problems = append(rep.Problems, Problem{Path: filepath.Join(opt.RequestDir, j.rel), Why: pe.why})
		case j.err != nil:
			return fmt.Errorf("copy %s: %w", filepath.Join(opt.RequestDir, j.rel), j.err)
		default:
			rep.Copies++
			rep.Bytes += j.size
		}
	}
	slices.SortFunc(rep.Problems, func(a, b Problem) int { return strings.Compare(a.Path, b.Path) })
	return nil
}

// absentWorkspaces lists the requests' workspaces that are not folders of
// dir.
func absentWorkspaces(h *History, dir string) []string {
	seen := map[string]bool{}
	var out []string
	for _, r := range h.Requests {
		if seen[r.Workspace] {
			continue
		}
		seen[r.Workspace] = true
		if fi, err := os.Stat(filepath.Join(dir, r.Workspace)); err != nil || !fi.IsDir() || !blobstoreValid(r.Workspace) {
			out = append(out, r.Workspace)
		}
	}
	slices.Sort(out)
	return out
}
