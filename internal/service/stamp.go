package service

import (
	"context"
	"errors"
	"fmt"

	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/store"
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
		// The rule needs the header only: a big request's files are
		// read only by the caller that needs them (which has nothing
		// kept for this stamp).
		if r, err = s.store.GetRequestPart(ctx, id, store.RequestPart{}); err != nil {
			return st, loadErr(id, err)
		}
	}
	if err := r.CheckView(u); err != nil {
		return st, err
	}
	return st, nil
}

// loadErr is the error of a failed read of request id: the refusal a
// person reads when there is none (as request gives).
func loadErr(id string, err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return domain.Errorf(domain.ErrNotFound, "There is no release request %s.", id)
	}
	return fmt.Errorf("service: load request %s: %w", id, err)
}

// GetRequestAndEvents is GetRequestStamped that also returns the audit
// events of the request the user may see, newest first (as
// VisibleEventsAt), for a page that shows both: the request and its
// events are read side by side, each from the read cache or the store.
func (s *Service) GetRequestAndEvents(ctx context.Context, u domain.User, id string) (*domain.Request, domain.Stamp, []domain.Event, error) {
	st, err := s.stamp(ctx, id)
	if err != nil {
		return nil, st, nil, err
	}
	var (
		events []domain.Event
		evErr  error
		done   = make(chan struct{})
	)
	go func() {
		defer close(done)
		events, evErr = s.readEvents(ctx, id, st)
	}()
	r, err := s.readRequest(ctx, id, st)
	<-done
	if err != nil {
		return nil, st, nil, err
	}
	// The events are kept from the user unless they may see the request.
	if err := r.CheckView(u); err != nil {
		return nil, st, nil, err
	}
	if evErr != nil {
		return nil, st, nil, evErr
	}
	var out []domain.Event
	for _, e := range events {
		if r.EventVisible(u, e) {
			out = append(out, e)
		}
	}
	return r, st, out, nil
}
