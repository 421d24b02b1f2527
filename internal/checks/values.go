package checks

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// kind is what a CSV cell holds.
type kind uint8

const (
	kindMarker   kind = iota // missing or redacted: not a value
	kindCount                // a whole number ≥ 0
	kindNegative             // a whole number < 0
	kindDecimal              // any other number
	kindText                 // anything else
)

// markers recognises redaction markers.
type markers map[string]struct{}

func compileMarkers(list []string) markers {
	m := make(markers, len(list))
	for _, s := range list {
		m[normalise(s)] = struct{}{}
	}
	return m
}

// isMarker reports whether a normalised cell stands for a redacted or
// missing value: one of the configured markers, anything saying
// "redacted" or "suppressed", or a bound such as "<8", "<=7" or "≤7".
func (m markers) isMarker(v []byte) bool {
	if _, ok := m[string(v)]; ok {
		return true
	}
	if len(v) == 0 {
		return true
	}
	switch {
	case v[0] == '<':
		rest := v[1:]
		if len(rest) > 0 && rest[0] == '=' {
			rest = rest[1:]
		}
		return isNumberish(rest)
	case strings.HasPrefix(string(v), "≤"):
		return isNumberish(v[len("≤"):])
	}
	s := string(v)
	return strings.Contains(s, "redact") || strings.Contains(s, "suppress")
}

// isNumberish reports whether v is digits, possibly with a decimal point.
func isNumberish(v []byte) bool {
	if len(v) == 0 {
		return false
	}
	for _, c := range v {
		if (c < '0' || c > '9') && c != '.' {
			return false
		}
	}
	return true
}

// classifier classifies cells, reusing one buffer.
type classifier struct {
	markers markers
	buf     []byte
}

// classify reads one cell. For a whole number it also returns its value;
// numbers too large for an int64 are decimals, not counts.
func (c *classifier) classify(cell []byte) (kind, int64) {
	// Fast path: plain digits, as most count cells are.
	if n := len(cell); n > 0 && n <= 18 {
		var v int64
		for _, d := range cell {
			if d < '0' || d > '9' {
				return c.classifyOther(cell)
			}
			v = v*10 + int64(d-'0')
		}
		return kindCount, v
	}
	return c.classifyOther(cell)
}

// classifyOther reads a cell that is not plain digits.
func (c *classifier) classifyOther(cell []byte) (kind, int64) {
	c.buf = appendNormalised(c.buf[:0], cell)
	v := c.buf
	if c.markers.isMarker(v) {
		return kindMarker, 0
	}
	return parseValue(v)
}

// parseValue reads a normalised cell that is not a marker.
func parseValue(v []byte) (kind, int64) {
	neg := false
	s := v
	if len(s) > 0 && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	whole, frac, hasDot := cutByte(s, '.')
	if n, ok := parseGrouped(whole); ok && (!hasDot || allZeros(frac)) {
		if neg && n != 0 {
			return kindNegative, -n
		}
		return kindCount, n
	}
	if isFloat(s) {
		return kindDecimal, 0
	}
	return kindText, 0
}

// parseGrouped reads decimal digits, optionally grouped in threes by
// commas ("12,345"), up to 18 digits.
func parseGrouped(s []byte) (int64, bool) {
	if len(s) == 0 {
		return 0, false
	}
	var v int64
	digits, group := 0, -1 // group counts digits since the last comma; -1 before any
	for i, c := range s {
		switch {
		case c >= '0' && c <= '9':
			digits++
			if digits > 18 {
				return 0, false
			}
			v = v*10 + int64(c-'0')
			if group >= 0 {
				group++
			}
		case c == ',':
			if i == 0 || (group >= 0 && group != 3) || (group < 0 && i > 3) {
				return 0, false
			}
			group = 0
		default:
			return 0, false
		}
	}
	return v, group < 0 || group == 3
}

func allZeros(s []byte) bool {
	for _, c := range s {
		if c != '0' {
			return false
		}
	}
	return true
}

// isFloat accepts [digits][.digits][e[sign]digits] with at least one
// digit before the exponent, and "inf" and "infinity".
func isFloat(s []byte) bool {
	switch string(s) {
	case "inf", "infinity":
		return true
	}
	mant, exp, hasExp := cutByte(s, 'e')
	if hasExp {
		if len(exp) > 0 && (exp[0] == '+' || exp[0] == '-') {
			exp = exp[1:]
		}
		if !isDigits(exp) {
			return false
		}
	}
	whole, frac, hasDot := cutByte(mant, '.')
	if !hasDot {
		return isDigits(whole)
	}
	return (len(whole) == 0 || isDigits(whole)) && (len(frac) == 0 || isDigits(frac)) && len(whole)+len(frac) > 0
}

func isDigits(s []byte) bool {
	if len(s) == 0 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func cutByte(s []byte, sep byte) (before, after []byte, found bool) {
	for i, c := range s {
		if c == sep {
			return s[:i], s[i+1:], true
		}
	}
	return s, nil, false
}

// appendNormalised appends cell to dst without white space and in lower
// case, as the CSV summary compares values (docs/viewers.md).
func appendNormalised[S ~string | ~[]byte](dst []byte, cell S) []byte {
	for i := 0; i < len(cell); {
		c := cell[i]
		if c < utf8.RuneSelf {
			i++
			switch {
			case c == ' ' || ('\t' <= c && c <= '\r'):
				continue
			case 'A' <= c && c <= 'Z':
				c += 'a' - 'A'
			}
			dst = append(dst, c)
			continue
		}
		r, size := decodeRune(cell[i:])
		i += size
		if unicode.IsSpace(r) {
			continue
		}
		dst = utf8.AppendRune(dst, unicode.ToLower(r))
	}
	return dst
}

// normalise is appendNormalised to a string.
func normalise(s string) string {
	return string(appendNormalised(nil, s))
}

func decodeRune[S ~string | ~[]byte](s S) (rune, int) {
	if b, ok := any(s).([]byte); ok {
		return utf8.DecodeRune(b)
	}
	return utf8.DecodeRuneInString(string(s))
}
