package importref

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/airlock-go/airlock/internal/blobstore"
	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/store"
	"github.com/airlock-go/airlock/internal/testkit"
)

// fixtureDir is the reference installation the import is built against;
// tests copy it, never write it.
const fixtureDir = "/work/shared/reference"

// expected is the part of the fixture's expected.json the tests check.
type expected struct {
	Users []struct {
		Username    string `json:"username"`
		InUserTable bool   `json:"in_users_table"`
	} `json:"users"`
	Requests []struct {
		Scenario         string   `json:"scenario"`
		ID               string   `json:"id"`
		Workspace        string   `json:"workspace"`
		Author           string   `json:"author"`
		Status           string   `json:"status"`
		ReviewTurn       int      `json:"review_turn"`
		CreatedAt        string   `json:"created_at"`
		LastSubmittedAt  *string  `json:"last_submitted_at"`
		TurnReviewers    []string `json:"turn_reviewers"`
		SubmittedReviews []string `json:"submitted_reviews"`
		Project          string   `json:"project"`
		Organisations    []string `json:"organisations"`
		Groups           map[string]struct {
			Context  string `json:"context"`
			Controls string `json:"controls"`
			Files    []struct {
				Relpath  string `json:"relpath"`
				FileType string `json:"filetype"`
				FileID   string `json:"file_id"`
				Size     int64  `json:"size"`
				RowCount *int   `json:"row_count"`
				ColCount *int   `json:"col_count"`
				JobID    string `json:"job_id"`
				Commit   string `json:"commit"`
				Votes    map[string]struct {
					Status     string `json:"status"`
					ReviewTurn int    `json:"review_turn"`
				} `json:"votes"`
				Decision       *string `json:"decision"`
				Released       bool    `json:"released"`
				ReleasedBy     *string `json:"released_by"`
				Uploaded       bool    `json:"uploaded"`
				UploadAttempts int     `json:"upload_attempts"`
			} `json:"files"`
			Comments map[string]int `json:"comments"`
		} `json:"groups"`
		Audit struct {
			Total  int            `json:"total"`
			Hidden int            `json:"hidden"`
			ByType map[string]int `json:"by_type"`
		} `json:"audit"`
	} `json:"requests"`
	Audit struct {
		Total  int            `json:"total"`
		Hidden int            `json:"hidden"`
		ByType map[string]int `json:"by_type"`
	} `json:"audit"`
	Tables map[string]int64 `json:"tables"`
}

// copyFixture copies the fixture into a temporary folder, writable.
func copyFixture(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat(fixtureDir); err != nil {
		t.Skipf("no reference fixture at %s", fixtureDir)
	}
	dir := filepath.Join(t.TempDir(), "reference")
	if out, err := exec.Command("cp", "-r", fixtureDir, dir).CombinedOutput(); err != nil {
		t.Fatalf("copy fixture: %v: %s", err, out)
	}
	if out, err := exec.Command("chmod", "-R", "u+w", dir).CombinedOutput(); err != nil {
		t.Fatalf("chmod fixture: %v: %s", err, out)
	}
	return dir
}

// target is an empty airlock (a database, SQLite or PostgreSQL as
// testkit.NewEnv chooses, and a request store).
type target struct {
	env   *testkit.Env
	blobs *blobstore.Store
}

func newTarget(t *testing.T) target {
	t.Helper()
	env := testkit.NewEnv(t)
	blobs, err := blobstore.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { blobs.Close() })
	return target{env: env, blobs: blobs}
}

func (tg target) run(t *testing.T, workDir string, mod func(*Options)) (*Report, error) {
	t.Helper()
	opt := Options{DB: filepath.Join(workDir, "db.sqlite3"), RequestDir: filepath.Join(workDir, "requests")}
	if mod != nil {
		mod(&opt)
	}
	return Import(context.Background(), tg.env.Store, tg.blobs, opt)
}

func isoTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatal(err)
	}
	return v.UTC()
}

