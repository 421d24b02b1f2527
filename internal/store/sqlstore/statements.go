package sqlstore

// statements are the store's fixed statements, prepared once by New (with
// the dialect's LockAuditHead and ClaimUpload), so that the database does
// not parse and plan them again on every call. database/sql prepares a
// statement again, once, on each other connection that runs it, and
// sql.Tx.StmtContext reuses the one of the transaction's connection.
// Queries built from filters (Events, ListRequests) are not prepared.
var statements = []string{
	getRequestSQL, RequestStampSQL, requestSubmittedReviewsSQL, requestGroupsSQL, requestFilesSQL,
	requestFileSQL, requestFileReviewsSQL, requestCommentsSQL, ActiveRequestIDSQL,
	releasedFileIDsSQL, releasedFilesSQL, fileIDsSQL, allEventsSQL, auditHeadSQL,
	fileVersionsSQL, reviewedVersionSQL,

	guardRequestSQL, requestVersionSQL, touchRequestSQL, createRequestSQL, setStatusSQL, setReviewTurnSQL,
	addSubmittedReviewSQL, createGroupSQL, updateGroupSQL, groupIDSQL, insertFileSQL, setChecksOverrideSQL,
	deleteFileSQL, setFilePropertiesSQL, fileExistsSQL, setFileReleasedSQL, setFileUploadedSQL,
	recordUploadAttemptSQL, putReviewSQL, putReviewedVersionSQL, deleteReviewSQL, latestVersionSQL,
	insertVersionSQL, insertCommentSQL, deleteCommentSQL, setCommentVisibilitySQL,
	insertEventSQL, moveAuditHeadSQL, hideTurnEventsSQL,
	renewUploadLeaseSQL, dropUploadLeaseSQL,

	putUserSQL, getUserSQL, createTokenSQL, getTokenSQL, touchTokenSQL, revokeTokenSQL,
	sessionFindSQL, sessionCommitSQL, sessionDeleteSQL, sessionDeleteExpiredSQL,
}
