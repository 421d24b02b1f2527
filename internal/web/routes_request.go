package web

import "github.com/airlock-go/airlock/internal/domain"

// requestRoutes are the request pages. Each route has its own handler, or
// binds what it does here (the vote, the status change): no handler reads
// r.URL.Path to choose its action. The paths are in urls.go, with their
// URL builders.
func (h *Handler) requestRoutes() []route {
	get := func(p pathPattern) string { return "GET " + string(p) }
	post := func(p pathPattern) string { return "POST " + string(p) }
	return []route{
		{get(pathRequests), false, h.requestsIndex},
		{get(pathRequest), false, h.requestOverview},
		{get(pathRequestPath), false, h.requestPath},
		{get(pathRequestContent), false, h.requestContent},
		{get(pathWorkspaceRequests), false, h.requestsOfWorkspace},
		{get(pathRequestFragment), false, h.requestUploadedCount},
		{get(pathRequestTree), false, h.requestTreeFolder},
		{get(pathRequestDiff), false, h.requestDiff},
		{get(pathRequestVersion), false, h.requestVersion},
		{post(pathVoteApprove), false, h.postVote(domain.VoteApproved)},
		{post(pathVoteChanges), false, h.postVote(domain.VoteChangesRequested)},
		{post(pathVoteReset), false, h.postResetVote},
		{post(pathWithdrawFile), false, h.postWithdrawFile},
		{post(pathOverrideChecks), false, h.postOverrideChecks},
		{post(pathChangeProperties), false, h.postChangeProperties},
		{post(pathMultiselect), false, h.postMultiselect},
		{post(pathSelection), false, h.postSelection},
		{post(pathSubmit), false, h.postStatus(domain.ActionSubmit)},
		{post(pathSubmitReview), false, h.postStatus(domain.ActionSubmitReview)},
		{post(pathReject), false, h.postStatus(domain.ActionReject)},
		{post(pathWithdraw), false, h.postStatus(domain.ActionWithdraw)},
		{post(pathReturn), false, h.postStatus(domain.ActionReturn)},
		{post(pathRelease), false, h.postStatus(domain.ActionRelease)},
		{post(pathEditGroup), false, h.postEditGroup},
		{post(pathCommentCreate), false, h.postCommentCreate},
		{post(pathCommentDelete), false, h.postCommentDelete},
		{post(pathCommentPublish), false, h.postCommentPublish},
		{post(pathGroupRequestChg), false, h.postGroupRequestChanges},
		{post(pathGroupResetVotes), false, h.postGroupResetVotes},
	}
}

// actionPath is the path of a request-level action.
func actionPath(k domain.ActionKind) pathPattern {
	switch k {
	case domain.ActionSubmit:
		return pathSubmit
	case domain.ActionSubmitReview:
		return pathSubmitReview
	case domain.ActionReject:
		return pathReject
	case domain.ActionWithdraw:
		return pathWithdraw
	case domain.ActionReturn:
		return pathReturn
	case domain.ActionRelease:
		return pathRelease
	}
	panic("web: no path for action " + string(k))
}
