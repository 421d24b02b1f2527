package api

import "net/http"

// Bodies of the calls that take one.
type (
	tokenBody struct {
		User  string `json:"user"`
		Token string `json:"token"`
	}
	addFilesBody struct {
		Group string `json:"group"`
		Files []struct {
			Path     string `json:"path"`
			FileType string `json:"filetype"`
		} `json:"files"`
	}
	pathsBody struct {
		Paths []string `json:"paths"`
	}
	propertiesBody struct {
		Paths    []string `json:"paths"`
		Group    string   `json:"group"`
		FileType string   `json:"filetype"`
	}
	groupBody struct {
		Context  *string `json:"context"`
		Controls *string `json:"controls"`
	}
	commentBody struct {
		Text       string `json:"text"`
		Visibility string `json:"visibility"`
	}
	voteBody struct {
		Vote string `json:"vote"`
	}
	overrideBody struct {
		Path          string `json:"path"`
		Justification string `json:"justification"`
	}
)

// Answers that are not documents of docs.go.
type (
	tokenAnswer struct {
		Token     string  `json:"token"`
		ExpiresAt string  `json:"expires_at"`
		User      userDoc `json:"user"`
	}
	requestsAnswer struct {
		Requests []requestDoc `json:"requests"`
	}
	eventsAnswer struct {
		Events     []eventDoc `json:"events"`
		NextBefore int64      `json:"next_before,omitempty"` // with ?limit=: the ?before= of the next page
	}
	bulkAnswer struct {
		Changed   int        `json:"changed"`
		Unchanged int        `json:"unchanged"`
		Request   requestDoc `json:"request"`
	}
)

