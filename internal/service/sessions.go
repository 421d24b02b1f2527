package service

import (
	"context"
	"fmt"
	"time"
)

// The web sessions, kept by the hash of their token: the pages keep them
// (web.SessionStore) through these methods.

// SessionFind returns the data of the web session with this token, found
// false when there is none or it has expired.
func (s *Service) SessionFind(ctx context.Context, token string) (data []byte, found bool, err error) {
	data, found, err = s.store.SessionFind(ctx, token)
	if err != nil {
		return nil, false, fmt.Errorf("service: find session: %w", err)
	}
	return data, found, nil
}

// SessionCommit stores a web session's data and expiry, replacing what
// the token had.
func (s *Service) SessionCommit(ctx context.Context, token string, data []byte, expiry time.Time) error {
	if err := s.store.SessionCommit(ctx, token, data, expiry); err != nil {
		return fmt.Errorf("service: save session: %w", err)
	}
	return nil
}

// SessionDelete removes a web session; nothing happens when there is
// none.
func (s *Service) SessionDelete(ctx context.Context, token string) error {
	if err := s.store.SessionDelete(ctx, token); err != nil {
		return fmt.Errorf("service: delete session: %w", err)
	}
	return nil
}

// SessionDeleteExpired removes every web session whose expiry is at or
// before now.
func (s *Service) SessionDeleteExpired(ctx context.Context, now time.Time) error {
	if err := s.store.SessionDeleteExpired(ctx, now); err != nil {
		return fmt.Errorf("service: delete expired sessions: %w", err)
	}
	return nil
}
