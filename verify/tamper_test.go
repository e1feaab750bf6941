package verify_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"cohos.dev/cohos/attest"
	"cohos.dev/cohos/internal/testkit"
	"cohos.dev/cohos/keys"
	"cohos.dev/cohos/policy"
	"cohos.dev/cohos/verify"
)

// fixture is an attested run directory and the keys around it.
type fixture struct {
	dir     string
	bundle  []byte
	signer  *keys.Signer
	trusted *keys.Public
	other   *keys.Signer
}

// newFixture attests a run directory with the fixed Ed25519 test key, so
// that the bundle is byte-stable and can be kept as a spec vector; the
// untrusted "other" key is the fixed ECDSA one.
func newFixture(t *testing.T, d policy.Decision) *fixture {
	s, pub := fixedKey(t, "ed25519.pem")
	o, _ := fixedKey(t, "ecdsa-p256.pem")
	dir := testkit.RunDir(t)
	res := testkit.Attest(t, dir, d, s)
	b, err := os.ReadFile(res.Bundle)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{dir: dir, bundle: b, signer: s, trusted: pub, other: o}
}

func (f *fixture) verify(t *testing.T, bundle []byte, opts verify.Options) *verify.Report {
	t.Helper()
	rep, err := f.verifyCtx(t, context.Background(), bundle, opts)
	if (err == nil) != (len(rep.Failed()) == 0) {
		t.Fatalf("error %v disagrees with %d failed checks", err, len(rep.Failed()))
	}
	return rep
}

// mustFail verifies bundle and fails t unless exactly the checks failed
// did; with -update it writes the case as spec vector name.
func (f *fixture) mustFail(t *testing.T, name string, bundle []byte, opts verify.Options, failed []string) *verify.Report {
	t.Helper()
	rep := f.verify(t, bundle, opts)
	if *update {
		writeVector(t, name, f, bundle, opts, failed)
	}
	if got := failedIDs(rep); !slices.Equal(got, failed) {
		t.Fatalf("failed checks %v, want %v\n%+v", got, failed, rep.Checks)
	}
	return rep
}

// restatement re-signs the bundle's statement after edit changed it.
func (f *fixture) restatement(t *testing.T, signer *keys.Signer, payloadType string, edit func(st map[string]any)) []byte {
	t.Helper()
	envs, err := attest.ParseBundle(f.bundle)
	if err != nil {
		t.Fatal(err)
	}
	var st map[string]any
	if err := json.Unmarshal(envs[0].Body, &st); err != nil {
		t.Fatal(err)
	}
	edit(st)
	body, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	if payloadType == attest.PayloadType {
		line, err := attest.Sign(context.Background(), body, signer)
		if err != nil {
			t.Fatal(err)
		}
		return line
	}
	// attest.Sign always uses the in-toto type; sign another type by hand.
	env := attest.Envelope{PayloadType: payloadType, Payload: base64.StdEncoding.EncodeToString(body)}
	pe := &attest.ParsedEnvelope{Envelope: env, Body: body}
	sig, err := signer.Sign(context.Background(), pe.PAE())
	if err != nil {
		t.Fatal(err)
	}
	id, _ := signer.KeyID()
	env.Signatures = []attest.Signature{{KeyID: id, Sig: base64.StdEncoding.EncodeToString(sig)}}
	line, _ := json.Marshal(env)
	return append(line, '\n')
}

// forge rewrites the run as a dishonest signer would: the attested
// decision and reasons stay ALLOW's while the metrics become m; decision.json,
// the artifact list and the subject are made to match, and it is re-signed.
func (f *fixture) forge(t *testing.T, m policy.Metrics) []byte {
	t.Helper()
	return f.resign(t, func(p *attest.Predicate) { p.Metrics = m }, nil)
}

func failedIDs(r *verify.Report) []string {
	var ids []string
	for _, c := range r.Failed() {
		if !slices.Contains(ids, c.ID) {
			ids = append(ids, c.ID)
		}
	}
	return ids
}

