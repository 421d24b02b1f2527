package importref

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"github.com/airlock-go/airlock/internal/domain"
)

// Batch is a run of the reference's requests in id order, each with its
// groups, files, votes and comments, and what the audit log says of their
// times. The import reads, writes and verifies a batch at a time, so it
// holds at most one batch, however many requests the reference has.
type Batch struct {
	Requests []*domain.Request
	times    times
}

// DefaultBatchSize is how many requests a Batch holds unless
// Options.BatchSize says otherwise.
const DefaultBatchSize = 200

// User is a users_user row.
type User struct {
	Username    string
	APIData     []byte
	LastRefresh time.Time
}

// rowError names a bad row for the person running the import.
func rowError(table string, id any, format string, args ...any) error {
	return fmt.Errorf("%s row %v: %s", table, id, fmt.Sprintf(format, args...))
}

// EachBatch reads the requests size at a time, in id order, each with its
// groups, files, votes and comments, checking each value is one airlock
// knows, and calls fn on each batch. Rows that belong to no request
// (CheckLinks finds them) are not read.
func (s *Source) EachBatch(ctx context.Context, size int, fn func(*Batch) error) error {
	if size <= 0 {
		size = DefaultBatchSize
	}
	after, first := "", true
	for {
		b, err := s.readBatch(ctx, after, first, size)
		if err != nil {
			return err
		}
		if len(b.Requests) == 0 {
			return nil
		}
		if err := fn(b); err != nil {
			return err
		}
		after, first = b.Requests[len(b.Requests)-1].ID, false
		if len(b.Requests) < size {
			return nil
		}
	}
}

