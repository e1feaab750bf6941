package attest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"time"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"

	"cohos.dev/cohos/internal/artifacts"
	"cohos.dev/cohos/internal/atomicfile"
	"cohos.dev/cohos/internal/version"
	"cohos.dev/cohos/policy"
)

// Names of the evidence files Attest writes into the run directory. The
// bundle and the derived files are outside the artifact set; their names
// are defined once, by the artifact set (internal/artifacts).
const (
	BundleName   = artifacts.BundleFile
	DecisionName = "decision.json"
	PolicyName   = "policy.json"
	ManifestName = artifacts.ManifestFile
	HashesName   = artifacts.HashesFile
	SumsName     = artifacts.SumsFile
)

// EvidenceNames lists the files Attest writes into a run directory.
func EvidenceNames() []string {
	return []string{DecisionName, PolicyName, ManifestName, HashesName, SumsName, BundleName}
}

// Options says what to attest and how.
type Options struct {
	Policy  *policy.Policy
	Metrics policy.Metrics
	// Run is recorded in the predicate; Run.ID defaults to the directory's name.
	Run     Run
	Signers []dsse.Signer
	// Now stamps attestedOn; the zero value means time.Now.
	Now time.Time
	// Force replaces an existing bundle: it is removed, durably, before any
	// evidence file is rewritten, so a crash leaves the old run or an
	// incomplete one (no bundle), never a mix. Without it Attest refuses
	// (ErrBundleExists).
	Force   bool
	Workers int
}

// Result is what Attest decided and wrote.
type Result struct {
	Evaluation policy.Result
	Predicate  *Predicate
	Statement  []byte // the signed payload
	Bundle     string // path of bundle.intoto.jsonl
}

// Errors of Attest. Each is wrapped with the offending path or value.
var (
	ErrBundleExists = errors.New("bundle already exists")
	ErrBadRunID     = errors.New("invalid run id")
	// ErrTooLarge: the evidence would be larger than a verifier reads.
	ErrTooLarge = errors.New("evidence too large")
	errNotDir   = errors.New("not a directory")
)

var runIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)

// Attest evaluates the policy on the metrics, writes decision.json and
// policy.json into dir, hashes the artifact set, writes the derived files
// (manifest.json, hashes.json, SHA256SUMS) and finally, atomically, the
// signed bundle. It returns an error only when it could not do that
// (unusable directory, bad names in it, signing or write failure); REFUSE
// and MARGINAL are results, not errors. On error no bundle is written.
func Attest(ctx context.Context, dir string, opts Options) (*Result, error) {
	bundlePath, run, err := checkTarget(dir, opts)
	if err != nil {
		return nil, err
	}
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}

	eval := policy.Evaluate(opts.Policy, opts.Metrics)
	canonical := opts.Policy.Canonical()
	decisionJSON, err := MarshalDecision(eval, opts.Metrics)
	if err != nil {
		return nil, fmt.Errorf("attest: %w", err)
	}
	if opts.Force {
		// The old bundle goes first, durably, before any evidence file
		// changes: a crash from here on leaves an incomplete run (no
		// bundle), never the old bundle beside a new decision.json, which
		// verifies as nothing.
		if err := removeBundle(dir, bundlePath); err != nil {
			return nil, fmt.Errorf("attest: %w", err)
		}
	}
	// Only the bundle's write syncs the directory: one sync makes every
	// rename before it durable, and without the bundle nothing verifies.
	if err := atomicfile.WriteUnsynced(filepath.Join(dir, DecisionName), decisionJSON, 0o644); err != nil {
		return nil, fmt.Errorf("attest: %w", err)
	}
	if err := atomicfile.WriteUnsynced(filepath.Join(dir, PolicyName), append(canonical[:len(canonical):len(canonical)], '\n'), 0o644); err != nil {
		return nil, fmt.Errorf("attest: %w", err)
	}

	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("attest: %w", err)
	}
	defer root.Close()
	set, err := artifacts.Hash(ctx, artifacts.RootFS(root), artifacts.Options{Workers: opts.Workers})
	if err != nil {
		return nil, fmt.Errorf("attest: %w", err)
	}

	pred := newPredicate(eval, opts, canonical, run, set, now)
	payload, line, err := signBounded(ctx, pred, opts.Signers, len(set.Skipped))
	if err != nil {
		return nil, fmt.Errorf("attest: %w", err)
	}
	if err := writeDerived(dir, pred, set); err != nil {
		return nil, fmt.Errorf("attest: %w", err)
	}
	if err := atomicfile.Create(bundlePath, line, 0o644); err != nil {
		if errors.Is(err, atomicfile.ErrExists) {
			return nil, fmt.Errorf("attest: %s: %w", bundlePath, ErrBundleExists)
		}
		return nil, fmt.Errorf("attest: %w", err)
	}
	return &Result{Evaluation: eval, Predicate: pred, Statement: payload, Bundle: bundlePath}, nil
}

