package render

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestANSISegments(t *testing.T) {
	tests := []struct {
		name, in string
		want     []LogSegment
	}{
		{"plain", "hello\n", []LogSegment{{"hello\n", ""}}},
		{"colour and reset", "a\x1b[31mred\x1b[0mb", []LogSegment{{"a", ""}, {"red", "ansi-fg31"}, {"b", ""}}},
		{"bold bright bg", "\x1b[1;92;44mx\x1b[m", []LogSegment{{"x", "ansi-bold ansi-fg92 ansi-bg44"}}},
		{"bright background", "\x1b[101mx", []LogSegment{{"x", "ansi-bg101"}}},
		{"attributes accumulate", "\x1b[33ma\x1b[1mb\x1b[22mc\x1b[39md", []LogSegment{
			{"a", "ansi-fg33"}, {"b", "ansi-bold ansi-fg33"}, {"c", "ansi-fg33"}, {"d", ""}}},
		{"extended colours skipped", "\x1b[38;5;196mx\x1b[48;2;1;2;3;1my", []LogSegment{{"x", ""}, {"y", "ansi-bold"}}},
		{"other CSI dropped", "a\x1b[2Kb\x1b[1Ac\x1b[?25ld", []LogSegment{{"abcd", ""}}},
		{"OSC dropped", "a\x1b]0;title\x07b\x1b]8;;http://x\x1b\\c", []LogSegment{{"abc", ""}}},
		{"other escapes dropped", "a\x1bcb\x1b(Bc\x1b7d", []LogSegment{{"abcd", ""}}},
		{"unfinished escape dropped", "a\x1b[31", []LogSegment{{"a", ""}}},
		{"lone escape at end", "a\x1b", []LogSegment{{"a", ""}}},
		{"unknown codes ignored", "\x1b[4;5;7mx", []LogSegment{{"x", ""}}},
		{"invalid utf8", "\xffok", []LogSegment{{"\uFFFDok", ""}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := mergeSegments(ansiSegments([]byte(tt.in)))
			want := mergeSegments(tt.want)
			if len(got) != len(want) {
				t.Fatalf("got %q, want %q", got, want)
			}
			for i := range got {
				if got[i] != want[i] {
					t.Errorf("segment %d: got %q, want %q", i, got[i], want[i])
				}
			}
		})
	}
}

// mergeSegments joins neighbours with the same class, for comparison.
func mergeSegments(segs []LogSegment) []LogSegment {
	var out []LogSegment
	for _, s := range segs {
		if n := len(out); n > 0 && out[n-1].Class == s.Class {
			out[n-1].Text += s.Text
			continue
		}
		out = append(out, s)
	}
	return out
}

