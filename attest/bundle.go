package attest

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"
)

// Limits on what ParseBundle reads (SPEC.md "Bundle").
const (
	MaxBundleSize = 64 << 20 // whole file
	MaxLineSize   = 16 << 20 // one envelope
	MaxSignatures = 64       // per envelope
)

// Envelope is one DSSE envelope: one line of bundle.intoto.jsonl.
type Envelope struct {
	PayloadType string      `json:"payloadType"`
	Payload     string      `json:"payload"`
	Signatures  []Signature `json:"signatures"`
}

// Signature is one DSSE signature. KeyID is only a hint to the verifier.
type Signature struct {
	KeyID string `json:"keyid"`
	Sig   string `json:"sig"`
}

// ParsedEnvelope is an envelope with its payload and signatures decoded.
type ParsedEnvelope struct {
	Envelope
	Body []byte   // the decoded payload
	Sigs [][]byte // the decoded signatures, in order
}

// PAE returns the DSSE pre-authentication encoding that signatures cover.
func (e *ParsedEnvelope) PAE() []byte { return dsse.PAE(e.PayloadType, e.Body) }

// ErrEmptyBundle is returned for a bundle with no envelope.
var ErrEmptyBundle = errors.New("bundle is empty")

// LineError says which line of a bundle is malformed.
type LineError struct {
	Line int // 1-based
	Err  error
}

func (e *LineError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }
func (e *LineError) Unwrap() error { return e.Err }

// ParseBundle reads a bundle: one DSSE envelope per line (JSON Lines; the
// last line may lack its '\n', as cosign writes it), or a single envelope
// spread over several lines (a pretty-printed .json DSSE file). Envelopes
// are read as the DSSE spec says: field names are matched exactly (case
// included), unknown fields are ignored, but a key given twice in any
// object is an error, as are an empty file (ErrEmptyBundle), a blank line,
// a line over MaxLineSize, trailing data, base64 that is not standard
// padded base64 (whitespace included) and more than MaxSignatures
// signatures; a *LineError names the line and wraps ErrMalformed.
func ParseBundle(b []byte) ([]*ParsedEnvelope, error) {
	if len(b) == 0 {
		return nil, ErrEmptyBundle
	}
	if len(b) > MaxBundleSize {
		return nil, fmt.Errorf("bundle is larger than %d bytes: %w", MaxBundleSize, ErrMalformed)
	}
	if single, ok := singleEnvelope(b); ok {
		env, err := parseEnvelope(single)
		if err != nil {
			return nil, &LineError{Line: 1, Err: err}
		}
		return []*ParsedEnvelope{env}, nil
	}
	body := bytes.TrimSuffix(b, []byte("\n"))
	envs := make([]*ParsedEnvelope, 0, bytes.Count(b, []byte("\n"))+1)
	for i := 1; ; i++ {
		line, rest, more := bytes.Cut(body, []byte("\n"))
		env, err := parseEnvelope(line)
		if err != nil {
			return nil, &LineError{Line: i, Err: err}
		}
		envs = append(envs, env)
		if !more {
			return envs, nil
		}
		body = rest
	}
}

// singleEnvelope returns the JSON object of a bundle that is one JSON
// value spread over several lines (leading and trailing JSON whitespace
// aside). A one-line bundle is read as JSON Lines.
func singleEnvelope(b []byte) ([]byte, bool) {
	t := bytes.Trim(b, " \t\r\n")
	if len(t) == 0 || t[0] != '{' || bytes.IndexByte(t, '\n') < 0 || len(t) > MaxLineSize {
		return nil, false
	}
	if !json.Valid(t) {
		return nil, false
	}
	return t, true
}

func parseEnvelope(line []byte) (*ParsedEnvelope, error) {
	if len(line) == 0 {
		return nil, fmt.Errorf("%w: blank line", ErrMalformed)
	}
	if len(line) > MaxLineSize {
		return nil, fmt.Errorf("%w: envelope is larger than %d bytes", ErrMalformed, MaxLineSize)
	}
	env, err := decodeEnvelope(line)
	if err != nil {
		return nil, fmt.Errorf("envelope: %w", err)
	}
	if env.PayloadType == "" {
		return nil, fmt.Errorf("%w: envelope has no payloadType", ErrMalformed)
	}
	body, err := decodeBase64(env.Payload)
	if err != nil || len(body) == 0 {
		return nil, fmt.Errorf("%w: payload is not non-empty standard base64", ErrMalformed)
	}
	if len(env.Signatures) == 0 {
		return nil, fmt.Errorf("%w: envelope has no signatures", ErrMalformed)
	}
	p := &ParsedEnvelope{Envelope: *env, Body: body, Sigs: make([][]byte, 0, len(env.Signatures))}
	for i, s := range env.Signatures {
		sig, err := decodeBase64(s.Sig)
		if err != nil || len(sig) == 0 {
			return nil, fmt.Errorf("%w: signature %d is not non-empty standard base64", ErrMalformed, i+1)
		}
		p.Sigs = append(p.Sigs, sig)
	}
	return p, nil
}

// decodeBase64 decodes standard padded base64 with nothing else in it:
// Go's decoder skips CR and LF, which the DSSE encoding does not allow.
func decodeBase64(s string) ([]byte, error) {
	if strings.ContainsAny(s, "\r\n") {
		return nil, errors.New("whitespace in base64")
	}
	return base64.StdEncoding.Strict().DecodeString(s)
}

// Sign signs payload as an in-toto DSSE envelope with every signer (one
// signature each, keyid = the signer's SHA256: fingerprint) and returns the
// envelope as one bundle line, '\n'-terminated.
func Sign(ctx context.Context, payload []byte, signers ...dsse.Signer) ([]byte, error) {
	if len(signers) == 0 {
		return nil, errors.New("sign: no signing key")
	}
	es, err := dsse.NewEnvelopeSigner(signers...)
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	env, err := es.SignPayload(ctx, PayloadType, payload)
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	out := Envelope{PayloadType: env.PayloadType, Payload: env.Payload}
	for _, s := range env.Signatures {
		out.Signatures = append(out.Signatures, Signature{KeyID: s.KeyID, Sig: s.Sig})
	}
	line, err := json.Marshal(out)
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	return append(line, '\n'), nil
}
