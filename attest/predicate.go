package attest

import (
	"encoding/json"
	"fmt"

	"cohos.dev/cohos/internal/artifacts"
	"cohos.dev/cohos/policy"
)

// Predicate is the governed-run decision (predicate type PredicateType).
type Predicate struct {
	Decision   policy.Decision `json:"decision"`
	Reasons    []policy.Reason `json:"reasons"`
	Metrics    policy.Metrics  `json:"metrics"`
	Policy     PolicyRecord    `json:"policy"`
	Run        Run             `json:"run"`
	Artifacts  ArtifactList    `json:"artifacts"`
	Governor   Governor        `json:"governor"`
	AttestedOn string          `json:"attestedOn"`

	// cache holds the sums of Artifacts.Files, computed once per listing.
	cache struct {
		files []artifacts.File
		sums  artifacts.Sums
	}
}

// PolicyRecord names the policy evaluated and carries it whole, so a
// verifier can re-run the evaluation.
type PolicyRecord struct {
	Name     string            `json:"name"`
	Digest   map[string]string `json:"digest"`
	Document json.RawMessage   `json:"document"`
}

// Run describes what was governed.
type Run struct {
	ID             string            `json:"id"`
	Runner         string            `json:"runner"`
	RunnerVersion  string            `json:"runnerVersion,omitempty"`
	Argv           []string          `json:"argv,omitempty"`
	ConfigDigest   map[string]string `json:"configDigest,omitempty"`
	QuestionDigest map[string]string `json:"questionDigest,omitempty"`
	Models         []string          `json:"models,omitempty"`
	BaseURL        string            `json:"baseUrl,omitempty"`
	StartedOn      string            `json:"startedOn,omitempty"`
	FinishedOn     string            `json:"finishedOn,omitempty"`
	ExitCode       *int              `json:"exitCode,omitempty"`
	// RunnerDistributions is the Python distribution set the runner ran
	// from (MassGen's virtualenv), so runs can be compared by what ran.
	RunnerDistributions *Distributions `json:"runnerDistributions,omitempty"`
	// Cause is what cohos observed that stopped the job before it could
	// complete (for example "massgen exited 1 before writing any log:
	// ImportError: ..."), "" when nothing did.
	Cause string `json:"cause,omitempty"`
	// Problems says what the runner could not observe (missing or
	// truncated logs, unreadable answers): why a metric is absent or false.
	Problems []string `json:"problems,omitempty"`
	// Mode is how a MassGen run's agents reached the final answer:
	// "voting" or "synthesis" (voting off, role agents, a synthesized
	// answer); "" for other runners.
	Mode string `json:"mode,omitempty"`
	// Roles are the roles of a synthesis-mode run's agents, in config
	// order.
	Roles []AgentRole `json:"roles,omitempty"`
	// Isolation says how the job was kept from cohos (absent for an
	// external run); the metric isolated repeats Isolated.
	Isolation *Isolation `json:"isolation,omitempty"`
}

// AgentRole is the role one agent played.
type AgentRole struct {
	Agent string `json:"agent"`
	Role  string `json:"role"`
}

// Isolation records how a governed job was isolated.
type Isolation struct {
	Isolated bool `json:"isolated"`
	// Mode names the namespaces ("pid+mount+ipc+user") or is "none".
	Mode string `json:"mode"`
	// Reason says why the job was not isolated.
	Reason string `json:"reason,omitempty"`
}

// Distributions identifies an installed set of Python distributions.
type Distributions struct {
	// Count is the number of distributions.
	Count int `json:"count"`
	// Digest is over one "name==version\n" line per distribution, names
	// normalised as PEP 503 says, lines sorted bytewise (SPEC.md §3).
	Digest map[string]string `json:"digest"`
}

// MaxListedManifest is the largest artifact set whose files the predicate
// lists, by the size of its manifest (SHA256SUMS): about 45,000 files of
// short names. A larger set is bound by the subject digests alone, and its
// per-file list is SHA256SUMS (SPEC.md §3), so that a bundle line stays
// far below MaxLineSize whatever the number of files.
const MaxListedManifest = 4 << 20

