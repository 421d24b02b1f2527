package main

import (
	"errors"
	"fmt"
	"io"
)

// exitError ends a command with the exit status code. Its error, if any,
// is printed as any other; a command that has already said what it had to
// returns one without.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// ExitCode makes an exitError a kong.ExitCoder.
func (e *exitError) ExitCode() int { return e.code }

// exitStatus reports the error a command returned on stderr and returns
// the exit status: an exitError's code, otherwise 1.
func exitStatus(stderr io.Writer, err error) int {
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintln(stderr, "Error:", ee.err)
		}
		return ee.code
	}
	fmt.Fprintln(stderr, "Error:", err)
	return 1
}
