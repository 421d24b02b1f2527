package service

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/store"
)

// PutUser caches a user document (from job-server or the users file).
func (s *Service) PutUser(ctx context.Context, raw []byte) (domain.User, error) {
	u, err := domain.ParseUser(raw)
	if err != nil {
		return domain.User{}, err
	}
	now := s.clock()
	if err := s.store.PutUser(ctx, store.UserRecord{Username: u.Username, APIData: raw, LastRefresh: now}); err != nil {
		return domain.User{}, fmt.Errorf("service: put user %s: %w", u.Username, err)
	}
	s.users.put(cachedUser{user: cloneUser(u), lastRefresh: now, readAt: time.Now()})
	return u, nil
}

// User returns a cached user.
func (s *Service) User(ctx context.Context, username string) (domain.User, error) {
	u, _, err := s.CachedUser(ctx, username)
	return u, err
}

// CachedUser returns a cached user and when their document was last
// fetched.
func (s *Service) CachedUser(ctx context.Context, username string) (domain.User, time.Time, error) {
	if e, ok := s.users.get(username, time.Now()); ok {
		return cloneUser(e.user), e.lastRefresh, nil
	}
	readAt := time.Now()
	rec, err := s.store.GetUser(ctx, username)
	if errors.Is(err, store.ErrNotFound) {
		return domain.User{}, time.Time{}, domain.Errorf(domain.ErrNotFound, "no user %s is known to airlock", username)
	}
	if err != nil {
		return domain.User{}, time.Time{}, fmt.Errorf("service: get user %s: %w", username, err)
	}
	u, err := domain.ParseUser(rec.APIData)
	if err != nil {
		return domain.User{}, time.Time{}, fmt.Errorf("service: cached user %s: %w", username, err)
	}
	s.users.put(cachedUser{user: cloneUser(u), lastRefresh: rec.LastRefresh, readAt: readAt})
	return u, rec.LastRefresh, nil
}

// GetRequest returns a request the user may see.
func (s *Service) GetRequest(ctx context.Context, u domain.User, id string) (*domain.Request, error) {
	r, _, err := s.GetRequestStamped(ctx, u, id)
	return r, err
}

// GetRequestStamped is GetRequest that also says which state of the
// request it returns, for callers that cache what they make of it (a
// page, say): the same stamp means the same request and audit events.
func (s *Service) GetRequestStamped(ctx context.Context, u domain.User, id string) (*domain.Request, domain.Stamp, error) {
	st, err := s.stamp(ctx, id)
	if err != nil {
		return nil, st, err
	}
	r, err := s.readRequest(ctx, id, st)
	if err != nil {
		return nil, st, err
	}
	if err := r.CheckView(u); err != nil {
		return nil, st, err
	}
	return r, st, nil
}

// RequestFilter selects requests to list.
type RequestFilter struct {
	Workspace string
	Author    string
	Statuses  []domain.Status
	// Reviewable keeps only requests the user can review: not their own,
	// and only if they are an output checker.
	Reviewable bool
}

// ListRequests lists the requests the user may see, newest first.
func (s *Service) ListRequests(ctx context.Context, u domain.User, f RequestFilter) ([]domain.Request, error) {
	if f.Reviewable && !u.IsOutputChecker() {
		return nil, nil
	}
	rs, err := s.store.ListRequests(ctx, store.RequestFilter{Workspace: f.Workspace, Author: f.Author, Statuses: f.Statuses})
	if err != nil {
		return nil, fmt.Errorf("service: list requests: %w", err)
	}
	return slices.DeleteFunc(rs, func(r domain.Request) bool {
		return !u.CanViewWorkspace(r.Workspace) || (f.Reviewable && !r.CanReview(u))
	}), nil
}

// RequestEvents returns the audit events of a request the user may see,
// newest first.
func (s *Service) RequestEvents(ctx context.Context, u domain.User, id string) ([]domain.Event, error) {
	r, st, err := s.GetRequestStamped(ctx, u, id)
	if err != nil {
		return nil, err
	}
	return s.VisibleEventsAt(ctx, u, r, st)
}

// MaxEventsPage is the most events one page of RequestEventsPage holds.
const MaxEventsPage = 1000

