package render

import (
	"strconv"
	"strings"
)

// ansiStyle is the SGR state that is shown: foreground, background, bold.
type ansiStyle struct {
	fg, bg int // SGR code, 0 for the default
	bold   bool
}

// class returns the CSS classes for the style.
func (s ansiStyle) class() string {
	var parts []string
	if s.bold {
		parts = append(parts, "ansi-bold")
	}
	if s.fg != 0 {
		parts = append(parts, "ansi-fg"+strconv.Itoa(s.fg))
	}
	if s.bg != 0 {
		parts = append(parts, "ansi-bg"+strconv.Itoa(s.bg))
	}
	return strings.Join(parts, " ")
}

// apply updates the style with the parameters of one SGR sequence
// ("ESC [ params m"). Codes handled: 0 reset, 1 bold, 22 not bold,
// 30–37 and 90–97 foreground, 39 default foreground, 40–47 and 100–107
// background, 49 default background. Extended colours (38/48;5;n and
// 38/48;2;r;g;b) are skipped whole; other codes are ignored.
func (s ansiStyle) apply(params string) ansiStyle {
	if params == "" {
		return ansiStyle{}
	}
	codes := strings.Split(params, ";")
	for i := 0; i < len(codes); i++ {
		c, err := strconv.Atoi(codes[i])
		if codes[i] == "" {
			c, err = 0, nil
		}
		if err != nil {
			continue
		}
		switch {
		case c == 0:
			s = ansiStyle{}
		case c == 1:
			s.bold = true
		case c == 22:
			s.bold = false
		case 30 <= c && c <= 37, 90 <= c && c <= 97:
			s.fg = c
		case c == 39:
			s.fg = 0
		case 40 <= c && c <= 47, 100 <= c && c <= 107:
			s.bg = c
		case c == 49:
			s.bg = 0
		case c == 38 || c == 48:
			if i+1 < len(codes) {
				switch codes[i+1] {
				case "5":
					i += 2
				case "2":
					i += 4
				default:
					i++
				}
			}
		}
	}
	return s
}

// ansiSegments converts text with ANSI escape sequences into styled
// segments. SGR sequences change the style; every other escape sequence
// (CSI, OSC, or a two-byte ESC sequence) is dropped, as is an unfinished
// one at the end. Invalid UTF-8 becomes U+FFFD.
func ansiSegments(text []byte) []LogSegment {
	var (
		segs  []LogSegment
		style ansiStyle
		cur   strings.Builder
	)
	flush := func() {
		if cur.Len() == 0 {
			return
		}
		t, cls := validUTF8(cur.String()), style.class()
		if n := len(segs); n > 0 && segs[n-1].Class == cls {
			segs[n-1].Text += t
		} else {
			segs = append(segs, LogSegment{Text: t, Class: cls})
		}
		cur.Reset()
	}
	for i := 0; i < len(text); {
		j := indexByteFrom(text, i, 0x1b)
		cur.Write(text[i:j])
		if j == len(text) {
			break
		}
		params, final, next := scanEscape(text, j)
		if final == 'm' {
			if ns := style.apply(params); ns != style {
				flush()
				style = ns
			}
		}
		i = next
	}
	flush()
	return segs
}

func indexByteFrom(b []byte, from int, c byte) int {
	for i := from; i < len(b); i++ {
		if b[i] == c {
			return i
		}
	}
	return len(b)
}

// scanEscape reads the escape sequence starting with ESC at i. It returns
// the parameters and final byte of a CSI sequence (final is 0 otherwise)
// and the index after the sequence.
func scanEscape(b []byte, i int) (params string, final byte, next int) {
	i++ // ESC
	if i >= len(b) {
		return "", 0, i
	}
	switch b[i] {
	case '[': // CSI: parameter bytes 0x30–0x3F, intermediates 0x20–0x2F, final 0x40–0x7E
		start := i + 1
		k := start
		for k < len(b) && b[k] >= 0x30 && b[k] <= 0x3F {
			k++
		}
		p := string(b[start:k])
		for k < len(b) && b[k] >= 0x20 && b[k] <= 0x2F {
			k++
		}
		if k >= len(b) {
			return "", 0, k
		}
		if b[k] >= 0x40 && b[k] <= 0x7E {
			return p, b[k], k + 1
		}
		return "", 0, k // malformed: drop what was read
	case ']', 'P', '_', '^': // OSC, DCS, APC, PM: until BEL or ESC \
		for k := i + 1; k < len(b); k++ {
			if b[k] == 0x07 {
				return "", 0, k + 1
			}
			if b[k] == 0x1b && k+1 < len(b) && b[k+1] == '\\' {
				return "", 0, k + 2
			}
		}
		return "", 0, len(b)
	}
	// Other sequences: intermediates 0x20–0x2F, then one final byte
	// (ESC c, ESC ( B, ESC 7).
	for i < len(b) && b[i] >= 0x20 && b[i] <= 0x2F {
		i++
	}
	return "", 0, min(i+1, len(b))
}
