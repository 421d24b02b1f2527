package render

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
)

const (
	// MaxLogChars is the number of characters of a log shown before its
	// job-summary trailer (docs/viewers.md, Logs).
	MaxLogChars = 10_000
	// LogSummaryMarker starts the trailer that is always shown in full.
	LogSummaryMarker = "=============JOB SUMMARY============="
	// logTrailerWindow is how far from the end the trailer is looked for.
	logTrailerWindow = 1 << 20
)

// LogView is the visible part of a log, converted to styled segments.
type LogView struct {
	// Segments are the text runs in order; consecutive runs differ in
	// style. Their text is valid UTF-8 with escape sequences removed.
	Segments []LogSegment
	// Truncated is true when the start of the log was cut off.
	Truncated bool
}

// LogSegment is a run of log text with one style.
type LogSegment struct {
	Text string
	// Class lists CSS classes for the style (e.g. "ansi-bold ansi-fg31"),
	// empty for the default style.
	Class string
}

// Text returns the visible text without styles.
func (v LogView) Text() string {
	var b bytes.Buffer
	for _, s := range v.Segments {
		b.WriteString(s.Text)
	}
	return b.String()
}

// LogTail reads the part of a log that is shown (docs/viewers.md, Logs): when the log
// is longer than MaxLogChars characters only the last MaxLogChars are kept,
// cut further at the next line break, and a trailer starting at the line
// LogSummaryMarker is always kept in full and not counted. The trailer is
// looked for only in the last MiB. It reads at most about 1 MiB + 40 KiB,
// whatever the size of the log.
func LogTail(r io.ReaderAt, size int64) (LogView, error) {
	if size <= 0 {
		return LogView{}, nil
	}
	trailerStart, trailer, err := findTrailer(r, size)
	if err != nil {
		return LogView{}, err
	}
	body, truncated, err := readBodyTail(r, trailerStart)
	if err != nil {
		return LogView{}, err
	}
	text := make([]byte, 0, len(body)+len(trailer))
	text = append(append(text, body...), trailer...)
	return LogView{Segments: ansiSegments(text), Truncated: truncated}, nil
}

// readAt reads exactly [off, off+n) or fails.
func readAt(r io.ReaderAt, off, n int64) ([]byte, error) {
	buf := make([]byte, n)
	got, err := r.ReadAt(buf, off)
	if got == len(buf) {
		return buf, nil
	}
	if err == nil || errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return nil, fmt.Errorf("reading log at %d: %w", off, err)
}

// findTrailer returns the offset where the job-summary trailer starts
// (size when there is none) and the trailer's bytes. The marker must
// start a line; the last such marker in the final MiB wins.
func findTrailer(r io.ReaderAt, size int64) (int64, []byte, error) {
	start := max(0, size-logTrailerWindow-1) // one byte more, to see the line break before
	buf, err := readAt(r, start, size-start)
	if err != nil {
		return 0, nil, err
	}
	marker := []byte(LogSummaryMarker)
	for end := len(buf); end > 0; {
		i := bytes.LastIndex(buf[:end], marker)
		if i < 0 {
			break
		}
		atLineStart := (i == 0 && start == 0) || (i > 0 && buf[i-1] == '\n')
		if atLineStart {
			return start + int64(i), buf[i:], nil
		}
		end = i + len(marker) - 1
	}
	return size, nil, nil
}

// readBodyTail returns the last MaxLogChars characters of the first end
// bytes of the log, cut at the line break after the cut, and whether
// anything was cut. A character is a UTF-8 sequence or an invalid byte,
// so MaxLogChars × 4 bytes always hold enough characters.
func readBodyTail(r io.ReaderAt, end int64) ([]byte, bool, error) {
	start := max(0, end-MaxLogChars*utf8.UTFMax-utf8.UTFMax)
	buf, err := readAt(r, start, end-start)
	if err != nil {
		return nil, false, err
	}
	cut := len(buf)
	for chars := 0; chars < MaxLogChars && cut > 0; chars++ {
		_, n := utf8.DecodeLastRune(buf[:cut])
		cut -= n
	}
	if cut == 0 && start == 0 {
		return buf, false, nil
	}
	tail := buf[cut:]
	// Drop the partial first line, unless the only line break ends the tail.
	if i := bytes.IndexByte(tail, '\n'); i >= 0 && i != len(tail)-1 {
		tail = tail[i+1:]
	}
	return tail, true, nil
}
