package domain

import (
	"bytes"
	"strings"
	"unicode/utf8"
)

// MaxTextLength bounds, in characters, any long text a person writes:
// a comment, a group's context or controls, a justification.
const MaxTextLength = 20000

// CheckText is the one rule for text that anyone sends airlock (a form
// field, a JSON string, a command-line argument, a users file, a
// manifest): it must be valid UTF-8 and hold no NUL character. Such text
// could not be stored as it was sent, and what is stored must be exactly
// what the audit log's hashes cover. what names the text for the message.
func CheckText(what, s string) error {
	if !utf8.ValidString(s) {
		return Errorf(ErrInvalidInput, "%s is not valid UTF-8 text: send it as UTF-8", what)
	}
	if strings.IndexByte(s, 0) >= 0 {
		return Errorf(ErrInvalidInput, "%s holds a NUL character, which is not allowed in text", what)
	}
	return nil
}

// CheckLongText is CheckText for text a person writes at length, which
// must also be at most MaxTextLength characters.
func CheckLongText(what, s string) error {
	if err := CheckText(what, s); err != nil {
		return err
	}
	if utf8.RuneCountInString(s) > MaxTextLength {
		return Errorf(ErrInvalidInput, "%s is longer than %d characters", what, MaxTextLength)
	}
	return nil
}

// CheckTextBytes is CheckText for raw bytes as they arrive (a request
// body, a file's contents read as text).
func CheckTextBytes(what string, b []byte) error {
	if !utf8.Valid(b) {
		return Errorf(ErrInvalidInput, "%s is not valid UTF-8 text: send it as UTF-8", what)
	}
	if bytes.IndexByte(b, 0) >= 0 {
		return Errorf(ErrInvalidInput, "%s holds a NUL character, which is not allowed in text", what)
	}
	return nil
}
