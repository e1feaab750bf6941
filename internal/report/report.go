// Package report renders a run's evidence as one self-contained HTML page:
// no scripts, no network, no external assets; CSS and SVG are inline, and a
// Content-Security-Policy in the page forbids loading anything else. Every
// value taken from the run is escaped by html/template.
//
// The page shows the decision as a banner, each rule as a bar (observed
// value against its marginal and refuse limits) or a pass/fail chip, the
// per-agent MassGen timeline as SVG (or says the run has none), the run's
// details, who signed, the artifacts with digests, links and short
// previews, and the verification result when trusted keys were given. A
// payload whose signatures were not verified is labelled as such wherever
// its content appears.
package report

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io"
	"net/url"
	"sort"
	"strings"
	"time"

	"cohos.dev/cohos/attest"
	"cohos.dev/cohos/internal/evidence"
	"cohos.dev/cohos/policy"
)

//go:embed page.html.tmpl
var pageTemplate string

// Options say how the page links to the run directory.
type Options struct {
	// RunDir is the run directory relative to the report's directory,
	// slash-separated ("." or "" when the report sits in it); artifact
	// links are relative to the report.
	RunDir string
	// MaxArtifacts bounds the artifacts table (0 means 500); the page
	// says how many more there are.
	MaxArtifacts int
	// Generator names what rendered the page, e.g. "cohos 0.1.0".
	Generator string
}

const defaultMaxArtifacts = 500

// Render writes the page for ev to w. It fails only when the template
// cannot be executed or w cannot be written; nothing is written to w
// unless the whole page rendered.
func Render(w io.Writer, ev *evidence.Evidence, opts Options) error {
	t, err := template.New("page").Parse(pageTemplate)
	if err != nil {
		return fmt.Errorf("report: template: %w", err)
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, build(ev, opts)); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return nil
}

type page struct {
	Title        string
	Bundle       string
	Generator    string
	Verify       banner
	Checks       []checkView
	Envelopes    []envelopeView
	Timeline     *timelineView
	TimelineNote string
}

type banner struct {
	Class, Headline, Detail string
}

type checkView struct {
	ID, Status, Reason string
	Envelope           int
	Names              []string
}

type envelopeView struct {
	Line       int
	RunID      string
	Decision   string
	Class      string // allow, marginal, refuse
	Why        string
	Trusted    bool
	TrustText  string
	Rules      []ruleView
	Signatures []evidence.Signature
	Policy     evidence.PolicyRef
	Run        [][2]string
	Metrics    [][2]string
	Artifacts  []artifactView
	More       int
	Skipped    []string
	SetSHA256  string
	SetMerkle  string
}

type artifactView struct {
	Name, Href, SHA256 string
	Size               int64
	Preview            *evidence.Preview
}

func build(ev *evidence.Evidence, opts Options) page {
	p := page{Bundle: ev.Bundle, Generator: opts.Generator, Verify: verifyBanner(ev.Verification)}
	for _, c := range ev.Verification.Checks {
		cv := checkView{ID: c.ID, Status: string(c.Status), Reason: c.Reason, Envelope: c.Envelope}
		for _, n := range c.Added {
			cv.Names = append(cv.Names, "added: "+n)
		}
		for _, n := range c.Missing {
			cv.Names = append(cv.Names, "missing: "+n)
		}
		for _, n := range c.Changed {
			cv.Names = append(cv.Names, "changed: "+n)
		}
		p.Checks = append(p.Checks, cv)
	}
	for _, e := range ev.Envelopes {
		p.Envelopes = append(p.Envelopes, envelope(ev, e, opts))
	}
	p.Title = "cohos report"
	if len(ev.Envelopes) > 0 {
		e := ev.Envelopes[0]
		p.Title = fmt.Sprintf("cohos report: %s, run %s", e.Decision, e.Run.ID)
	}
	switch {
	case ev.TimelineError != "":
		p.TimelineNote = "the MassGen timeline could not be read: " + ev.TimelineError
	case ev.Timeline == nil:
		p.TimelineNote = "no MassGen timeline in this run"
	default:
		var start, end time.Time
		if len(ev.Envelopes) > 0 {
			start, _ = time.Parse(time.RFC3339Nano, ev.Envelopes[0].Run.StartedOn)
			end, _ = time.Parse(time.RFC3339Nano, ev.Envelopes[0].Run.FinishedOn)
		}
		p.Timeline = drawTimelineSpan(ev.Timeline, start, end)
		if !ev.TimelineAttested {
			p.TimelineNote = "massgen_timeline.json is not in the attested artifact set or has changed since it was signed"
		}
	}
	return p
}

func verifyBanner(v evidence.Verification) banner {
	switch {
	case !v.Checked:
		return banner{"unchecked", "Signatures not checked",
			"This report was made without --key: everything below is what the bundle claims, not verified evidence. Run cohos report (or cohos verify) with the trusted public key."}
	case v.Verified:
		return banner{"ok", "Verified",
			fmt.Sprintf("Signed by a trusted key (%d given); the artifacts on disk, decision.json and policy.json match the signed statement, and the decision follows from the attested policy.", len(v.Keys))}
	default:
		return banner{"bad", "NOT VERIFIED",
			"Failed checks: " + strings.Join(v.Failed, ", ") + ". Do not rely on this run's evidence."}
	}
}

