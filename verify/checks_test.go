package verify_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"cohos.dev/cohos/attest"
	"cohos.dev/cohos/internal/artifacts"
	"cohos.dev/cohos/internal/testkit"
	"cohos.dev/cohos/keys"
	"cohos.dev/cohos/policy"
	"cohos.dev/cohos/verify"
)

// Each case below is signed by the trusted key and made consistent
// everywhere except in the one place a single check looks, so that check
// alone can catch it: deleting or weakening the check makes the case pass
// verification and the test fail. The cases are kept as spec vectors too.

// looserYAML has the trusted policy's name but no completed rule and
// laxer limits: it allows runs that testkit.PolicyYAML refuses.
const looserYAML = `apiVersion: cohos/v1
kind: Policy
name: testkit
rules:
  - {metric: restarts, marginal: 5, refuse: 10}
  - {metric: wall_seconds, marginal: 6000, refuse: 60000}
`

func looserPolicy(t testing.TB) *policy.Policy {
	t.Helper()
	p, err := policy.Parse([]byte(looserYAML))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// keyNames remembers which testdata file each loaded public key came from,
// so a spec vector can name two encodings of one key.
var keyNames sync.Map // *keys.Public -> file name

// pubFile loads a public key file from testdata/keys.
func pubFile(t testing.TB, name string) *keys.Public {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(keyDir, name))
	if err != nil {
		t.Fatal(err)
	}
	p, err := keys.ParsePublic(b)
	if err != nil {
		t.Fatal(err)
	}
	keyNames.Store(p, name)
	return p
}

