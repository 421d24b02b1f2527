package checks

import (
	"bytes"
	"strconv"
)

// urlClass is what loading a URL found in a page would do.
type urlClass uint8

const (
	urlLocal  urlClass = iota // relative, a fragment, data:, blob:, mailto: …
	urlRemote                 // fetched from another host (or the file system)
	urlScript                 // runs a script: javascript: and the like
)

// classifyURL classifies a URL written in a page, the way a browser reads
// it: character references decoded, tabs and new lines dropped, leading
// and trailing control characters and spaces trimmed, scheme in any case.
// It also returns the URL so cleaned, for messages.
func classifyURL(raw []byte) (urlClass, string) {
	u := cleanURL(decodeEntities(raw))
	if len(u) >= 2 && (u[0] == '/' || u[0] == '\\') && (u[1] == '/' || u[1] == '\\') {
		return urlRemote, string(u) // protocol-relative: //host/path
	}
	scheme := urlScheme(u)
	switch string(scheme) {
	case "":
		return urlLocal, string(u)
	case "javascript", "vbscript", "livescript":
		return urlScript, string(u)
	case "data", "blob", "about", "mailto", "tel", "sms", "cid", "mid":
		return urlLocal, string(u)
	}
	if len(scheme) == 1 {
		return urlLocal, string(u) // a Windows drive letter, C:/…
	}
	return urlRemote, string(u)
}

// cleanURL drops ASCII tabs and new lines anywhere and trims C0 controls
// and spaces at both ends, in place.
func cleanURL(u []byte) []byte {
	out := u[:0]
	for _, c := range u {
		if c == '\t' || c == '\n' || c == '\r' {
			continue
		}
		out = append(out, c)
	}
	return bytes.TrimFunc(out, func(r rune) bool { return r <= ' ' })
}

// urlScheme returns the scheme of u in lower case, or nil when u has none
// (a scheme is a letter, then letters, digits, +, - or ., then a colon).
func urlScheme(u []byte) []byte {
	for i, c := range u {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case i > 0 && ('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.'):
		case i > 0 && c == ':':
			return bytes.ToLower(u[:i])
		default:
			return nil
		}
	}
	return nil
}

// hasPrefixFold reports whether s starts with the lower-case prefix,
// ignoring the case of s.
func hasPrefixFold(s []byte, prefix string) bool {
	if len(s) < len(prefix) {
		return false
	}
	for i := range len(prefix) {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != prefix[i] {
			return false
		}
	}
	return true
}

// containsFold reports whether s contains the lower-case needle, ignoring
// the case of s.
func containsFold(s []byte, needle string) bool {
	for i := 0; i+len(needle) <= len(s); i++ {
		if hasPrefixFold(s[i:], needle) {
			return true
		}
	}
	return false
}

// namedEntity returns the text of the character references that matter
// for URLs.
func namedEntity(name string) (string, bool) {
	switch name {
	case "amp":
		return "&", true
	case "lt":
		return "<", true
	case "gt":
		return ">", true
	case "quot":
		return `"`, true
	case "apos":
		return "'", true
	case "colon":
		return ":", true
	case "tab":
		return "\t", true
	case "newline":
		return "\n", true
	case "sol":
		return "/", true
	case "bsol":
		return `\`, true
	case "lpar":
		return "(", true
	case "rpar":
		return ")", true
	case "period":
		return ".", true
	case "comma":
		return ",", true
	case "num":
		return "#", true
	case "quest":
		return "?", true
	case "equals":
		return "=", true
	case "nbsp":
		return "\u00a0", true
	}
	return "", false
}

// decodeEntities decodes HTML character references (&#106;, &#x6A;,
// &colon;), with or without their semicolon, into a new slice.
func decodeEntities(s []byte) []byte {
	if bytes.IndexByte(s, '&') < 0 {
		return bytes.Clone(s)
	}
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); {
		if s[i] != '&' {
			out = append(out, s[i])
			i++
			continue
		}
		r, n := decodeEntity(s[i+1:])
		if n == 0 {
			out = append(out, '&')
			i++
			continue
		}
		out = append(out, r...)
		i += 1 + n
	}
	return out
}

// decodeEntity decodes the reference after an '&', returning its text
// and how many bytes it took (0 if it is not one).
func decodeEntity(s []byte) ([]byte, int) {
	if len(s) > 0 && s[0] == '#' {
		base, start := 10, 1
		if len(s) > 1 && (s[1] == 'x' || s[1] == 'X') {
			base, start = 16, 2
		}
		end := start
		for end < len(s) && end-start < 8 && isDigitIn(s[end], base) {
			end++
		}
		if end == start {
			return nil, 0
		}
		v, err := strconv.ParseUint(string(s[start:end]), base, 32)
		if err != nil || v > 0x10FFFF {
			v = 0xFFFD
		}
		if end < len(s) && s[end] == ';' {
			end++
		}
		return []byte(string(rune(v))), end
	}
	end := 0
	for end < len(s) && end < 10 && isASCIILetter(s[end]) {
		end++
	}
	for n := end; n > 1; n-- {
		if r, ok := namedEntity(string(bytes.ToLower(s[:n]))); ok {
			if n < len(s) && s[n] == ';' {
				n++
			}
			return []byte(r), n
		}
	}
	return nil, 0
}

func isDigitIn(c byte, base int) bool {
	switch {
	case '0' <= c && c <= '9':
		return true
	case base == 16 && ('a' <= c && c <= 'f' || 'A' <= c && c <= 'F'):
		return true
	}
	return false
}

func isASCIILetter(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}