func envelope(ev *evidence.Evidence, e evidence.Envelope, opts Options) envelopeView {
	v := envelopeView{
		Line: e.Line, RunID: e.Run.ID, Decision: string(e.Decision), Class: decisionClass(e.Decision),
		Why: e.Decider, Trusted: e.Trust == evidence.Verified, Signatures: e.Signatures, Policy: e.Policy,
		SetSHA256: e.Subject.Digest["sha256"], SetMerkle: e.Subject.Digest["merkle_rfc9162_sha256"],
	}
	if v.Why == "" {
		v.Why = "every rule within its limits"
	}
	switch e.Trust {
	case evidence.Verified:
		v.TrustText = "signed by a trusted key"
	case evidence.Untrusted:
		v.TrustText = "NOT signed by a trusted key: claimed, untrusted"
	default:
		v.TrustText = "claimed by the bundle: signatures not checked"
	}
	for _, r := range e.Rules {
		v.Rules = append(v.Rules, rule(r))
	}
	v.Run = runRows(e)
	names := make([]string, 0, len(e.Metrics))
	for n := range e.Metrics {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		v.Metrics = append(v.Metrics, [2]string{n, e.Metrics[n].String()})
	}
	limit := opts.MaxArtifacts
	if limit <= 0 {
		limit = defaultMaxArtifacts
	}
	for i, f := range e.Artifacts {
		if i == limit {
			v.More = len(e.Artifacts) - i
			break
		}
		a := artifactView{Name: f.Name, Href: href(opts.RunDir, f.Name), SHA256: f.SHA256, Size: f.Size}
		if pv, ok := ev.Previews[f.Name]; ok && e.Line == 1 {
			a.Preview = &pv
		}
		v.Artifacts = append(v.Artifacts, a)
	}
	for _, s := range e.Skipped {
		v.Skipped = append(v.Skipped, s.Kind+": "+s.Name)
	}
	return v
}

func runRows(e evidence.Envelope) [][2]string {
	r := e.Run
	exit, exitLabel := "", "exit code"
	if r.ExitCode != nil {
		exit = fmt.Sprint(*r.ExitCode)
		if *r.ExitCode == -1 {
			exit = "-1 (stopped by a signal)"
		}
	}
	if r.Runner == "massgen" {
		// MassGen exits 0 on its own timeout and when every agent failed:
		// its exit code is evidence, not the verdict.
		exitLabel = "massgen exit code"
	}
	rows := [][2]string{
		{"cause", r.Cause},
		{"run id", r.ID},
		{"runner", r.Runner},
		{"runner version", r.RunnerVersion},
		{"models", strings.Join(r.Models, ", ")},
		{"base URL", r.BaseURL},
		{"question", question(r)},
		{"question digest", digest(r.QuestionDigest)},
		{"config", digest(r.ConfigDigest)},
		{"argv", strings.Join(r.Argv, " ")},
		{"started", r.StartedOn},
		{"finished", r.FinishedOn},
		{exitLabel, exit},
		{"problems", strings.Join(r.Problems, "; ")},
		{"attested", e.AttestedOn},
		{"governor", strings.TrimSpace(e.Governor.Name + " " + e.Governor.Version)},
	}
	out := rows[:0]
	for _, r := range rows {
		if r[1] != "" {
			out = append(out, r)
		}
	}
	return out
}

// question is the question text when it was recorded: the last argv
// element of a MassGen run whose SHA-256 is the attested question digest.
func question(r attest.Run) string {
	if r.Runner != "massgen" || len(r.Argv) == 0 || r.QuestionDigest["sha256"] == "" {
		return ""
	}
	q := r.Argv[len(r.Argv)-1]
	sum := sha256.Sum256([]byte(q))
	if hex.EncodeToString(sum[:]) != r.QuestionDigest["sha256"] {
		return ""
	}
	return q
}

func digest(d map[string]string) string {
	keys := make([]string, 0, len(d))
	for k := range d {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for i, k := range keys {
		keys[i] = k + ":" + d[k]
	}
	return strings.Join(keys, " ")
}

// href is the relative link from the report to one artifact.
func href(runDir, name string) string {
	if runDir == "" || runDir == "." {
		return "./" + escapePath(name)
	}
	return "./" + escapePath(strings.TrimSuffix(runDir, "/")) + "/" + escapePath(name)
}

// escapePath percent-encodes each segment of a slash-separated name so
// that '#', '?' and ':' in file names stay part of the path.
func escapePath(name string) string {
	segs := strings.Split(name, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/")
}

// decisionClass maps a decision to its CSS class (unknown values look like
// REFUSE, never better).
func decisionClass(d policy.Decision) string {
	switch d {
	case policy.Allow:
		return "allow"
	case policy.Marginal:
		return "marginal"
	}
	return "refuse"
}
