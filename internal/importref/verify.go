package importref

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/service"
	"github.com/airlock-go/airlock/internal/store"
)

// ErrVerify is returned (wrapped, with every difference) when the
// imported data does not read back as the reference's.
var ErrVerify = errors.New("the imported data does not match the reference")

// tableMap pairs each airlock table with the reference table it is
// imported from.
var tableMap = []struct{ airlock, reference string }{
	{"requests", "local_db_requestmetadata"},
	{"file_groups", "local_db_filegroupmetadata"},
	{"request_files", "local_db_requestfilemetadata"},
	{"file_reviews", "local_db_filereview"},
	{"comments", "local_db_filegroupcomment"},
}

// verifyWorkers is how many requests Verify reads back at once.
const verifyWorkers = 4

// maxProblems is how many differences Verify lists; it counts the rest.
const maxProblems = 200

// Verify checks an import once committed: the rows of each table against
// the reference's, every request read back through the service and
// compared with the reference's (a batch at a time, several at once),
// every user, and the audit log's hash chain in one pass. headBefore is
// the audit log's last id before the import. It adds a line per check to
// rep.Verification.
func Verify(ctx context.Context, st store.Store, src *Source, headBefore int64, opt Options, rep *Report) error {
	var problems []string
	more := 0
	problem := func(format string, args ...any) {
		if len(problems) < maxProblems {
			problems = append(problems, fmt.Sprintf(format, args...))
		} else {
			more++
		}
	}
	counts, err := st.(store.Importer).TableCounts(ctx)
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	for _, m := range tableMap {
		if counts[m.airlock] != rep.Source[m.reference] {
			problem("%s has %d rows, the reference's %s %d", m.airlock, counts[m.airlock], m.reference, rep.Source[m.reference])
		} else {
			rep.Verification = append(rep.Verification, fmt.Sprintf("%-13s %7d rows = %s", m.airlock, counts[m.airlock], m.reference))
		}
	}
	headAfter, _, err := st.AuditHead(ctx)
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	if got := headAfter - headBefore; got != rep.Source["local_db_auditlog"] {
		problem("the audit log grew by %d events, the reference's has %d rows", got, rep.Source["local_db_auditlog"])
	} else {
		rep.Verification = append(rep.Verification, fmt.Sprintf("%-13s %7d events = local_db_auditlog (ids %d to %d)", "audit_log", got, headBefore+1, headAfter))
	}

	users, badUsers := 0, 0
	err = src.EachUser(ctx, func(u User) error {
		users++
		got, err := st.GetUser(ctx, u.Username)
		if err != nil {
			badUsers++
			problem("user %s: %v", u.Username, err)
			return nil
		}
		if string(got.APIData) != string(u.APIData) || !got.LastRefresh.Equal(u.LastRefresh) {
			badUsers++
			problem("user %s reads back different", u.Username)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	if badUsers == 0 {
		rep.Verification = append(rep.Verification, fmt.Sprintf("%-13s %7d = users_user, each read back the same", "users", users))
	}

	svc := service.New(service.Config{Store: st, Logger: discard()})
	reader := domain.SystemUser()
	requests, bad := 0, 0
	err = opt.eachBatch(ctx, src, func(b *Batch) error {
		diffs := make([][]string, len(b.Requests))
		next := make(chan int)
		var wg sync.WaitGroup
		for range min(verifyWorkers, len(b.Requests)) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range next {
					want := b.Requests[i]
					got, err := svc.GetRequest(ctx, reader, want.ID)
					if err != nil {
						diffs[i] = []string{err.Error()}
						continue
					}
					diffs[i] = CompareRequest(want, got)
				}
			}()
		}
		for i := range b.Requests {
			next <- i
		}
		close(next)
		wg.Wait()
		for i, d := range diffs {
			requests++
			if len(d) > 0 {
				bad++
			}
			for _, line := range d {
				problem("request %s: %s", b.Requests[i].ID, line)
			}
		}
		return ctx.Err()
	})
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	if bad == 0 {
		rep.Verification = append(rep.Verification, fmt.Sprintf("%d requests read back through the service, each equal to the reference's", requests))
	}

	n, err := svc.VerifyAudit(ctx)
	if err != nil {
		problem("audit verify: %v", err)
	} else {
		rep.Verification = append(rep.Verification, fmt.Sprintf("audit verify: %d events, the hash chain intact", n))
	}
	if len(problems) > 0 {
		if more > 0 {
			problems = append(problems, fmt.Sprintf("and %d more differences", more))
		}
		return fmt.Errorf("%w:\n  %s", ErrVerify, strings.Join(problems, "\n  "))
	}
	return nil
}

// CompareRequest lists how got (read back from airlock) differs from want
// (read from the reference); none when they agree.
func CompareRequest(want, got *domain.Request) []string {
	var d []string
	ne := func(what string, w, g any) {
		if fmt.Sprint(w) != fmt.Sprint(g) {
			d = append(d, fmt.Sprintf("%s is %v, the reference's %v", what, g, w))
		}
	}
	ne("workspace", want.Workspace, got.Workspace)
	ne("author", want.Author, got.Author)
	ne("status", want.Status, got.Status)
	ne("review turn", want.ReviewTurn, got.ReviewTurn)
	ne("project", want.Project, got.Project)
	ne("organisations", want.Organisations, got.Organisations)
	ne("created_at", fmtTime(&want.CreatedAt), fmtTime(&got.CreatedAt))
	ne("last_submitted_at", fmtTime(want.LastSubmittedAt), fmtTime(got.LastSubmittedAt))
	ne("submitted reviews", fmtReviews(want.SubmittedReviews), fmtReviews(got.SubmittedReviews))
	ne("turn reviewers", want.TurnReviewers, got.TurnReviewers)

	ne("groups", len(want.Groups), len(got.Groups))
	for _, wg := range want.Groups {
		gg, ok := got.Group(wg.Name)
		if !ok {
			d = append(d, fmt.Sprintf("group %s is missing", wg.Name))
			continue
		}
		ne("group "+wg.Name+" context", wg.Context, gg.Context)
		ne("group "+wg.Name+" controls", wg.Controls, gg.Controls)
		ne("group "+wg.Name+" created_at", fmtTime(&wg.CreatedAt), fmtTime(&gg.CreatedAt))
		ne("group "+wg.Name+" updated_at", fmtTime(&wg.UpdatedAt), fmtTime(&gg.UpdatedAt))
	}

	ne("files", len(want.Files), len(got.Files))
	for _, wf := range want.Files {
		gf, ok := got.File(wf.Relpath)
		if !ok {
			d = append(d, fmt.Sprintf("file %s is missing", wf.Relpath))
			continue
		}
		p := "file " + wf.Relpath + " "
		ne(p+"group", wf.Group, gf.Group)
		ne(p+"file_id", wf.FileID, gf.FileID)
		ne(p+"filetype", wf.FileType, gf.FileType)
		ne(p+"timestamp", wf.Timestamp, gf.Timestamp)
		ne(p+"size", wf.Size, gf.Size)
		ne(p+"job_id", wf.JobID, gf.JobID)
		ne(p+"commit", wf.Commit, gf.Commit)
		ne(p+"repo", wf.Repo, gf.Repo)
		ne(p+"row_count", fmtInt(wf.RowCount), fmtInt(gf.RowCount))
		ne(p+"col_count", fmtInt(wf.ColCount), fmtInt(gf.ColCount))
		ne(p+"released_at", fmtTime(wf.ReleasedAt), fmtTime(gf.ReleasedAt))
		ne(p+"released_by", wf.ReleasedBy, gf.ReleasedBy)
		ne(p+"uploaded", wf.Uploaded, gf.Uploaded)
		ne(p+"uploaded_at", fmtTime(wf.UploadedAt), fmtTime(gf.UploadedAt))
		ne(p+"upload_attempts", wf.UploadAttempts, gf.UploadAttempts)
		ne(p+"upload_attempted_at", fmtTime(wf.UploadAttemptedAt), fmtTime(gf.UploadAttemptedAt))
		ne(p+"votes", fmtVotes(wf.Reviews), fmtVotes(gf.Reviews))
	}

	ne("comments", fmtComments(want.Comments), fmtComments(got.Comments))
	return d
}

func fmtTime(t *time.Time) string {
	if t == nil {
		return "none"
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func fmtInt(p *int) string {
	if p == nil {
		return "none"
	}
	return fmt.Sprint(*p)
}

func fmtReviews(m map[string]time.Time) string {
	var out []string
	for k, v := range m {
		out = append(out, k+"@"+fmtTime(&v))
	}
	slices.Sort(out)
	return strings.Join(out, ",")
}

func fmtVotes(m map[string]domain.Review) string {
	var out []string
	for k, v := range m {
		out = append(out, fmt.Sprintf("%s:%s:turn%d:%s:%s", k, v.Vote, v.ReviewTurn, fmtTime(&v.CreatedAt), fmtTime(&v.UpdatedAt)))
	}
	slices.Sort(out)
	return strings.Join(out, ",")
}

func fmtComments(cs []domain.Comment) string {
	var out []string
	for _, c := range cs {
		out = append(out, fmt.Sprintf("%s|%s|%s|%s|%d|%q", fmtTime(&c.CreatedAt), c.Group, c.Author, c.Visibility, c.ReviewTurn, c.Text))
	}
	slices.Sort(out)
	return strings.Join(out, "\n")
}
