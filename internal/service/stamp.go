package service

import (
	"context"

	"github.com/airlock-go/airlock/internal/domain"
)

// RequestStamp returns the stamp of a request the user may see (the
// same check as GetRequest), without copying the request: for callers
// that keep what they make of a request by its stamp (a rendered page)
// and need the request itself only when they have nothing for this
// stamp. A large request is not copied on every read of a cached page.
func (s *Service) RequestStamp(ctx context.Context, u domain.User, id string) (domain.Stamp, error) {
	st, err := s.stamp(ctx, id)
	if err != nil {
		return st, err
	}
	r := s.cache.get(id, st).req // shared: only read here
	if r == nil {
		if r, err = s.readRequest(ctx, id, st); err != nil {
			return st, err
		}
	}
	if err := r.CheckView(u); err != nil {
		return st, err
	}
	return st, nil
}