// ArtifactList is the per-file listing bound by the subject digests. Files
// is nil (absent from the JSON) for a set larger than MaxListedManifest.
type ArtifactList struct {
	Serialization Serialization       `json:"serialization"`
	Count         int                 `json:"count"`
	Files         []artifacts.File    `json:"files,omitzero"`
	Skipped       []artifacts.Skipped `json:"skipped,omitempty"`
}

// Serialization says how the subject digests are computed from Files.
type Serialization struct {
	Method string `json:"method"`
	Hash   string `json:"hash"`
	Leaf   string `json:"leaf"`
	Tree   string `json:"tree"`
}

// Governor identifies the cohos build that made the decision.
type Governor struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// artifactSerialization is the only serialization this version writes and accepts.
var artifactSerialization = Serialization{Method: artifacts.Method, Hash: "sha256", Leaf: "sha256sum-line", Tree: "rfc9162"}

// ParsePredicate decodes a predicate strictly (unknown fields, trailing data
// and invalid values are errors wrapping ErrMalformed).
func ParsePredicate(b []byte) (*Predicate, error) {
	var p Predicate
	if err := decodeStrict(b, &p); err != nil {
		return nil, fmt.Errorf("predicate: %w", err)
	}
	if !p.Decision.Valid() {
		return nil, fmt.Errorf("predicate: decision %q: %w", p.Decision, ErrMalformed)
	}
	if p.Artifacts.Serialization != artifactSerialization {
		return nil, fmt.Errorf("predicate: unsupported artifact serialization %q: %w", p.Artifacts.Serialization.Method, ErrMalformed)
	}
	switch {
	case p.Artifacts.Files == nil && p.Artifacts.Count < 1:
		return nil, fmt.Errorf("predicate: artifacts.files absent but artifacts.count %d: %w", p.Artifacts.Count, ErrMalformed)
	case p.Artifacts.Files != nil && p.Artifacts.Count != len(p.Artifacts.Files):
		return nil, fmt.Errorf("predicate: artifacts.count %d but %d files listed: %w", p.Artifacts.Count, len(p.Artifacts.Files), ErrMalformed)
	}
	if err := p.Set().Validate(); err != nil {
		return nil, fmt.Errorf("predicate: artifacts: %w: %w", err, ErrMalformed)
	}
	if p.Run.ID == "" {
		return nil, fmt.Errorf("predicate: run.id is empty: %w", ErrMalformed)
	}
	return &p, nil
}

// Set returns the attested artifact set.
func (p *Predicate) Set() *artifacts.Set {
	return &artifacts.Set{Files: p.Artifacts.Files, Skipped: p.Artifacts.Skipped}
}

// Listed reports whether the predicate lists its files; an unlisted set
// (larger than MaxListedManifest) is bound by the subject digests alone.
func (p *Predicate) Listed() bool { return p.Artifacts.Files != nil }

// Subject is the one subject that binds the predicate's artifact list: the
// SHA-256 of its manifest and its Merkle root, named after the run.
func (p *Predicate) Subject() Subject {
	sums := p.sums()
	return Subject{
		Name:   SubjectPrefix + p.Run.ID,
		Digest: map[string]string{"sha256": sums.Digest, DigestMerkle: sums.Root},
	}
}

// sums renders the manifest and computes the Merkle root of the listed
// files once: again only when Artifacts.Files is replaced.
func (p *Predicate) sums() artifacts.Sums {
	f := p.Artifacts.Files
	c := &p.cache
	if f == nil && c.sums.Root != "" {
		return c.sums // an unlisted set: the sums Attest computed
	}
	if c.sums.Root == "" || len(c.files) != len(f) || (len(f) > 0 && &c.files[0] != &f[0]) {
		c.files, c.sums = f, p.Set().Sums()
	}
	return c.sums
}
