package domain

import (
	"errors"
	"slices"
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
			if err != nil && !strings.Contains(err.Error(), "Comment") {
				t.Fatalf("error %q does not name the field", err)
			}
			if berr := CheckTextBytes("comment", []byte(tc.in)); (berr == nil) != (tc.ok || tc.long) {
				t.Fatalf("CheckTextBytes(%q) = %v", tc.in, berr)
			}
		})
	}
}

func TestUniquePaths(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []string
		want []string
		err  string
	}{
		{"distinct", []string{"out/a.csv", "out/b.csv"}, []string{"out/a.csv", "out/b.csv"}, ""},
		{"trailing slash dropped", []string{"out/a.csv/"}, []string{"out/a.csv"}, ""},
		{"twice", []string{"out/a.csv", "out/b.csv", "out/a.csv"}, nil, "out/a.csv is listed twice."},
		{"with and without slash", []string{"a", "a/"}, nil, "a is listed twice."},
		{"none", nil, nil, "No files were given."},
		{"not UTF-8", []string{"a\xff"}, nil, "not valid UTF-8"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := UniquePaths(tc.in)
			if tc.err != "" {
				if !errors.Is(err, ErrInvalidInput) || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("UniquePaths(%q) = %v, want an invalid-input error saying %q", tc.in, err, tc.err)
				}
				return
			}
			if err != nil || !slices.Equal(got, tc.want) {
				t.Fatalf("UniquePaths(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
			}
		})
	}
}
