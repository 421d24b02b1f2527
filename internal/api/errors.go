package api

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/httperr"
)

// apiError is an answer that is not a success: its status, its code and
// a message for a person.
type apiError struct {
	Status     int
	Code       string
	Message    string
	RetryAfter time.Duration
}

func (e *apiError) Error() string { return e.Message }

// errorf builds an apiError.
func errorf(status int, code, msg string) *apiError {
	return &apiError{Status: status, Code: code, Message: msg}
}

var (
	errUnauthenticated = errorf(http.StatusUnauthorized, "unauthenticated", "log in first: send Authorization: Bearer <token> with a valid token")
	errTooLarge        = errorf(http.StatusRequestEntityTooLarge, "too_large", "the request body is larger than 1 MiB")
)

// writeError answers with the error document. Refusals of the rules keep
// their message; anything else is a fault of the server, logged and
// answered with a 500 that reveals nothing.
func (a *API) writeError(w http.ResponseWriter, r *http.Request, err error) {
	if httperr.ClientGone(r, err) {
		// Nobody reads the answer; 499 (as nginx counts it) keeps it apart
		// from the server's faults in logs and metrics.
		a.log.DebugContext(r.Context(), "client went away", "method", r.Method, "path", r.URL.Path)
		w.WriteHeader(StatusClientClosed)
		return
	}
	e := a.classify(err)
	if e.Status >= 500 {
		a.log.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int((e.RetryAfter+time.Second-1)/time.Second)))
	}
	writeJSON(w, e.Status, map[string]any{"error": map[string]string{"code": e.Code, "message": e.Message}})
}

// StatusClientClosed is the status recorded when the client hung up
// before the answer was ready.
const StatusClientClosed = httperr.StatusClientClosed

// classify maps an error to its answer.
func (a *API) classify(err error) *apiError {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae
	}
	status := httperr.Status(err)
	if !httperr.Explained(status) {
		return errorf(status, httperr.Code(err), "something went wrong on the server; it has been logged")
	}
	return errorf(status, httperr.Code(err), domain.Message(err))
}
