package web

// reviewRoutes are the review pages.
func (h *Handler) reviewRoutes() []route {
	return nil
}