// checkTarget checks opts and the run directory dir before anything is
// written: it returns the bundle's path and the run record with its id
// (dir's name by default).
func checkTarget(dir string, opts Options) (bundlePath string, run Run, err error) {
	if opts.Policy == nil {
		return "", run, errors.New("attest: no policy")
	}
	if len(opts.Signers) == 0 {
		return "", run, errors.New("attest: no signing key")
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return "", run, fmt.Errorf("attest: %w", err)
	}
	if !fi.IsDir() {
		return "", run, fmt.Errorf("attest: %s: %w", dir, errNotDir)
	}
	bundlePath = filepath.Join(dir, BundleName)
	if _, err := os.Lstat(bundlePath); err == nil && !opts.Force {
		return "", run, fmt.Errorf("attest: %s: %w", bundlePath, ErrBundleExists)
	}
	run = opts.Run
	if run.ID == "" {
		abs, err := filepath.Abs(dir)
		if err != nil {
			return "", run, fmt.Errorf("attest: %w", err)
		}
		run.ID = filepath.Base(abs)
	}
	if !runIDPattern.MatchString(run.ID) {
		return "", run, fmt.Errorf("attest: %w %q (letters, digits, '.', '_', '-'; at most 128)", ErrBadRunID, run.ID)
	}
	return bundlePath, run, nil
}

// newPredicate records eval of opts.Policy (whose canonical form is
// canonical) over the hashed set, for run, attested at now.
func newPredicate(eval policy.Result, opts Options, canonical []byte, run Run, set *artifacts.Set, now time.Time) *Predicate {
	pred := &Predicate{
		Decision: eval.Decision,
		Reasons:  eval.Reasons,
		Metrics:  opts.Metrics,
		Policy: PolicyRecord{
			Name:     opts.Policy.Name,
			Digest:   map[string]string{"sha256": opts.Policy.Digest()},
			Document: canonical,
		},
		Run: run,
		Artifacts: ArtifactList{
			Serialization: artifactSerialization,
			Count:         len(set.Files),
			Files:         set.Files,
			Skipped:       set.Skipped,
		},
		Governor:   Governor{Name: "cohos", Version: version.String()},
		AttestedOn: now.UTC().Format(time.RFC3339Nano),
	}
	if pred.Metrics == nil {
		pred.Metrics = policy.Metrics{}
	}
	sums := set.Sums()
	pred.cache.files, pred.cache.sums = set.Files, sums
	if sums.Size > MaxListedManifest {
		// Too many files to list: the subject digests bind them, and
		// SHA256SUMS is the list (SPEC.md §3).
		pred.Artifacts.Files, pred.cache.files = nil, nil
	}
	return pred
}

// signBounded signs pred as one bundle line no longer than the verifier
// reads (MaxLineSize): when listing the files makes it longer, the files
// are bound by the subject digests alone; skipped is the number of skipped
// entries, named when even that is too long.
func signBounded(ctx context.Context, pred *Predicate, signers []dsse.Signer, skipped int) (payload, line []byte, err error) {
	payload, line, err = signPredicate(ctx, pred, signers)
	if err == nil && len(line) > MaxLineSize && pred.Artifacts.Files != nil {
		// Names that JSON escapes heavily can make even a small manifest's
		// listing too large: bind the files by the digests alone.
		pred.Artifacts.Files, pred.cache.files = nil, nil
		payload, line, err = signPredicate(ctx, pred, signers)
	}
	if err != nil {
		return nil, nil, err
	}
	if len(line) > MaxLineSize {
		// Never write a bundle the verifier would refuse. The files are
		// never listed past MaxListedManifest, so what is left is the list
		// of skipped entries.
		return nil, nil, fmt.Errorf("%w: the signed envelope would be %d bytes, more than %d (%d skipped entries)",
			ErrTooLarge, len(line), MaxLineSize, skipped)
	}
	return payload, line, nil
}

// signPredicate encodes the statement of pred and signs it as one bundle
// line.
func signPredicate(ctx context.Context, pred *Predicate, signers []dsse.Signer) (payload, line []byte, err error) {
	if payload, err = MarshalStatement(pred); err != nil {
		return nil, nil, err
	}
	line, err = Sign(ctx, payload, signers...)
	return payload, line, err
}

// removeBundle removes the bundle at path, if any, and makes the removal
// durable before anything else in dir is written.
func removeBundle(dir, path string) error {
	err := os.Remove(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	return atomicfile.SyncDir(dir)
}

// MarshalStatement encodes the Statement for pred, whose one subject names
// the artifact set by the SHA-256 of its manifest and its Merkle root.
func MarshalStatement(pred *Predicate) ([]byte, error) {
	pb, err := json.Marshal(pred)
	if err != nil {
		return nil, fmt.Errorf("encode predicate: %w", err)
	}
	st := Statement{
		Type:          StatementType,
		Subject:       []Subject{pred.Subject()},
		PredicateType: PredicateType,
		Predicate:     pb,
	}
	return json.Marshal(st)
}

// Decision is the content of decision.json.
type Decision struct {
	Decision policy.Decision `json:"decision"`
	Reasons  []policy.Reason `json:"reasons"`
	Metrics  policy.Metrics  `json:"metrics"`
}

// MarshalDecision renders decision.json.
func MarshalDecision(eval policy.Result, m policy.Metrics) ([]byte, error) {
	if m == nil {
		m = policy.Metrics{}
	}
	b, err := json.MarshalIndent(Decision{Decision: eval.Decision, Reasons: eval.Reasons, Metrics: m}, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode decision: %w", err)
	}
	return append(b, '\n'), nil
}

// ParseDecision decodes decision.json strictly.
func ParseDecision(b []byte) (*Decision, error) {
	var d Decision
	if err := decodeStrict(b, &d); err != nil {
		return nil, fmt.Errorf("decision.json: %w", err)
	}
	return &d, nil
}