// RequestEventsPage returns at most limit (1..MaxEventsPage) of the audit
// events of a request the user may see, newest first, older than the
// event id before (0: from the newest), and whether there are older ones.
// It reads the store a page at a time and keeps nothing, so that what one
// call holds is bounded however long the request's history grows.
func (s *Service) RequestEventsPage(ctx context.Context, u domain.User, id string, before int64, limit int) ([]domain.Event, bool, error) {
	if limit < 1 || limit > MaxEventsPage {
		return nil, false, domain.Errorf(domain.ErrInvalidInput, "limit must be between 1 and %d, not %d", MaxEventsPage, limit)
	}
	if before < 0 {
		return nil, false, domain.Errorf(domain.ErrInvalidInput, "before must be an event id, not %d", before)
	}
	r, err := s.GetRequest(ctx, u, id)
	if err != nil {
		return nil, false, err
	}
	if err := r.CheckView(u); err != nil {
		return nil, false, err
	}
	out := make([]domain.Event, 0, limit+1)
	for len(out) <= limit {
		// One more than asked, to know whether older ones follow.
		page, err := s.store.Events(ctx, store.EventFilter{Request: id, Before: before, Limit: limit + 1})
		if err != nil {
			return nil, false, fmt.Errorf("service: request events: %w", err)
		}
		for _, e := range page {
			if r.EventVisible(u, e) {
				out = append(out, e)
			}
			before = e.ID
		}
		if len(page) <= limit {
			break // the oldest event has been read
		}
	}
	if len(out) > limit {
		return out[:limit], true, nil
	}
	return out, false, nil
}

// VisibleEventsAt returns the audit events of a request loaded for the
// user by GetRequestStamped (at stamp st) that the user may see, newest
// first. The events' Extra maps are shared with a cache: callers must not
// change them.
func (s *Service) VisibleEventsAt(ctx context.Context, u domain.User, r *domain.Request, st domain.Stamp) ([]domain.Event, error) {
	if err := r.CheckView(u); err != nil {
		return nil, err
	}
	events, err := s.readEvents(ctx, r.ID, st)
	if err != nil {
		return nil, err
	}
	var out []domain.Event
	for _, e := range events {
		if r.EventVisible(u, e) {
			out = append(out, e)
		}
	}
	return out, nil
}

// AuditFilter selects events for operators. Empty fields select all.
type AuditFilter struct {
	User         string
	Workspace    string
	Request      string
	Group        string // extra.group
	ExcludeTypes []domain.EventType
	Before       int64 // only events with a smaller id (paging newest first); 0: no bound
	Limit        int
}

// AuditLog returns audit events for operators, newest first, unfiltered
// by visibility.
func (s *Service) AuditLog(ctx context.Context, f AuditFilter) ([]domain.Event, error) {
	events, err := s.store.Events(ctx, store.EventFilter(f))
	if err != nil {
		return nil, fmt.Errorf("service: audit log: %w", err)
	}
	return events, nil
}

// VerifyAudit proves the audit log's hash chain, naming every event that
// was changed, removed, inserted or reordered (a *domain.ChainError) and
// events removed from its end. It returns how many events it checked.
func (s *Service) VerifyAudit(ctx context.Context) (int, error) {
	// One pass, holding one event at a time: the log may be long.
	var v domain.ChainVerifier
	var lastID int64
	var lastHash string
	if err := s.store.EachEvent(ctx, func(e domain.Event) error {
		v.Add(e)
		lastID, lastHash = e.ID, e.Hash
		return nil
	}); err != nil {
		return 0, fmt.Errorf("service: read audit log: %w", err)
	}
	chainErr := v.Err()
	headID, headHash, err := s.store.AuditHead(ctx)
	if err != nil {
		return v.Count(), errors.Join(chainErr, fmt.Errorf("service: read audit head: %w", err))
	}
	if headID != lastID || headHash != lastHash {
		return v.Count(), errors.Join(chainErr, fmt.Errorf("audit log ends at event %d but its head records event %d: events at the end were removed", lastID, headID))
	}
	return v.Count(), chainErr
}

// WorkspaceFileStatus is a workspace file's status for the user.
func (s *Service) WorkspaceFileStatus(ctx context.Context, u domain.User, workspace string, f domain.WorkspaceFile) (domain.WorkspaceFileStatus, error) {
	status, err := s.FileStatuses(ctx, u, workspace)
	if err != nil {
		return "", err
	}
	return status(f), nil
}