// resign rewrites the run as a dishonest holder of the trusted key would:
// edit changes the predicate, decision.json and policy.json are written to
// say what the predicate says, onDisk (if any) edits the run directory
// afterwards, then the file list, the subject and the derived files are
// recomputed from the directory and the statement is signed again.
func (f *fixture) resign(t *testing.T, edit func(p *attest.Predicate), onDisk func(dir string)) []byte {
	t.Helper()
	pred := parsePredicate(t, f.bundle)
	edit(pred)
	db, err := attest.MarshalDecision(policy.Result{Decision: pred.Decision, Reasons: pred.Reasons}, pred.Metrics)
	if err != nil {
		t.Fatal(err)
	}
	write(t, f.dir, attest.DecisionName, string(db))
	write(t, f.dir, attest.PolicyName, string(pred.Policy.Document)+"\n")
	if onDisk != nil {
		onDisk(f.dir)
	}
	root, err := os.OpenRoot(f.dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	set, err := artifacts.Hash(context.Background(), artifacts.RootFS(root), artifacts.Options{})
	if err != nil {
		t.Fatal(err)
	}
	pred.Artifacts.Files, pred.Artifacts.Count = set.Files, len(set.Files)
	derived, err := attest.Derived(pred)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range derived {
		write(t, f.dir, d.Name, string(d.Data))
	}
	payload, err := attest.MarshalStatement(pred)
	if err != nil {
		t.Fatal(err)
	}
	line, err := attest.Sign(context.Background(), payload, f.signer)
	if err != nil {
		t.Fatal(err)
	}
	return line
}

// embed makes pred attest pol's document and pol's evaluation of its
// metrics, under the given name and sha256 digest.
func embed(pred *attest.Predicate, pol *policy.Policy, name, digest string) {
	pred.Policy.Document = pol.Canonical()
	pred.Policy.Name = name
	pred.Policy.Digest = map[string]string{"sha256": digest}
	res := policy.Evaluate(pol, pred.Metrics)
	pred.Decision, pred.Reasons = res.Decision, res.Reasons
}

// subjectDigests re-signs the statement with edit applied to the subject's digest set.
func subjectDigests(t *testing.T, f *fixture, edit func(d map[string]any)) []byte {
	return f.restatement(t, f.signer, attest.PayloadType, func(st map[string]any) {
		edit(st["subject"].([]any)[0].(map[string]any)["digest"].(map[string]any))
	})
}

type checkCase struct {
	name   string
	tamper func(t *testing.T, f *fixture) ([]byte, verify.Options)
	failed []string
	// reason is a phrase the first failed check's reason must contain.
	reason string
}

func checkCases() []checkCase {
	zero := strings.Repeat("0", 64)
	return []checkCase{
		{
			name: "subject sha256 zeroed",
			tamper: func(t *testing.T, f *fixture) ([]byte, verify.Options) {
				return subjectDigests(t, f, func(d map[string]any) { d["sha256"] = zero }), verify.Options{}
			},
			failed: []string{verify.CheckSubject}, reason: "subject sha256",
		},
		{
			name: "subject merkle root zeroed",
			tamper: func(t *testing.T, f *fixture) ([]byte, verify.Options) {
				return subjectDigests(t, f, func(d map[string]any) { d[attest.DigestMerkle] = zero }), verify.Options{}
			},
			failed: []string{verify.CheckSubject}, reason: "subject " + attest.DigestMerkle,
		},
		{
			name: "subject digests swapped",
			tamper: func(t *testing.T, f *fixture) ([]byte, verify.Options) {
				return subjectDigests(t, f, func(d map[string]any) {
					d["sha256"], d[attest.DigestMerkle] = d[attest.DigestMerkle], d["sha256"]
				}), verify.Options{}
			},
			failed: []string{verify.CheckSubject}, reason: "subject sha256",
		},
		{
			// The signer keeps the trusted policy's name and digest but
			// embeds a looser document, which allows a run the trusted
			// policy refuses.
			name: "looser policy under the trusted name and digest",
			tamper: func(t *testing.T, f *fixture) ([]byte, verify.Options) {
				trusted := testkit.Policy(t)
				return f.resign(t, func(p *attest.Predicate) {
					p.Metrics = testkit.Metrics(policy.Refuse)
					embed(p, looserPolicy(t), trusted.Name, trusted.Digest())
				}, nil), verify.Options{}
			},
			failed: []string{verify.CheckPolicyConformance}, reason: "name or digest",
		},
		{
			name: "looser policy under the trusted name and digest with --policy",
			tamper: func(t *testing.T, f *fixture) ([]byte, verify.Options) {
				trusted := testkit.Policy(t)
				return f.resign(t, func(p *attest.Predicate) {
					p.Metrics = testkit.Metrics(policy.Refuse)
					embed(p, looserPolicy(t), trusted.Name, trusted.Digest())
				}, nil), verify.Options{TrustedPolicy: trusted}
			},
			failed: []string{verify.CheckPolicyConformance}, reason: "name or digest",
		},
		{
			name: "attested policy name differs from its document",
			tamper: func(t *testing.T, f *fixture) ([]byte, verify.Options) {
				trusted := testkit.Policy(t)
				return f.resign(t, func(p *attest.Predicate) {
					embed(p, trusted, "production", trusted.Digest())
				}, nil), verify.Options{TrustedPolicy: trusted}
			},
			failed: []string{verify.CheckPolicyConformance}, reason: "name or digest",
		},
		{
			name: "non-canonical policy encoding",
			tamper: func(t *testing.T, f *fixture) ([]byte, verify.Options) {
				trusted := testkit.Policy(t)
				return f.resign(t, func(p *attest.Predicate) {
					doc := string(trusted.Canonical())
					// The same policy with its first two keys swapped:
					// it parses to the trusted policy and has its digest.
					doc = strings.Replace(doc, `{"apiVersion":"cohos/v1","kind":"Policy",`, `{"kind":"Policy","apiVersion":"cohos/v1",`, 1)
					if doc == string(trusted.Canonical()) {
						t.Fatal("canonical form changed; update this case")
					}
					p.Policy.Document = []byte(doc)
				}, nil), verify.Options{TrustedPolicy: trusted}
			},
			failed: []string{verify.CheckPolicyConformance}, reason: "canonical form",
		},
		{
			name: "reason edited with the decision unchanged",
			tamper: func(t *testing.T, f *fixture) ([]byte, verify.Options) {
				return f.resign(t, func(p *attest.Predicate) {
					p.Reasons[1].Message = "restarts were not counted"
				}, nil), verify.Options{}
			},
			failed: []string{verify.CheckPolicyConformance}, reason: "reasons differ",
		},
		{
			name: "reason dropped with the decision unchanged",
			tamper: func(t *testing.T, f *fixture) ([]byte, verify.Options) {
				return f.resign(t, func(p *attest.Predicate) {
					p.Reasons = p.Reasons[1:]
				}, nil), verify.Options{}
			},
			failed: []string{verify.CheckPolicyConformance}, reason: "reasons differ",
		},
		{
			// policy.json is swapped for the looser policy and listed
			// again, so its artifact digest matches: only the comparison
			// with the attested document can tell.
			name: "policyjson replaced and listed again",
			tamper: func(t *testing.T, f *fixture) ([]byte, verify.Options) {
				loose := looserPolicy(t)
				return f.resign(t, func(*attest.Predicate) {}, func(dir string) {
					write(t, dir, attest.PolicyName, string(loose.Canonical())+"\n")
				}), verify.Options{}
			},
			failed: []string{verify.CheckEvidence}, reason: "policy.json differs",
		},
		{
			name: "decisionjson edited and listed again",
			tamper: func(t *testing.T, f *fixture) ([]byte, verify.Options) {
				return f.resign(t, func(*attest.Predicate) {}, func(dir string) {
					b, err := os.ReadFile(filepath.Join(dir, attest.DecisionName))
					if err != nil {
						t.Fatal(err)
					}
					write(t, dir, attest.DecisionName, strings.Replace(string(b), `"ALLOW"`, `"MARGINAL"`, 1))
				}), verify.Options{}
			},
			failed: []string{verify.CheckEvidence}, reason: "decision.json differs",
		},
		{
			name: "artifacts count one short",
			tamper: func(t *testing.T, f *fixture) ([]byte, verify.Options) {
				return f.restatement(t, f.signer, attest.PayloadType, func(st map[string]any) {
					arts := predicate(st)["artifacts"].(map[string]any)
					arts["count"] = len(arts["files"].([]any)) - 1
				}), verify.Options{}
			},
			failed: []string{verify.CheckPredicateSchema}, reason: "artifacts.count",
		},
		{
			name: "artifacts count one over",
			tamper: func(t *testing.T, f *fixture) ([]byte, verify.Options) {
				return f.restatement(t, f.signer, attest.PayloadType, func(st map[string]any) {
					arts := predicate(st)["artifacts"].(map[string]any)
					arts["count"] = len(arts["files"].([]any)) + 1
				}), verify.Options{}
			},
			failed: []string{verify.CheckPredicateSchema}, reason: "artifacts.count",
		},
		{
			// The trusted key as PEM and as a re-wrapped CRLF PEM is one
			// key: a second signature by it does not reach a threshold of 2.
			name: "same key under two encodings signs twice for a threshold of 2",
			tamper: func(t *testing.T, f *fixture) ([]byte, verify.Options) {
				envs, _ := attest.ParseBundle(f.bundle)
				line := resignTwice(t, envs[0])
				return line, verify.Options{
					Keys:      []*keys.Public{pubFile(t, "ed25519.pub"), pubFile(t, "ed25519-rewrapped.pub"), pubFile(t, "ecdsa-p256.pub")},
					Threshold: 2,
				}
			},
			failed: []string{verify.CheckSignature, verify.CheckThreshold}, reason: "duplicate signature",
		},
	}
}

// resignTwice returns env with its one signature given twice.
func resignTwice(t *testing.T, env *attest.ParsedEnvelope) []byte {
	t.Helper()
	e := env.Envelope
	e.Signatures = append(slices.Clone(e.Signatures), e.Signatures[0])
	line, err := jsonLine(e)
	if err != nil {
		t.Fatal(err)
	}
	return line
}

// TestTamperEachCheck runs a tamper case per check that no other case
// guards: signed by the trusted key, it fails exactly the check under test.
func TestTamperEachCheck(t *testing.T) {
	for _, tt := range checkCases() {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, policy.Allow)
			bundle, opts := tt.tamper(t, f)
			rep := f.mustFail(t, tt.name, bundle, opts, tt.failed)
			if r := rep.Failed()[0].Reason; !strings.Contains(r, tt.reason) {
				t.Fatalf("reason %q does not say %q", r, tt.reason)
			}
			if opts.TrustedPolicy != nil && status(rep, verify.CheckPolicyTrusted) != verify.Pass && !slices.Contains(tt.failed, verify.CheckPolicyTrusted) {
				t.Fatalf("policy.trusted is %s: the case must get past it", status(rep, verify.CheckPolicyTrusted))
			}
		})
	}
}

