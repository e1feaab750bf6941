package verify_test

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
	"crypto/sha512"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"cohos.dev/cohos/attest"
	"cohos.dev/cohos/policy"
	"cohos.dev/cohos/verify"
)

// envelopeMap decodes the bundle's one envelope into a generic map.
func envelopeMap(t *testing.T, bundle []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(bytes.TrimSuffix(bundle, []byte("\n")), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// failedOnce lists the ids of the failed checks, once each, in order.
func failedOnce(rep *verify.Report) []string {
	var ids []string
	for _, c := range rep.Failed() {
		if len(ids) == 0 || ids[len(ids)-1] != c.ID {
			ids = append(ids, c.ID)
		}
	}
	return ids
}

func marshalLine(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return append(b, '\n')
}

// TestDSSEAsTheSpecSays: DSSE consumers ignore unknown fields, match
// field names exactly, and reject a key given twice and whitespace inside
// base64; a JSON Lines bundle without its final newline and one envelope
// pretty-printed over many lines are read (issue 11, cases 10 and 11).
func TestDSSEAsTheSpecSays(t *testing.T) {
	f := newFixture(t, policy.Allow)
	line := bytes.TrimSuffix(f.bundle, []byte("\n"))
	cases := []struct {
		name   string
		bundle func() []byte
		failed []string // nil: verifies
	}{
		{"unknown top-level field ignored", func() []byte {
			m := envelopeMap(t, f.bundle)
			m["producer"] = map[string]any{"name": "x", "version": 2}
			return marshalLine(t, m)
		}, nil},
		{"witness signature fields ignored", func() []byte {
			m := envelopeMap(t, f.bundle)
			s := m["signatures"].([]any)[0].(map[string]any)
			s["certificate"] = "LS0tLS1CRUdJTi..."
			s["intermediates"] = []any{"AAAA"}
			s["timestamps"] = []any{map[string]any{"type": "tsp", "data": "AAAA"}}
			return marshalLine(t, m)
		}, nil},
		{"other-case keys are unknown fields, ignored", func() []byte {
			m := envelopeMap(t, f.bundle)
			m["PAYLOADTYPE"] = "text/plain"
			m["Payload"] = "bm90IHRoaXM="
			m["signatures"].([]any)[0].(map[string]any)["KeyId"] = "someone"
			return marshalLine(t, m)
		}, nil},
		{"payloadType only in another case", func() []byte {
			m := envelopeMap(t, f.bundle)
			m["PayloadType"] = m["payloadType"]
			delete(m, "payloadType")
			return marshalLine(t, m)
		}, []string{verify.CheckBundleParse}},
		{"sig only in another case", func() []byte {
			m := envelopeMap(t, f.bundle)
			s := m["signatures"].([]any)[0].(map[string]any)
			s["SIG"] = s["sig"]
			delete(s, "sig")
			return marshalLine(t, m)
		}, []string{verify.CheckBundleParse}},
		{"duplicated unknown field", func() []byte {
			return append([]byte(`{"x":1,"x":2,`), append(line[1:], '\n')...)
		}, []string{verify.CheckBundleParse}},
		{"duplicated unknown signature field", func() []byte {
			return bytes.Replace(f.bundle, []byte(`{"keyid"`), []byte(`{"certificate":"a","certificate":"b","keyid"`), 1)
		}, []string{verify.CheckBundleParse}},
		{"escaped duplicate of payload", func() []byte {
			return append([]byte(`{"\u0070ayload":"AAAA",`), append(line[1:], '\n')...)
		}, []string{verify.CheckBundleParse}},
		{"LF inside payload base64", func() []byte {
			m := envelopeMap(t, f.bundle)
			p := m["payload"].(string)
			m["payload"] = p[:8] + "\n" + p[8:]
			return marshalLine(t, m)
		}, []string{verify.CheckBundleParse}},
		{"CRLF inside sig base64", func() []byte {
			m := envelopeMap(t, f.bundle)
			s := m["signatures"].([]any)[0].(map[string]any)
			sig := s["sig"].(string)
			s["sig"] = sig[:4] + "\r\n" + sig[4:]
			return marshalLine(t, m)
		}, []string{verify.CheckBundleParse}},
		{"no final newline", func() []byte { return line }, nil},
		{"pretty-printed single envelope", func() []byte {
			var out bytes.Buffer
			if err := json.Indent(&out, line, "", "  "); err != nil {
				t.Fatal(err)
			}
			out.WriteByte('\n')
			return out.Bytes()
		}, nil},
		{"pretty-printed without final newline", func() []byte {
			var out bytes.Buffer
			if err := json.Indent(&out, line, "", "\t"); err != nil {
				t.Fatal(err)
			}
			return out.Bytes()
		}, nil},
		{"two lines, the last without newline", func() []byte {
			return append(append([]byte{}, f.bundle...), line...)
		}, nil},
		{"blank line between envelopes", func() []byte {
			return append(append(append([]byte{}, f.bundle...), '\n'), f.bundle...)
		}, []string{verify.CheckBundleParse}},
		{"payload not a string", func() []byte {
			m := envelopeMap(t, f.bundle)
			m["payload"] = 12
			return marshalLine(t, m)
		}, []string{verify.CheckBundleParse}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rep := f.verify(t, tc.bundle(), verify.Options{})
			got := failedOnce(rep)
			if strings.Join(got, " ") != strings.Join(tc.failed, " ") {
				for _, c := range rep.Checks {
					t.Logf("%s %s %s", c.Status, c.ID, c.Reason)
				}
				t.Fatalf("failed %v, want %v", got, tc.failed)
			}
		})
	}
}

// TestForeignStatementIsNotAParseError: another tool's statement, signed
// by a trusted key, fails the statement checks, never bundle.parse.
func TestForeignStatementIsNotAParseError(t *testing.T) {
	f := newFixture(t, policy.Allow)
	other := f.restatement(t, f.signer, "application/vnd.in-toto+json", func(st map[string]any) {
		st["predicateType"] = "https://slsa.dev/provenance/v1"
		st["predicate"] = map[string]any{"buildDefinition": map[string]any{"buildType": "x"}}
		st["subject"] = []any{map[string]any{"name": "a.tar", "digest": map[string]any{"sha256": strings.Repeat("a", 64)}, "annotations": map[string]any{"k": "v"}}}
	})
	rep := f.verify(t, other, verify.Options{})
	got := failedOnce(rep)
	if len(got) != 1 || (got[0] != verify.CheckStatementType && got[0] != verify.CheckPredicateType) {
		t.Fatalf("failed %v, want only a statement check", got)
	}
	for _, c := range rep.Checks {
		if c.ID == verify.CheckBundleParse && c.Status != verify.Pass {
			t.Fatalf("bundle.parse %s", c.Status)
		}
	}
}

// TestEd25519phRefused: an envelope signed with Ed25519ph by the trusted
// Ed25519 key fails dsse.signature and dsse.threshold (SPEC.md: pure
// Ed25519 only; issue 11, case 9).
func TestEd25519phRefused(t *testing.T) {
	f := newFixture(t, policy.Allow)
	b, err := os.ReadFile(filepath.Join(keyDir, "ed25519.pem"))
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(b)
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	envs, err := attest.ParseBundle(f.bundle)
	if err != nil {
		t.Fatal(err)
	}
	digest := sha512.Sum512(envs[0].PAE())
	sig, err := k.(ed25519.PrivateKey).Sign(nil, digest[:], &ed25519.Options{Hash: crypto.SHA512})
	if err != nil {
		t.Fatal(err)
	}
	m := envelopeMap(t, f.bundle)
	m["signatures"].([]any)[0].(map[string]any)["sig"] = base64.StdEncoding.EncodeToString(sig)
	rep := f.verify(t, marshalLine(t, m), verify.Options{})
	if got := failedOnce(rep); strings.Join(got, " ") != "dsse.signature dsse.threshold" {
		t.Fatalf("failed %v, want [dsse.signature dsse.threshold]", got)
	}
}
