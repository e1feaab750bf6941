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
	"strings"
	"time"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"

	"cohos.dev/cohos/internal/artifacts"
	"cohos.dev/cohos/internal/atomicfile"
	"cohos.dev/cohos/internal/version"
	"cohos.dev/cohos/policy"
)

// Names of the evidence files Attest writes into the run directory.
const (
	BundleName   = "bundle.intoto.jsonl"
	DecisionName = "decision.json"
	PolicyName   = "policy.json"
	ManifestName = "manifest.json"
	HashesName   = "hashes.json"
	SumsName     = "SHA256SUMS"
)

// Options says what to attest and how.
type Options struct {
	Policy  *policy.Policy
	Metrics policy.Metrics
	// Run is recorded in the predicate; Run.ID defaults to the directory's name.
	Run     Run
	Signers []dsse.Signer
	// Now stamps attestedOn; the zero value means time.Now.
	Now time.Time
	// Force replaces an existing bundle; without it Attest refuses (ErrBundleExists).
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
	ErrNotDir       = errors.New("not a directory")
)

var runIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)

// Attest evaluates the policy on the metrics, writes decision.json and
// policy.json into dir, hashes the artifact set, writes the derived files
// (manifest.json, hashes.json, SHA256SUMS) and finally, atomically, the
// signed bundle. It returns an error only when it could not do that
// (unusable directory, bad names in it, signing or write failure); REFUSE
// and MARGINAL are results, not errors. On error no bundle is written.
func Attest(ctx context.Context, dir string, opts Options) (*Result, error) {
	if opts.Policy == nil {
		return nil, errors.New("attest: no policy")
	}
	if len(opts.Signers) == 0 {
		return nil, errors.New("attest: no signing key")
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("attest: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("attest: %s: %w", dir, ErrNotDir)
	}
	bundlePath := filepath.Join(dir, BundleName)
	if _, err := os.Lstat(bundlePath); err == nil && !opts.Force {
		return nil, fmt.Errorf("attest: %s: %w", bundlePath, ErrBundleExists)
	}
	run := opts.Run
	if run.ID == "" {
		abs, err := filepath.Abs(dir)
		if err != nil {
			return nil, fmt.Errorf("attest: %w", err)
		}
		run.ID = filepath.Base(abs)
	}
	if !runIDPattern.MatchString(run.ID) {
		return nil, fmt.Errorf("attest: %w %q (letters, digits, '.', '_', '-'; at most 128)", ErrBadRunID, run.ID)
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
	payload, err := MarshalStatement(pred, sums)
	if err != nil {
		return nil, fmt.Errorf("attest: %w", err)
	}
	line, err := Sign(ctx, payload, opts.Signers...)
	if err != nil {
		return nil, fmt.Errorf("attest: %w", err)
	}
	if err := writeDerived(dir, set, sums); err != nil {
		return nil, fmt.Errorf("attest: %w", err)
	}
	write := atomicfile.Create
	if opts.Force {
		write = atomicfile.Write
	}
	if err := write(bundlePath, line, 0o644); err != nil {
		if errors.Is(err, atomicfile.ErrExists) {
			return nil, fmt.Errorf("attest: %s: %w", bundlePath, ErrBundleExists)
		}
		return nil, fmt.Errorf("attest: %w", err)
	}
	return &Result{Evaluation: eval, Predicate: pred, Statement: payload, Bundle: bundlePath}, nil
}

// MarshalStatement encodes the Statement for pred, whose one subject names
// the artifact set by the SHA-256 of its manifest and its Merkle root
// (sums of pred's files).
func MarshalStatement(pred *Predicate, sums artifacts.Sums) ([]byte, error) {
	pb, err := json.Marshal(pred)
	if err != nil {
		return nil, fmt.Errorf("encode predicate: %w", err)
	}
	st := Statement{
		Type: StatementType,
		Subject: []Subject{{
			Name:   SubjectPrefix + pred.Run.ID,
			Digest: map[string]string{"sha256": sums.Digest, DigestMerkle: sums.Root},
		}},
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

// Manifest is the content of manifest.json (derived from the set).
type Manifest struct {
	Serialization Serialization       `json:"serialization"`
	Count         int                 `json:"count"`
	Digest        map[string]string   `json:"digest"`
	Files         []artifacts.File    `json:"files"`
	Skipped       []artifacts.Skipped `json:"skipped,omitempty"`
}

// DerivedFile is one file derived from the artifact set.
type DerivedFile struct {
	Name string
	Data []byte
}

// Derived renders the files derived from the set (whose sums are given):
// SHA256SUMS, manifest.json and hashes.json, exactly as Attest writes them.
func Derived(set *artifacts.Set, sums artifacts.Sums) ([]DerivedFile, error) {
	man, err := json.MarshalIndent(Manifest{
		Serialization: artifactSerialization,
		Count:         len(set.Files),
		Digest:        map[string]string{"sha256": sums.Digest, DigestMerkle: sums.Root},
		Files:         set.Files,
		Skipped:       set.Skipped,
	}, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode manifest: %w", err)
	}
	hashes := map[string]string{}
	for _, f := range set.Files {
		if !strings.Contains(f.Name, "/") {
			hashes[f.Name] = f.SHA256
		}
	}
	hashes[SumsName] = sums.Digest
	hb, err := json.MarshalIndent(hashes, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode hashes: %w", err)
	}
	return []DerivedFile{
		{SumsName, sums.Manifest},
		{ManifestName, append(man, '\n')},
		{HashesName, append(hb, '\n')},
	}, nil
}

func writeDerived(dir string, set *artifacts.Set, sums artifacts.Sums) error {
	files, err := Derived(set, sums)
	if err != nil {
		return err
	}
	for _, f := range files {
		if err := atomicfile.WriteUnsynced(filepath.Join(dir, f.Name), f.Data, fs.FileMode(0o644)); err != nil {
			return err
		}
	}
	return nil
}
