package importref

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"github.com/airlock-go/airlock/internal/domain"
)

// History is the reference's data the import writes, read whole (the
// audit log is streamed: Source.EachEvent).
type History struct {
	Requests []*domain.Request // by id, each with its groups, files, votes and comments
	Users    []User
	// Rows counts the rows read of each reference table but the audit
	// log's.
	Rows map[string]int64
	// fileIDs maps the reference's file row ids to their request and path.
	fileIDs map[int64]fileRef
}

type fileRef struct {
	request *domain.Request
	index   int
}

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

// ReadHistory reads every request with its groups, files, votes and
// comments, and every user, checking each value is one airlock knows.
func (s *Source) ReadHistory(ctx context.Context) (*History, error) {
	h := &History{Rows: map[string]int64{}, fileIDs: map[int64]fileRef{}}
	byID := map[string]*domain.Request{}
	turnReviewers := map[string]sql.NullString{}
	err := s.each(ctx, "local_db_requestmetadata", "id", func(rows *sql.Rows) error {
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
		turnReviewers[r.ID] = turnRev
		req := r
		byID[r.ID] = &req
		h.Requests = append(h.Requests, &req)
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, r := range h.Requests {
		// turn_reviewers are the reviewers of the turn that ended last;
		// airlock keeps them as that turn's submitted reviews.
		if tr := turnReviewers[r.ID]; tr.Valid && r.ReviewTurn > 0 {
			r.TurnReviewers = splitList(tr.String)
			slices.Sort(r.TurnReviewers)
			r.TurnReviewers = slices.Compact(r.TurnReviewers)
		}
	}
	h.Rows["local_db_requestmetadata"] = int64(len(h.Requests))

	groups := map[int64]struct {
		r    *domain.Request
		name string
	}{}
	err = s.each(ctx, "local_db_filegroupmetadata", "id", func(rows *sql.Rows) error {
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
		groups[id] = struct {
			r    *domain.Request
			name string
		}{r, g.Name}
		h.Rows["local_db_filegroupmetadata"]++
		return nil
	})
	if err != nil {
		return nil, err
	}

	err = s.each(ctx, "local_db_requestfilemetadata", "id", func(rows *sql.Rows) error {
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
		h.fileIDs[id] = fileRef{request: g.r, index: len(g.r.Files) - 1}
		h.Rows["local_db_requestfilemetadata"]++
		return nil
	})
	if err != nil {
		return nil, err
	}

	err = s.each(ctx, "local_db_filereview", "id", func(rows *sql.Rows) error {
		var (
			id, fileID int64
			rv         domain.Review
			status     string
		)
		if err := rows.Scan(&id, &rv.Reviewer, &status, mustTime{&rv.CreatedAt}, mustTime{&rv.UpdatedAt}, &fileID, &rv.ReviewTurn); err != nil {
			return err
		}
		ref, ok := h.fileIDs[fileID]
		if !ok {
			return rowError("local_db_filereview", id, "its file %d does not exist", fileID)
		}
		rv.Vote = domain.Vote(status)
		switch rv.Vote {
		case domain.VoteApproved, domain.VoteChangesRequested, domain.VoteUndecided:
		default:
			return rowError("local_db_filereview", id, "unknown vote %q", status)
		}
		ref.request.Files[ref.index].Reviews[rv.Reviewer] = rv
		h.Rows["local_db_filereview"]++
		return nil
	})
	if err != nil {
		return nil, err
	}

	err = s.each(ctx, "local_db_filegroupcomment", "id", func(rows *sql.Rows) error {
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
		h.Rows["local_db_filegroupcomment"]++
		return nil
	})
	if err != nil {
		return nil, err
	}

	err = s.each(ctx, "users_user", "user_id", func(rows *sql.Rows) error {
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
		h.Users = append(h.Users, u)
		h.Rows["users_user"]++
		return nil
	})
	if err != nil {
		return nil, err
	}
	return h, nil
}

// Event is one row of the reference's audit log.
type Event struct {
	SourceID int64
	domain.Event
}

// EachEvent calls fn on every row of the reference's audit log, in id
// order, without reading the log whole.
func (s *Source) EachEvent(ctx context.Context, fn func(Event) error) error {
	return s.each(ctx, "local_db_auditlog", "id", func(rows *sql.Rows) error {
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
