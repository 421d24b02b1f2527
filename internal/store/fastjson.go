package store

import (
	"encoding/json"
	"fmt"
	"unicode/utf8"

	"github.com/airlock-go/airlock/internal/domain"
)

// The JSON the stores keep per row (an event's extra, a file's findings)
// is read for every row of a big request, where encoding/json's
// reflection is most of the cost. The decoders here read the common
// shapes directly and give up (ok false) on anything else (an escaped
// string, an unknown field, a number that is not a plain integer), which
// is then read by encoding/json: what they accept they decode exactly as
// encoding/json would (fastjson_test.go fuzzes that).

// DecodeExtra reads an audit event's extra, a JSON object of strings; the
// JSON null is an empty map.
func DecodeExtra(raw string) (map[string]string, error) {
	m, ok := decodeStringMap(raw)
	if !ok {
		if err := json.Unmarshal([]byte(raw), &m); err != nil {
			return nil, err
		}
	}
	if m == nil {
		m = map[string]string{}
	}
	return m, nil
}

// scanner reads JSON text from s at i.
type scanner struct {
	s string
	i int
}

func (sc *scanner) ws() {
	for sc.i < len(sc.s) {
		switch sc.s[sc.i] {
		case ' ', '\t', '\n', '\r':
			sc.i++
		default:
			return
		}
	}
}

// eat skips white space and then c, reporting whether c was there.
func (sc *scanner) eat(c byte) bool {
	sc.ws()
	if sc.i < len(sc.s) && sc.s[sc.i] == c {
		sc.i++
		return true
	}
	return false
}

// str reads a string without escapes, of valid UTF-8 and no control
// characters: ok false on anything else.
func (sc *scanner) str() (string, bool) {
	if !sc.eat('"') {
		return "", false
	}
	start, ascii := sc.i, true
	for ; sc.i < len(sc.s); sc.i++ {
		c := sc.s[sc.i]
		switch {
		case c == '"':
			v := sc.s[start:sc.i]
			sc.i++
			if !ascii && !utf8.ValidString(v) {
				return "", false // encoding/json would replace the bad bytes
			}
			return v, true
		case c == '\\' || c < 0x20:
			return "", false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return "", false
}

// integer reads a plain JSON integer (no fraction, no exponent) that
// surely fits an int.
func (sc *scanner) integer() (int, bool) {
	sc.ws()
	neg := sc.i < len(sc.s) && sc.s[sc.i] == '-'
	if neg {
		sc.i++
	}
	digits := sc.i
	n := 0
	for sc.i < len(sc.s) && sc.s[sc.i] >= '0' && sc.s[sc.i] <= '9' {
		n = n*10 + int(sc.s[sc.i]-'0')
		sc.i++
	}
	switch d := sc.i - digits; {
	case d == 0 || d > 15:
		return 0, false
	case d > 1 && sc.s[digits] == '0':
		return 0, false // a leading zero is not JSON
	}
	if sc.i < len(sc.s) {
		switch sc.s[sc.i] {
		case '.', 'e', 'E':
			return 0, false
		}
	}
	if neg {
		n = -n
	}
	return n, true
}

// end reports whether only white space is left.
func (sc *scanner) end() bool {
	sc.ws()
	return sc.i == len(sc.s)
}

// decodeStringMap reads a JSON object whose values are all strings.
func decodeStringMap(raw string) (map[string]string, bool) {
	sc := scanner{s: raw}
	if !sc.eat('{') {
		return nil, false
	}
	m := make(map[string]string, 8)
	if sc.eat('}') {
		return m, sc.end()
	}
	for {
		k, ok := sc.str()
		if !ok || !sc.eat(':') {
			return nil, false
		}
		v, ok := sc.str()
		if !ok {
			return nil, false
		}
		m[k] = v
		if sc.eat(',') {
			continue
		}
		if sc.eat('}') && sc.end() {
			return m, true
		}
		return nil, false
	}
}

// decodeFindings reads a JSON array of findings as EncodeChecks writes
// them: objects of exactly the fields rule, severity (a valid one),
// message and cells (null or a list of [row, column]).
func decodeFindings(raw string) ([]domain.Finding, bool) {
	sc := scanner{s: raw}
	if !sc.eat('[') {
		return nil, false
	}
	out := []domain.Finding{}
	if sc.eat(']') {
		return out, sc.end()
	}
	for {
		f, ok := sc.finding()
		if !ok {
			return nil, false
		}
		out = append(out, f)
		if sc.eat(',') {
			continue
		}
		if sc.eat(']') && sc.end() {
			return out, true
		}
		return nil, false
	}
}

func (sc *scanner) finding() (domain.Finding, bool) {
	var f domain.Finding
	if !sc.eat('{') {
		return f, false
	}
	var seen [4]bool
	for first := true; ; first = false {
		if sc.eat('}') {
			return f, true
		}
		if !first && !sc.eat(',') {
			return f, false
		}
		k, ok := sc.str()
		if !ok || !sc.eat(':') {
			return f, false
		}
		var i int
		switch k {
		case "rule":
			var v string
			v, ok = sc.str()
			f.Rule = domain.Rule(v)
		case "severity":
			i = 1
			var v string
			v, ok = sc.str()
			f.Severity = domain.Severity(v)
			ok = ok && f.Severity.Valid()
		case "message":
			i = 2
			f.Message, ok = sc.str()
		case "cells":
			i = 3
			f.Cells, ok = sc.cells()
		default:
			return f, false // encoding/json matches names without case
		}
		if !ok || seen[i] {
			return f, false
		}
		seen[i] = true
	}
}

// cells reads null or a list of [row, column] pairs.
func (sc *scanner) cells() ([][2]int, bool) {
	sc.ws()
	if len(sc.s)-sc.i >= 4 && sc.s[sc.i:sc.i+4] == "null" {
		sc.i += 4
		return nil, true
	}
	if !sc.eat('[') {
		return nil, false
	}
	out := [][2]int{}
	if sc.eat(']') {
		return out, true
	}
	for {
		var c [2]int
		var ok bool
		if !sc.eat('[') {
			return nil, false
		}
		if c[0], ok = sc.integer(); !ok || !sc.eat(',') {
			return nil, false
		}
		if c[1], ok = sc.integer(); !ok || !sc.eat(']') {
			return nil, false
		}
		out = append(out, c)
		if sc.eat(',') {
			continue
		}
		if sc.eat(']') {
			return out, true
		}
		return nil, false
	}
}

// decodeFindingsJSON is decodeFindings with encoding/json for what it
// gives up on.
func decodeFindingsJSON(raw string, relpath string) ([]domain.Finding, error) {
	if list, ok := decodeFindings(raw); ok {
		return list, nil
	}
	list := []domain.Finding{}
	if err := json.Unmarshal([]byte(raw), &list); err != nil {
		return nil, fmt.Errorf("decode checks of %s: %w", relpath, err)
	}
	return list, nil
}
