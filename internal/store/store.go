// Package store persists airlock's data. Store is the one interface the
// service layer uses; package sqlstore implements it once, on SQLite
// (package sqlite) or PostgreSQL (package postgres), and both pass the
// conformance suite in package storetest.
package store

import (
	"context"
	"errors"
	"time"

	"github.com/airlock-go/airlock/internal/domain"
)

// ReleasedFile is a file released from a workspace.
type ReleasedFile struct {
	Relpath    string
	FileID     string // sha256 of the released copy
	ReleasedAt time.Time
}

// Stamp identifies one state of a request; see Store.RequestStamp.
type Stamp = domain.Stamp

var (
	// ErrNotFound: no such row.
	ErrNotFound = errors.New("store: not found")
	// ErrConflict: the row changed since it was read (a guard failed), or
	// a uniqueness rule refused the write; the caller may re-read and retry.
	ErrConflict = errors.New("store: conflict")
	// ErrUnavailable: the database cannot be reached, or is shutting down
	// or starting up; nothing was done (or, for a commit cut off, it is
	// not known whether it was), and trying again shortly may work. It
	// is a refusal of kind domain.ErrUnavailable with a message for a
	// person, so the JSON API and the pages answer 503 with it.
	ErrUnavailable error = &domain.Error{Kind: domain.ErrUnavailable,
		Msg: "the database cannot be reached just now; try again shortly (if it goes on, tell the people who run airlock)"}
	// ErrFull: the database's disk is full, so the write was refused
	// (and rolled back). It is a refusal of kind
	// domain.ErrInsufficientStorage: a 507 with a message for a person.
	ErrFull error = &domain.Error{Kind: domain.ErrInsufficientStorage,
		Msg: "airlock's database has no space left, so nothing was changed; tell the people who run airlock that its disk needs more space, then try again"}
)

