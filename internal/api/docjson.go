package api

import (
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/airlock-go/airlock/internal/domain"
)

// The request document of a big request is the largest answer of the API
// (about 600 bytes a file) and the one most calls answer with, and
// encoding/json spends most of an action's time on it. requestDoc writes
// itself instead: the same bytes encoding/json writes (with HTML
// escaping, as writeJSON asks), which docjson_test.go proves over every
// field and over hostile strings. A field added to a document must be
// added here too; the test fails until it is.

// jsonAppender is a document that writes its own JSON, byte for byte what
// encoding/json would write for it.
type jsonAppender interface {
	appendJSON(b []byte) []byte
	// sizeHint is about the size of the JSON, so that it is written into
	// a buffer of the right size, not one doubled over and over.
	sizeHint() int
}

func (d requestDoc) sizeHint() int {
	n := 512
	for i := range d.Groups {
		g := &d.Groups[i]
		n += 128 + len(g.Context) + len(g.Controls)
		for j := range g.Files {
			f := &g.Files[j]
			n += 512 + 2*len(f.Path) + 160*len(f.Versions)
			for k := range f.Checks {
				n += 96 + len(f.Checks[k].Message) + 8*len(f.Checks[k].Cells)
			}
		}
		for j := range g.Comments {
			n += 160 + len(g.Comments[j].Text)
		}
	}
	return n
}

// appendJSON writes the request document.
func (d requestDoc) appendJSON(b []byte) []byte {
	b = append(b, `{"id":`...)
	b = appendString(b, d.ID)
	b = append(b, `,"workspace":`...)
	b = appendString(b, d.Workspace)
	b = append(b, `,"project":`...)
	b = appendString(b, d.Project)
	b = append(b, `,"organisations":`...)
	if d.Organisations == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, o := range d.Organisations {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, o)
		}
		b = append(b, ']')
	}
	b = append(b, `,"author":`...)
	b = appendString(b, d.Author)
	b = append(b, `,"status":`...)
	b = appendString(b, string(d.Status))
	b = append(b, `,"review_turn":`...)
	b = strconv.AppendInt(b, int64(d.ReviewTurn), 10)
	b = append(b, `,"created_at":`...)
	b = appendString(b, d.CreatedAt)
	b = append(b, `,"last_submitted_at":`...)
	b = appendStringPtr(b, d.LastSubmittedAt)
	b = append(b, `,"submitted_reviews":`...)
	if d.SubmittedReviews == nil {
		b = append(b, "null"...)
	} else {
		// encoding/json writes a map's keys sorted.
		keys := make([]string, 0, len(d.SubmittedReviews))
		for k := range d.SubmittedReviews {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, k)
			b = append(b, ':')
			b = appendString(b, d.SubmittedReviews[k])
		}
		b = append(b, '}')
	}
	if len(d.Groups) > 0 { // omitempty
		b = append(b, `,"groups":[`...)
		for i := range d.Groups {
			if i > 0 {
				b = append(b, ',')
			}
			b = d.Groups[i].appendJSON(b)
		}
		b = append(b, ']')
	}
	return append(b, '}')
}

func (g *groupDoc) appendJSON(b []byte) []byte {
	b = append(b, `{"name":`...)
	b = appendString(b, g.Name)
	b = append(b, `,"context":`...)
	b = appendString(b, g.Context)
	b = append(b, `,"controls":`...)
	b = appendString(b, g.Controls)
	b = append(b, `,"files":`...)
	if g.Files == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range g.Files {
			if i > 0 {
				b = append(b, ',')
			}
			b = g.Files[i].appendJSON(b)
		}
		b = append(b, ']')
	}
	b = append(b, `,"comments":`...)
	if g.Comments == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range g.Comments {
			if i > 0 {
				b = append(b, ',')
			}
			b = g.Comments[i].appendJSON(b)
		}
		b = append(b, ']')
	}
	return append(b, '}')
}