// TestLooserPolicyIsNotAdmitted: the signer's embedded looser policy gives
// ALLOW; the verifier must neither admit it nor report the bundle verified.
func TestLooserPolicyIsNotAdmitted(t *testing.T) {
	for _, withPolicy := range []bool{false, true} {
		f := newFixture(t, policy.Allow)
		trusted := testkit.Policy(t)
		bundle := f.resign(t, func(p *attest.Predicate) {
			p.Metrics = testkit.Metrics(policy.Refuse)
			embed(p, looserPolicy(t), trusted.Name, trusted.Digest())
			if p.Decision != policy.Allow {
				t.Fatalf("looser policy gives %s, want ALLOW", p.Decision)
			}
		}, nil)
		opts := verify.Options{}
		if withPolicy {
			opts.TrustedPolicy = trusted
		}
		rep := f.verify(t, bundle, opts)
		if rep.Err() == nil {
			t.Fatalf("--policy %v: a looser embedded policy verified", withPolicy)
		}
		if rep.Verified() || rep.Admissible() {
			t.Fatalf("--policy %v: verified %v admissible %v, want false false", withPolicy, rep.Verified(), rep.Admissible())
		}
		if st := status(rep, verify.CheckDecisionAdmissible); st != verify.Skip {
			t.Fatalf("--policy %v: decision.admissible %s, want skip", withPolicy, st)
		}
	}
}