func status(r *verify.Report, id string) verify.Status {
	for _, c := range r.Checks {
		if c.ID == id {
			return c.Status
		}
	}
	return ""
}

func predicate(st map[string]any) map[string]any { return st["predicate"].(map[string]any) }

func TestTamper(t *testing.T) {
	tests := []struct {
		name    string
		tamper  func(t *testing.T, f *fixture) ([]byte, verify.Options)
		failed  []string
		added   []string
		missing []string
		changed []string
	}{
		{
			name:   "untouched",
			tamper: func(t *testing.T, f *fixture) ([]byte, verify.Options) { return f.bundle, verify.Options{} },
		},
		{
			name: "changed artifact",
			tamper: func(t *testing.T, f *fixture) ([]byte, verify.Options) {
				write(t, f.dir, "artifacts/answer.txt", "5\n")
				return f.bundle, verify.Options{}
			},
			failed: []string{verify.CheckArtifacts}, changed: []string{"artifacts/answer.txt"},
		},
		{
			name: "added artifact",
			tamper: func(t *testing.T, f *fixture) ([]byte, verify.Options) {
				write(t, f.dir, "artifacts/extra.txt", "x")
				return f.bundle, verify.Options{}
			},
			failed: []string{verify.CheckArtifacts}, added: []string{"artifacts/extra.txt"},
		},
		{
			name: "removed artifact",
			tamper: func(t *testing.T, f *fixture) ([]byte, verify.Options) {
				rm(t, f.dir, "artifacts/sub/deep.md")
				return f.bundle, verify.Options{}
			},
			failed: []string{verify.CheckArtifacts}, missing: []string{"artifacts/sub/deep.md"},
		},
		{
			name: "renamed artifact",
			tamper: func(t *testing.T, f *fixture) ([]byte, verify.Options) {
				mv(t, f.dir, "artifacts/answer.txt", "artifacts/answer2.txt")
				return f.bundle, verify.Options{}
			},
			failed: []string{verify.CheckArtifacts}, added: []string{"artifacts/answer2.txt"}, missing: []string{"artifacts/answer.txt"},
		},
		{
			name: "symlink added",
			tamper: func(t *testing.T, f *fixture) ([]byte, verify.Options) {
				if err := os.Symlink("/etc/passwd", filepath.Join(f.dir, "artifacts", "link")); err != nil {
					t.Fatal(err)
				}
				return f.bundle, verify.Options{}
			},
			failed: []string{verify.CheckArtifacts}, added: []string{"artifacts/link"},
		},
		{
			name: "edited decision.json",
			tamper: func(t *testing.T, f *fixture) ([]byte, verify.Options) {
				b, _ := os.ReadFile(filepath.Join(f.dir, attest.DecisionName))
				write(t, f.dir, attest.DecisionName, strings.Replace(string(b), `"ALLOW"`, `"REFUSE"`, 1))
				return f.bundle, verify.Options{}
			},
			failed: []string{verify.CheckArtifacts, verify.CheckEvidence}, changed: []string{attest.DecisionName},
		},
		{
			name: "payload edited without re-signing",
			tamper: func(t *testing.T, f *fixture) ([]byte, verify.Options) {
				envs, _ := attest.ParseBundle(f.bundle)
				body := bytes.Replace(envs[0].Body, []byte(`"decision":"ALLOW"`), []byte(`"decision":"ALLOW" `), 1)
				var env attest.Envelope = envs[0].Envelope
				env.Payload = base64.StdEncoding.EncodeToString(body)
				line, _ := json.Marshal(env)
				return append(line, '\n'), verify.Options{}
			},
			failed: []string{verify.CheckSignature, verify.CheckThreshold},
		},
		{
			name: "signed by an untrusted key",
			tamper: func(t *testing.T, f *fixture) ([]byte, verify.Options) {
				return f.restatement(t, f.other, attest.PayloadType, func(map[string]any) {}), verify.Options{}
			},
			failed: []string{verify.CheckThreshold},
		},
		{
			name: "one signature duplicated to fake a threshold of 2",
			tamper: func(t *testing.T, f *fixture) ([]byte, verify.Options) {
				envs, _ := attest.ParseBundle(f.bundle)
				env := envs[0].Envelope
				env.Signatures = append(env.Signatures, env.Signatures[0])
				line, _ := json.Marshal(env)
				return append(line, '\n'), verify.Options{Keys: []*keys.Public{f.trusted, f.other.Public()}, Threshold: 2}
			},
			failed: []string{verify.CheckSignature, verify.CheckThreshold},
		},
		{
			name: "wrong payloadType",
			tamper: func(t *testing.T, f *fixture) ([]byte, verify.Options) {
				return f.restatement(t, f.signer, "application/json", func(map[string]any) {}), verify.Options{}
			},
			failed: []string{verify.CheckPayloadType},
		},
		{
			name: "wrong statement type",
			tamper: func(t *testing.T, f *fixture) ([]byte, verify.Options) {
				return f.restatement(t, f.signer, attest.PayloadType, func(st map[string]any) {
					st["_type"] = "https://in-toto.io/Statement/v0.1"
				}), verify.Options{}
			},
			failed: []string{verify.CheckStatementType},
		},
		{
			name: "wrong predicate type",
			tamper: func(t *testing.T, f *fixture) ([]byte, verify.Options) {
				return f.restatement(t, f.signer, attest.PayloadType, func(st map[string]any) {
					st["predicateType"] = "https://slsa.dev/provenance/v1"
				}), verify.Options{}
			},
			failed: []string{verify.CheckPredicateType},
		},
		{
			name: "two subjects",
			tamper: func(t *testing.T, f *fixture) ([]byte, verify.Options) {
				return f.restatement(t, f.signer, attest.PayloadType, func(st map[string]any) {
					subs := st["subject"].([]any)
					st["subject"] = append(subs, map[string]any{"name": "other", "digest": map[string]any{"sha256": strings.Repeat("0", 64)}})
				}), verify.Options{}
			},
			failed: []string{verify.CheckSubject},
		},
		{
			// DSSE field names are exact: "PAYLOAD" is an unknown field,
			// ignored, so the forged "payload" is what the signature must
			// cover (encoding/json alone would have read "PAYLOAD").
			name: "case-folded duplicate payload key",
			tamper: func(t *testing.T, f *fixture) ([]byte, verify.Options) {
				envs, _ := attest.ParseBundle(f.bundle)
				sigs, _ := json.Marshal(envs[0].Signatures)
				forged := base64.StdEncoding.EncodeToString([]byte(`{"forged":true}`))
				line := fmt.Sprintf(`{"payloadType":%q,"payload":%q,"signatures":%s,"PAYLOAD":%q}`+"\n",
					envs[0].PayloadType, forged, sigs, envs[0].Payload)
				return []byte(line), verify.Options{}
			},
			failed: []string{verify.CheckSignature, verify.CheckThreshold},
		},
		{
			name: "duplicate key in the signed statement",
			tamper: func(t *testing.T, f *fixture) ([]byte, verify.Options) {
				envs, _ := attest.ParseBundle(f.bundle)
				body := bytes.Replace(envs[0].Body, []byte(`"subject":`), []byte(`"subject":[],"subject":`), 1)
				line, err := attest.Sign(context.Background(), body, f.signer)
				if err != nil {
					t.Fatal(err)
				}
				return line, verify.Options{}
			},
			failed: []string{verify.CheckStatementType},
		},
		{
			name: "attested file list with a duplicate name",
			tamper: func(t *testing.T, f *fixture) ([]byte, verify.Options) {
				return f.restatement(t, f.signer, attest.PayloadType, func(st map[string]any) {
					arts := predicate(st)["artifacts"].(map[string]any)
					files := arts["files"].([]any)
					arts["files"] = append([]any{files[0]}, files...)
					arts["count"] = len(files) + 1
				}), verify.Options{}
			},
			failed: []string{verify.CheckPredicateSchema},
		},
		{
			name: "unknown predicate field",
			tamper: func(t *testing.T, f *fixture) ([]byte, verify.Options) {
				return f.restatement(t, f.signer, attest.PayloadType, func(st map[string]any) {
					predicate(st)["approvedBy"] = "mallory"
				}), verify.Options{}
			},
			failed: []string{verify.CheckPredicateSchema},
		},
		{
			name: "attested policy is not the trusted policy",
			tamper: func(t *testing.T, f *fixture) ([]byte, verify.Options) {
				p, err := policy.Parse([]byte(strings.Replace(testkit.PolicyYAML, "marginal: 1,", "marginal: 0,", 1)))
				if err != nil {
					t.Fatal(err)
				}
				return f.bundle, verify.Options{TrustedPolicy: p}
			},
			failed: []string{verify.CheckPolicyTrusted},
		},
		{
			name: "forged SHA256SUMS beside the bundle",
			tamper: func(t *testing.T, f *fixture) ([]byte, verify.Options) {
				write(t, f.dir, attest.SumsName, strings.Repeat("0", 64)+"  artifacts/answer.txt\n")
				return f.bundle, verify.Options{}
			},
			failed: []string{verify.CheckEvidence},
		},
		{
			name: "decision does not follow from policy and metrics",
			tamper: func(t *testing.T, f *fixture) ([]byte, verify.Options) {
				return f.restatement(t, f.signer, attest.PayloadType, func(st map[string]any) {
					predicate(st)["metrics"].(map[string]any)["completed"] = false
				}), verify.Options{}
			},
			failed: []string{verify.CheckEvidence, verify.CheckPolicyConformance},
		},
		{
			// The signer lies consistently: decision.json, the file list and
			// the subject all say ALLOW for metrics the policy refuses.
			name: "signer attests ALLOW for refused metrics",
			tamper: func(t *testing.T, f *fixture) ([]byte, verify.Options) {
				return f.forge(t, testkit.Metrics(policy.Refuse)), verify.Options{}
			},
			failed: []string{verify.CheckPolicyConformance},
		},
		{
			name: "trailing garbage",
			tamper: func(t *testing.T, f *fixture) ([]byte, verify.Options) {
				return append(slices.Clone(f.bundle), []byte("garbage")...), verify.Options{}
			},
			failed: []string{verify.CheckBundleParse},
		},
		{
			name:   "empty file",
			tamper: func(t *testing.T, f *fixture) ([]byte, verify.Options) { return nil, verify.Options{} },
			failed: []string{verify.CheckBundleParse},
		},
		{
			name: "huge line",
			tamper: func(t *testing.T, f *fixture) ([]byte, verify.Options) {
				return append(bytes.Repeat([]byte("{"), attest.MaxLineSize+1), '\n'), verify.Options{}
			},
			failed: []string{verify.CheckBundleParse},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, policy.Allow)
			bundle, opts := tt.tamper(t, f)
			rep := f.mustFail(t, tt.name, bundle, opts, tt.failed)
			if tt.failed == nil {
				return
			}
			for _, c := range rep.Failed() {
				if c.ID != verify.CheckArtifacts {
					continue
				}
				if !slices.Equal(c.Added, tt.added) || !slices.Equal(c.Missing, tt.missing) || !slices.Equal(c.Changed, tt.changed) {
					t.Fatalf("added %v missing %v changed %v, want %v %v %v", c.Added, c.Missing, c.Changed, tt.added, tt.missing, tt.changed)
				}
			}
		})
	}
}