func logTail(t *testing.T, log string) LogView {
	t.Helper()
	v, err := LogTail(strings.NewReader(log), int64(len(log)))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// numberedLines returns n lines "line 00001 ........\n" of 20 bytes each.
func numberedLines(from, n int) string {
	var b strings.Builder
	for i := from; i < from+n; i++ {
		fmt.Fprintf(&b, "line %05d ........\n", i)
	}
	return b.String()
}

func TestLogTailShort(t *testing.T) {
	log := numberedLines(1, 500) // exactly 10,000 characters
	v := logTail(t, log)
	if v.Truncated || v.Text() != log {
		t.Errorf("a log of exactly MaxLogChars was cut (truncated %v, %d chars)", v.Truncated, len(v.Text()))
	}
}

func TestLogTailTruncated(t *testing.T) {
	body := "x" + numberedLines(1, 1000) // 20,001 characters
	trailer := LogSummaryMarker + "\nstatus: ok\n" + strings.Repeat("summary line\n", 1000)
	v := logTail(t, body+trailer)
	if !v.Truncated {
		t.Fatal("not truncated")
	}
	text := v.Text()
	if !strings.HasSuffix(text, trailer) {
		t.Errorf("trailer not kept in full")
	}
	shown := strings.TrimSuffix(text, trailer)
	// The last 10,000 characters start mid-line, in line 501; that partial
	// line is dropped, so lines 502–1000 remain.
	if !strings.HasPrefix(shown, "line 00502 ") || !strings.HasSuffix(shown, "line 01000 ........\n") {
		t.Errorf("body cut wrongly: starts %q, ends %q", shown[:20], shown[len(shown)-20:])
	}
	if utf8.RuneCountInString(shown) > MaxLogChars {
		t.Errorf("shown %d characters", utf8.RuneCountInString(shown))
	}

	page := get(t, "j.log", []byte(body+trailer), "/?cache_id=1").Body.String()
	if !strings.Contains(page, "Log truncated") || !strings.Contains(page, `href="?cache_id=1&amp;plaintext=true"`) {
		t.Errorf("no truncation notice")
	}
}

func TestLogTailMultibyte(t *testing.T) {
	// 10,001 two-byte characters on one line: cut, no line break to cut at.
	log := strings.Repeat("é", MaxLogChars+1)
	v := logTail(t, log)
	if !v.Truncated || utf8.RuneCountInString(v.Text()) != MaxLogChars || strings.ContainsRune(v.Text(), utf8.RuneError) {
		t.Errorf("truncated %v, %d chars", v.Truncated, utf8.RuneCountInString(v.Text()))
	}
	// Counting characters, not bytes: 6,000 characters in 12,000 bytes fit.
	log = strings.Repeat("é", 6000)
	if v := logTail(t, log); v.Truncated || v.Text() != log {
		t.Errorf("short multibyte log truncated")
	}
}

func TestLogTailTrailerRules(t *testing.T) {
	t.Run("marker must start a line", func(t *testing.T) {
		log := numberedLines(1, 1000) + "echo " + LogSummaryMarker + "\nend\n"
		v := logTail(t, log)
		if strings.Contains(v.Text(), "line 00400") || !strings.HasSuffix(v.Text(), "end\n") {
			t.Errorf("an inline marker was taken as the trailer")
		}
	})
	t.Run("marker at the start of the file", func(t *testing.T) {
		log := LogSummaryMarker + "\n" + numberedLines(1, 1000)
		if v := logTail(t, log); v.Truncated || v.Text() != log {
			t.Errorf("trailer at offset 0 not kept whole")
		}
	})
	t.Run("last marker wins", func(t *testing.T) {
		log := LogSummaryMarker + "\nfirst\n" + numberedLines(1, 1000) + LogSummaryMarker + "\nsecond\n"
		v := logTail(t, log)
		if !v.Truncated || !strings.HasSuffix(v.Text(), LogSummaryMarker+"\nsecond\n") || strings.Contains(v.Text(), "first") {
			t.Errorf("wrong trailer")
		}
	})
	t.Run("marker beyond the last MiB is ignored", func(t *testing.T) {
		log := "start\n" + LogSummaryMarker + "\n" + strings.Repeat("padding line ....\n", (logTrailerWindow/18)+10) + "end\n"
		v := logTail(t, log)
		if !v.Truncated || strings.Contains(v.Text(), LogSummaryMarker) || len(v.Text()) > MaxLogChars {
			t.Errorf("truncated %v, %d bytes", v.Truncated, len(v.Text()))
		}
	})
	t.Run("colours across the trailer", func(t *testing.T) {
		log := "\x1b[32mok\n" + LogSummaryMarker + "\n\x1b[0mdone\n"
		v := logTail(t, log)
		want := []LogSegment{{"ok\n" + LogSummaryMarker + "\n", "ansi-fg32"}, {"done\n", ""}}
		if got := mergeSegments(v.Segments); len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
			t.Errorf("segments %q", got)
		}
	})
}

func TestLogTailEmpty(t *testing.T) {
	if v := logTail(t, ""); v.Truncated || len(v.Segments) != 0 {
		t.Errorf("%+v", v)
	}
}

func TestLogTailReadsOnlyTheEnd(t *testing.T) {
	const size = 1 << 40 // a terabyte of zeros, never read whole
	r := &countingReaderAt{}
	v, err := LogTail(r, size)
	if err != nil {
		t.Fatal(err)
	}
	if !v.Truncated || r.n > logTrailerWindow+64<<10 {
		t.Errorf("truncated %v, read %d bytes", v.Truncated, r.n)
	}
}

type countingReaderAt struct{ n int64 }

func (c *countingReaderAt) ReadAt(p []byte, off int64) (int, error) {
	c.n += int64(len(p))
	clear(p)
	return len(p), nil
}