// routes is the whole API. The OpenAPI document is made from it, and a
// test checks the two agree.
func (a *API) routes() []route {
	return []route{
		{Method: "POST", Path: "/auth/token", Summary: "Log in: exchange a user and single-use token for an API token", Public: true,
			Status: http.StatusCreated, Body: tokenBody{}, Answer: tokenAnswer{}, handle: a.createToken},
		{Method: "DELETE", Path: "/auth/token", Summary: "Revoke the caller's token", Status: http.StatusNoContent, handle: a.revokeToken},
		{Method: "GET", Path: "/me", Summary: "The caller", Status: http.StatusOK, Answer: userDoc{}, handle: a.me},

		{Method: "GET", Path: "/workspaces", Summary: "Workspaces the caller may see", Status: http.StatusOK, Answer: []workspaceDoc{}, handle: a.listWorkspaces},
		{Method: "GET", Path: "/workspaces/{ws}/files/{path...}", Summary: "A folder (with its entries) or a file of a workspace; the root is files/",
			Status: http.StatusOK, Answer: dirDoc{}, handle: a.workspaceFiles},
		{Method: "GET", Path: "/workspaces/{ws}/code/{commit}/{path...}", Summary: "A folder (with its entries) or a file (with its content) of the workspace's repository at a commit; the root is code/{commit}/",
			Status: http.StatusOK, Answer: codeDoc{}, handle: a.workspaceCode},
		{Method: "POST", Path: "/workspaces/{ws}/request/files", Summary: "Add files to the caller's request for the workspace (created if none is active); all or nothing",
			Status: http.StatusOK, Body: addFilesBody{}, Answer: requestDoc{}, handle: a.addFiles},
		{Method: "POST", Path: "/workspaces/{ws}/request/files/update", Summary: "Refresh files of the caller's request that changed in the workspace",
			Status: http.StatusOK, Body: pathsBody{}, Answer: requestDoc{}, handle: a.updateFiles},

		{Method: "GET", Path: "/requests", Summary: "Requests the caller may see, newest first (query: workspace, status (repeatable), author, review=true)",
			Status: http.StatusOK, Answer: requestsAnswer{}, handle: a.listRequests},
		{Method: "GET", Path: "/requests/{id}", Summary: "A request", Status: http.StatusOK, Answer: requestDoc{}, handle: a.getRequest},
		{Method: "PUT", Path: "/requests/{id}/groups/{group}", Summary: "Set a group's context and disclosure controls",
			Status: http.StatusOK, Body: groupBody{}, Answer: groupDoc{}, handle: a.editGroup},
		{Method: "POST", Path: "/requests/{id}/groups/{group}/comments", Summary: "Comment on a group",
			Status: http.StatusCreated, Body: commentBody{}, Answer: commentDoc{}, handle: a.createComment},
		{Method: "DELETE", Path: "/requests/{id}/groups/{group}/comments/{cid}", Summary: "Delete one's own comment of this turn",
			Status: http.StatusNoContent, handle: a.deleteComment},
		{Method: "POST", Path: "/requests/{id}/groups/{group}/comments/{cid}/publish", Summary: "Make one's own private comment of this turn public",
			Status: http.StatusOK, Answer: commentDoc{}, handle: a.publishComment},
		{Method: "POST", Path: "/requests/{id}/groups/{group}/request-changes", Summary: "Request changes on every output file of the group the caller has not voted on",
			Status: http.StatusOK, Answer: bulkAnswer{}, handle: a.requestChangesOnGroup},
		{Method: "POST", Path: "/requests/{id}/groups/{group}/reset-votes", Summary: "Take back the caller's votes on the group (before their review is submitted)",
			Status: http.StatusOK, Answer: bulkAnswer{}, handle: a.resetVotesOnGroup},
		{Method: "POST", Path: "/requests/{id}/files/withdraw", Summary: "Withdraw files from the request",
			Status: http.StatusOK, Body: pathsBody{}, Answer: requestDoc{}, handle: a.withdrawFiles},
		{Method: "POST", Path: "/requests/{id}/files/properties", Summary: "Move files to a group and/or change their type; files already in that group with that type are left alone (no error: when nothing changes, 200 with the request unchanged, nothing audited)",
			Status: http.StatusOK, Body: propertiesBody{}, Answer: requestDoc{}, handle: a.changeProperties},
		{Method: "POST", Path: "/requests/{id}/files/override-checks", Summary: "Submit a file despite its blocking disclosure findings, with a written justification (author; audited, shown to reviewers)",
			Status: http.StatusOK, Body: overrideBody{}, Answer: requestDoc{}, handle: a.overrideChecks},
		{Method: "PUT", Path: "/requests/{id}/votes/{path...}", Summary: "Vote on an output file",
			Status: http.StatusOK, Body: voteBody{}, Answer: fileDoc{}, handle: a.vote},
		{Method: "DELETE", Path: "/requests/{id}/votes/{path...}", Summary: "Take back one's vote on a file",
			Status: http.StatusNoContent, handle: a.resetVote},
		{Method: "POST", Path: "/requests/{id}/submit", Summary: "Submit (or resubmit) the request", Status: http.StatusOK, Answer: requestDoc{}, handle: a.transition(a.svc.Submit, http.StatusOK)},
		{Method: "POST", Path: "/requests/{id}/review", Summary: "Submit the caller's review", Status: http.StatusOK, Answer: requestDoc{}, handle: a.transition(a.svc.SubmitReview, http.StatusOK)},
		{Method: "POST", Path: "/requests/{id}/return", Summary: "Return the request to its author", Status: http.StatusOK, Answer: requestDoc{}, handle: a.transition(a.svc.Return, http.StatusOK)},
		{Method: "POST", Path: "/requests/{id}/reject", Summary: "Reject the request", Status: http.StatusOK, Answer: requestDoc{}, handle: a.transition(a.svc.Reject, http.StatusOK)},
		{Method: "POST", Path: "/requests/{id}/withdraw", Summary: "Withdraw the request", Status: http.StatusOK, Answer: requestDoc{}, handle: a.transition(a.svc.Withdraw, http.StatusOK)},
		{Method: "POST", Path: "/requests/{id}/release", Summary: "Release the request's output files (status APPROVED; the uploader takes it to RELEASED)",
			Status: http.StatusAccepted, Answer: requestDoc{}, handle: a.transition(a.svc.Release, http.StatusAccepted)},
		{Method: "GET", Path: "/requests/{id}/content/{path...}", Summary: "The bytes of a request file (output checkers who are not the author; audited)",
			Status: http.StatusOK, handle: a.content},
		{Method: "GET", Path: "/requests/{id}/diff/{path...}", Summary: "What changed in a request file between two of its versions (anyone who may see the request)",
			Status: http.StatusOK, Answer: diffDoc{}, Query: diffQuery, handle: a.diff},
		{Method: "GET", Path: "/requests/{id}/audit", Summary: "The request's audit events the caller may see, newest first: all of them, or one page with limit",
			Query:  auditQuery,
			Status: http.StatusOK, Answer: eventsAnswer{}, handle: a.requestAudit},
		{Method: "GET", Path: "/openapi.json", Summary: "This API, described in OpenAPI 3", Public: true, Status: http.StatusOK, handle: a.openAPI},
	}
}
