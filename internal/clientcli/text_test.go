package clientcli

import (
	"testing"
	"time"
)

func TestClean(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"plain é", "plain é"},
		{"a\tb\nc\r", "a b c "},
		{"\x1b[31mred\x1b[0m", "?[31mred?[0m"},
		{"nul\x00 del\x7f c1\u0085", "nul? del? c1?"},
		{"report\u202Evsc.exe", "report?vsc.exe"},
		{"a\u2066b\u2069c\u200Fd\u061C", "a?b?c?d?"},
		{"emoji \U0001F469\u200D\U0001F52C stays", "emoji \U0001F469\u200D\U0001F52C stays"},
	} {
		if got := clean(tc.in); got != tc.want {
			t.Errorf("clean(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if got := codeText("if x {\u202E} // \u2067\n\tok\x1b"); got != "if x {\uFFFD} // \uFFFD\n\tok\uFFFD" {
		t.Errorf("codeText: %q", got)
	}
	if got := cleanLine("a\x1bb\n"); got != "a?b\n" {
		t.Errorf("cleanLine keeps the line end only: %q", got)
	}
}

func TestBaseURL(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"http://localhost:8000", "http://localhost:8000"},
		{" https://airlock.example.org/ ", "https://airlock.example.org"},
		{"https://example.org/airlock/api/v1/", "https://example.org/airlock"},
		{"ftp://x", ""},
		{"localhost:8000", ""},
		{"http://x/?a=b", ""},
		{"http://x/#top", ""},
		{"http:///path", ""},
	} {
		got, err := baseURL(tc.in)
		if (err != nil) != (tc.want == "") || got != tc.want {
			t.Errorf("baseURL(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestWords(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{statusWords("PARTIALLY_REVIEWED"), "One review submitted"},
		{statusWords("NEW\x1bSTATUS"), "NEW?STATUS"},
		{decisionWords(""), ""},
		{extraValue(3.0), "3"},
		{extraValue(nil), ""},
		{extraValue([]any{"a", 1.5}), `["a",1.5]`},
		{byteSize(512), "512 bytes"},
		{byteSize(1536), "1.5 KiB"},
		{byteSize(3 << 20), "3.0 MiB"},
		{shortHash("0123456789abcdef"), "0123456789ab"},
		{stamp(time.Time{}), "-"},
		{stamp(time.Date(2025, 1, 2, 4, 4, 5, 0, time.FixedZone("x", 3600))), "2025-01-02T03:04:05Z"},
		{stampPtr(nil), "-"},
		{plural(1, "file") + " " + plural(2, "file"), "file files"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}