func TestPayloadIsNotTrustedBeforeThreshold(t *testing.T) {
	f := newFixture(t, policy.Allow)
	bundle := f.restatement(t, f.other, attest.PayloadType, func(map[string]any) {})
	rep := f.verify(t, bundle, verify.Options{})
	for _, id := range []string{verify.CheckStatementType, verify.CheckArtifacts, verify.CheckPolicyConformance, verify.CheckDecisionAdmissible} {
		if st := status(rep, id); st != verify.Skip {
			t.Errorf("%s is %q, want skip", id, st)
		}
	}
	if len(rep.Envelopes) != 1 || rep.Envelopes[0].Decision != "" {
		t.Fatalf("summary took the decision from an untrusted payload: %+v", rep.Envelopes)
	}
}

func TestAdmissibility(t *testing.T) {
	tests := []struct {
		decision      policy.Decision
		allowMarginal bool
		want          verify.Status
	}{
		{policy.Allow, false, verify.Pass},
		{policy.Marginal, false, verify.Fail},
		{policy.Marginal, true, verify.Pass},
		{policy.Refuse, true, verify.Fail},
	}
	for _, tt := range tests {
		f := newFixture(t, tt.decision)
		rep := f.verify(t, f.bundle, verify.Options{AllowMarginal: tt.allowMarginal})
		if got := status(rep, verify.CheckDecisionAdmissible); got != tt.want {
			t.Errorf("%s allowMarginal=%v: %s, want %s", tt.decision, tt.allowMarginal, got, tt.want)
		}
		if d, only := rep.Decision(), rep.Verified() && !rep.Admissible(); tt.want == verify.Fail && (!only || d != tt.decision) {
			t.Errorf("%s: verified but not admissible = %s %v", tt.decision, d, only)
		}
	}
}

