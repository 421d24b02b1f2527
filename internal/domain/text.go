package domain

import (
	"bytes"
	"fmt"
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
		return Errorf(ErrInvalidInput, "%s is not valid UTF-8 text: send it as UTF-8.", upperFirst(what))
	}
	if strings.IndexByte(s, 0) >= 0 {
		return Errorf(ErrInvalidInput, "%s holds a NUL character, which is not allowed in text.", upperFirst(what))
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
		return Errorf(ErrInvalidInput, "%s is longer than %d characters.", upperFirst(what), MaxTextLength)
	}
	return nil
}

// CheckTextBytes is CheckText for raw bytes as they arrive (a request
// body, a file's contents read as text).
func CheckTextBytes(what string, b []byte) error {
	if !utf8.Valid(b) {
		return Errorf(ErrInvalidInput, "%s is not valid UTF-8 text: send it as UTF-8.", upperFirst(what))
	}
	if bytes.IndexByte(b, 0) >= 0 {
		return Errorf(ErrInvalidInput, "%s holds a NUL character, which is not allowed in text.", upperFirst(what))
	}
	return nil
}

// CheckFields applies CheckText to every name and value of a form or a
// query string.
func CheckFields(fields map[string][]string) error {
	for name, values := range fields {
		if err := CheckText("a field's name", name); err != nil {
			return err
		}
		for _, v := range values {
			if err := CheckText(fieldLabel(name), v); err != nil {
				return err
			}
		}
	}
	return nil
}

// fieldLabel names a form or query field for a person.
func fieldLabel(name string) string {
	switch name {
	case "comment", "text":
		return "the comment"
	case "context", "controls", "justification", "token", "group", "path":
		return "the " + name
	case "user", "username":
		return "the user name"
	}
	return fmt.Sprintf("the field %q", name)
}

// UniquePaths checks a list of file paths a person sent for one action:
// at least one, and none twice. A trailing slash is dropped first, so "a"
// and "a/" are the same file. It returns the paths so cleaned, in order.
func UniquePaths(paths []string) ([]string, error) {
	if len(paths) == 0 {
		return nil, Errorf(ErrInvalidInput, "No files were given.")
	}
	out := make([]string, 0, len(paths))
	seen := make(map[string]bool, len(paths))
	for _, p := range paths {
		if err := CheckText("the path", p); err != nil {
			return nil, err
		}
		c := strings.TrimSuffix(p, "/")
		if seen[c] {
			return nil, Errorf(ErrInvalidInput, "%s is listed twice.", c)
		}
		seen[c] = true
		out = append(out, c)
	}
	return out, nil
}
