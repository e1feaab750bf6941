package attest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
)

// decodeEnvelope reads one DSSE envelope as its spec says: the fields
// payloadType, payload, signatures[].keyid and signatures[].sig are
// matched by exact name (encoding/json would fill them from "PAYLOAD" or
// "KeyId" too), every other field is ignored (witness adds certificate,
// intermediates and timestamps to signatures), and any key given twice in
// any object is an error (parsers disagree on which one wins).
func decodeEnvelope(b []byte) (*Envelope, error) {
	if err := checkExactShape(b); err != nil {
		return nil, err
	}
	var top map[string]json.RawMessage
	if err := decodeOne(b, &top); err != nil {
		return nil, err
	}
	if top == nil {
		return nil, fmt.Errorf("%w: envelope is not a JSON object", ErrMalformed)
	}
	env := &Envelope{}
	if err := stringField(top, "payloadType", &env.PayloadType, true); err != nil {
		return nil, err
	}
	if err := stringField(top, "payload", &env.Payload, true); err != nil {
		return nil, err
	}
	raw, ok := top["signatures"]
	if !ok {
		return nil, fmt.Errorf("%w: envelope has no signatures", ErrMalformed)
	}
	var sigs []map[string]json.RawMessage
	if err := decodeOne(raw, &sigs); err != nil {
		return nil, fmt.Errorf("signatures: %w", err)
	}
	if len(sigs) > MaxSignatures {
		return nil, fmt.Errorf("%w: more than %d signatures", ErrMalformed, MaxSignatures)
	}
	env.Signatures = make([]Signature, len(sigs))
	for i, s := range sigs {
		if s == nil {
			return nil, fmt.Errorf("%w: signature %d is not a JSON object", ErrMalformed, i+1)
		}
		if err := stringField(s, "keyid", &env.Signatures[i].KeyID, false); err != nil {
			return nil, fmt.Errorf("signature %d: %w", i+1, err)
		}
		if err := stringField(s, "sig", &env.Signatures[i].Sig, true); err != nil {
			return nil, fmt.Errorf("signature %d: %w", i+1, err)
		}
	}
	return env, nil
}

// stringField sets *dst to the JSON string m[name]; a missing field is an
// error when required, a value of another type always.
func stringField(m map[string]json.RawMessage, name string, dst *string, required bool) error {
	raw, ok := m[name]
	if !ok {
		if required {
			return fmt.Errorf("%w: no %q field", ErrMalformed, name)
		}
		return nil
	}
	if len(raw) == 0 || raw[0] != '"' {
		return fmt.Errorf("%w: %q is not a string", ErrMalformed, name)
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		return fmt.Errorf("%w: %q: %v", ErrMalformed, name, err)
	}
	return nil
}

// decodeOne decodes exactly one JSON value into v; anything after it is an
// error.
func decodeOne(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("%w: trailing data after JSON value", ErrMalformed)
	}
	return nil
}