func TestThresholdCountsDistinctKeys(t *testing.T) {
	a, apub := testkit.Key(t, keys.ECDSAP256)
	b, bpub := testkit.Key(t, keys.Ed25519)
	_, cpub := testkit.Key(t, keys.Ed25519)
	dir := testkit.RunDir(t)
	res := testkit.Attest(t, dir, policy.Allow, a, b)
	bundle, _ := os.ReadFile(res.Bundle)
	f := &fixture{dir: dir}
	rep := f.verify(t, bundle, verify.Options{Keys: []*keys.Public{apub, bpub, cpub}, Threshold: 2})
	if err := rep.Err(); err != nil {
		t.Fatalf("2-of-3 with two signatures: %v", err)
	}
	rep = f.verify(t, bundle, verify.Options{Keys: []*keys.Public{apub, bpub, cpub}, Threshold: 3})
	if got := failedIDs(rep); !slices.Equal(got, []string{verify.CheckThreshold}) {
		t.Fatalf("3-of-3 with two signatures failed %v", got)
	}
	// The same key listed twice is one key.
	if _, err := verify.Bundle(context.Background(), bundle, verify.Options{Keys: []*keys.Public{apub, apub}, Threshold: 2}); err == nil {
		t.Fatal("threshold 2 with one distinct key was accepted")
	}
}

func TestSeveralEnvelopesAreEachVerified(t *testing.T) {
	f := newFixture(t, policy.Allow)
	bad := f.restatement(t, f.other, attest.PayloadType, func(map[string]any) {})
	rep := f.verify(t, append(slices.Clone(f.bundle), bad...), verify.Options{})
	if len(rep.Envelopes) != 2 {
		t.Fatalf("%d envelopes reported, want 2", len(rep.Envelopes))
	}
	for _, c := range rep.Failed() {
		if c.Envelope != 2 || c.ID != verify.CheckThreshold {
			t.Fatalf("unexpected failure %+v", c)
		}
	}
}

func write(t *testing.T, dir, name, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, filepath.FromSlash(name)), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func rm(t *testing.T, dir, name string) {
	t.Helper()
	if err := os.Remove(filepath.Join(dir, filepath.FromSlash(name))); err != nil {
		t.Fatal(err)
	}
}

func mv(t *testing.T, dir, from, to string) {
	t.Helper()
	if err := os.Rename(filepath.Join(dir, filepath.FromSlash(from)), filepath.Join(dir, filepath.FromSlash(to))); err != nil {
		t.Fatal(err)
	}
}
