package domain

import (
	"errors"
	"strings"
	"testing"
)

func TestCheckText(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		long     bool
		ok       bool
	}{
		{"plain", "hello", false, true},
		{"empty", "", false, true},
		{"unicode", "naïve — 日本 🚀", false, true},
		{"replacement char typed", "\ufffd", false, true},
		{"invalid byte", "ctx\xff", false, false},
		{"lone continuation", "\x80", false, false},
		{"truncated sequence", "\xe2\x82", false, false},
		{"surrogate half", "\xed\xa0\x80", false, false},
		{"overlong", "\xc0\xaf", false, false},
		{"nul", "a\x00b", false, false},
		{"long ok", strings.Repeat("é", MaxTextLength), true, true},
		{"too long", strings.Repeat("é", MaxTextLength+1), true, false},
		{"too long is fine when short text", strings.Repeat("é", MaxTextLength+1), false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			check := CheckText
			if tc.long {
				check = CheckLongText
			}
			err := check("comment", tc.in)
			if (err == nil) != tc.ok {
				t.Fatalf("CheckText(%q) = %v, want ok=%v", tc.in, err, tc.ok)
			}
			if err != nil && !errors.Is(err, ErrInvalidInput) {
				t.Fatalf("error %v is not invalid input", err)
			}
			if err != nil && !strings.Contains(err.Error(), "comment") {
				t.Fatalf("error %q does not name the field", err)
			}
			if berr := CheckTextBytes("comment", []byte(tc.in)); (berr == nil) != (tc.ok || tc.long) {
				t.Fatalf("CheckTextBytes(%q) = %v", tc.in, berr)
			}
		})
	}
}
