package evidence_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"cohos.dev/cohos/attest"
	"cohos.dev/cohos/internal/evidence"
	"cohos.dev/cohos/internal/massgen"
	"cohos.dev/cohos/internal/testkit"
	"cohos.dev/cohos/keys"
	"cohos.dev/cohos/policy"
)

const timelineJSON = `{"agents":["agent_a"],"winner":"agent_a","rounds":[{"agent":"agent_a","round":1,"outcome":"answer","start":"2026-11-24T05:00:00Z","end":"2026-11-24T05:00:04Z","durationSeconds":4,"inputTokens":10,"outputTokens":5}],"events":[{"time":"2026-11-24T05:00:04Z","agent":"agent_a","type":"answer"}]}`

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestLoad(t *testing.T) {
	signer, pub := testkit.Key(t, keys.Ed25519)
	_, other := testkit.Key(t, keys.Ed25519)
	tests := []struct {
		name         string
		keys         []*keys.Public
		decision     policy.Decision
		before       func(t *testing.T, dir string) // before attesting
		after        func(t *testing.T, dir string) // after attesting
		arg          func(dir string) string
		trust        evidence.Trust
		sigStatus    string
		verified     bool
		failed       []string
		timeline     bool
		timelineOK   bool
		timelineErr  bool
		previewCount int
		// answerChanged: the preview of artifacts/answer.txt differs from the attested file
		answerChanged bool
	}{
		{name: "no key: unchecked", decision: policy.Allow, trust: evidence.Unchecked, sigStatus: evidence.SigUnchecked, failed: []string{}, previewCount: 6},
		{name: "trusted key: verified", keys: []*keys.Public{pub}, decision: policy.Marginal, trust: evidence.Verified, sigStatus: evidence.SigVerified, verified: true, failed: []string{}, previewCount: 6},
		{name: "other key: untrusted", keys: []*keys.Public{other}, decision: policy.Allow, trust: evidence.Untrusted, sigStatus: evidence.SigUntrusted, failed: []string{"dsse.threshold"}, previewCount: 6},
		{
			name: "changed artifact: signed but not verified", keys: []*keys.Public{pub}, decision: policy.Refuse,
			after: func(t *testing.T, dir string) { write(t, filepath.Join(dir, "artifacts", "answer.txt"), "5\n") },
			trust: evidence.Verified, sigStatus: evidence.SigVerified, failed: []string{"artifacts.digest"},
			previewCount: 6, answerChanged: true,
		},
		{
			name: "bundle file argument with a timeline", keys: []*keys.Public{pub}, decision: policy.Allow,
			before: func(t *testing.T, dir string) { write(t, filepath.Join(dir, massgen.TimelineName), timelineJSON) },
			arg:    func(dir string) string { return filepath.Join(dir, attest.BundleName) },
			trust:  evidence.Verified, sigStatus: evidence.SigVerified, verified: true, failed: []string{},
			timeline: true, timelineOK: true, previewCount: 7,
		},
		{
			name: "timeline changed after signing", decision: policy.Allow,
			before: func(t *testing.T, dir string) { write(t, filepath.Join(dir, massgen.TimelineName), timelineJSON) },
			after:  func(t *testing.T, dir string) { write(t, filepath.Join(dir, massgen.TimelineName), timelineJSON+"\n") },
			trust:  evidence.Unchecked, sigStatus: evidence.SigUnchecked, failed: []string{},
			timeline: true, previewCount: 7,
		},
		{
			name: "corrupt timeline is noted, not fatal", decision: policy.Allow,
			before: func(t *testing.T, dir string) {
				write(t, filepath.Join(dir, massgen.TimelineName), `{"agents":[],"surprise":1}`)
			},
			trust: evidence.Unchecked, sigStatus: evidence.SigUnchecked, failed: []string{},
			timelineErr: true, previewCount: 7,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := testkit.RunDir(t)
			if tt.before != nil {
				tt.before(t, dir)
			}
			testkit.Attest(t, dir, tt.decision, signer)
			if tt.after != nil {
				tt.after(t, dir)
			}
			arg := dir
			if tt.arg != nil {
				arg = tt.arg(dir)
			}
			ev, err := evidence.Load(context.Background(), arg, evidence.Options{Keys: tt.keys, PreviewBytes: 4096})
			if err != nil {
				t.Fatal(err)
			}
			if ev.MediaType != evidence.MediaType || ev.Dir != dir || ev.Bundle != filepath.Join(dir, attest.BundleName) {
				t.Errorf("header = %q %q %q", ev.MediaType, ev.Dir, ev.Bundle)
			}
			if len(ev.Envelopes) != 1 {
				t.Fatalf("%d envelopes, want 1", len(ev.Envelopes))
			}
			e := ev.Envelopes[0]
			if e.Decision != tt.decision || e.Trust != tt.trust || e.Run.ID != "run-1" || len(e.Rules) != 3 {
				t.Errorf("envelope = %s %s %q %d rules, want %s %s", e.Decision, e.Trust, e.Run.ID, len(e.Rules), tt.decision, tt.trust)
			}
			if len(e.Signatures) != 1 || e.Signatures[0].Status != tt.sigStatus || e.Signatures[0].KeyID != pub.ID {
				t.Errorf("signatures = %+v, want one %s by %s", e.Signatures, tt.sigStatus, pub.ID)
			}
			if got := ev.Verification; got.Checked != (len(tt.keys) > 0) || got.Verified != tt.verified || !reflect.DeepEqual(got.Failed, tt.failed) {
				t.Errorf("verification = checked %v verified %v failed %v, want verified %v failed %v", got.Checked, got.Verified, got.Failed, tt.verified, tt.failed)
			}
			if (ev.Timeline != nil) != tt.timeline || ev.TimelineAttested != tt.timelineOK || (ev.TimelineError != "") != tt.timelineErr {
				t.Errorf("timeline = %v attested %v error %q", ev.Timeline != nil, ev.TimelineAttested, ev.TimelineError)
			}
			if p, ok := ev.Previews["artifacts/answer.txt"]; !ok || p.Attested == tt.answerChanged {
				t.Errorf("answer preview = %+v, %v; want attested %v", p, ok, !tt.answerChanged)
			}
			if len(ev.Previews) != tt.previewCount {
				t.Errorf("%d previews, want %d: %v", len(ev.Previews), tt.previewCount, ev.Previews)
			}
		})
	}
}

