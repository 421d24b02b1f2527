package render

import (
	"fmt"
	"io"
	"unicode/utf8"
)

// MaxTextPreview is the number of bytes of a text file shown as
// preformatted text; the plain-text view has no limit.
const MaxTextPreview = 5 << 20

// textChunk is the size of the pieces a preview is cut into, so that
// escaping it for HTML never copies the whole preview at once.
const textChunk = 64 << 10

// textPreview is the start of a text file.
type textPreview struct {
	Chunks    []string // valid UTF-8, cut between characters
	Truncated bool
}

// readTextPreview reads up to limit bytes from the start of the file as
// valid UTF-8, without a partial character at the cut.
func readTextPreview(f File, limit int64) (textPreview, error) {
	n := min(f.Size, limit)
	buf := make([]byte, n)
	got, err := io.ReadFull(io.NewSectionReader(f.Content, 0, n), buf)
	if err != nil {
		return textPreview{}, fmt.Errorf("reading %s: %w", f.baseName(), err)
	}
	buf = buf[:got]
	truncated := f.Size > limit
	if truncated {
		buf = cutIncompleteRune(buf)
	}
	return textPreview{Chunks: chunkText(buf, textChunk), Truncated: truncated}, nil
}

// chunkText cuts b into valid UTF-8 strings of about size bytes, never
// inside a character.
func chunkText(b []byte, size int) []string {
	chunks := make([]string, 0, len(b)/size+1)
	for len(b) > 0 {
		n := min(size, len(b))
		if n < len(b) {
			n = runeBoundary(b, n)
		}
		chunks = append(chunks, validUTF8(string(b[:n])))
		b = b[n:]
	}
	return chunks
}

// runeBoundary moves a cut at n to the start of the character that n
// falls in (at most three bytes back), or past it when that would leave
// nothing before the cut. Invalid bytes are cut anywhere.
func runeBoundary(b []byte, n int) int {
	for k := n; k > n-utf8.UTFMax && k >= 0; k-- {
		if utf8.RuneStart(b[k]) {
			if k > 0 {
				return k
			}
			break
		}
	}
	for k := n; k < n+utf8.UTFMax; k++ {
		if k >= len(b) || utf8.RuneStart(b[k]) {
			return min(k, len(b))
		}
	}
	return n
}
