package web

// requestRoutes are the request pages.
func (h *Handler) requestRoutes() []route {
	return nil
}