func (f *fileDoc) appendJSON(b []byte) []byte {
	b = append(b, `{"path":`...)
	b = appendString(b, f.Path)
	b = append(b, `,"group":`...)
	b = appendString(b, f.Group)
	b = append(b, `,"filetype":`...)
	b = appendString(b, string(f.FileType))
	b = append(b, `,"sha256":`...)
	b = appendString(b, f.SHA256)
	b = append(b, `,"size":`...)
	b = strconv.AppendInt(b, f.Size, 10)
	b = append(b, `,"row_count":`...)
	b = appendIntPtr(b, f.RowCount)
	b = append(b, `,"col_count":`...)
	b = appendIntPtr(b, f.ColCount)
	b = append(b, `,"job_id":`...)
	b = appendString(b, f.JobID)
	b = append(b, `,"decision":`...)
	b = appendString(b, string(f.Decision))
	b = append(b, `,"my_vote":`...)
	if f.MyVote == nil {
		b = append(b, "null"...)
	} else {
		b = appendString(b, string(*f.MyVote))
	}
	b = append(b, `,"released_at":`...)
	b = appendStringPtr(b, f.ReleasedAt)
	b = append(b, `,"uploaded_at":`...)
	b = appendStringPtr(b, f.UploadedAt)
	b = append(b, `,"upload_failing":`...)
	b = strconv.AppendBool(b, f.UploadFailing)
	b = append(b, `,"upload_attempts":`...)
	b = strconv.AppendInt(b, int64(f.UploadAttempts), 10)
	b = append(b, `,"upload_attempted_at":`...)
	b = appendStringPtr(b, f.UploadAttemptedAt)
	b = append(b, `,"upload_error":`...)
	b = appendStringPtr(b, f.UploadError)
	b = append(b, `,"upload_next_attempt_at":`...)
	b = appendStringPtr(b, f.UploadNextAttemptAt)
	b = append(b, `,"checks":`...)
	if f.Checks == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range f.Checks {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendFinding(b, &f.Checks[i])
		}
		b = append(b, ']')
	}
	b = append(b, `,"checks_override":`...)
	if o := f.ChecksOverride; o == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, `{"justification":`...)
		b = appendString(b, o.Justification)
		b = append(b, `,"by":`...)
		b = appendString(b, o.By)
		b = append(b, `,"at":`...)
		b = appendString(b, o.At)
		b = append(b, '}')
	}
	if len(f.Versions) > 0 { // omitempty
		b = append(b, `,"versions":[`...)
		for i, v := range f.Versions {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"version":`...)
			b = strconv.AppendInt(b, int64(v.Version), 10)
			b = append(b, `,"sha256":`...)
			b = appendString(b, v.SHA256)
			b = append(b, `,"size":`...)
			b = strconv.AppendInt(b, v.Size, 10)
			b = append(b, `,"added_by":`...)
			b = appendString(b, v.AddedBy)
			b = append(b, `,"added_at":`...)
			b = appendString(b, v.AddedAt)
			b = append(b, `,"job_id":`...)
			b = appendString(b, v.JobID)
			b = append(b, `,"commit":`...)
			b = appendString(b, v.Commit)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	return append(b, '}')
}

// appendFinding writes a finding as its MarshalJSON does: cells never
// null.
func appendFinding(b []byte, f *domain.Finding) []byte {
	b = append(b, `{"rule":`...)
	b = appendString(b, string(f.Rule))
	b = append(b, `,"severity":`...)
	b = appendString(b, string(f.Severity))
	b = append(b, `,"message":`...)
	b = appendString(b, f.Message)
	b = append(b, `,"cells":[`...)
	for i, c := range f.Cells {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '[')
		b = strconv.AppendInt(b, int64(c[0]), 10)
		b = append(b, ',')
		b = strconv.AppendInt(b, int64(c[1]), 10)
		b = append(b, ']')
	}
	return append(b, "]}"...)
}

func (c *commentDoc) appendJSON(b []byte) []byte {
	b = append(b, `{"id":`...)
	b = strconv.AppendInt(b, c.ID, 10)
	b = append(b, `,"group":`...)
	b = appendString(b, c.Group)
	b = append(b, `,"author":`...)
	b = appendString(b, c.Author)
	b = append(b, `,"text":`...)
	b = appendString(b, c.Text)
	b = append(b, `,"visibility":`...)
	b = appendString(b, string(c.Visibility))
	b = append(b, `,"review_turn":`...)
	b = strconv.AppendInt(b, int64(c.ReviewTurn), 10)
	b = append(b, `,"created_at":`...)
	b = appendString(b, c.CreatedAt)
	return append(b, '}')
}

func appendStringPtr(b []byte, s *string) []byte {
	if s == nil {
		return append(b, "null"...)
	}
	return appendString(b, *s)
}

func appendIntPtr(b []byte, n *int) []byte {
	if n == nil {
		return append(b, "null"...)
	}
	return strconv.AppendInt(b, int64(*n), 10)
}

const hexDigits = "0123456789abcdef"

// jsonSafe says which ASCII bytes encoding/json writes as they are when
// escaping HTML: not the control characters, '"', '\\', '<', '>', '&'.
var jsonSafe = func() (t [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()

// appendString writes s as a JSON string exactly as encoding/json does
// with HTML escaping: <, > and & as \u003c, \u003e, \u0026; U+2028 and
// U+2029 escaped; invalid UTF-8 as U+FFFD.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if jsonSafe[c] {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
