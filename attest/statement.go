// Package attest turns a graded run into evidence: the decision and policy
// files, the artifact manifest, and an in-toto Statement v1 whose subject is
// the artifact set and whose predicate is the decision, signed as DSSE
// envelopes in bundle.intoto.jsonl. SPEC.md is the normative description of
// every format written here.
package attest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// Format identifiers (SPEC.md "Attestation").
const (
	PayloadType   = "application/vnd.in-toto+json"
	StatementType = "https://in-toto.io/Statement/v1"
	PredicateType = "https://cohos.dev/attestation/governed-run/v1"
	// SubjectPrefix starts the one subject's name; the run id follows.
	SubjectPrefix = "cohos-artifacts:"
	// DigestMerkle is the subject digest key of the RFC 9162 Merkle root.
	DigestMerkle = "merkle_rfc9162_sha256"
)

// Statement is an in-toto Statement v1. It is encoded with encoding/json
// using the spec's field names, which keeps golden bundles byte-stable
// (protojson deliberately varies whitespace between builds).
type Statement struct {
	Type          string          `json:"_type"`
	Subject       []Subject       `json:"subject"`
	PredicateType string          `json:"predicateType"`
	Predicate     json.RawMessage `json:"predicate"`
}

// Subject is an in-toto ResourceDescriptor restricted to name and digest.
type Subject struct {
	Name   string            `json:"name"`
	Digest map[string]string `json:"digest"`
}

// ErrMalformed is wrapped by every parse error of this package.
var ErrMalformed = errors.New("malformed")

// ParseStatement decodes a Statement strictly: unknown fields, a missing
// predicate and trailing data are errors wrapping ErrMalformed.
func ParseStatement(b []byte) (*Statement, error) {
	var st Statement
	if err := decodeStrict(b, &st); err != nil {
		return nil, fmt.Errorf("statement: %w", err)
	}
	if len(st.Predicate) == 0 || bytes.Equal(st.Predicate, []byte("null")) {
		return nil, fmt.Errorf("statement: missing predicate: %w", ErrMalformed)
	}
	return &st, nil
}

// decodeStrict decodes exactly one JSON value into v, rejecting unknown
// fields, duplicate keys, deep nesting and anything after the value.
func decodeStrict(b []byte, v any) error {
	if err := checkJSONShape(b); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("%w: trailing data after JSON value", ErrMalformed)
	}
	return nil
}
