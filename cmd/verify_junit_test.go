package cmd

import (
	"encoding/xml"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"cohos.dev/cohos/policy"
	"cohos.dev/cohos/verify"
)

func TestWriteJUnit(t *testing.T) {
	doc := verify.Document{Bundles: []verify.BundleResult{
		{
			Path: "two/bundle.intoto.jsonl",
			Checks: []verify.Check{
				{ID: verify.CheckBundleParse, Status: verify.Pass, Reason: "2 envelope(s)"},
				{ID: verify.CheckSignature, Status: verify.Pass, Envelope: 1, Signature: 1, Reason: "ok"},
				{ID: verify.CheckSignature, Status: verify.Skip, Envelope: 1, Signature: 2, Reason: "untrusted <key> & co"},
				{ID: verify.CheckArtifacts, Status: verify.Fail, Envelope: 2, Reason: "differs", Added: []string{"a]]>.txt"}, Changed: []string{"b.txt"}},
			},
			Envelopes: []verify.EnvelopeSummary{{Line: 1}, {Line: 2}},
		},
		{Path: "missing.jsonl", Error: "open missing.jsonl: no such file or directory", Checks: []verify.Check{}},
	}}
	path := filepath.Join(t.TempDir(), "junit.xml")
	if err := writeJUnit(path, doc); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(b), xml.Header) {
		t.Error("no XML declaration")
	}
	var got junitSuites
	if err := xml.Unmarshal(b, &got); err != nil {
		t.Fatalf("written JUnit does not parse: %v\n%s", err, b)
	}
	var names []string
	for _, s := range got.Suites {
		for _, c := range s.Cases {
			names = append(names, c.Name)
		}
	}
	want := []string{
		"bundle.parse",
		"dsse.signature (envelope 1, signature 1)",
		"dsse.signature (envelope 1, signature 2)",
		"artifacts.digest (envelope 2)",
		"bundle.parse",
	}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("case names %q, want %q", names, want)
	}
	if got.Tests != 5 || got.Failures != 1 || got.Skipped != 1 || got.Errors != 1 {
		t.Errorf("totals tests %d failures %d skipped %d errors %d, want 5 1 1 1", got.Tests, got.Failures, got.Skipped, got.Errors)
	}
	s0 := got.Suites[0]
	if s0.Name != "two/bundle.intoto.jsonl" || s0.Cases[2].Skipped == nil || s0.Cases[2].Skipped.Message != "untrusted <key> & co" {
		t.Errorf("suite 0 = %+v", s0)
	}
	if f := s0.Cases[3].Failure; f == nil || f.Message != "differs" || f.Text != "differs\nadded: a]]>.txt\nchanged: b.txt" {
		t.Errorf("failure = %+v", f)
	}
	if e := got.Suites[1].Cases[0].Error; e == nil || e.Message != "open missing.jsonl: no such file or directory" {
		t.Errorf("error case = %+v", e)
	}
}

func TestAppendStepSummary(t *testing.T) {
	doc := verify.Document{Bundles: []verify.BundleResult{
		{Path: "ok/bundle.intoto.jsonl", Verified: true, Envelopes: []verify.EnvelopeSummary{{Decision: policy.Allow}}},
		{Path: "a|b/<x>.jsonl", Envelopes: []verify.EnvelopeSummary{{Decision: policy.Marginal, Explanation: "restarts 2 > marginal 1"}, {Decision: policy.Marginal, Explanation: "restarts 2 > marginal 1"}, {Decision: policy.Refuse, Explanation: "completed false, required true (timed out after 1s)"}},
			Checks: []verify.Check{{ID: "decision.admissible", Status: verify.Fail}, {ID: "decision.admissible", Status: verify.Fail}}},
	}}
	path := filepath.Join(t.TempDir(), "summary.md")
	for range 2 {
		if err := appendStepSummary(path, doc); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	table := "### cohos verify\n\n| bundle | verified | decision | why | failed checks |\n| --- | --- | --- | --- | --- |\n" +
		"| ok/bundle.intoto.jsonl | yes | ALLOW | - | none |\n" +
		"| a\\|b/&lt;x&gt;.jsonl | no | MARGINAL, REFUSE | restarts 2 &gt; marginal 1; completed false, required true (timed out after 1s) | decision.admissible |\n"
	if got, want := string(b), table+"\n"+table; got != want {
		t.Errorf("summary =\n%s\nwant\n%s", got, want)
	}
	if err := appendStepSummary(filepath.Join(t.TempDir(), "no", "dir.md"), doc); err == nil {
		t.Error("appending into a missing directory succeeded")
	}
}

func TestMDCell(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"plain/path.jsonl", "plain/path.jsonl"},
		{"a|b", `a\|b`},
		{"line\nbreak", "line break"},
		{"<img src=x>", "&lt;img src=x&gt;"},
		{"*bold* _it_ `code` [link](x)", `\*bold\* \_it\_ \` + "`" + `code\` + "`" + ` \[link\](x)`},
		{`back\slash`, `back\\slash`},
	} {
		if got := mdCell(tt.in); got != tt.want {
			t.Errorf("mdCell(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
