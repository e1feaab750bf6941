package report_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"

	"cohos.dev/cohos/attest"
	"cohos.dev/cohos/govern"
	"cohos.dev/cohos/internal/massgen"
	"cohos.dev/cohos/internal/testkit"
	"cohos.dev/cohos/keys"
	"cohos.dev/cohos/policies"
	"cohos.dev/cohos/policy"
)

// deadCause is the cause cohos records when every agent failed and
// nothing answers at the model URL (internal/massgen explain).
const deadCause = `model server unreachable at http://127.0.0.1:9/v1 (connect: connection refused); all 3 agents failed with "Connection error."`

// timeoutRun governs `sleep 5` with a one-second timeout: a real REFUSE.
func timeoutRun(t *testing.T) (string, *keys.Public) {
	t.Helper()
	pol, err := policy.Parse(policies.Default())
	if err != nil {
		t.Fatal(err)
	}
	signer, pub := testkit.Key(t, keys.Ed25519)
	dir := filepath.Join(t.TempDir(), "timeout")
	if _, err := govern.Run(context.Background(), govern.Command{Argv: []string{"sleep", "5"}}, govern.Options{
		Policy: pol, Signers: []dsse.Signer{signer}, Dir: dir, Timeout: time.Second,
	}); err != nil {
		t.Fatal(err)
	}
	return dir, pub
}

// deadServerRun is a MassGen run against a model server that is not
// running, as cohos records it: three agents failing with MassGen's
// "Connection error.", over 31 s, MassGen exiting 0.
func deadServerRun(t *testing.T) (string, *keys.Public) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "dead-server")
	t0 := time.Date(2026, 11, 24, 5, 12, 0, 0, time.UTC)
	tl := &massgen.Timeline{Agents: []string{"agent_a", "agent_b", "agent_c"}}
	for i, a := range tl.Agents {
		at := t0.Add(time.Duration(1+i) * time.Second)
		tl.Rounds = append(tl.Rounds, massgen.Round{Agent: a, Round: 1, Outcome: "error", Start: t0, End: at, DurationSeconds: at.Sub(t0).Seconds()})
		tl.Events = append(tl.Events, massgen.Event{Time: at, Agent: a, Type: "error", Detail: "Connection error."})
	}
	files := map[string][]byte{"massgen_stdout.log": nil, "massgen_stderr.log": nil}
	var err error
	if files[massgen.TimelineName], err = jsonOf(tl); err != nil {
		t.Fatal(err)
	}
	for name, b := range files {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	pol, err := policy.Parse(policies.Default())
	if err != nil {
		t.Fatal(err)
	}
	signer, pub := testkit.Key(t, keys.Ed25519)
	exit := 0
	q := "What is 2+2? <b>not bold</b>"
	argv := []string{"massgen", "--automation", "--config", "massgen_config.yaml", q}
	if _, err := attest.Attest(context.Background(), dir, attest.Options{
		Policy: pol,
		Metrics: policy.Metrics{
			"completed": policy.Bool(false), "timed_out": policy.Bool(false), "interrupted": policy.Bool(false),
			"restarts": policy.Num(0), "wall_seconds": policy.Num(30.9), "agents": policy.Num(3),
			"agent_errors": policy.Num(3), "massgen_exit_code": policy.Num(0),
		},
		Run: attest.Run{
			ID: "20261124T051200.000Z-dead00000000", Runner: "massgen", RunnerVersion: "0.1.91", Argv: argv,
			QuestionDigest: map[string]string{"sha256": sha256Hex(q)},
			Models:         []string{"cohos-substrate-stable"}, BaseURL: "http://127.0.0.1:9/v1",
			StartedOn: t0.Format(time.RFC3339Nano), FinishedOn: t0.Add(30900 * time.Millisecond).Format(time.RFC3339Nano),
			ExitCode: &exit, Cause: deadCause,
		},
		Signers: []dsse.Signer{signer},
		Now:     t0.Add(31 * time.Second),
	}); err != nil {
		t.Fatal(err)
	}
	return dir, pub
}

// TestCauseScreenshots (issue 12, item 10): the reports of a timed-out
// run and of a run against a dead model server say why in their text,
// readable in a browser and on paper: the banner carries the cause, the
// agents' errors are listed as text, the question is shown escaped. The
// screenshots in docs/ are taken again with -update.
func TestCauseScreenshots(t *testing.T) {
	for _, tc := range []struct {
		name, shot string
		run        func(*testing.T) (string, *keys.Public)
		want       []string
	}{
		{"timeout", "../../docs/report-timeout.png", timeoutRun, []string{
			`<div class="why">completed false, required true (timed out after 1s); timed_out true, required false`,
			`<td class="k">cause</td><td class="mono">timed out after 1s</td>`,
		}},
		{"dead server", "../../docs/report-dead-server.png", deadServerRun, []string{
			`<div class="why">completed false, required true (model server unreachable at http://127.0.0.1:9/v1 (connect: connection refused); all 3 agents failed with "Connection error.")`,
			`<li class="mono">+1.0 s · agent_a · Connection error.</li>`,
			`<td class="k">massgen exit code</td><td class="mono">0</td>`,
			`<td class="k">question</td><td class="mono">What is 2+2? &lt;b&gt;not bold&lt;/b&gt;</td>`,
			`winner none · 30.9s`, // the timeline spans the whole run
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			target, err := filepath.Abs(tc.shot)
			if err != nil {
				t.Fatal(err)
			}
			dir, pub := tc.run(t)
			t.Chdir(filepath.Dir(dir)) // the page shows relative paths
			page, err := filepath.Abs(writeReport(t, filepath.Base(dir), pub))
			if err != nil {
				t.Fatal(err)
			}
			dom, _ := chromium(t, page, "--dump-dom")
			for _, w := range tc.want {
				if !bytes.Contains(dom, []byte(w)) {
					t.Errorf("DOM lacks %q", w)
				}
			}
			if *update {
				shot := filepath.Join(t.TempDir(), "shot.png")
				chromium(t, page, "--screenshot="+shot)
				var buf bytes.Buffer
				enc := png.Encoder{CompressionLevel: png.BestCompression}
				if err := enc.Encode(&buf, decodePNG(t, shot)); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(target, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			fi, err := os.Stat(target)
			if err != nil {
				t.Fatalf("%v: run go test ./internal/report -run TestCauseScreenshots -update", err)
			}
			if fi.Size() > maxScreenshot {
				t.Errorf("%s is %d bytes, want at most %d", tc.shot, fi.Size(), maxScreenshot)
			}
			if err := notBlank(decodePNG(t, target)); err != nil {
				t.Error(err)
			}
			if strings.Contains(string(dom), "<b>not bold</b>") {
				t.Error("the question is not escaped")
			}
		})
	}
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func jsonOf(v any) ([]byte, error) {
	b, err := json.MarshalIndent(v, "", "  ")
	return append(b, '\n'), err
}
