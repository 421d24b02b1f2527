// Package httperr maps errors to HTTP answers, once for the pages
// (package web) and the JSON API (package api): the status and code of
// each kind of refusal of package domain, and whether an error only says
// that the client went away.
//
// It is not part of package domain, whose rules know nothing of HTTP (the
// command line maps the same kinds to its own exit codes).
package httperr

import (
	"context"
	"errors"
	"net/http"
	"syscall"

	"github.com/airlock-go/airlock/internal/domain"
)

// StatusClientClosed is the status recorded when the client hung up
// before the answer was ready (499, as nginx counts it): nobody reads the
// answer, and it keeps such calls apart from the server's faults in logs
// and metrics.
const StatusClientClosed = 499

// kinds are the kinds of refusal with their status and the code the JSON
// API gives them, in the order they are tested.
var kinds = []struct {
	kind   error
	status int
	code   string
}{
	{domain.ErrInvalidInput, http.StatusBadRequest, "invalid_input"},
	{domain.ErrPermissionDenied, http.StatusForbidden, "permission_denied"},
	{domain.ErrNotFound, http.StatusNotFound, "not_found"},
	{domain.ErrInvalidTransition, http.StatusConflict, "invalid_transition"},
	{domain.ErrPolicy, http.StatusConflict, "policy"},
	{domain.ErrUnavailable, http.StatusServiceUnavailable, "unavailable"},
	{domain.ErrInsufficientStorage, http.StatusInsufficientStorage, "insufficient_storage"},
}

// Status returns the HTTP status of err: that of its kind of refusal, or
// 500 for anything else (a fault of the server).
func Status(err error) int {
	s, _ := classify(err)
	return s
}

// Code returns the JSON API's error code of err: its kind of refusal's
// ("invalid_input", "not_found", ...), or "internal" for anything else.
func Code(err error) string {
	_, c := classify(err)
	return c
}

func classify(err error) (status int, code string) {
	for _, k := range kinds {
		if errors.Is(err, k.kind) {
			return k.status, k.code
		}
	}
	return http.StatusInternalServerError, "internal"
}

// Explained reports whether an answer of this status may tell a person
// its error's message: a refusal (4xx), or a fault outside airlock they
// can act on (a system airlock relies on unavailable, 503; its storage
// full, 507). Other faults of the server reveal nothing.
func Explained(status int) bool {
	return status < 500 || status == http.StatusServiceUnavailable || status == http.StatusInsufficientStorage
}

// ClientGone reports whether err only says that the client of r went
// away: the call's context was canceled (or timed out) under it, or
// writing the answer found the connection closed (a broken pipe, a reset
// connection). An error that has a kind of refusal is never the client's
// going: a database whose connection was reset is unavailable (503),
// whoever hung up.
func ClientGone(r *http.Request, err error) bool {
	if err == nil {
		return false
	}
	if r.Context().Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		return true
	}
	if errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNRESET) {
		_, code := classify(err)
		return code == "internal"
	}
	return false
}
