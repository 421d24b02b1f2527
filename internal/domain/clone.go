package domain

import (
	"maps"
	"slices"
	"time"
)

// Clone returns a deep copy of the request: changing one never changes
// the other. Caches hand out clones so that callers may change what they
// get.
func (r *Request) Clone() *Request {
	c := *r
	c.Organisations = slices.Clone(r.Organisations)
	c.LastSubmittedAt = clonePtr(r.LastSubmittedAt)
	c.SubmittedReviews = maps.Clone(r.SubmittedReviews)
	c.TurnReviewers = slices.Clone(r.TurnReviewers)
	c.Groups = slices.Clone(r.Groups)
	c.Comments = slices.Clone(r.Comments)
	c.Files = slices.Clone(r.Files)
	for i := range c.Files {
		f := &c.Files[i]
		f.RowCount = clonePtr(f.RowCount)
		f.ColCount = clonePtr(f.ColCount)
		f.Reviews = maps.Clone(f.Reviews)
		f.ReleasedAt = clonePtr(f.ReleasedAt)
		f.UploadedAt = clonePtr(f.UploadedAt)
		f.UploadAttemptedAt = clonePtr(f.UploadAttemptedAt)
		f.UploadNextAt = clonePtr(f.UploadNextAt)
		f.Checks = slices.Clone(f.Checks)
		for j := range f.Checks {
			f.Checks[j].Cells = slices.Clone(f.Checks[j].Cells)
		}
		if f.Override != nil {
			o := *f.Override
			f.Override = &o
		}
	}
	return &c
}

// CloneEvents returns a deep copy of events.
func CloneEvents(events []Event) []Event {
	c := slices.Clone(events)
	for i := range c {
		c[i].Extra = maps.Clone(c[i].Extra)
	}
	return c
}

func clonePtr[T int | time.Time](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}
