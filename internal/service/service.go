// Package service is airlock's one place for user actions. Each method
// takes the acting user, checks the rules of package domain against the
// request as stored, then writes the change and its audit events in one
// transaction guarded by the request's version, and notifies after commit.
package service

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"strconv"
	"time"

	"github.com/airlock-go/airlock/internal/blobstore"
	"github.com/airlock-go/airlock/internal/checks"
	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/store"
	"github.com/airlock-go/airlock/internal/tracing"
	"github.com/oklog/ulid/v2"
)

// Workspaces reads the files researchers' jobs wrote. The workspace reader
// implements it on disk; it refuses any path outside a workspace's valid
// tree.
type Workspaces interface {
	// File returns the workspace file at relpath with its manifest
	// metadata, Valid false when the path is not in the valid tree. An
	// unknown workspace is an error wrapping domain.ErrNotFound; a
	// malformed path one wrapping domain.ErrInvalidInput.
	File(ctx context.Context, workspace, relpath string) (domain.WorkspaceFile, error)
	// OpenFile opens a file of the valid tree for reading.
	OpenFile(ctx context.Context, workspace, relpath string) (File, error)
	// Workspaces lists the workspaces that can be browsed, by name.
	Workspaces(ctx context.Context) ([]string, error)
	// Stat returns the file or folder at relpath ("" is the root), Valid
	// false when it is not in the valid tree.
	Stat(ctx context.Context, workspace, relpath string) (domain.WorkspaceEntry, error)
	// List returns the entries of a folder of the valid tree; outputs of
	// out-of-date actions only when showOutOfDate.
	List(ctx context.Context, workspace, dir string, showOutOfDate bool) ([]domain.WorkspaceEntry, error)
	// TreeInfo describes the workspace's current valid tree: the hash of
	// its manifest, and how many outputs are of out-of-date actions.
	TreeInfo(ctx context.Context, workspace string) (domain.WorkspaceTreeInfo, error)
}

// File is an open file a viewer can read anywhere in. It is an alias of
// an unnamed interface, so that readers (which do not import this package)
// can return it.
type File = interface {
	io.Reader
	io.ReaderAt
	io.Closer
}

// Blobs keeps the request copies of workspace files, by content.
type Blobs interface {
	// Put copies src into the request store, hashing it as it copies, and
	// returns the sha256 and size of what it stored. When the bytes do not
	// hash to wantHash it stores nothing and returns an error wrapping
	// blobstore.ErrHashMismatch.
	// With blobstore.WithReader it also gives the bytes, as it copies
	// them, to a reader (the disclosure checks): one read of the source.
	Put(ctx context.Context, workspace string, src io.Reader, wantHash string, opts ...blobstore.PutOption) (string, int64, error)
	// Open opens the stored copy with this sha256.
	Open(workspace, sha string) (*os.File, error)
}

// Releaser creates a release outside airlock (on job-server, or in the
// release folder) before the request's files are marked released. It
// must be safe to call again for the same request.
type Releaser interface {
	CreateRelease(ctx context.Context, r *domain.Request, files []domain.RequestFile, user string) error
}

// Notifier delivers notifications of status changes. It must not block
// for long, and its failures are its own: they never undo an action.
type Notifier interface {
	Notify(ctx context.Context, n domain.Notification)
}

// Config holds what a Service needs.
type Config struct {
	Store      store.Store
	Workspaces Workspaces
	Blobs      Blobs
	Releaser   Releaser         // default: none, files are only marked released
	Notifier   Notifier         // default: log each notification
	Logger     *slog.Logger     // default: slog.Default()
	Now        func() time.Time // default: time.Now
	Checks     *checks.Checker  // default: OpenSAFELY's published rules (checks.Default)
	Code       CodeRepos        // default: no code browser (every call says so)
	Tracer     tracing.Tracer   // default: off; spans of the actions on requests
}

// Service runs every action on release requests.
type Service struct {
	store      store.Store
	workspaces Workspaces
	blobs      Blobs
	releaser   Releaser
	notifier   Notifier
	log        *slog.Logger
	now        func() time.Time
	cache      *requestCache // of reads
	users      userCache
	checker    *checks.Checker
	wsChecks   workspaceChecks
	code       CodeRepos
	tracer     tracing.Tracer
}

