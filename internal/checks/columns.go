package checks

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// headerWords splits a header into lower-case words at anything that is
// not a letter or a digit and where lower case turns to upper case:
// "AgeBand_5y" is age, band, 5y.
func headerWords(h string) []string {
	var words []string
	start := -1
	var prev rune
	for i, r := range h {
		alnum := unicode.IsLetter(r) || unicode.IsDigit(r)
		switch {
		case !alnum:
			if start >= 0 {
				words = append(words, strings.ToLower(h[start:i]))
				start = -1
			}
		case start < 0:
			start = i
		case unicode.IsUpper(r) && unicode.IsLower(prev):
			words = append(words, strings.ToLower(h[start:i]))
			start = i
		}
		prev = r
	}
	if start >= 0 {
		words = append(words, strings.ToLower(h[start:]))
	}
	return words
}

// patterns is a compiled list of column-name patterns.
type patterns [][]string

func compilePatterns(list []string) patterns {
	p := make(patterns, 0, len(list))
	for _, s := range list {
		if w := headerWords(s); len(w) > 0 {
			p = append(p, w)
		}
	}
	return p
}

// match reports whether a header's words contain any pattern's words in
// order and next to each other.
func (p patterns) match(words []string) bool {
	for _, pat := range p {
		for i := 0; i+len(pat) <= len(words); i++ {
			if equalWords(words[i:i+len(pat)], pat) {
				return true
			}
		}
	}
	return false
}

func equalWords(a, b []string) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// role is what a column's header says about it.
type role uint8

const (
	roleAuto   role = iota // decided by the values
	roleNever              // never counts
	roleAlways             // always counts
	roleMinMax             // a minimum or maximum
)

// rounding is how a column's counts are expected to be rounded.
type rounding uint8

const (
	roundBase      rounding = iota // a multiple of the configured base
	roundMidpoint6                 // 0, 3, 9, 15, … (n > 0 becomes 6⌈n/6⌉ − 3)
	roundMultiple6                 // derived from midpoint 6 values: 0, 6, 12, …
)

// maxHeaderBytes is how much of a header cell is read for its words.
const maxHeaderBytes = 256

// columnInfo is what the header of one column says.
type columnInfo struct {
	name     string // for messages
	match    string // for matching columns of two tables: normalised
	role     role
	rounding rounding
}

// describeColumn reads a header cell.
func (ck *Checker) describeColumn(header string) columnInfo {
	// A header is a few words: read the first maxHeaderBytes of it, and
	// name it in messages by its first 80.
	name := strings.TrimSpace(header[:min(len(header), maxHeaderBytes)])
	if !utf8.ValidString(name) {
		name = strings.ToValidUTF8(name, "\uFFFD")
	}
	words := headerWords(name)
	info := columnInfo{name: shorten(name), match: normalise(name)}
	switch {
	case ck.cfg.Rules.MinMax.Enabled && ck.minMax.match(words):
		info.role = roleMinMax
	case ck.counts.match(words):
		info.role = roleAlways
	case ck.notCounts.match(words):
		info.role = roleNever
	}
	info.rounding = roundBase
	if ck.cfg.Rules.Unrounded.Midpoint6 {
		info.rounding = roundMidpoint6
	}
	for i, w := range words {
		next := i + 1
		switch {
		case w == "midpoint6":
		case w == "midpoint" && next < len(words) && words[next] == "6":
			next++
		default:
			continue
		}
		info.rounding = roundMidpoint6
		if next < len(words) && words[next] == "derived" {
			info.rounding = roundMultiple6
		}
	}
	return info
}