// readBatch reads up to size requests after the id after (from the first
// when first), and everything on them.
func (s *Source) readBatch(ctx context.Context, after string, first bool, size int) (*Batch, error) {
	b := &Batch{}
	byID := map[string]*domain.Request{}
	where, args := `"id" > ?`, []any{after, size}
	if first {
		where, args = "1 = 1", []any{size}
	}
	err := s.each(ctx, "local_db_requestmetadata", selectSQL("local_db_requestmetadata", "", where, `"id"`)+" LIMIT ?", args, func(rows *sql.Rows) error {
		var (
			r                       domain.Request
			status, submitted, orgs string
			turnRev                 sql.NullString
			lastSubmitted           *time.Time
		)
		if err := rows.Scan(&r.ID, &r.Workspace, &r.Author, mustTime{&r.CreatedAt}, &status, &r.ReviewTurn,
			&turnRev, &submitted, &orgs, &r.Project, refTime{&lastSubmitted}); err != nil {
			return err
		}
		r.LastSubmittedAt = lastSubmitted
		r.Status = domain.Status(status)
		if !r.Status.Valid() {
			return rowError("local_db_requestmetadata", r.ID, "unknown status %q", status)
		}
		if r.ReviewTurn < 0 {
			return rowError("local_db_requestmetadata", r.ID, "negative review turn %d", r.ReviewTurn)
		}
		r.Organisations = splitList(orgs)
		sr, err := jsonStrings(submitted)
		if err != nil {
			return rowError("local_db_requestmetadata", r.ID, "submitted_reviews: %v", err)
		}
		r.SubmittedReviews = map[string]time.Time{}
		for reviewer, at := range sr {
			t, err := parseRefTime(at)
			if err != nil {
				return rowError("local_db_requestmetadata", r.ID, "submitted_reviews[%s]: %v", reviewer, err)
			}
			r.SubmittedReviews[reviewer] = t
		}
		// turn_reviewers are the reviewers of the turn that ended last;
		// airlock keeps them as that turn's submitted reviews.
		if turnRev.Valid && r.ReviewTurn > 0 {
			r.TurnReviewers = splitList(turnRev.String)
			slices.Sort(r.TurnReviewers)
			r.TurnReviewers = slices.Compact(r.TurnReviewers)
		}
		byID[r.ID] = &r
		b.Requests = append(b.Requests, &r)
		return nil
	})
	if err != nil || len(b.Requests) == 0 {
		return b, err
	}
	// The batch's requests are exactly those with ids from lo to hi.
	lo, hi := b.Requests[0].ID, b.Requests[len(b.Requests)-1].ID

	type groupRef struct {
		r    *domain.Request
		name string
	}
	groups := map[int64]groupRef{}
	err = s.each(ctx, "local_db_filegroupmetadata",
		selectSQL("local_db_filegroupmetadata", "", `"request_id" BETWEEN ? AND ?`, `"request_id", "id"`), []any{lo, hi},
		func(rows *sql.Rows) error {
			var (
				id        int64
				requestID string
				g         domain.Group
			)
			if err := rows.Scan(&id, &g.Name, &requestID, &g.Context, &g.Controls, mustTime{&g.CreatedAt}, mustTime{&g.UpdatedAt}); err != nil {
				return err
			}
			r := byID[requestID]
			if r == nil {
				return rowError("local_db_filegroupmetadata", id, "its request %s does not exist", requestID)
			}
			r.Groups = append(r.Groups, g)
			groups[id] = groupRef{r, g.Name}
			return nil
		})
	if err != nil {
		return nil, err
	}

	type fileRef struct {
		r     *domain.Request
		index int
	}
	files := map[int64]fileRef{}
	err = s.each(ctx, "local_db_requestfilemetadata",
		selectSQL("local_db_requestfilemetadata", "", `"request_id" BETWEEN ? AND ?`, `"request_id", "id"`), []any{lo, hi},
		func(rows *sql.Rows) error {
			var (
				id, groupID        int64
				f                  domain.RequestFile
				filetype, reqID    string
				rowCount, colCount sql.NullInt64
				releasedBy         sql.NullString
			)
			if err := rows.Scan(&id, &f.Relpath, &groupID, &f.FileID, &filetype, &reqID, &colCount, &f.Commit,
				&f.JobID, &rowCount, &f.Size, &f.Timestamp, &f.Repo, refTime{&f.ReleasedAt}, &releasedBy,
				&f.UploadAttempts, refBool{&f.Uploaded}, refTime{&f.UploadedAt}, refTime{&f.UploadAttemptedAt}); err != nil {
				return err
			}
			g, ok := groups[groupID]
			if !ok || g.r.ID != reqID {
				return rowError("local_db_requestfilemetadata", id, "its group %d is not a group of its request %s", groupID, reqID)
			}
			f.Group = g.name
			f.FileType = domain.FileType(filetype)
			switch f.FileType {
			case domain.FileOutput, domain.FileSupporting, domain.FileWithdrawn:
			default:
				return rowError("local_db_requestfilemetadata", id, "unknown filetype %q", filetype)
			}
			if !validHash(f.FileID) {
				return rowError("local_db_requestfilemetadata", id, "file_id %q is not a sha256", f.FileID)
			}
			if err := domain.CheckText("the path", f.Relpath); err != nil {
				return rowError("local_db_requestfilemetadata", id, "%v", err)
			}
			if rowCount.Valid {
				n := int(rowCount.Int64)
				f.RowCount = &n
			}
			if colCount.Valid {
				n := int(colCount.Int64)
				f.ColCount = &n
			}
			f.ReleasedBy = releasedBy.String
			f.Reviews = map[string]domain.Review{}
			g.r.Files = append(g.r.Files, f)
			files[id] = fileRef{g.r, len(g.r.Files) - 1}
			return nil
		})
	if err != nil {
		return nil, err
	}

	err = s.each(ctx, "local_db_filereview",
		selectSQL("local_db_filereview", "rv", `f."request_id" BETWEEN ? AND ?`, `rv."id"`)+"", []any{lo, hi},
		func(rows *sql.Rows) error {
			var (
				id, fileID int64
				rv         domain.Review
				status     string
			)
			if err := rows.Scan(&id, &rv.Reviewer, &status, mustTime{&rv.CreatedAt}, mustTime{&rv.UpdatedAt}, &fileID, &rv.ReviewTurn); err != nil {
				return err
			}
			ref, ok := files[fileID]
			if !ok {
				return rowError("local_db_filereview", id, "its file %d does not exist", fileID)
			}
			rv.Vote = domain.Vote(status)
			switch rv.Vote {
			case domain.VoteApproved, domain.VoteChangesRequested, domain.VoteUndecided:
			default:
				return rowError("local_db_filereview", id, "unknown vote %q", status)
			}
			ref.r.Files[ref.index].Reviews[rv.Reviewer] = rv
			return nil
		})
	if err != nil {
		return nil, err
	}

	err = s.each(ctx, "local_db_filegroupcomment",
		selectSQL("local_db_filegroupcomment", "c", `g."request_id" BETWEEN ? AND ?`, `c."id"`), []any{lo, hi},
		func(rows *sql.Rows) error {
			var (
				c       domain.Comment
				groupID int64
				vis     string
			)
			if err := rows.Scan(&c.ID, &c.Text, &c.Author, mustTime{&c.CreatedAt}, &groupID, &vis, &c.ReviewTurn); err != nil {
				return err
			}
			g, ok := groups[groupID]
			if !ok {
				return rowError("local_db_filegroupcomment", c.ID, "its group %d does not exist", groupID)
			}
			c.Group = g.name
			c.Visibility = domain.Visibility(vis)
			if c.Visibility != domain.VisibilityPublic && c.Visibility != domain.VisibilityPrivate {
				return rowError("local_db_filegroupcomment", c.ID, "unknown visibility %q", vis)
			}
			g.r.Comments = append(g.r.Comments, c)
			return nil
		})
	if err != nil {
		return nil, err
	}

	b.times, err = s.readTimes(ctx, lo, hi)
	return b, err
}

// joins are the joins selectSQL adds to reach a table's request.
var joins = map[string]string{
	"rv": ` JOIN local_db_requestfilemetadata f ON f."id" = rv."file_id"`,
	"c":  ` JOIN local_db_filegroupmetadata g ON g."id" = c."filegroup_id"`,
}

