package report_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"cohos.dev/cohos/internal/evidence"
	"cohos.dev/cohos/internal/report"
	"cohos.dev/cohos/internal/testkit"
	"cohos.dev/cohos/keys"
)

// render loads dir with keys and renders the page.
func render(t *testing.T, dir string, opts report.Options, trusted ...*keys.Public) string {
	t.Helper()
	ev, err := evidence.Load(context.Background(), dir, evidence.Options{Keys: trusted, PreviewBytes: 4096})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := report.Render(&buf, ev, opts); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func TestRender(t *testing.T) {
	dir, pub := demoRun(t, true)
	_, other := testkit.Key(t, keys.Ed25519)
	noTimeline, _ := demoRun(t, false)
	tests := []struct {
		name    string
		dir     string
		keys    []*keys.Public
		opts    report.Options
		want    []string
		notWant []string
	}{
		{
			name: "no key: claimed, not checked",
			dir:  dir,
			want: []string{
				`<div class="decision">MARGINAL</div>`,
				`<div class="why">agent_errors 1 &gt; marginal 0; round_latency_p95_seconds 8.5 &gt; marginal 3</div>`,
				`<strong>Signatures not checked.</strong>`,
				`banner marginal unverified`,
				`claimed by the bundle: signatures not checked`,
				`class="r-restart"`, `class="m-winner"`, `★ agent_b`,
				`<a href="./artifacts/final_answer.txt">artifacts/final_answer.txt</a>`,
				`<a href="./artifacts/odd%20name%20%231%3F.txt">artifacts/odd name #1?.txt</a>`,
				`<pre>&lt;b&gt;not bold&lt;/b&gt;`,
				`stream closed &lt;script&gt;alert(1)&lt;/script&gt;`,
				`qwen2.5-7b-instruct`,
				`<td class="k">base URL</td><td class="mono">http://127.0.0.1:8011/v1</td>`,
			},
			notWant: []string{"<script", "<b>not bold", "Verification checks", "no MassGen timeline"},
		},
		{
			name: "trusted key: verified, every check listed",
			dir:  dir, keys: []*keys.Public{pub}, opts: report.Options{RunDir: "../runs/x"},
			want: []string{
				`<strong>Verified.</strong>`, `banner marginal"`, `signed by a trusted key`,
				`<h2>Verification checks</h2>`, `<td class="mono">dsse.threshold</td><td class="st-pass">pass</td>`,
				`<td class="st-verified">verified</td>`,
				`<a href="./../runs/x/artifacts/agent_a.txt">`,
			},
			notWant: []string{"banner marginal unverified", "Signatures not checked"},
		},
		{
			name: "untrusted key: not verified",
			dir:  dir, keys: []*keys.Public{other},
			want:    []string{`<strong>NOT VERIFIED.</strong>`, `Failed checks: dsse.threshold.`, `banner marginal unverified`, `NOT signed by a trusted key`, `<td class="st-untrusted">untrusted</td>`},
			notWant: []string{`<strong>Verified.</strong>`},
		},
		{
			name:    "a run without a timeline says so",
			dir:     noTimeline,
			want:    []string{`<p class="note">no MassGen timeline in this run</p>`},
			notWant: []string{`class="tl"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page := render(t, tt.dir, tt.opts, tt.keys...)
			for _, w := range tt.want {
				if !strings.Contains(page, w) {
					t.Errorf("page lacks %q", w)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(page, w) {
					t.Errorf("page has %q", w)
				}
			}
		})
	}
}

// TestSelfContained: nothing in the page refers outside it except the
// relative artifact links, and the CSP forbids loading anything.
func TestSelfContained(t *testing.T) {
	dir, pub := demoRun(t, true)
	page := render(t, dir, report.Options{}, pub)
	if !strings.Contains(page, `content="default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"`) {
		t.Error("page lacks its Content-Security-Policy")
	}
	for _, m := range regexp.MustCompile(`(?i)\b(src|href|xlink:href|action)\s*=\s*"([^"]*)"`).FindAllStringSubmatch(page, -1) {
		if !strings.HasPrefix(m[2], "./") {
			t.Errorf("%s=%q is not a relative link", m[1], m[2])
		}
	}
	for _, bad := range []string{"<script", "<link", "<img", "<iframe", "@import", "url("} {
		if strings.Contains(page, bad) {
			t.Errorf("page contains %q", bad)
		}
	}
}

// TestTimelineChangedAfterSigning: the page warns when the timeline on
// disk is not the attested one.
func TestTimelineChangedAfterSigning(t *testing.T) {
	dir, _ := demoRun(t, true)
	p := filepath.Join(dir, "massgen_timeline.json")
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, bytes.Replace(b, []byte(`"winner":"agent_b"`), []byte(`"winner":"agent_c"`), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	page := render(t, dir, report.Options{})
	if !strings.Contains(page, "massgen_timeline.json is not in the attested artifact set or has changed since it was signed") {
		t.Error("no warning about the changed timeline")
	}
}