// Store reads and writes airlock's data. Reads see committed data; every
// change goes through Tx, in one transaction.
type Store interface {
	// GetRequest loads a request with its groups, files, votes, submitted
	// reviews and comments. ErrNotFound if there is none.
	GetRequest(ctx context.Context, id string) (*domain.Request, error)
	// GetRequestPart loads what GetRequest does but only the files (with
	// their votes) at part.Paths (a path the request does not have is
	// left out), and the comments only when part.Comments: what an action
	// on a few files of a big request needs. ErrNotFound if there is no
	// such request.
	GetRequestPart(ctx context.Context, id string, part RequestPart) (*domain.Request, error)
	// RequestStamp says cheaply whether a request changed: its version and
	// the id of its newest audit event. Every change to a request, upload
	// bookkeeping included, increases one of them. ErrNotFound if there is
	// no such request.
	RequestStamp(ctx context.Context, id string) (Stamp, error)
	// GetRequestFile loads a request's header (as ListRequests gives it)
	// and one of its files (without votes). ErrNotFound if either is
	// missing.
	GetRequestFile(ctx context.Context, id, relpath string) (*domain.Request, domain.RequestFile, error)
	// ActiveRequestID returns the id of the author's request for the
	// workspace that is not yet final. ErrNotFound if there is none.
	ActiveRequestID(ctx context.Context, workspace, author string) (string, error)
	// ListRequests returns request headers (no groups, files or comments,
	// but with SubmittedReviews and TurnReviewers), newest first.
	ListRequests(ctx context.Context, f RequestFilter) ([]domain.Request, error)
	// ReleasedFileIDs returns the content hashes of every file of the
	// workspace that has been released, from any request.
	ReleasedFileIDs(ctx context.Context, workspace string) (map[string]bool, error)
	// ReleasedFiles lists the files released from the workspace (from any
	// request), oldest release first.
	ReleasedFiles(ctx context.Context, workspace string) ([]ReleasedFile, error)
	// FileIDs returns the content hashes of every file of every request of
	// the workspace, whatever its status, and of every version those files
	// had: the request copies still needed.
	FileIDs(ctx context.Context, workspace string) (map[string]bool, error)
	// FileVersions lists the versions of a request file, oldest first
	// (numbered 1, 2, ...); none (an empty list) when the path was never on
	// the request. A withdrawn file keeps its versions.
	FileVersions(ctx context.Context, id, relpath string) ([]domain.FileVersion, error)
	// RequestVersions lists the versions of every path of the request, by
	// path, each oldest first (paths no longer on the request included).
	RequestVersions(ctx context.Context, id string) (map[string][]domain.FileVersion, error)
	// ReviewedVersion returns the version of a request file the reviewer
	// last voted on, even once that vote was reset. ErrNotFound if they
	// never voted on the path.
	ReviewedVersion(ctx context.Context, id, relpath, reviewer string) (domain.ReviewedVersion, error)

	// Events returns audit events matching f.
	Events(ctx context.Context, f EventFilter) ([]domain.Event, error)
	// EachEvent calls fn on every audit event in id order (the whole log),
	// without loading it all at once.
	EachEvent(ctx context.Context, fn func(domain.Event) error) error
	// AuditHead returns the id and hash of the last event appended.
	AuditHead(ctx context.Context) (id int64, hash string, err error)

	// PutUser caches a user document from job-server or the users file.
	PutUser(ctx context.Context, u UserRecord) error
	// GetUser returns a cached user. ErrNotFound if there is none.
	GetUser(ctx context.Context, username string) (UserRecord, error)

	// CreateToken stores a new API token (its hash only).
	CreateToken(ctx context.Context, t Token) error
	// GetToken finds a token by its hash. ErrNotFound if there is none.
	GetToken(ctx context.Context, hash string) (Token, error)
	// TouchToken records a use of a token and moves its expiry.
	TouchToken(ctx context.Context, hash string, usedAt, expiresAt time.Time) error
	// RevokeToken marks a token revoked. ErrNotFound if there is none.
	RevokeToken(ctx context.Context, hash string, at time.Time) error

	// SessionFind returns the data of the web session with this token,
	// found false when there is none or it has expired (its expiry is at
	// or before the current time).
	SessionFind(ctx context.Context, token string) (data []byte, found bool, err error)
	// SessionCommit stores a web session's data and expiry, replacing what
	// the token had.
	SessionCommit(ctx context.Context, token string, data []byte, expiry time.Time) error
	// SessionDelete removes a web session; nothing happens when there is
	// none.
	SessionDelete(ctx context.Context, token string) error
	// SessionDeleteExpired removes every web session whose expiry is at or
	// before now.
	SessionDeleteExpired(ctx context.Context, now time.Time) error

	// ClaimUpload leases to owner, until until, the next file due for
	// upload: a released output file of an APPROVED request, not uploaded,
	// whose next attempt is due at now and which no other owner holds (or
	// whose lease has run out). The file's next attempt is then due at
	// until, so that, should owner vanish, the file is due again as soon
	// as its lease runs out. ErrNotFound when there is none.
	ClaimUpload(ctx context.Context, owner string, now, until time.Time) (UploadClaim, error)
	// RenewUploadLease extends owner's lease on a file (and so its next
	// attempt) to until, for an uploader that is still at work (its
	// heartbeat). ErrNotFound when the
	// lease is no longer owner's: dropped, taken over by another owner once
	// it ran out, or the file is uploaded. Renewing a lease that ran out
	// but that no one has taken over yet succeeds: it is still owner's.
	RenewUploadLease(ctx context.Context, id, relpath, owner string, until time.Time) error
	// DropUploadLease ends owner's lease on a file, recording how the
	// attempt ended; nothing happens if the lease is no longer theirs.
	DropUploadLease(ctx context.Context, id, relpath, owner string, end UploadEnd) error

	// Tx runs fn in one write transaction: everything fn writes commits
	// together, or nothing does if fn returns an error.
	Tx(ctx context.Context, fn func(Tx) error) error

	// Ping checks the database answers.
	Ping(ctx context.Context) error
	// Close releases the database.
	Close() error
}

