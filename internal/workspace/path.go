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
	if plainPath(p) {
		return strings.TrimSuffix(p, "/"), nil
	}
	return checkPath(p)
}

// checkPath is CleanPath's general checks, for any path.
func checkPath(p string) (string, error) {
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

// plainPath says, in one pass over its bytes, whether p is a path as
// outputs' paths are (printable ASCII without backslash or percent sign,
// relative, no empty, "." or ".." segment, but for a last "/"), which
// CleanPath's general checks would pass unchanged but for that "/".
func plainPath(p string) bool {
	if len(p) > 4096 || p[0] == '/' {
		return false
	}
	seg := 0 // the start of the segment
	for i := 0; i <= len(p); i++ {
		if i < len(p) {
			c := p[i]
			if c < 0x20 || c >= 0x7f || c == '\\' || c == '%' {
				return false
			}
			if c != '/' {
				continue
			}
		}
		switch p[seg:i] {
		case "":
			if i != len(p) || i == 0 {
				return false
			}
		case ".", "..":
			return false
		}
		seg = i + 1
	}
	return true
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
