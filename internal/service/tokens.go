package service

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/store"
)

// The API tokens, kept by the sha256 of their secret: package auth issues
// and checks them (auth.Tokens) through these methods. A token that is
// not there is an error wrapping domain.ErrNotFound.

// CreateToken stores a new API token (its hash only).
func (s *Service) CreateToken(ctx context.Context, t domain.APIToken) error {
	if err := s.store.CreateToken(ctx, t); err != nil {
		return fmt.Errorf("service: create token for %s: %w", t.Username, err)
	}
	return nil
}

// GetToken finds a token by the hash of its secret.
func (s *Service) GetToken(ctx context.Context, hash string) (domain.APIToken, error) {
	t, err := s.store.GetToken(ctx, hash)
	if err != nil {
		return domain.APIToken{}, tokenError("get", err)
	}
	return t, nil
}

// TouchToken records a use of a token and moves its expiry.
func (s *Service) TouchToken(ctx context.Context, hash string, usedAt, expiresAt time.Time) error {
	if err := s.store.TouchToken(ctx, hash, usedAt, expiresAt); err != nil {
		return tokenError("touch", err)
	}
	return nil
}

// RevokeToken marks a token revoked at the given time; revoking a revoked
// token again changes nothing.
func (s *Service) RevokeToken(ctx context.Context, hash string, at time.Time) error {
	if err := s.store.RevokeToken(ctx, hash, at); err != nil {
		return tokenError("revoke", err)
	}
	return nil
}

// tokenError gives a store's error about a token its kind: no such token
// is not found. It never names the hash.
func tokenError(op string, err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return domain.Errorf(domain.ErrNotFound, "no such API token")
	}
	return fmt.Errorf("service: %s token: %w", op, err)
}