// CheckLinks names the first row of each table that belongs to no
// request: a group of a request that does not exist, a file whose group
// is not of its request, a vote on a file or a comment on a group that
// does not exist. The import reads rows by their request, so it would
// otherwise leave them behind unsaid.
func (s *Source) CheckLinks(ctx context.Context) error {
	for _, c := range []struct {
		table, query, why string
	}{
		{"local_db_filegroupmetadata", `SELECT g."id", g."request_id" FROM local_db_filegroupmetadata g
			WHERE NOT EXISTS (SELECT 1 FROM local_db_requestmetadata r WHERE r."id" = g."request_id") ORDER BY g."id" LIMIT 1`,
			"its request %v does not exist"},
		{"local_db_requestfilemetadata", `SELECT f."id", f."filegroup_id", f."request_id" FROM local_db_requestfilemetadata f
			LEFT JOIN local_db_filegroupmetadata g ON g."id" = f."filegroup_id"
			WHERE g."id" IS NULL OR g."request_id" <> f."request_id" ORDER BY f."id" LIMIT 1`,
			"its group %v is not a group of its request %v"},
		{"local_db_filereview", `SELECT rv."id", rv."file_id" FROM local_db_filereview rv
			WHERE NOT EXISTS (SELECT 1 FROM local_db_requestfilemetadata f WHERE f."id" = rv."file_id") ORDER BY rv."id" LIMIT 1`,
			"its file %v does not exist"},
		{"local_db_filegroupcomment", `SELECT c."id", c."filegroup_id" FROM local_db_filegroupcomment c
			WHERE NOT EXISTS (SELECT 1 FROM local_db_filegroupmetadata g WHERE g."id" = c."filegroup_id") ORDER BY c."id" LIMIT 1`,
			"its group %v does not exist"},
	} {
		rows, err := s.db.QueryContext(ctx, c.query)
		if err != nil {
			return fmt.Errorf("read %s: %w", c.table, err)
		}
		var vals []any
		if rows.Next() {
			cols, _ := rows.Columns()
			vals = make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				rows.Close()
				return fmt.Errorf("read %s: %w", c.table, err)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("read %s: %w", c.table, err)
		}
		if vals != nil {
			for i, v := range vals {
				if b, ok := v.([]byte); ok {
					vals[i] = string(b)
				}
			}
			return fmt.Errorf("read %s: %w", c.table, rowError(c.table, vals[0], c.why, vals[1:]...))
		}
	}
	return nil
}

// EachUser calls fn on every users_user row, by username.
func (s *Source) EachUser(ctx context.Context, fn func(User) error) error {
	return s.each(ctx, "users_user", selectSQL("users_user", "", "1 = 1", `"user_id"`), nil, func(rows *sql.Rows) error {
		var (
			u       User
			data    string
			refresh float64
		)
		if err := rows.Scan(&u.Username, &data, &refresh); err != nil {
			return err
		}
		if _, err := domain.ParseUser([]byte(data)); err != nil {
			return rowError("users_user", u.Username, "api_data: %v", err)
		}
		u.APIData = []byte(data)
		sec := int64(refresh)
		u.LastRefresh = time.Unix(sec, int64((refresh-float64(sec))*1e9)).UTC().Truncate(time.Microsecond)
		return fn(u)
	})
}

// Workspaces lists the requests' workspaces.
func (s *Source) Workspaces(ctx context.Context) ([]string, error) {
	var out []string
	err := s.each(ctx, "local_db_requestmetadata",
		`SELECT DISTINCT "workspace" FROM local_db_requestmetadata ORDER BY "workspace"`, nil, func(rows *sql.Rows) error {
			var ws string
			if err := rows.Scan(&ws); err != nil {
				return err
			}
			out = append(out, ws)
			return nil
		})
	return out, err
}

// Event is one row of the reference's audit log.
type Event struct {
	SourceID int64
	domain.Event
}

// EachEvent calls fn on every row of the reference's audit log, in id
// order, without reading the log whole.
func (s *Source) EachEvent(ctx context.Context, fn func(Event) error) error {
	return s.each(ctx, "local_db_auditlog", selectSQL("local_db_auditlog", "", "1 = 1", `"id"`), nil, func(rows *sql.Rows) error {
		var (
			e                        Event
			typ                      string
			ws, request, path, extrn sql.NullString
		)
		if err := rows.Scan(&e.SourceID, &typ, &e.User, &ws, &request, &path, &extrn, mustTime{&e.CreatedAt},
			refBool{&e.Hidden}); err != nil {
			return err
		}
		e.Type = domain.EventType(typ)
		e.Workspace, e.Request, e.Path = ws.String, request.String, path.String
		x, err := jsonStrings(extrn.String)
		if err != nil {
			return rowError("local_db_auditlog", e.SourceID, "extra: %v", err)
		}
		e.Extra = x
		return fn(e)
	})
}
