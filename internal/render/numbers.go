package render

import (
	"errors"
	"math"
	"math/big"
	"strconv"
	"strings"
)

// number is a value read from a CSV cell: an integer or a float.
type number struct {
	isInt bool
	i     int64
	f     float64
}

func (n number) float() float64 {
	if n.isInt {
		return float64(n.i)
	}
	return n.f
}

// cmp compares two numbers exactly when both are integers.
func (n number) cmp(o number) int {
	if n.isInt && o.isInt {
		switch {
		case n.i < o.i:
			return -1
		case n.i > o.i:
			return 1
		}
		return 0
	}
	a, b := n.float(), o.float()
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (n number) isZero() bool {
	return n.float() == 0
}

// abs returns |n|; the one integer without a positive twin becomes a float.
func (n number) abs() number {
	if n.isInt {
		if n.i == math.MinInt64 {
			return number{f: -float64(n.i)}
		}
		if n.i < 0 {
			return number{isInt: true, i: -n.i}
		}
		return n
	}
	return number{f: math.Abs(n.f)}
}

// divisibleBy reports whether n mod d is 0.
func (n number) divisibleBy(d int64) bool {
	if n.isInt {
		return n.i%d == 0
	}
	return math.Mod(n.f, float64(d)) == 0
}

// midpoint6 reports whether n is 0 or (n − 3) mod 6 is 0: a value that
// midpoint 6 rounding produces (…, −3, 3, 9, 15, …).
func (n number) midpoint6() bool {
	if n.isInt {
		r := n.i % 6
		return n.i == 0 || r == 3 || r == -3
	}
	return n.f == 0 || math.Mod(n.f-3, 6) == 0
}

func (n number) String() string {
	if n.isInt {
		return strconv.FormatInt(n.i, 10)
	}
	return formatFloat(n.f)
}

// parseNumber reads a normalised cell (no spaces, lower case) the way the
// reference implementation does with Python's int() and then float():
// an optional sign and decimal digits is an integer; decimal and
// exponent notation, "inf" and "infinity" are floats. Integers beyond
// 64 bits are read as floats.
func parseNumber(s string) (number, bool) {
	if isIntLiteral(s) {
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			return number{isInt: true, i: i}, true
		}
	}
	if !isFloatLiteral(s) {
		return number{}, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return number{}, false
	}
	return number{f: f}, true
}

func trimSign(s string) string {
	if len(s) > 0 && (s[0] == '+' || s[0] == '-') {
		return s[1:]
	}
	return s
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func isIntLiteral(s string) bool {
	return isDigits(trimSign(s))
}

// isFloatLiteral accepts Python's float() syntax without underscores:
// [sign] (digits [. [digits]] | . digits) [e [sign] digits], inf,
// infinity and nan.
func isFloatLiteral(s string) bool {
	s = trimSign(s)
	switch s {
	case "inf", "infinity", "nan":
		return true
	}
	mant, exp, hasExp := strings.Cut(s, "e")
	if hasExp && !isDigits(trimSign(exp)) {
		return false
	}
	whole, frac, hasDot := strings.Cut(mant, ".")
	if !hasDot {
		return isDigits(whole)
	}
	return (whole == "" || isDigits(whole)) && (frac == "" || isDigits(frac)) && whole+frac != ""
}

// formatFloat writes f like Python's repr: the shortest digits that read
// back as f, always with a decimal point, and in exponent form when the
// exponent is below −4 or at least 16 (1e+16, 1.5e-05).
func formatFloat(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case math.IsNaN(f):
		return "nan"
	}
	e := strconv.FormatFloat(f, 'e', -1, 64)
	_, expText, _ := strings.Cut(e, "e")
	exp, err := strconv.Atoi(expText)
	if err != nil || exp < -4 || exp >= 16 {
		return e
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

// sum adds integers exactly, switching to big integers on overflow, and
// floats separately; the total is a float when any float was added.
type sum struct {
	small    int64
	big      *big.Int
	fl       float64
	anyFloat bool
}

func (s *sum) add(n number) {
	if !n.isInt {
		s.fl += n.f
		s.anyFloat = true
		return
	}
	if s.big != nil {
		s.big.Add(s.big, big.NewInt(n.i))
		return
	}
	t := s.small + n.i
	if (s.small > 0 && n.i > 0 && t < 0) || (s.small < 0 && n.i < 0 && t >= 0) {
		s.big = new(big.Int).SetInt64(s.small)
		s.big.Add(s.big, big.NewInt(n.i))
		return
	}
	s.small = t
}

func (s *sum) String() string {
	if s.anyFloat {
		ints := float64(s.small)
		if s.big != nil {
			ints, _ = new(big.Float).SetInt(s.big).Float64()
		}
		return formatFloat(ints + s.fl)
	}
	if s.big != nil {
		return s.big.String()
	}
	return strconv.FormatInt(s.small, 10)
}
