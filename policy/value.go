package policy

import (
	"errors"
	"fmt"
	"math"
)

// Value is one observed metric: a number or a boolean. The zero Value is the
// number 0. In JSON it is a plain number (shortest ECMAScript form) or true
// or false.
type Value struct {
	num    float64
	boolv  bool
	isBool bool
}

// Num returns the number f. A non-finite f is representable but refused by
// Evaluate and by MarshalJSON.
func Num(f float64) Value { return Value{num: f} }

// Bool returns the boolean b.
func Bool(b bool) Value { return Value{boolv: b, isBool: true} }

// IsBool reports whether v is a boolean.
func (v Value) IsBool() bool { return v.isBool }

// Number returns v's number and true, or 0 and false when v is a boolean.
func (v Value) Number() (float64, bool) {
	if v.isBool {
		return 0, false
	}
	return v.num, true
}

// Boolean returns v's boolean and true, or false and false when v is a number.
func (v Value) Boolean() (bool, bool) {
	if !v.isBool {
		return false, false
	}
	return v.boolv, true
}

// String returns v as it appears in JSON.
func (v Value) String() string {
	if v.isBool {
		if v.boolv {
			return "true"
		}
		return "false"
	}
	return formatNumber(v.num)
}

// errNonFinite is returned by MarshalJSON for NaN and infinities.
var errNonFinite = errors.New("policy: value is not a finite number")

// MarshalJSON encodes v as a JSON number or boolean. It fails for NaN and
// infinities, which JSON cannot express.
func (v Value) MarshalJSON() ([]byte, error) {
	if !v.isBool && (math.IsNaN(v.num) || math.IsInf(v.num, 0)) {
		return nil, errNonFinite
	}
	return []byte(v.String()), nil
}

// UnmarshalJSON decodes a JSON number or true or false. null, strings,
// arrays, objects and numbers out of float64's range are errors wrapping
// ErrWrongType or ErrInvalidValue.
func (v *Value) UnmarshalJSON(data []byte) error {
	switch s := string(data); s {
	case "true":
		*v = Bool(true)
	case "false":
		*v = Bool(false)
	default:
		f, err := parseDecimal(s)
		if errors.Is(err, errRange) {
			return fmt.Errorf("policy: number %s out of range: %w", s, ErrInvalidValue)
		}
		if err != nil {
			return fmt.Errorf("policy: metric value must be a number or a boolean: %w", ErrWrongType)
		}
		*v = Num(f)
	}
	return nil
}
