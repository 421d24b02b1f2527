package web

import (
	"errors"
	"net/http"

	"github.com/airlock-go/airlock/internal/domain"
	"github.com/airlock-go/airlock/internal/httperr"
)

// pageError is an error page a handler chooses itself: its status and
// the message shown.
type pageError struct {
	Status  int
	Message string
}

func (e *pageError) Error() string { return e.Message }

// errorPage builds an error a handler returns to answer with a given
// status and message.
func errorPage(status int, message string) error {
	return &pageError{Status: status, Message: message}
}

// statusOf maps an error to the status of its page: the one a handler
// chose, else the status of its kind of refusal, as the JSON API answers
// it (package httperr).
func statusOf(err error) int {
	var pe *pageError
	if errors.As(err, &pe) {
		return pe.Status
	}
	return httperr.Status(err)
}

// explained reports whether err's page shows its own message: a refusal
// of the rules, or a fault outside airlock a person can be told about
// (the database or job-server unreachable, the request store full). The
// other faults of the server show a page that reveals nothing.
func explained(err error) bool { return httperr.Explained(statusOf(err)) }

// errorView is what the error page shows.
type errorView struct {
	Status  int
	Title   string
	Message string
}

// errorTitles are the error pages' headings.
var errorTitles = map[int]string{
	http.StatusBadRequest:          "That request could not be understood",
	http.StatusForbidden:           "You do not have permission to do that",
	http.StatusNotFound:            "Page not found",
	http.StatusConflict:            "That cannot be done now",
	http.StatusTooManyRequests:     "Too many attempts",
	http.StatusServiceUnavailable:  "A service airlock relies on is unavailable",
	http.StatusInsufficientStorage: "Airlock's storage is full",
	http.StatusInternalServerError: "Something went wrong",
}

// fail answers with the error page for err. Refusals, and faults a
// person can be told about (503, 507), show their message; anything else
// answers a 500 page that reveals nothing. Every fault of the server
// (5xx) is logged with its cause. htmx requests get the page's content
// only.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	if httperr.ClientGone(r, err) {
		// The browser hung up: nobody reads the page; 499 keeps it apart
		// from the server's faults in logs and metrics.
		h.log.DebugContext(r.Context(), "client went away", "method", r.Method, "path", r.URL.Path)
		w.WriteHeader(httperr.StatusClientClosed)
		return
	}
	status := statusOf(err)
	v := errorView{Status: status, Title: errorTitles[status]}
	if v.Title == "" {
		v.Title = http.StatusText(status)
	}
	var pe *pageError
	switch {
	case errors.As(err, &pe):
		v.Message = pe.Message
	case !explained(err):
		v.Message = "The error has been logged. Please try again, or tell the people who run airlock if it goes on."
	default:
		v.Message = domain.Message(err)
	}
	if status >= 500 && pe == nil {
		h.log.ErrorContext(r.Context(), "page failed", "method", r.Method, "path", r.URL.Path, "status", status, "err", err)
	}
	var rerr error
	if isHTMX(r) {
		rerr = h.renderFragment(w, r, status, "error", "content", v)
	} else {
		rerr = h.render(w, r, status, "error", v)
	}
	if rerr != nil {
		h.log.ErrorContext(r.Context(), "rendering the error page failed", "err", rerr)
		http.Error(w, http.StatusText(status), status)
	}
}

// notFound answers paths no page has.
func (h *Handler) notFound(w http.ResponseWriter, r *http.Request, _ domain.User) error {
	return errorPage(http.StatusNotFound, "There is no page at "+r.URL.Path+".")
}

// crossOriginDenied answers a form post from another site (CSRF).
func (h *Handler) crossOriginDenied(w http.ResponseWriter, r *http.Request) {
	h.fail(w, r, errorPage(http.StatusForbidden,
		"The form was sent from another site, so it was refused. Go back to airlock's page and try again."))
}
