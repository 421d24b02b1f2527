package web

// reviewRoutes are the review pages.
func (h *Handler) reviewRoutes() []route {
	return []route{
		{"GET /requests/output_checker", false, h.reviews},
	}
}
