package evidence

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"cohos.dev/cohos/attest"
	"cohos.dev/cohos/internal/artifacts"
	"cohos.dev/cohos/internal/regfile"
	"cohos.dev/cohos/keys"
	"cohos.dev/cohos/policy"
	"cohos.dev/cohos/verify"
)

// Options say what Load checks and reads besides the bundle.
type Options struct {
	// Keys are the trusted public keys. None means the signatures are not
	// checked and every envelope is Unchecked.
	Keys []*keys.Public
	// PreviewBytes: artifacts listed with at most this many bytes whose
	// content is UTF-8 text are read into Evidence.Previews (0: none).
	PreviewBytes int64
	// MaxPreviews bounds how many previews are read (0 means 20).
	MaxPreviews int
}

// maxTimeline bounds the massgen_timeline.json read.
const maxTimeline = 16 << 20

// Load reads the bundle at path (a bundle file, or a run directory holding
// bundle.intoto.jsonl) and the run directory beside it. Errors: a run
// directory without a bundle wraps ErrIncomplete; an unreadable file wraps
// the fs error; a malformed bundle or payload wraps attest.ErrMalformed or
// attest.ErrEmptyBundle; a payload of another kind wraps ErrUnsupported;
// unusable keys wrap verify.ErrNoKeys. Verification failures are not
// errors: they are in Evidence.Verification and each envelope's Trust.
func Load(ctx context.Context, path string, opts Options) (*Evidence, error) {
	bundle, dir, err := locate(path)
	if err != nil {
		return nil, err
	}
	data, err := readFile(bundle, attest.MaxBundleSize)
	if err != nil {
		return nil, err
	}
	envs, err := attest.ParseBundle(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", bundle, err)
	}
	ev := &Evidence{
		MediaType:    MediaType,
		Bundle:       bundle,
		Dir:          dir,
		Verification: Verification{Keys: []string{}, Failed: []string{}, Checks: []verify.Check{}},
		Envelopes:    make([]Envelope, 0, len(envs)),
		Previews:     map[string]Preview{},
	}
	for i, env := range envs {
		e, err := decode(i+1, env)
		if err != nil {
			return nil, fmt.Errorf("%s: envelope %d: %w", bundle, i+1, err)
		}
		ev.Envelopes = append(ev.Envelopes, e)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	if len(opts.Keys) > 0 {
		rep, err := verify.Bundle(ctx, data, verify.Options{Keys: opts.Keys, Threshold: 1, Artifacts: artifacts.RootFS(root)})
		if rep == nil || ctx.Err() != nil {
			return nil, fmt.Errorf("verify %s: %w", bundle, err)
		}
		ev.applyReport(opts.Keys, rep)
	}
	ev.readTimeline(root)
	ev.readPreviews(root, opts)
	return ev, nil
}

// locate returns the bundle file and run directory for path.
func locate(path string) (bundle, dir string, err error) {
	fi, err := os.Stat(path)
	if err != nil {
		return "", "", err
	}
	if !fi.IsDir() {
		return path, filepath.Dir(path), nil
	}
	bundle = filepath.Join(path, attest.BundleName)
	if _, err := os.Lstat(bundle); errors.Is(err, fs.ErrNotExist) {
		return "", "", fmt.Errorf("%s: %w (the run was killed or is still running)", path, ErrIncomplete)
	}
	return bundle, path, nil
}

// readFile reads a regular file of at most limit bytes; a FIFO in its
// place is refused, never waited on.
func readFile(path string, limit int64) ([]byte, error) {
	return regfile.Read(path, limit)
}

// decode reads what one envelope claims. Nothing here is trusted: the
// envelope's Trust says whether it may be.
func decode(line int, env *attest.ParsedEnvelope) (Envelope, error) {
	if env.PayloadType != attest.PayloadType {
		return Envelope{}, fmt.Errorf("payloadType %q: %w", env.PayloadType, ErrUnsupported)
	}
	st, err := attest.ParseStatement(env.Body)
	if err != nil {
		return Envelope{}, err
	}
	if st.Type != attest.StatementType || st.PredicateType != attest.PredicateType {
		return Envelope{}, fmt.Errorf("statement %q with predicate %q: %w", st.Type, st.PredicateType, ErrUnsupported)
	}
	pred, err := attest.ParsePredicate(st.Predicate)
	if err != nil {
		return Envelope{}, err
	}
	e := Envelope{
		Line:       line,
		Trust:      Unchecked,
		Signatures: make([]Signature, len(env.Signatures)),
		Decision:   pred.Decision,
		Rules:      rules(pred),
		Metrics:    pred.Metrics,
		Policy:     PolicyRef{Name: pred.Policy.Name, SHA256: pred.Policy.Digest["sha256"]},
		Run:        pred.Run,
		Artifacts:  pred.Artifacts.Files,
		Skipped:    pred.Artifacts.Skipped,
		Governor:   pred.Governor,
		AttestedOn: pred.AttestedOn,
	}
	if pred.Decision != policy.Allow || pred.Run.Cause != "" {
		e.Decider = policy.Explain(pred.Decision, pred.Reasons, pred.Run.Cause)
	}
	if len(st.Subject) == 1 {
		e.Subject = st.Subject[0]
	}
	if e.Metrics == nil {
		e.Metrics = policy.Metrics{}
	}
	if e.Artifacts == nil {
		e.Artifacts = []artifacts.File{}
	}
	if e.Skipped == nil {
		e.Skipped = []artifacts.Skipped{}
	}
	for i, s := range env.Signatures {
		e.Signatures[i] = Signature{Index: i + 1, KeyID: s.KeyID, Status: SigUnchecked, Reason: "signatures not checked: no trusted key given"}
	}
	return e, nil
}

// rules pairs each attested reason with its rule's description from the
// attested policy document (none when the document does not parse).
func rules(pred *attest.Predicate) []Rule {
	desc := map[string]string{}
	if p, err := policy.Parse(pred.Policy.Document); err == nil {
		for _, r := range p.Rules {
			desc[r.Metric] = r.Description
		}
	}
	out := make([]Rule, len(pred.Reasons))
	for i, r := range pred.Reasons {
		out[i] = Rule{Reason: r, Description: desc[r.Metric]}
	}
	return out
}

// applyReport records what verification found on each envelope.
func (ev *Evidence) applyReport(trusted []*keys.Public, rep *verify.Report) {
	v := &ev.Verification
	v.Checked, v.Checks = true, rep.Checks
	seen := map[string]bool{}
	for _, k := range trusted {
		if k != nil && !seen[k.ID] {
			seen[k.ID] = true
			v.Keys = append(v.Keys, k.ID)
		}
	}
	v.Verified = rep.Verified()
	failed := map[string]bool{}
	v.Failures = rep.IntegrityFailures()
	for _, c := range v.Failures {
		if !failed[c.ID] {
			failed[c.ID] = true
			v.Failed = append(v.Failed, c.ID)
		}
	}
	for _, es := range rep.Envelopes {
		e := ev.envelope(es.Line)
		if e == nil {
			continue
		}
		e.Trust = Untrusted
		if es.Trusted {
			e.Trust = Verified
		}
		for _, r := range es.Signatures {
			if r.Index < 1 || r.Index > len(e.Signatures) {
				continue
			}
			s := &e.Signatures[r.Index-1]
			s.KeyID, s.Reason = r.KeyID, r.Reason
			switch r.Status {
			case verify.Pass:
				s.Status = SigVerified
			case verify.Fail:
				s.Status = SigFailed
			default:
				s.Status = SigUntrusted
			}
		}
	}
	for i := range ev.Envelopes {
		if ev.Envelopes[i].Trust == Unchecked {
			ev.Envelopes[i].Trust = Untrusted // keys were given but no threshold check ran
		}
	}
}

func (ev *Evidence) envelope(line int) *Envelope {
	for i := range ev.Envelopes {
		if ev.Envelopes[i].Line == line {
			return &ev.Envelopes[i]
		}
	}
	return nil
}
