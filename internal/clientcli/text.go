package clientcli

import (
	"strings"
	"time"
	"unicode"

	"github.com/airlock-go/airlock/internal/domain"
)

// clean makes server-supplied text safe for one line of a terminal:
// tabs and line breaks become spaces, other control characters (escape
// sequences included) and the invisible marks that reorder what a
// terminal shows (bidirectional controls such as U+202E) become '?'.
func clean(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
			return ' '
		case unsafeRune(r):
			return '?'
		}
		return r
	}, s)
}

// unsafeRune says whether a terminal would act on r rather than show it:
// a control character, or a bidirectional control, which makes text read
// in another order than it is (a file name "report\u202Evsc.exe" shows
// as "reportexe.csv").
func unsafeRune(r rune) bool {
	return unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r)
}

// cleanLine is clean for a line that keeps its line end.
func cleanLine(line string) string {
	body, nl := strings.CutSuffix(line, "\n")
	if nl {
		return clean(body) + "\n"
	}
	return clean(body)
}

func or(s, otherwise string) string {
	if s == "" {
		return otherwise
	}
	return s
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

// stamp writes a time as RFC 3339 in UTC, or "-" for none.
func stamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

func stampPtr(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return stamp(*t)
}

// The words of the human output: the domain's labels of the API's enum
// values (the JSON output keeps the values); a value the domain does not
// know is printed as it came.

func statusWords(v string) string {
	if st := domain.Status(v); st.Valid() {
		return st.Label()
	}
	return clean(v)
}

func fileTypeWords(v string) string { return clean(domain.FileType(v).Label()) }

func voteWords(v string) string { return clean(domain.Vote(v).Label()) }

func visibilityWords(v string) string { return clean(domain.Visibility(v).Label()) }

func fileStatusWords(v string) string { return clean(domain.WorkspaceFileStatus(v).Label()) }

func decisionWords(v string) string {
	if v == "" {
		return ""
	}
	return clean(domain.Decision(v).Label())
}