// FileStatuses returns a function giving the status, for the user, of any
// file of the workspace: what a folder listing needs, computed from one
// read of the released files and of the user's current request.
func (s *Service) FileStatuses(ctx context.Context, u domain.User, workspace string) (func(domain.WorkspaceFile) domain.WorkspaceFileStatus, error) {
	if err := u.CheckViewWorkspace(workspace); err != nil {
		return nil, err
	}
	released, err := s.store.ReleasedFileIDs(ctx, workspace)
	if err != nil {
		return nil, fmt.Errorf("service: file status: %w", err)
	}
	current, err := s.CurrentRequest(ctx, u, workspace)
	if err != nil {
		return nil, err
	}
	return func(f domain.WorkspaceFile) domain.WorkspaceFileStatus {
		return domain.FileStatus(f, released, current)
	}, nil
}

// RecordWorkspaceFileView audits that the user viewed a workspace file.
func (s *Service) RecordWorkspaceFileView(ctx context.Context, u domain.User, workspace, relpath string) error {
	if err := u.CheckViewWorkspace(workspace); err != nil {
		return err
	}
	return s.appendEvent(ctx, domain.Event{Type: domain.EventWorkspaceFileView, User: u.Username, Workspace: workspace, Path: relpath})
}

// RecordRequestFileView audits that the user viewed (or, when download,
// downloaded) a request file. Only output checkers who are not the author
// may download.
func (s *Service) RecordRequestFileView(ctx context.Context, u domain.User, id, relpath string, download bool) error {
	r, err := s.GetRequest(ctx, u, id)
	if err != nil {
		return err
	}
	f, ok := r.File(relpath)
	if !ok {
		return domain.Errorf(domain.ErrNotFound, "%s is not a file of this request.", relpath)
	}
	t := domain.EventRequestFileView
	if download {
		if err := r.CheckDownload(u); err != nil {
			return err
		}
		t = domain.EventRequestFileDownload
	}
	return s.appendEvent(ctx, domain.Event{
		Type: t, User: u.Username, Workspace: r.Workspace, Request: r.ID, Path: relpath,
		Extra: map[string]string{"group": f.Group, "review_turn": strconv.Itoa(r.ReviewTurn)},
	})
}

// appendEvent writes an audit event that changes nothing else.
func (s *Service) appendEvent(ctx context.Context, e domain.Event) error {
	if e.Extra == nil {
		e.Extra = map[string]string{}
	}
	e.CreatedAt = s.clock()
	err := s.store.Tx(ctx, func(tx store.Tx) error {
		_, err := tx.AppendEvent(ctx, e)
		return err
	})
	if err != nil {
		return fmt.Errorf("service: audit %s: %w", e.Type, err)
	}
	return nil
}

// ReferencedFiles returns the content hashes of every request copy of the
// workspace that some request still has, for garbage collection.
func (s *Service) ReferencedFiles(ctx context.Context, workspace string) (map[string]bool, error) {
	ids, err := s.store.FileIDs(ctx, workspace)
	if err != nil {
		return nil, fmt.Errorf("service: referenced files of %s: %w", workspace, err)
	}
	return ids, nil
}

// WorkflowStats are the figures operators watch.
type WorkflowStats struct {
	RequestsByStatus map[domain.Status]int
	// UploadBacklog counts released output files not yet uploaded, and
	// UploadFailing those of them whose uploads keep failing.
	UploadBacklog, UploadFailing int
}

// Stats counts requests by status and the files waiting to be uploaded.
func (s *Service) Stats(ctx context.Context) (WorkflowStats, error) {
	all, err := s.store.ListRequests(ctx, store.RequestFilter{})
	if err != nil {
		return WorkflowStats{}, fmt.Errorf("service: stats: %w", err)
	}
	st := WorkflowStats{RequestsByStatus: map[domain.Status]int{}}
	for _, status := range domain.Statuses() {
		st.RequestsByStatus[status] = 0
	}
	for _, r := range all {
		st.RequestsByStatus[r.Status]++
		if r.Status != domain.StatusApproved {
			continue
		}
		full, err := s.request(ctx, r.ID)
		if err != nil {
			return WorkflowStats{}, err
		}
		for _, f := range full.OutputFiles() {
			if f.ReleasedAt != nil && !f.Uploaded {
				st.UploadBacklog++
				if f.UploadFailing() {
					st.UploadFailing++
				}
			}
		}
	}
	return st, nil
}
