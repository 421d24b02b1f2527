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
	// The files' times and counts are copied into two slabs, one
	// allocation each, not one per pointer: a 1,000-file request's clone
	// made ~6,000 small allocations.
	var times slab[time.Time]
	var counts slab[int]
	for i := range c.Files {
		f := &c.Files[i]
		f.RowCount = counts.copy(f.RowCount, 2*len(c.Files))
		f.ColCount = counts.copy(f.ColCount, 2*len(c.Files))
		f.Reviews = maps.Clone(f.Reviews)
		f.ReleasedAt = times.copy(f.ReleasedAt, 4*len(c.Files))
		f.UploadedAt = times.copy(f.UploadedAt, 4*len(c.Files))
		f.UploadAttemptedAt = times.copy(f.UploadAttemptedAt, 4*len(c.Files))
		f.UploadNextAt = times.copy(f.UploadNextAt, 4*len(c.Files))
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

// slab hands out copies of values from one backing array, made on the
// first copy with room for at most n (the most a clone needs), so that
// copies never move and never share.
type slab[T any] struct{ vals []T }

func (s *slab[T]) copy(p *T, n int) *T {
	if p == nil {
		return nil
	}
	if s.vals == nil {
		s.vals = make([]T, 0, n)
	}
	s.vals = append(s.vals, *p)
	return &s.vals[len(s.vals)-1]
}

func clonePtr[T int | time.Time](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}
