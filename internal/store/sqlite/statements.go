package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// statements are the store's fixed SQL statements, prepared once at Open
// so that SQLite does not parse and plan them again on every call.
// database/sql prepares a statement again, once, on each other connection
// that runs it and keeps it there while the connection lives (up to
// SetMaxIdleConns connections stay open); sql.Tx.StmtContext reuses the
// one of the transaction's connection. The SQL of each is a constant next
// to the code that runs it. Queries built from filters (Events,
// ListRequests) are not prepared.
type statements struct {
	// Reads of a request (GetRequest).
	getRequest, requestSubmittedReviews, requestGroups, requestFiles, requestFileReviews,
	requestComments *sql.Stmt
	// Other reads.
	requestStamp, activeRequestID, releasedFileIDs, releasedFiles, fileIDs, auditHead, allEvents, requestFile,
	fileVersions, requestVersions, reviewedVersion *sql.Stmt

	// Writes of a request (tx).
	guardRequest, requestVersion, touchRequest, createRequest, setStatus, setReviewTurn, addSubmittedReview,
	createGroup, updateGroup, groupID,
	insertFile, deleteFile, setFileProperties, setChecksOverride, fileExists, setFileReleased, setFileUploaded,
	recordUploadAttempt, claimUpload, renewUploadLease, dropUploadLease,
	putReview, putReviewedVersion, deleteReview, latestVersion, insertVersion,
	insertComment, deleteComment, setCommentVisibility *sql.Stmt
	// The audit log (tx).
	insertEvent, moveAuditHead, hideTurnEvents *sql.Stmt

	// Users and tokens.
	putUser, getUser, createToken, getToken, touchToken, revokeToken *sql.Stmt
	// Web sessions.
	sessionFind, sessionCommit, sessionDelete, sessionDeleteExpired *sql.Stmt
}

// namedStmt is one entry of statements: where it goes and its SQL.
type namedStmt struct {
	name  string
	stmt  **sql.Stmt
	query string
}

// all lists every statement with its SQL.
func (st *statements) all() []namedStmt {
	return []namedStmt{
		{"get request", &st.getRequest, getRequestSQL},
		{"submitted reviews", &st.requestSubmittedReviews, requestSubmittedReviewsSQL},
		{"groups", &st.requestGroups, requestGroupsSQL},
		{"files", &st.requestFiles, requestFilesSQL},
		{"file reviews", &st.requestFileReviews, requestFileReviewsSQL},
		{"comments", &st.requestComments, requestCommentsSQL},
		{"request stamp", &st.requestStamp, requestStampSQL},
		{"active request", &st.activeRequestID, activeRequestIDSQL},
		{"released files", &st.releasedFileIDs, releasedFileIDsSQL},
		{"released files with paths", &st.releasedFiles, releasedFilesSQL},
		{"files", &st.fileIDs, fileIDsSQL},
		{"request file", &st.requestFile, requestFileSQL},
		{"file versions", &st.fileVersions, fileVersionsSQL},
		{"request versions", &st.requestVersions, requestVersionsSQL},
		{"reviewed version", &st.reviewedVersion, reviewedVersionSQL},
		{"audit head", &st.auditHead, auditHeadSQL},
		{"all events", &st.allEvents, allEventsSQL},

		{"guard request", &st.guardRequest, guardRequestSQL},
		{"request version", &st.requestVersion, requestVersionSQL},
		{"touch request", &st.touchRequest, touchRequestSQL},
		{"create request", &st.createRequest, createRequestSQL},
		{"set status", &st.setStatus, setStatusSQL},
		{"set review turn", &st.setReviewTurn, setReviewTurnSQL},
		{"add submitted review", &st.addSubmittedReview, addSubmittedReviewSQL},
		{"create group", &st.createGroup, createGroupSQL},
		{"update group", &st.updateGroup, updateGroupSQL},
		{"group id", &st.groupID, groupIDSQL},
		{"insert file", &st.insertFile, insertFileSQL},
		{"delete file", &st.deleteFile, deleteFileSQL},
		{"set checks override", &st.setChecksOverride, setChecksOverrideSQL},
		{"set file properties", &st.setFileProperties, setFilePropertiesSQL},
		{"file exists", &st.fileExists, fileExistsSQL},
		{"set file released", &st.setFileReleased, setFileReleasedSQL},
		{"set file uploaded", &st.setFileUploaded, setFileUploadedSQL},
		{"record upload attempt", &st.recordUploadAttempt, recordUploadAttemptSQL},
		{"claim upload", &st.claimUpload, claimUploadSQL},
		{"renew upload lease", &st.renewUploadLease, renewUploadLeaseSQL},
		{"drop upload lease", &st.dropUploadLease, dropUploadLeaseSQL},
		{"put review", &st.putReview, putReviewSQL},
		{"put reviewed version", &st.putReviewedVersion, putReviewedVersionSQL},
		{"latest version", &st.latestVersion, latestVersionSQL},
		{"insert version", &st.insertVersion, insertVersionSQL},
		{"delete review", &st.deleteReview, deleteReviewSQL},
		{"insert comment", &st.insertComment, insertCommentSQL},
		{"delete comment", &st.deleteComment, deleteCommentSQL},
		{"set comment visibility", &st.setCommentVisibility, setCommentVisibilitySQL},
		{"insert event", &st.insertEvent, insertEventSQL},
		{"move audit head", &st.moveAuditHead, moveAuditHeadSQL},
		{"hide turn events", &st.hideTurnEvents, hideTurnEventsSQL},

		{"put user", &st.putUser, putUserSQL},
		{"get user", &st.getUser, getUserSQL},
		{"create token", &st.createToken, createTokenSQL},
		{"get token", &st.getToken, getTokenSQL},
		{"touch token", &st.touchToken, touchTokenSQL},
		{"revoke token", &st.revokeToken, revokeTokenSQL},

		{"find session", &st.sessionFind, sessionFindSQL},
		{"commit session", &st.sessionCommit, sessionCommitSQL},
		{"delete session", &st.sessionDelete, sessionDeleteSQL},
		{"delete expired sessions", &st.sessionDeleteExpired, sessionDeleteExpiredSQL},
	}
}

// prepareStatements prepares every statement on db.
func prepareStatements(ctx context.Context, db *sql.DB) (*statements, error) {
	st := &statements{}
	for _, n := range st.all() {
		stmt, err := db.PrepareContext(ctx, n.query)
		if err != nil {
			st.close() //nolint:errcheck // the prepare error is the one to report
			return nil, fmt.Errorf("prepare %s: %w", n.name, err)
		}
		*n.stmt = stmt
	}
	return st, nil
}

// close closes the statements that were prepared.
func (st *statements) close() error {
	var errs []error
	for _, n := range st.all() {
		if *n.stmt == nil {
			continue
		}
		if err := (*n.stmt).Close(); err != nil {
			errs = append(errs, fmt.Errorf("close statement %s: %w", n.name, err))
		}
	}
	return errors.Join(errs...)
}
