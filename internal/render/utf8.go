package render

import (
	"strings"
	"unicode/utf8"
)

// validUTF8 returns s with each invalid byte sequence replaced by U+FFFD.
// It allocates only when s is invalid.
func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

// sanitizeCells makes every cell valid UTF-8, in place.
func sanitizeCells(cells []string) {
	for i, c := range cells {
		cells[i] = validUTF8(c)
	}
}

// trimBOM removes a leading UTF-8 byte order mark.
func trimBOM(s string) string {
	return strings.TrimPrefix(s, "\uFEFF")
}

// cutIncompleteRune drops a trailing partial UTF-8 sequence, left when a
// file is cut at a byte count, so it does not show as U+FFFD.
func cutIncompleteRune(b []byte) []byte {
	for i := 1; i <= utf8.UTFMax && i <= len(b); i++ {
		c := b[len(b)-i]
		if c < utf8.RuneSelf {
			return b // ASCII: nothing partial after it
		}
		if utf8.RuneStart(c) {
			if !utf8.FullRune(b[len(b)-i:]) {
				return b[:len(b)-i]
			}
			return b
		}
	}
	return b
}
