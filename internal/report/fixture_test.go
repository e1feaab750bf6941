package report_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"

	"cohos.dev/cohos/attest"
	"cohos.dev/cohos/internal/massgen"
	"cohos.dev/cohos/internal/testkit"
	"cohos.dev/cohos/keys"
	"cohos.dev/cohos/policies"
	"cohos.dev/cohos/policy"
)

// demoTimeline is three agents answering, one failing and restarting,
// voting, and the winner presenting: the shape of the demo's MARGINAL run.
const demoTimeline = `{"agents":["agent_a","agent_b","agent_c"],"winner":"agent_b","rounds":[
{"agent":"agent_a","round":1,"outcome":"answer","start":"2026-11-24T05:12:00Z","end":"2026-11-24T05:12:14Z","durationSeconds":14,"inputTokens":912,"outputTokens":214},
{"agent":"agent_b","round":1,"outcome":"answer","start":"2026-11-24T05:12:00Z","end":"2026-11-24T05:12:11Z","durationSeconds":11,"inputTokens":912,"outputTokens":188},
{"agent":"agent_c","round":1,"outcome":"error","start":"2026-11-24T05:12:00Z","end":"2026-11-24T05:12:05Z","durationSeconds":5,"inputTokens":912,"outputTokens":0},
{"agent":"agent_c","round":2,"outcome":"answer","start":"2026-11-24T05:12:07Z","end":"2026-11-24T05:12:19Z","durationSeconds":12,"inputTokens":1310,"outputTokens":201},
{"agent":"agent_b","round":2,"outcome":"vote","start":"2026-11-24T05:12:12Z","end":"2026-11-24T05:12:22Z","durationSeconds":10,"inputTokens":1544,"outputTokens":57},
{"agent":"agent_a","round":2,"outcome":"vote","start":"2026-11-24T05:12:15Z","end":"2026-11-24T05:12:24Z","durationSeconds":9,"inputTokens":1544,"outputTokens":61},
{"agent":"agent_c","round":3,"outcome":"vote","start":"2026-11-24T05:12:20Z","end":"2026-11-24T05:12:29Z","durationSeconds":9,"inputTokens":1690,"outputTokens":49},
{"agent":"agent_b","round":3,"outcome":"presentation","start":"2026-11-24T05:12:30Z","end":"2026-11-24T05:12:38Z","durationSeconds":8,"inputTokens":2050,"outputTokens":402}],
"events":[
{"time":"2026-11-24T05:12:11Z","agent":"agent_b","type":"answer","detail":"answer b1"},
{"time":"2026-11-24T05:12:14Z","agent":"agent_a","type":"answer","detail":"answer a1"},
{"time":"2026-11-24T05:12:05Z","agent":"agent_c","type":"error","detail":"backend error: stream closed <script>alert(1)</script>"},
{"time":"2026-11-24T05:12:07Z","agent":"agent_c","type":"restart","detail":"restart after error"},
{"time":"2026-11-24T05:12:19Z","agent":"agent_c","type":"answer","detail":"answer c1"},
{"time":"2026-11-24T05:12:22Z","agent":"agent_b","type":"vote","detail":"for agent_b"},
{"time":"2026-11-24T05:12:24Z","agent":"agent_a","type":"vote","detail":"for agent_b"},
{"time":"2026-11-24T05:12:29Z","agent":"agent_c","type":"vote","detail":"for agent_b"},
{"time":"2026-11-24T05:12:30Z","agent":"agent_b","type":"winner"}]}
`

// demoRun writes and attests a MassGen-like run graded MARGINAL by the
// built-in default policy (a slow model server and one agent error). With
// timeline false the run has no massgen_timeline.json. It returns the run
// directory and the signing key's public half.
func demoRun(t testing.TB, timeline bool) (string, *keys.Public) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "20261124T051200.000Z-5e1f0a2b3c4d")
	files := map[string]string{
		"artifacts/final_answer.txt":  "The capital of Australia is Canberra.\n",
		"artifacts/agent_a.txt":       "Canberra.\n",
		"artifacts/agent_b.txt":       "The capital of Australia is Canberra.\n",
		"artifacts/agent_c.txt":       "Canberra (not Sydney).\n",
		"artifacts/index.txt":         "final_answer.txt\nagent_a.txt\nagent_b.txt\nagent_c.txt\n",
		"artifacts/odd name #1?.txt":  "<b>not bold</b>\n",
		"massgen_stdout.log":          "coordination finished, winner agent_b\n",
		"massgen_stderr.log":          "",
		"massgen_invocation.json":     `{"argv":["massgen","--automation","--config","massgen_config.yaml"]}` + "\n",
		".massgen/turn_1/status.json": `{"finish_reason":"completed"}` + "\n",
	}
	if timeline {
		files[massgen.TimelineName] = demoTimeline
	}
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	pol, err := policy.Parse(policies.Default())
	if err != nil {
		t.Fatal(err)
	}
	q := sha256.Sum256([]byte("What is the capital of Australia?"))
	exit := 0
	signer, pub := testkit.Key(t, keys.Ed25519)
	res, err := attest.Attest(context.Background(), dir, attest.Options{
		Policy: pol,
		Metrics: policy.Metrics{
			"completed": policy.Bool(true), "timed_out": policy.Bool(false), "interrupted": policy.Bool(false),
			"restarts": policy.Num(1), "wall_seconds": policy.Num(38.4), "answers_per_agent_max": policy.Num(1),
			"agent_errors": policy.Num(1), "enforcement_retries": policy.Num(0),
			"round_latency_p50_seconds": policy.Num(6.1), "round_latency_p95_seconds": policy.Num(8.5),
			"isolated": policy.Bool(true),
		},
		Run: attest.Run{
			Runner: "massgen", RunnerVersion: "0.1.40",
			Argv:           []string{"massgen", "--automation", "--config", "massgen_config.yaml", "What is the capital of Australia?"},
			QuestionDigest: map[string]string{"sha256": hex.EncodeToString(q[:])},
			Models:         []string{"qwen2.5-7b-instruct"}, BaseURL: "http://127.0.0.1:8011/v1",
			StartedOn: "2026-11-24T05:12:00Z", FinishedOn: "2026-11-24T05:12:38Z", ExitCode: &exit,
		},
		Signers: []dsse.Signer{signer},
		Now:     time.Date(2026, 11, 24, 5, 12, 40, 0, time.UTC),
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Evaluation.Decision != policy.Marginal {
		t.Fatalf("demo run graded %s, want MARGINAL", res.Evaluation.Decision)
	}
	return dir, pub
}
