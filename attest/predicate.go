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
	// Problems says what the runner could not observe (missing or
	// truncated logs, unreadable answers): why a metric is absent or false.
	Problems []string `json:"problems,omitempty"`
}

// ArtifactList is the per-file listing bound by the subject digests.
type ArtifactList struct {
	Serialization Serialization       `json:"serialization"`
	Count         int                 `json:"count"`
	Files         []artifacts.File    `json:"files"`
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

// ArtifactSerialization is the only serialization this version writes and accepts.
var artifactSerialization = Serialization{Method: artifacts.Method, Hash: "sha256", Leaf: "sha256sum-line", Tree: "rfc9162"}

// ArtifactSerialization returns the serialization record of cohos-artifacts/v1.
func ArtifactSerialization() Serialization { return artifactSerialization }

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
	if p.Artifacts.Count != len(p.Artifacts.Files) {
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
