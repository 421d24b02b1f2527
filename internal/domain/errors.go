package domain

import (
	"errors"
	"fmt"
)

// The kinds of refusal. Every error the rules return wraps exactly one of
// them, so that callers map them to an HTTP status or an exit code with
// errors.Is, and show the message to a person.
var (
	// ErrInvalidInput: the input itself is wrong (unknown value, bad path,
	// file type not allowed).
	ErrInvalidInput = errors.New("invalid input")
	// ErrPermissionDenied: this user may not do this (role, authorship,
	// inactive workspace).
	ErrPermissionDenied = errors.New("permission denied")
	// ErrNotFound: no such workspace, request, group, file, vote or comment
	// visible to the user.
	ErrNotFound = errors.New("not found")
	// ErrInvalidTransition: the request's status does not allow this.
	ErrInvalidTransition = errors.New("invalid transition")
	// ErrPolicy: a rule is not met yet (incomplete group, unreviewed files,
	// missing comment, duplicate file).
	ErrPolicy = errors.New("policy")
	// ErrUnavailable: a system airlock relies on (the database,
	// job-server) failed or cannot be reached; trying again later may
	// work.
	ErrUnavailable = errors.New("unavailable")
	// ErrInsufficientStorage: airlock's own storage (the request folder)
	// is full, so nothing could be stored; it is no fault of the input,
	// and trying again helps only once an operator has freed space.
	ErrInsufficientStorage = errors.New("insufficient storage")
)

// Error is a refusal with a message written for a person.
type Error struct {
	Kind error
	Msg  string
}

func (e *Error) Error() string { return e.Msg }
func (e *Error) Unwrap() error { return e.Kind }

// Errorf builds a refusal of the given kind.
func Errorf(kind error, format string, args ...any) error {
	return &Error{Kind: kind, Msg: fmt.Sprintf(format, args...)}
}

// Message returns the person-readable part of err: the refusal's message
// when err is (or wraps) a refusal, else err's text.
func Message(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Msg
	}
	return err.Error()
}
