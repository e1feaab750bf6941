package policy

import (
	"bytes"
	"unicode/utf8"
)

// Canonical returns p as canonical JSON (RFC 8785 style): object keys sorted
// by bytes, no insignificant whitespace, strings with only the required
// escapes, numbers in ECMAScript's shortest form, absent optional fields left
// out. For a policy that Validate accepts, Parse(p.Canonical()) gives an
// equal policy whose Canonical is the same bytes. For one it rejects the
// output is still well-formed JSON (a non-finite limit is written as null)
// but Parse rejects it.
func (p *Policy) Canonical() []byte {
	var b bytes.Buffer
	if p == nil {
		return []byte("null")
	}
	// Keys in byte order: apiVersion, kind, name, rules.
	b.WriteString(`{"apiVersion":`)
	writeString(&b, p.APIVersion)
	b.WriteString(`,"kind":`)
	writeString(&b, p.Kind)
	b.WriteString(`,"name":`)
	writeString(&b, p.Name)
	b.WriteString(`,"rules":[`)
	for i, r := range p.Rules {
		if i > 0 {
			b.WriteByte(',')
		}
		writeRule(&b, r)
	}
	b.WriteString("]}")
	return b.Bytes()
}

// writeRule writes r with its keys in byte order: description, marginal,
// metric, missing, refuse, require.
func writeRule(b *bytes.Buffer, r Rule) {
	b.WriteByte('{')
	if r.Description != "" {
		b.WriteString(`"description":`)
		writeString(b, r.Description)
		b.WriteByte(',')
	}
	if r.Marginal != nil {
		b.WriteString(`"marginal":`)
		writeNumber(b, *r.Marginal)
		b.WriteByte(',')
	}
	b.WriteString(`"metric":`)
	writeString(b, r.Metric)
	if r.Missing != "" {
		b.WriteString(`,"missing":`)
		writeString(b, string(r.Missing))
	}
	if r.Refuse != nil {
		b.WriteString(`,"refuse":`)
		writeNumber(b, *r.Refuse)
	}
	if r.Require != nil {
		if *r.Require {
			b.WriteString(`,"require":true`)
		} else {
			b.WriteString(`,"require":false`)
		}
	}
	b.WriteByte('}')
}

func writeNumber(b *bytes.Buffer, f float64) {
	if !finite(&f) {
		b.WriteString("null")
		return
	}
	b.WriteString(formatNumber(f))
}

// writeString writes s as a JSON string with RFC 8785's escaping: '"' and
// '\\' escaped, control characters as \b \t \n \f \r or \u00xx, everything
// else verbatim. Invalid UTF-8 becomes U+FFFD.
func writeString(b *bytes.Buffer, s string) {
	const hexDigits = "0123456789abcdef"
	b.WriteByte('"')
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				b.WriteRune(utf8.RuneError)
			} else {
				b.WriteString(s[i : i+size])
			}
			i += size
			continue
		}
		switch c {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\b':
			b.WriteString(`\b`)
		case '\t':
			b.WriteString(`\t`)
		case '\n':
			b.WriteString(`\n`)
		case '\f':
			b.WriteString(`\f`)
		case '\r':
			b.WriteString(`\r`)
		default:
			if c < 0x20 {
				b.WriteString(`\u00`)
				b.WriteByte(hexDigits[c>>4])
				b.WriteByte(hexDigits[c&0xf])
			} else {
				b.WriteByte(c)
			}
		}
		i++
	}
	b.WriteByte('"')
}