// TestSameKeyTwoEncodingsIsOneKey: the trusted key given as PEM and as a
// re-wrapped CRLF PEM is one distinct key toward the threshold.
func TestSameKeyTwoEncodingsIsOneKey(t *testing.T) {
	pem, rewrapped := pubFile(t, "ed25519.pub"), pubFile(t, "ed25519-rewrapped.pub")
	if pem.ID != rewrapped.ID {
		t.Fatalf("test keys differ: %s, %s", pem.ID, rewrapped.ID)
	}
	f := newFixture(t, policy.Allow)
	root, err := os.OpenRoot(f.dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	opts := verify.Options{Keys: []*keys.Public{pem, rewrapped}, Threshold: 2, Artifacts: artifacts.RootFS(root)}
	if *update {
		writeVector(t, "same key under two encodings for a threshold of 2", f, f.bundle, opts, nil)
		markMisuse(t, "same key under two encodings for a threshold of 2", misuseBadThreshold)
	}
	rep, err := verify.Bundle(context.Background(), f.bundle, opts)
	if !errors.Is(err, verify.ErrBadThreshold) || rep != nil {
		t.Fatalf("threshold 2 over one key in two encodings: report %v, err %v; want ErrBadThreshold", rep != nil, err)
	}
	if !strings.Contains(err.Error(), "threshold 2, 1 distinct keys") {
		t.Fatalf("err %q does not count one distinct key", err)
	}
	opts.Threshold = 1
	rep, err = verify.Bundle(context.Background(), f.bundle, opts)
	if err != nil {
		t.Fatalf("threshold 1: %v", err)
	}
	if got := rep.Envelopes[0].Signers; !slices.Equal(got, []string{pem.ID}) {
		t.Fatalf("signers %v, want [%s]", got, pem.ID)
	}
	// Twice the signature, twice the key: still one signer (the second
	// signature is not checked once the threshold of 1 is met).
	envs, _ := attest.ParseBundle(f.bundle)
	rep, _ = verify.Bundle(context.Background(), resignTwice(t, envs[0]), opts)
	if got := failedIDs(rep); len(got) != 0 {
		t.Fatalf("failed %v, want none", got)
	}
	if got := rep.Envelopes[0].Signers; !slices.Equal(got, []string{pem.ID}) {
		t.Fatalf("signers %v, want [%s]", got, pem.ID)
	}
}

func jsonLine(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	return append(b, '\n'), err
}

// misuseBadThreshold marks a spec vector whose options the verifier must
// refuse with ErrBadThreshold before looking at the bundle.
const misuseBadThreshold = "bad-threshold"

// markMisuse adds a "misuse:" line to a stored spec vector's comment.
func markMisuse(t *testing.T, name, misuse string) {
	t.Helper()
	p := filepath.Join(vectorDir, vectorName(name)+".txtar")
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	b = []byte(strings.Replace(string(b), "\nfail: \n", "\nfail: \nmisuse: "+misuse+"\n", 1))
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
