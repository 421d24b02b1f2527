package domain

// Visible is the one visibility rule for the comments and audit events of
// a request: whether viewer u may see an item written by author, with this
// visibility, in review turn turn. Authors see their own items; public
// items show once their turn is over, when the request is complete, or to
// reviewers while consolidating; private items show only to those who can
// review the request, and never during the independent review of their turn.
func (r *Request) Visible(u User, author string, vis Visibility, turn int, hidden bool) bool {
	if hidden {
		return false
	}
	if author == u.Username {
		return true
	}
	phase := r.Status.Phase()
	past := turn < r.ReviewTurn
	switch vis {
	case VisibilityPrivate:
		return r.CanReview(u) && (past || phase != PhaseIndependent)
	default:
		return past || phase == PhaseComplete || (phase == PhaseConsolidating && r.CanReview(u))
	}
}

// CommentVisible reports whether u may see comment c.
func (r *Request) CommentVisible(u User, c Comment) bool {
	return r.Visible(u, c.Author, c.Visibility, c.ReviewTurn, false)
}

// EventVisible reports whether u may see audit event e of this request.
// Events take the visibility of the comment they concern, public otherwise;
// events written before turns existed count as turn 0.
func (r *Request) EventVisible(u User, e Event) bool {
	vis := VisibilityPublic
	if e.Extra["visibility"] == string(VisibilityPrivate) {
		vis = VisibilityPrivate
	}
	return r.Visible(u, e.User, vis, e.ReviewTurn(), e.Hidden)
}

// VisibleComments returns the comments of a group u may see, newest first.
func (r *Request) VisibleComments(u User, group string) []Comment {
	var out []Comment
	for _, c := range r.GroupComments(group) {
		if r.CommentVisible(u, c) {
			out = append(out, c)
		}
	}
	return out
}

// IsBlinded reports whether u's own comment is still hidden from others
// because the independent review of its turn is going on.
func (r *Request) IsBlinded(c Comment) bool {
	return c.ReviewTurn == r.ReviewTurn && r.Status.Phase() == PhaseIndependent
}
