package web

// workspaceRoutes are the workspace pages.
func (h *Handler) workspaceRoutes() []route {
	return []route{
		{"GET /copiloted-workspaces/{$}", false, h.copilotedWorkspaces},
		{"GET /workspaces/all/{$}", false, h.allWorkspaces},
		{"GET /workspaces/view/{ws}/{path...}", false, h.workspaceBrowse},
		{"GET /workspaces/tree/{ws}/{path...}", false, h.workspaceTree},
		{"GET /workspaces/content/{ws}/{path...}", false, h.workspaceContent},
		{"POST /workspaces/toggle-out-of-date/{ws}", false, h.workspaceToggleOutOfDate},
		{"POST /workspaces/multiselect/{ws}", false, h.workspaceMultiselect},
		{"POST /workspaces/add-file-to-request/{ws}", false, h.workspaceAddFiles},
		{"POST /workspaces/update-file-in-request/{ws}", false, h.workspaceUpdateFiles},
	}
}
