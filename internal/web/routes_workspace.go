package web

// workspaceRoutes are the workspace pages.
func (h *Handler) workspaceRoutes() []route {
	return nil
}