// Tx is the set of writes, each scoped to one request. Every write of a
// request's data happens after GuardRequest (or CreateRequest) in the same
// transaction.
type Tx interface {
	// GuardRequest claims the request for this transaction: it succeeds
	// only if the request is still at version, and moves it to version+1.
	// ErrConflict when another writer changed it since it was read;
	// ErrNotFound when there is no such request.
	GuardRequest(ctx context.Context, id string, version int64) error
	// CreateRequest inserts a new request (its header only) at version 1.
	// ErrConflict when its author already has an active request for the
	// workspace.
	CreateRequest(ctx context.Context, r *domain.Request) error
	// SetStatus changes the status; lastSubmitted, when not nil, is stored
	// as the last submission time.
	SetStatus(ctx context.Context, id string, status domain.Status, lastSubmitted *time.Time) error
	// SetReviewTurn starts a new review turn.
	SetReviewTurn(ctx context.Context, id string, turn int) error
	// AddSubmittedReview records that reviewer submitted their review in
	// turn. ErrConflict if they already had.
	AddSubmittedReview(ctx context.Context, id, reviewer string, turn int, at time.Time) error

	// CreateGroup adds a group; ErrConflict if the name exists.
	CreateGroup(ctx context.Context, id string, g domain.Group) error
	// UpdateGroup sets a group's context and controls. ErrNotFound if no such group.
	UpdateGroup(ctx context.Context, id, group, context, controls string, at time.Time) error

	// InsertFile adds a file (without votes) to an existing group.
	// ErrConflict if the request already has a file at that path.
	InsertFile(ctx context.Context, id string, f domain.RequestFile) error
	// AddFileVersion records v as the next version of a request file
	// (numbered after the path's latest; v.Ordinal is ignored) and returns
	// it as stored. When the latest version has the same content (FileID)
	// nothing is recorded and the latest is returned.
	AddFileVersion(ctx context.Context, id, relpath string, v domain.FileVersion) (domain.FileVersion, error)
	// DeleteFile removes a file; its votes must have been deleted first.
	DeleteFile(ctx context.Context, id, relpath string) error
	// SetFileProperties moves a file to another existing group and/or
	// changes its type.
	SetFileProperties(ctx context.Context, id, relpath, group string, ft domain.FileType) error
	// SetChecksOverride records the author's override of the file's
	// blocking disclosure findings (nil clears it). A file inserted again
	// (updated) has none.
	SetChecksOverride(ctx context.Context, id, relpath string, o *domain.ChecksOverride) error
	// SetFileReleased marks a file released, if it was not already.
	SetFileReleased(ctx context.Context, id, relpath string, at time.Time, by string) error
	// SetFileUploaded marks a released file uploaded and ends any lease on
	// it. ErrNotFound when the file is not released or already uploaded.
	SetFileUploaded(ctx context.Context, id, relpath string, at time.Time) error
	// RecordUploadAttempt counts an upload attempt of a released file made
	// at at (when the next attempt is due is the uploader's to say as it
	// gives the lease back: DropUploadLease). Like SetFileUploaded, it
	// increases the request's version (without a guard: uploads of a
	// request's files run side by side).
	// ErrNotFound when the file is not released or already uploaded.
	RecordUploadAttempt(ctx context.Context, id, relpath string, at time.Time) error

	// PutReview sets a reviewer's vote on a file, replacing any earlier one
	// (CreatedAt of the first vote is kept), and records the file's
	// current content as the version they last voted on (ReviewedVersion),
	// at rv.UpdatedAt.
	PutReview(ctx context.Context, id, relpath string, rv domain.Review) error
	// DeleteReview removes a reviewer's vote. ErrNotFound if there was none.
	DeleteReview(ctx context.Context, id, relpath, reviewer string) error

	// InsertComment adds a comment to a group and returns its id.
	InsertComment(ctx context.Context, id string, c domain.Comment) (int64, error)
	// DeleteComment removes a comment. ErrNotFound if there was none.
	DeleteComment(ctx context.Context, id string, commentID int64) error
	// SetCommentVisibility changes a comment's visibility.
	SetCommentVisibility(ctx context.Context, id string, commentID int64, vis domain.Visibility) error

	// AppendEvent adds e to the end of the audit log, giving it its id, the
	// previous event's hash and its own hash; it returns the stored event.
	AppendEvent(ctx context.Context, e domain.Event) (domain.Event, error)
	// HideTurnEvents hides every event of the request written in turn.
	HideTurnEvents(ctx context.Context, id string, turn int) error
}

