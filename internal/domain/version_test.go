package domain

import "testing"

func TestFindVersion(t *testing.T) {
	a := "aaaaaaaa11111111aaaaaaaa11111111aaaaaaaa11111111aaaaaaaa11111111"
	b := "aaaaaaaa22222222bbbbbbbb22222222bbbbbbbb22222222bbbbbbbb22222222"
	c := "cccccccc33333333cccccccc33333333cccccccc33333333cccccccc33333333"
	versions := []FileVersion{{Ordinal: 1, FileID: a}, {Ordinal: 2, FileID: b}, {Ordinal: 3, FileID: a}, {Ordinal: 4, FileID: c}}
	tests := []struct {
		ref  string
		want int // 0: none
	}{
		{"1", 1}, {"v2", 2}, {" 4 ", 4}, {"V3", 3}, {"5", 0}, {"0", 0}, {"-1", 0},
		{c, 4}, {"CCCCCCCC", 4}, {c[:12], 4},
		{a, 3},          // a content that came back: its latest version
		{"aaaaaaaa", 0}, // the first 8 digits of both a and b: ambiguous
		{a[:16], 3},
		{"ccccccc", 0}, // too short for a hash
		{"", 0}, {"reviewed", 0}, {"dddddddd", 0},
	}
	for _, tt := range tests {
		got, ok := FindVersion(versions, tt.ref)
		if ok != (tt.want != 0) || (ok && got.Ordinal != tt.want) {
			t.Errorf("FindVersion(%q) = %d, %v; want %d", tt.ref, got.Ordinal, ok, tt.want)
		}
	}
}
