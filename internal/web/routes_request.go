package web

// requestRoutes are the request pages.
func (h *Handler) requestRoutes() []route {
	return []route{
		{"GET /requests/{$}", false, h.requestsIndex},
		{"GET /requests/view/{id}/{$}", false, h.requestOverview},
		{"GET /requests/view/{id}/{group}/{path...}", false, h.requestPath},
		{"GET /requests/content/{id}/{group}/{path...}", false, h.requestContent},
		{"GET /requests/diff/{id}/{path...}", false, h.requestDiff},
		{"GET /requests/version/{id}/{version}/{path...}", false, h.requestVersion},
		{"GET /requests/workspace/{ws}", false, h.requestsOfWorkspace},
		{"GET /requests/{id}/{what}", false, h.requestUploadedCount},
		{"POST /requests/approve/{id}/{path...}", false, h.postVote},
		{"POST /requests/request_changes/{id}/{path...}", false, h.postVote},
		{"POST /requests/reset_review/{id}/{path...}", false, h.postResetVote},
		{"POST /requests/withdraw/{id}/{path...}", false, h.postWithdrawFile},
		{"POST /requests/override-checks/{id}/{path...}", false, h.postOverrideChecks},
		{"POST /requests/change-properties/{id}", false, h.postChangeProperties},
		{"POST /requests/multiselect/{id}", false, h.postMultiselect},
		{"GET /requests/tree/{id}/{group}/{path...}", false, h.requestTreeFolder},
		{"POST /requests/selection/{id}", false, h.postSelection},
		{"POST /requests/release/{id}", false, h.postStatus},
		{"POST /requests/submit/{id}", false, h.postStatus},
		{"POST /requests/review/{id}", false, h.postStatus},
		{"POST /requests/reject/{id}", false, h.postStatus},
		{"POST /requests/withdraw/{id}", false, h.postStatus},
		{"POST /requests/return/{id}", false, h.postStatus},
		{"POST /requests/edit/{id}/{group}", false, h.postEditGroup},
		{"POST /requests/comment/create/{id}/{group}", false, h.postComment},
		{"POST /requests/comment/delete/{id}/{group}", false, h.postComment},
		{"POST /requests/comment/visibility_public/{id}/{group}", false, h.postComment},
		{"POST /requests/request-changes/{id}/{group}", false, h.postGroupVotes},
		{"POST /requests/reset-votes/{id}/{group}", false, h.postGroupVotes},
	}
}