// RequestPart names the parts of a request GetRequestPart loads besides
// its header and groups.
type RequestPart struct {
	Paths    []string // the files to load
	Comments bool     // whether to load every comment
}

// RequestFilter selects requests; empty fields select everything.
type RequestFilter struct {
	Workspace string
	Author    string
	Statuses  []domain.Status
}

// EventFilter selects audit events; empty fields select everything.
// Events come newest first, at most Limit of them when Limit > 0.
type EventFilter struct {
	User         string
	Workspace    string
	Request      string
	Group        string // extra.group
	ExcludeTypes []domain.EventType
	Before       int64 // only events with a smaller id (paging newest first); 0: no bound
	Limit        int
}

// UserRecord is a cached user document.
type UserRecord struct {
	Username    string
	APIData     []byte // the whole job-server user document
	LastRefresh time.Time
}

// Token is an API token, stored by the sha256 of its secret.
type Token = domain.APIToken

// UploadClaim names a file leased for upload.
type UploadClaim = domain.UploadClaim

// UploadEnd is how an attempt that gives its lease back ended.
type UploadEnd struct {
	// Error, when not empty, is why the attempt failed, kept on the file
	// (and shown to people) until the next failure or the upload.
	Error string
	// Due, when not zero, is when the file's next attempt is due: after
	// its back-off when the attempt failed, at once when it was cut short
	// (airlock stopping). Zero leaves it at the lease's end.
	Due time.Time
}

// Importer is a store that takes a whole history from another system in
// one transaction (airlock import reference).
type Importer interface {
	// Import runs fn in one write transaction, after checking, in it, that
	// the database holds no request (ErrNotEmpty otherwise): everything fn
	// writes commits together, or nothing does. Events fn appends join the
	// audit chain after any already there.
	Import(ctx context.Context, fn func(ImportTx) error) error
	// TableCounts returns the number of rows of each table holding
	// requests, their parts, users and the audit log, by table name.
	TableCounts(ctx context.Context) (map[string]int64, error)
}

// ImportTx is the transaction of an import: the writes of Tx, and users.
type ImportTx interface {
	Tx
	// PutUser caches a user document, as Store.PutUser does.
	PutUser(ctx context.Context, u UserRecord) error
	// AppendEvents adds events to the end of the audit log in their
	// order, each as AppendEvent would (the same chaining, ChainEvent),
	// and returns them as stored.
	AppendEvents(ctx context.Context, events []domain.Event) ([]domain.Event, error)
	// WriteRequests writes new requests with everything on them, as
	// CreateRequest, AddSubmittedReview, CreateGroup, InsertFile,
	// AddFileVersion (each file's first), PutReview and InsertComment
	// would one row at a time, but many rows to a statement.
	WriteRequests(ctx context.Context, rs []ImportRequest) error
	// PutUsers caches user documents, as PutUser does, many to a
	// statement (each username once).
	PutUsers(ctx context.Context, us []UserRecord) error
}

// ImportRequest is a request an import writes.
type ImportRequest struct {
	// Request, with its Groups, Files (each with its Reviews; Checks
	// stored as they are) and Comments.
	Request *domain.Request
	// Submitted are its submitted reviews, of every turn.
	Submitted []SubmittedReview
	// Added is when each file's copy (Request.Files[i]) was added, by
	// the request's author: the file's first version.
	Added []time.Time
}

// SubmittedReview is a reviewer's review submitted in a turn.
type SubmittedReview struct {
	Reviewer string
	Turn     int
	At       time.Time
}

// ErrNotEmpty: an import was refused because the database already holds
// requests.
var ErrNotEmpty = errors.New("airlock's database already holds release requests")