func TestImportFixture(t *testing.T) {
	dir := copyFixture(t)
	var want expected
	raw, err := os.ReadFile(filepath.Join(dir, "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatal(err)
	}
	tg := newTarget(t)
	ctx := context.Background()
	rep, err := tg.run(t, filepath.Join(dir, "workdir"), func(o *Options) { o.WorkspaceDir = filepath.Join(dir, "workspaces") })
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	for table, n := range rep.Source {
		if want.Tables[table] != n {
			t.Errorf("%s: read %d rows, expected.json says %d", table, n, want.Tables[table])
		}
	}
	if len(rep.Problems) > 0 || len(rep.AbsentWorkspaces) > 0 {
		t.Errorf("problems %v, absent workspaces %v", rep.Problems, rep.AbsentWorkspaces)
	}
	if len(rep.Verification) != 9 {
		t.Errorf("verification has %d lines: %q", len(rep.Verification), rep.Verification)
	}

	checker := domain.SystemUser()
	for _, wr := range want.Requests {
		r, err := tg.env.Svc.GetRequest(ctx, checker, wr.ID)
		if err != nil {
			t.Fatalf("%s: %v", wr.Scenario, err)
		}
		p := wr.Scenario + ": "
		if r.Workspace != wr.Workspace || r.Author != wr.Author || string(r.Status) != wr.Status || r.ReviewTurn != wr.ReviewTurn ||
			r.Project != wr.Project || !slices.Equal(r.Organisations, wr.Organisations) {
			t.Errorf("%sheader %s %s %s turn %d %q %q", p, r.Workspace, r.Author, r.Status, r.ReviewTurn, r.Project, r.Organisations)
		}
		if !r.CreatedAt.Equal(isoTime(t, wr.CreatedAt)) {
			t.Errorf("%screated_at %v, want %s", p, r.CreatedAt, wr.CreatedAt)
		}
		if (wr.LastSubmittedAt == nil) != (r.LastSubmittedAt == nil) ||
			(wr.LastSubmittedAt != nil && !r.LastSubmittedAt.Equal(isoTime(t, *wr.LastSubmittedAt))) {
			t.Errorf("%slast_submitted_at %v, want %v", p, r.LastSubmittedAt, wr.LastSubmittedAt)
		}
		if got := r.SubmittedReviewers(); !sameSet(got, wr.SubmittedReviews) {
			t.Errorf("%ssubmitted reviewers %v, want %v", p, got, wr.SubmittedReviews)
		}
		if !sameSet(r.TurnReviewers, wr.TurnReviewers) {
			t.Errorf("%sturn reviewers %v, want %v", p, r.TurnReviewers, wr.TurnReviewers)
		}
		nFiles := 0
		for name, wg := range wr.Groups {
			g, ok := r.Group(name)
			if !ok {
				t.Errorf("%sgroup %s missing", p, name)
				continue
			}
			if g.Context != wg.Context || g.Controls != wg.Controls {
				t.Errorf("%sgroup %s context/controls %q %q", p, name, g.Context, g.Controls)
			}
			comments := map[string]int{}
			for _, c := range r.Comments {
				if c.Group == name {
					comments[string(c.Visibility)]++
				}
			}
			for vis, n := range wg.Comments {
				if comments[vis] != n {
					t.Errorf("%sgroup %s: %d %s comments, want %d", p, name, comments[vis], vis, n)
				}
			}
			for _, wf := range wg.Files {
				nFiles++
				f, ok := r.File(wf.Relpath)
				if !ok {
					t.Errorf("%sfile %s missing", p, wf.Relpath)
					continue
				}
				fp := p + wf.Relpath + ": "
				if f.Group != name || string(f.FileType) != wf.FileType || f.FileID != wf.FileID || f.Size != wf.Size ||
					f.JobID != wf.JobID || f.Commit != wf.Commit || fmtInt(f.RowCount) != fmtInt(wf.RowCount) || fmtInt(f.ColCount) != fmtInt(wf.ColCount) {
					t.Errorf("%sfile %+v", fp, f)
				}
				if len(f.Reviews) != len(wf.Votes) {
					t.Errorf("%s%d votes, want %d", fp, len(f.Reviews), len(wf.Votes))
				}
				for who, v := range wf.Votes {
					if got := f.Reviews[who]; string(got.Vote) != v.Status || got.ReviewTurn != v.ReviewTurn {
						t.Errorf("%svote of %s %s turn %d, want %s turn %d", fp, who, got.Vote, got.ReviewTurn, v.Status, v.ReviewTurn)
					}
				}
				if got := decision(r, *f); (wf.Decision == nil) != (got == "") || (wf.Decision != nil && *wf.Decision != string(got)) {
					t.Errorf("%sdecision %q, want %v", fp, got, deref(wf.Decision))
				}
				if (f.ReleasedAt != nil) != wf.Released || f.ReleasedBy != deref(wf.ReleasedBy) || f.Uploaded != wf.Uploaded ||
					f.UploadAttempts != wf.UploadAttempts {
					t.Errorf("%srelease %v by %q uploaded %v attempts %d", fp, f.ReleasedAt, f.ReleasedBy, f.Uploaded, f.UploadAttempts)
				}
				rc, err := tg.blobs.Open(r.Workspace, f.FileID)
				if err != nil {
					t.Errorf("%sthe copy is not in airlock's request store: %v", fp, err)
				} else {
					rc.Close()
				}
			}
		}
		if len(r.Files) != nFiles {
			t.Errorf("%s%d files, want %d", p, len(r.Files), nFiles)
		}
		events, err := tg.env.Store.Events(ctx, store.EventFilter{Request: wr.ID})
		if err != nil {
			t.Fatal(err)
		}
		if got := countEvents(events); got.Total != wr.Audit.Total || got.Hidden != wr.Audit.Hidden || !equalCounts(got.ByType, wr.Audit.ByType) {
			t.Errorf("%saudit %+v, want %+v", p, got, wr.Audit)
		}
	}

	// The whole audit log, in the reference's order, in airlock's chain.
	var all []domain.Event
	if err := tg.env.Store.EachEvent(ctx, func(e domain.Event) error { all = append(all, e); return nil }); err != nil {
		t.Fatal(err)
	}
	if got := countEvents(all); got.Total != want.Audit.Total || got.Hidden != want.Audit.Hidden || !equalCounts(got.ByType, want.Audit.ByType) {
		t.Errorf("audit %+v, want %+v", got, want.Audit)
	}
	for i := 1; i < len(all); i++ {
		if all[i].CreatedAt.Before(all[i-1].CreatedAt.Add(-time.Second)) {
			t.Errorf("event %d (%s) is far older than the one before: not in the reference's order", all[i].ID, all[i].Type)
		}
	}
	testkit.VerifyAudit(t, tg.env.Store)

	// Users known to the reference are known to airlock.
	for _, u := range want.Users {
		_, err := tg.env.Store.GetUser(ctx, u.Username)
		if u.InUserTable && err != nil {
			t.Errorf("user %s: %v", u.Username, err)
		}
	}

	// The request that was mid-upload (APPROVED) resumes: its released,
	// not uploaded files are due.
	claim, err := tg.env.Store.ClaimUpload(ctx, "test", time.Now(), time.Now().Add(time.Minute))
	if err != nil {
		t.Fatalf("no file due for upload: %v", err)
	}
	midID := ""
	for _, r := range want.Requests {
		if r.Status == "APPROVED" {
			midID = r.ID
		}
	}
	if claim.RequestID != midID {
		t.Errorf("the file due is of %s, not of the approved request %s", claim.RequestID, midID)
	}

	// Every open request stays its author's open request.
	for _, wr := range want.Requests {
		if !domain.Status(wr.Status).Valid() || !slices.Contains(domain.ActiveStatuses(), domain.Status(wr.Status)) {
			continue
		}
		id, err := tg.env.Store.ActiveRequestID(ctx, wr.Workspace, wr.Author)
		if err != nil || id != wr.ID {
			t.Errorf("%s: the open request of %s in %s is %q (%v)", wr.Scenario, wr.Author, wr.Workspace, id, err)
		}
	}

	// A second import is refused, and changes nothing.
	before := testkit.StateOf(t, tg.env.Store, func() int { return 0 })
	_, err = tg.run(t, filepath.Join(dir, "workdir"), nil)
	if !errors.Is(err, store.ErrNotEmpty) {
		t.Errorf("second import: %v, want ErrNotEmpty", err)
	}
	if after := testkit.StateOf(t, tg.env.Store, func() int { return 0 }); !reflect.DeepEqual(after, before) {
		t.Errorf("the refused import changed the database")
	}
}

// decision is the decision on an output file as the reference computes
// it: over the current turn's submitted reviewers, or the previous
// turn's while the author has the request; none for other files.
func decision(r *domain.Request, f domain.RequestFile) domain.Decision {
	if f.FileType != domain.FileOutput {
		return ""
	}
	if r.Status.Phase() == domain.PhaseAuthor {
		return domain.DecisionOver(f, r.TurnReviewers)
	}
	return domain.DecisionOver(f, r.SubmittedReviewers())
}

type eventCounts struct {
	Total, Hidden int
	ByType        map[string]int
}

func countEvents(events []domain.Event) eventCounts {
	c := eventCounts{ByType: map[string]int{}}
	for _, e := range events {
		c.Total++
		if e.Hidden {
			c.Hidden++
		}
		c.ByType[string(e.Type)]++
	}
	return c
}

func equalCounts(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
