package workspace

import (
	"net/url"
	"strings"
	"unicode"

	"github.com/airlock-go/airlock/internal/domain"
)

// CleanPath checks a workspace-relative path a user sent. It must already
// be in canonical form: slash-separated, relative, with no empty, "." or
// ".." segments, no backslashes, NUL or control characters, and no
// percent-encoding (paths arrive decoded; an escape left in one is a
// trick, not a file name). The root is "".
func CleanPath(p string) (string, error) {
	if p == "" {
		return "", nil
	}
	bad := func(why string) (string, error) {
		return "", domain.Errorf(domain.ErrInvalidInput, "%q is not a valid workspace path: %s", truncate(p), why)
	}
	if len(p) > 4096 {
		return bad("it is too long")
	}
	if strings.HasPrefix(p, "/") {
		return bad("it must be relative to the workspace")
	}
	for _, c := range p {
		if c == 0 || c == '\\' || unicode.IsControl(c) || c == unicode.ReplacementChar {
			return bad("it contains a character that file paths here never have")
		}
		if unicode.Is(unicode.Bidi_Control, c) {
			// U+202E and its kind: "report\u202Evsc.exe" would show to an
			// output checker as "reportexe.csv".
			return bad("it contains an invisible character that changes the order its name reads in")
		}
	}
	if u, err := url.PathUnescape(p); err == nil && u != p {
		return bad("it is percent-encoded")
	}
	for _, seg := range strings.Split(strings.TrimSuffix(p, "/"), "/") {
		switch seg {
		case "":
			return bad("it has an empty segment")
		case ".", "..":
			return bad("it may not contain . or .. segments")
		}
	}
	return strings.TrimSuffix(p, "/"), nil
}

// CheckName checks a workspace name: one folder name, not hidden.
func CheckName(name string) error {
	if name == "" || strings.ContainsAny(name, "/\\\x00") || strings.HasPrefix(name, ".") || len(name) > 255 {
		return domain.Errorf(domain.ErrInvalidInput, "%q is not a valid workspace name", truncate(name))
	}
	for _, c := range name {
		if unicode.IsControl(c) {
			return domain.Errorf(domain.ErrInvalidInput, "%q is not a valid workspace name", truncate(name))
		}
	}
	return nil
}

func truncate(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}
