package attest

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"

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

// ParseBundle splits a bundle into envelopes, one per '\n'-terminated line.
// Everything is strict: an empty file (ErrEmptyBundle), a blank line, a
// missing final newline, a line over MaxLineSize, unknown JSON fields,
// trailing data, non-canonical base64 and more than MaxSignatures are
// errors; a *LineError names the line and wraps ErrMalformed.
func ParseBundle(b []byte) ([]*ParsedEnvelope, error) {
	if len(b) == 0 {
		return nil, ErrEmptyBundle
	}
	if len(b) > MaxBundleSize {
		return nil, fmt.Errorf("bundle is larger than %d bytes: %w", MaxBundleSize, ErrMalformed)
	}
	if b[len(b)-1] != '\n' {
		n := bytes.Count(b, []byte("\n")) + 1
		return nil, &LineError{Line: n, Err: fmt.Errorf("%w: line does not end with a newline (trailing data?)", ErrMalformed)}
	}
	lines := bytes.SplitAfter(b[:len(b)-1], []byte("\n"))
	envs := make([]*ParsedEnvelope, 0, len(lines))
	for i, line := range lines {
		line = bytes.TrimSuffix(line, []byte("\n"))
		env, err := parseEnvelope(line)
		if err != nil {
			return nil, &LineError{Line: i + 1, Err: err}
		}
		envs = append(envs, env)
	}
	return envs, nil
}

func parseEnvelope(line []byte) (*ParsedEnvelope, error) {
	if len(line) == 0 {
		return nil, fmt.Errorf("%w: blank line", ErrMalformed)
	}
	if len(line) > MaxLineSize {
		return nil, fmt.Errorf("%w: envelope is larger than %d bytes", ErrMalformed, MaxLineSize)
	}
	var env Envelope
	if err := decodeStrict(line, &env); err != nil {
		return nil, fmt.Errorf("envelope: %w", err)
	}
	if env.PayloadType == "" {
		return nil, fmt.Errorf("%w: envelope has no payloadType", ErrMalformed)
	}
	body, err := base64.StdEncoding.Strict().DecodeString(env.Payload)
	if err != nil || len(body) == 0 {
		return nil, fmt.Errorf("%w: payload is not non-empty standard base64", ErrMalformed)
	}
	if len(env.Signatures) == 0 {
		return nil, fmt.Errorf("%w: envelope has no signatures", ErrMalformed)
	}
	if len(env.Signatures) > MaxSignatures {
		return nil, fmt.Errorf("%w: more than %d signatures", ErrMalformed, MaxSignatures)
	}
	p := &ParsedEnvelope{Envelope: env, Body: body}
	for i, s := range env.Signatures {
		sig, err := base64.StdEncoding.Strict().DecodeString(s.Sig)
		if err != nil || len(sig) == 0 {
			return nil, fmt.Errorf("%w: signature %d is not non-empty standard base64", ErrMalformed, i+1)
		}
		p.Sigs = append(p.Sigs, sig)
	}
	return p, nil
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