func TestLoadDescriptionsAndDecider(t *testing.T) {
	signer, _ := testkit.Key(t, keys.Ed25519)
	dir := testkit.RunDir(t)
	testkit.Attest(t, dir, policy.Marginal, signer)
	ev, err := evidence.Load(context.Background(), dir, evidence.Options{PreviewBytes: 4096})
	if err != nil {
		t.Fatal(err)
	}
	e := ev.Envelopes[0]
	if e.Decider != "restarts 2 > marginal 1" {
		t.Errorf("decider = %q", e.Decider)
	}
	if p := ev.Previews["artifacts/answer.txt"]; p.Text != "4\n" || !p.Attested {
		t.Errorf("preview = %+v", p)
	}
	if e.Subject.Name != attest.SubjectPrefix+"run-1" || len(e.Subject.Digest["sha256"]) != 64 {
		t.Errorf("subject = %+v", e.Subject)
	}
}

func TestLoadErrors(t *testing.T) {
	signer, _ := testkit.Key(t, keys.Ed25519)
	tests := []struct {
		name  string
		setup func(t *testing.T) string
		want  error
	}{
		{"missing path", func(t *testing.T) string { return filepath.Join(t.TempDir(), "nope") }, fs.ErrNotExist},
		{"run without bundle", func(t *testing.T) string { return testkit.RunDir(t) }, evidence.ErrIncomplete},
		{"empty bundle", func(t *testing.T) string {
			p := filepath.Join(t.TempDir(), "b.jsonl")
			write(t, p, "")
			return p
		}, attest.ErrEmptyBundle},
		{"garbage bundle", func(t *testing.T) string {
			p := filepath.Join(t.TempDir(), "b.jsonl")
			write(t, p, "{\"payloadType\": \"x\"\n")
			return p
		}, attest.ErrMalformed},
		{"foreign predicate", func(t *testing.T) string {
			st := `{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"x","digest":{"sha256":"00"}}],"predicateType":"https://slsa.dev/provenance/v1","predicate":{}}`
			line, err := attest.Sign(context.Background(), []byte(st), signer)
			if err != nil {
				t.Fatal(err)
			}
			p := filepath.Join(t.TempDir(), "b.jsonl")
			write(t, p, string(line))
			return p
		}, evidence.ErrUnsupported},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, err := evidence.Load(context.Background(), tt.setup(t), evidence.Options{})
			if !errors.Is(err, tt.want) || ev != nil {
				t.Fatalf("Load = %v, %v; want error wrapping %v", ev, err, tt.want)
			}
		})
	}
}