// New builds a Service.
func New(cfg Config) *Service {
	s := &Service{
		store:      cfg.Store,
		workspaces: cfg.Workspaces,
		blobs:      cfg.Blobs,
		releaser:   cfg.Releaser,
		notifier:   cfg.Notifier,
		log:        cfg.Logger,
		now:        cfg.Now,
		cache:      newRequestCache(requestCacheSize, requestCacheWeight),
		checker:    cfg.Checks,
		code:       cfg.Code,
		tracer:     cfg.Tracer,
	}
	if s.checker == nil {
		ck, err := checks.New(checks.Default())
		if err != nil {
			panic(fmt.Sprintf("service: the default disclosure checks are invalid: %v", err)) // a bug, caught by every test
		}
		s.checker = ck
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.notifier == nil {
		s.notifier = LogNotifier{Logger: s.log}
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s
}

// LogNotifier only logs notifications: what a deployment without
// job-server does.
type LogNotifier struct{ Logger *slog.Logger }

// Notify logs n.
func (l LogNotifier) Notify(ctx context.Context, n domain.Notification) {
	l.Logger.InfoContext(ctx, "notification", "event_type", n.EventType, "request", n.Request,
		"workspace", n.Workspace, "user", n.User, "updates", len(n.Updates))
}

// endSpan ends the span of an action (docs/settings.md, "Tracing") with
// the id and workspace of the request it acted on, and its error.
func endSpan(span tracing.Span, r *domain.Request, err error) {
	if r != nil {
		span.SetRequest(r.ID, r.Workspace)
	}
	span.End(err)
}

// clock returns the current time as the store keeps it.
func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// maxAttempts bounds how often an action is retried when other writers
// keep changing its request first.
const maxAttempts = 20

// errBusy is returned when an action lost the race for its request too
// many times.
var errBusy = domain.Errorf(domain.ErrInvalidTransition, "The request is being changed by someone else; please try again.")

// change is one transaction's worth of writes to one request.
type change struct {
	ctx   context.Context
	tx    store.Tx
	r     *domain.Request // as loaded; Status and ReviewTurn follow the writes
	user  string          // who acts, as recorded in audit events
	now   time.Time
	extra map[string]string // added to every audit event (automated_action)
	notes []domain.Notification
	// events wait here until the writes are done (flush): appending takes
	// the audit chain's lock, which every writer of every node shares, so
	// it is taken as late as possible, just before commit.
	events []domain.Event
	// lastEvent is the id of the last event appended.
	lastEvent int64
	// applied says the writes also changed r as they changed the store,
	// so that r (at the next version) is the request as committed and
	// need not be read again.
	applied bool
}

// flush appends the audit events written so far, in order.
func (c *change) flush() error {
	for _, e := range c.events {
		stored, err := c.tx.AppendEvent(c.ctx, e)
		if err != nil {
			return fmt.Errorf("audit %s: %w", e.Type, err)
		}
		c.lastEvent = stored.ID
	}
	c.events = nil
	return nil
}

// plan checks an action against the request as loaded and returns the
// writes that perform it, or nil when there is nothing to write.
type plan func(r *domain.Request) (write func(c *change) error, err error)

// update runs an action on request id: load, check, then one guarded
// transaction; if another writer changed the request in between, it
// starts again from the load. It returns the request as it now is.
func (s *Service) update(ctx context.Context, u domain.User, id string, p plan) (*domain.Request, error) {
	return s.run(ctx, u.Username, func(ctx context.Context) (*domain.Request, error) {
		return s.GetRequest(ctx, u, id)
	}, p, nil)
}

// updatePart is update for an action that needs only part of the
// request (its header and groups, the files at part.Paths and, when
// part.Comments, its comments): the rules decide on that part, read from
// one snapshot, and the guard makes it the state the change is written
// on. It returns that part as the change left it, when the writes apply
// themselves to it (change.applied), and the whole request otherwise.
func (s *Service) updatePart(ctx context.Context, u domain.User, id string, part store.RequestPart, p plan) (*domain.Request, error) {
	return s.runOn(ctx, u.Username, func(ctx context.Context) (*domain.Request, error) {
		r, err := s.store.GetRequestPart(ctx, id, part)
		if errors.Is(err, store.ErrNotFound) {
			return nil, domain.Errorf(domain.ErrNotFound, "There is no release request %s.", id)
		}
		if err != nil {
			return nil, fmt.Errorf("service: load request %s: %w", id, err)
		}
		if err := r.CheckView(u); err != nil {
			return nil, err
		}
		return r, nil
	}, p, nil, true)
}

// run is update with any loader; a loaded request with version 0 is new
// and is created in the transaction instead of guarded.
func (s *Service) run(ctx context.Context, actor string, load func(context.Context) (*domain.Request, error), p plan, extra map[string]string) (*domain.Request, error) {
	return s.runOn(ctx, actor, load, p, extra, false)
}

// runOn is run; part says load returns only part of the request (which
// is never cached).
func (s *Service) runOn(ctx context.Context, actor string, load func(context.Context) (*domain.Request, error), p plan, extra map[string]string, part bool) (*domain.Request, error) {
	for attempt := 1; ; attempt++ {
		r, err := load(ctx)
		if err != nil {
			return nil, err
		}
		write, err := p(r)
		if err != nil {
			return nil, err
		}
		if write == nil {
			return r, nil // nothing to change
		}
		c := &change{ctx: ctx, r: r, user: actor, now: s.clock(), extra: extra}
		guarded := r.Version != 0
		err = s.store.Tx(ctx, func(tx store.Tx) error {
			c.tx, c.notes, c.events = tx, nil, nil
			if r.Version == 0 {
				if err := tx.CreateRequest(ctx, r); err != nil {
					return fmt.Errorf("create request: %w", err)
				}
				if err := c.audit(domain.EventRequestCreate, "", nil); err != nil {
					return err
				}
			} else if err := tx.GuardRequest(ctx, r.ID, r.Version); err != nil {
				return fmt.Errorf("guard request: %w", err)
			}
			if err := write(c); err != nil {
				return err
			}
			return c.flush()
		})
		if errors.Is(err, store.ErrConflict) {
			if attempt == maxAttempts {
				return nil, errBusy
			}
			s.backoff(ctx, attempt)
			continue
		}
		if err != nil {
			return nil, wrapStoreErr("service", err)
		}
		for _, n := range c.notes {
			s.notifier.Notify(ctx, n)
		}
		if !c.applied {
			return s.reload(ctx, r, guarded, c.lastEvent)
		}
		// The writes changed r as they changed the store: it is the
		// request as committed, at the version the guard moved it to (a
		// created request is at version 1 already) and with the events
		// just appended as its newest.
		if guarded {
			r.Version++
		}
		if !part && c.lastEvent != 0 {
			s.cache.put(r.ID, store.Stamp{Version: r.Version, LastEvent: c.lastEvent}, r.Clone(), nil)
		}
		return r, nil
	}
}

// reload reads the request r after a change to it was committed, and
// keeps it in the read cache when it is the state that change left (the
// version the change moved r to, and lastEvent, the change's last audit
// event, its newest), so that the next read of the request, by the next
// action or page, needs no load. A reload that finds a later version
// (another writer came in between) is returned but not cached under the
// change's stamp.
func (s *Service) reload(ctx context.Context, r *domain.Request, guarded bool, lastEvent int64) (*domain.Request, error) {
	full, err := s.request(ctx, r.ID)
	if err != nil {
		return nil, err
	}
	version := int64(1) // a created request
	if guarded {
		version = r.Version + 1
	}
	if lastEvent != 0 && full.Version == version {
		s.cache.put(r.ID, store.Stamp{Version: version, LastEvent: lastEvent}, full.Clone(), nil)
	}
	return full, nil
}

func (s *Service) backoff(ctx context.Context, attempt int) {
	d := time.Duration(rand.IntN(attempt*500)+100) * time.Microsecond
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// request loads a request, as a refusal a person can read when missing.
func (s *Service) request(ctx context.Context, id string) (*domain.Request, error) {
	r, err := s.store.GetRequest(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, domain.Errorf(domain.ErrNotFound, "There is no release request %s.", id)
	}
	if err != nil {
		return nil, fmt.Errorf("service: load request %s: %w", id, err)
	}
	return r, nil
}

// wrapStoreErr keeps refusals as they are and gives other errors context.
func wrapStoreErr(op string, err error) error {
	if err == nil {
		return nil
	}
	var de *domain.Error
	if errors.As(err, &de) {
		return err
	}
	return fmt.Errorf("%s: %w", op, err)
}

// audit appends an event about the request, stamped with its current turn.
func (c *change) audit(t domain.EventType, path string, extra map[string]string) error {
	return c.auditAs(c.user, t, path, extra)
}

func (c *change) auditAs(user string, t domain.EventType, path string, extra map[string]string) error {
	e := domain.Event{
		Type: t, User: user, Workspace: c.r.Workspace, Request: c.r.ID, Path: path,
		Extra: map[string]string{}, CreatedAt: c.now,
	}
	for k, v := range c.extra {
		e.Extra[k] = v
	}
	for k, v := range extra {
		e.Extra[k] = v
	}
	e.Extra["review_turn"] = strconv.Itoa(c.r.ReviewTurn)
	c.events = append(c.events, e)
	return nil
}

// setStatus moves the request to a new status, with the transition's
// audit event and its notification after commit.
func (c *change) setStatus(to domain.Status, updates ...domain.Update) error {
	from := c.r.Status
	var submitted *time.Time
	if to == domain.StatusSubmitted {
		submitted = &c.now
	}
	if err := c.tx.SetStatus(c.ctx, c.r.ID, to, submitted); err != nil {
		return fmt.Errorf("set status %s: %w", to, err)
	}
	c.r.Status = to
	if err := c.audit(domain.StatusAuditEvent(to), "", nil); err != nil {
		return err
	}
	c.notes = append(c.notes, domain.Notification{
		EventType: domain.NotificationEvent(from, to), Workspace: c.r.Workspace, Request: c.r.ID,
		RequestAuthor: c.r.Author, User: c.user, Updates: updates,
	})
	return nil
}

// newTurn starts the next review turn.
func (c *change) newTurn() error {
	c.r.ReviewTurn++
	if err := c.tx.SetReviewTurn(c.ctx, c.r.ID, c.r.ReviewTurn); err != nil {
		return fmt.Errorf("new turn: %w", err)
	}
	return nil
}

func newRequestID() string { return ulid.Make().String() }
