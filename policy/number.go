package policy

import (
	"errors"
	"math"
	"strconv"
	"strings"
)

var (
	errNotDecimal = errors.New("not a decimal number")
	errRange      = errors.New("out of range")
)

// parseDecimal parses s, which must follow JSON's number grammar exactly:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?. Negative zero becomes zero.
// A number too large for a float64 is errRange.
func parseDecimal(s string) (float64, error) {
	if !isJSONNumber(s) {
		return 0, errNotDecimal
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, errRange
	}
	if f == 0 {
		f = 0 // drop the sign of -0
	}
	return f, nil
}

func isJSONNumber(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && s[i] >= '1' && s[i] <= '9':
		i = digits(s, i)
	default:
		return false
	}
	if i < len(s) && s[i] == '.' {
		j := digits(s, i+1)
		if j == i+1 {
			return false
		}
		i = j
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		j := digits(s, i)
		if j == i {
			return false
		}
		i = j
	}
	return i == len(s)
}

func digits(s string, i int) int {
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return i
}

// formatNumber writes f as ECMAScript's Number.prototype.toString does (the
// form RFC 8785 prescribes): the shortest digits that round-trip, plain
// notation for exponents in [-7, 21), exponent notation otherwise. Non-finite
// values, which no parsed input holds, come out as "NaN", "+Inf" or "-Inf".
func formatNumber(f float64) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return strconv.FormatFloat(f, 'g', -1, 64)
	}
	if f == 0 {
		return "0"
	}
	sign := ""
	if f < 0 {
		sign, f = "-", -f
	}
	// Shortest digits d1.d2d3...e±x; the value is 0.d1d2... × 10^n.
	e := strconv.FormatFloat(f, 'e', -1, 64)
	mant, exp, _ := strings.Cut(e, "e")
	x, _ := strconv.Atoi(exp)
	ds := strings.Replace(mant, ".", "", 1)
	k, n := len(ds), x+1
	var out string
	switch {
	case k <= n && n <= 21:
		out = ds + strings.Repeat("0", n-k)
	case 0 < n && n <= 21:
		out = ds[:n] + "." + ds[n:]
	case -6 < n && n <= 0:
		out = "0." + strings.Repeat("0", -n) + ds
	default:
		out = ds[:1]
		if k > 1 {
			out += "." + ds[1:]
		}
		if n-1 >= 0 {
			out += "e+" + strconv.Itoa(n-1)
		} else {
			out += "e" + strconv.Itoa(n-1)
		}
	}
	return sign + out
}
