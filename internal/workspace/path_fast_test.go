package workspace

import "testing"

// samePath fails unless a path plainPath passes is one the general checks
// pass unchanged (but for a last "/").
func samePath(t *testing.T, p string) {
	t.Helper()
	if p == "" || !plainPath(p) {
		return
	}
	got, err := checkPath(p)
	if err != nil || got+"/" != p && got != p {
		t.Fatalf("%q: plain, but the general checks give %q, %v", p, got, err)
	}
}

// TestPlainPath: the one-pass check passes outputs' paths, and leaves
// anything else to the general checks.
func TestPlainPath(t *testing.T) {
	tests := []struct {
		p     string
		plain bool
	}{
		{"output/a.csv", true},
		{"output/group_042/table_000042.csv", true},
		{"a", true},
		{"a/", true},
		{"a b/c-d_e.f+g~h(i)", true},
		{"...", true},
		{".hidden/a", true},
		{"/a", false},
		{"/", false},
		{"a//b", false},
		{"a//", false},
		{"./a", false},
		{"a/.", false},
		{"a/../b", false},
		{"..", false},
		{"a\\b", false},
		{"a%2fb", false},
		{"a%zz", false},
		{"a\x00b", false},
		{"a\nb", false},
		{"a\x7fb", false},
		{"é.csv", false}, // not ASCII: the general checks read it
		{string(make([]byte, 4097)), false},
	}
	for _, tt := range tests {
		if got := plainPath(tt.p); got != tt.plain {
			t.Errorf("plainPath(%q) = %v, want %v", tt.p, got, tt.plain)
		}
		samePath(t, tt.p)
	}
}

// FuzzPlainPath: every path the one-pass check passes, the general checks
// pass unchanged.
func FuzzPlainPath(f *testing.F) {
	for _, p := range []string{"output/a.csv", "a/", "a//b", "./a", "a/..", "%41", "a\\b"} {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, p string) {
		samePath(t, p)
	})
}
