package httperr

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"syscall"
	"testing"

	"github.com/airlock-go/airlock/internal/domain"
)

func TestStatusAndCode(t *testing.T) {
	for _, c := range []struct {
		err    error
		status int
		code   string
	}{
		{domain.Errorf(domain.ErrInvalidInput, "bad"), http.StatusBadRequest, "invalid_input"},
		{domain.Errorf(domain.ErrPermissionDenied, "no"), http.StatusForbidden, "permission_denied"},
		{domain.Errorf(domain.ErrNotFound, "none"), http.StatusNotFound, "not_found"},
		{domain.Errorf(domain.ErrInvalidTransition, "not now"), http.StatusConflict, "invalid_transition"},
		{domain.Errorf(domain.ErrPolicy, "not yet"), http.StatusConflict, "policy"},
		{domain.Errorf(domain.ErrUnavailable, "down"), http.StatusServiceUnavailable, "unavailable"},
		{domain.Errorf(domain.ErrInsufficientStorage, "full"), http.StatusInsufficientStorage, "insufficient_storage"},
		{fmt.Errorf("service: get: %w", domain.Errorf(domain.ErrNotFound, "none")), http.StatusNotFound, "not_found"},
		{domain.ErrPolicy, http.StatusConflict, "policy"},
		{errors.New("disk on fire"), http.StatusInternalServerError, "internal"},
		{context.Canceled, http.StatusInternalServerError, "internal"},
	} {
		if got := Status(c.err); got != c.status {
			t.Errorf("Status(%v) = %d, want %d", c.err, got, c.status)
		}
		if got := Code(c.err); got != c.code {
			t.Errorf("Code(%v) = %q, want %q", c.err, got, c.code)
		}
	}
}

func TestExplained(t *testing.T) {
	for status, want := range map[int]bool{
		400: true, 403: true, 404: true, 409: true, 429: true,
		500: false, 502: false, 503: true, 507: true,
	} {
		if got := Explained(status); got != want {
			t.Errorf("Explained(%d) = %v, want %v", status, got, want)
		}
	}
}

func TestClientGone(t *testing.T) {
	live := httptest.NewRequest("GET", "/", nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	gone := live.WithContext(ctx)
	brokenPipe := &net.OpError{Op: "write", Net: "tcp", Err: syscall.EPIPE}
	reset := &net.OpError{Op: "write", Net: "tcp", Err: syscall.ECONNRESET}
	// What the store gives when its own connection broke: a refusal of
	// kind unavailable wrapping the driver's error.
	dbDown := fmt.Errorf("%w (%w)", &domain.Error{Kind: domain.ErrUnavailable, Msg: "the database cannot be reached"},
		&net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET})
	for _, c := range []struct {
		name string
		r    *http.Request
		err  error
		want bool
	}{
		{"canceled, client gone", gone, fmt.Errorf("read: %w", context.Canceled), true},
		{"deadline, client gone", gone, context.DeadlineExceeded, true},
		{"canceled, client still there", live, context.Canceled, false},
		{"other error, client gone", gone, errors.New("boom"), false},
		{"refusal, client gone", gone, domain.Errorf(domain.ErrNotFound, "none"), false},
		{"broken pipe writing", live, fmt.Errorf("web: write page: %w", brokenPipe), true},
		{"connection reset writing", live, reset, true},
		{"database connection reset", live, dbDown, false},
		{"nil", gone, nil, false},
	} {
		if got := ClientGone(c.r, c.err); got != c.want {
			t.Errorf("%s: ClientGone = %v, want %v", c.name, got, c.want)
		}
	}
}
