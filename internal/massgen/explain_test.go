package massgen

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"

	"cohos.dev/cohos/policy"
	"cohos.dev/cohos/runner"
)

// TestExplainDead: a run whose agents all failed names how many and the
// first error; with the model URL unreachable, that comes first; a URL
// that answers is not blamed; cohos's timeout wins over everything.
func TestExplainDead(t *testing.T) {
	a, _ := analyzeFixture(t, "dead")
	o := &Outcome{Outcome: &runner.Outcome{}, Analysis: a}
	o.Invocation.LogDir = "x"
	o.Metrics = o.metrics()
	const agents = `all 3 agents failed with "❌ Error: Error code: 500 - {'error': {'message': 'scripted failure: the dead substrate profile fails this request'`
	if got := o.explain(context.Background(), ""); !strings.HasPrefix(got, agents) {
		t.Errorf("no URL: %q", got)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	live := fmt.Sprintf("http://%s/v1", l.Addr())
	if got := o.explain(context.Background(), live); !strings.HasPrefix(got, agents) {
		t.Errorf("listening URL blamed: %q", got)
	}
	l.Close()
	want := "model server unreachable at " + live + " (connect: connection refused); " + agents
	if got := o.explain(context.Background(), live); !strings.HasPrefix(got, want) {
		t.Errorf("dead URL: %q, want prefix %q", got, want)
	}
	o.TimedOut, o.Outcome.Cause = true, "timed out after 2s"
	if got := o.explain(context.Background(), live); got != "timed out after 2s" {
		t.Errorf("timed out: %q", got)
	}
}

// TestAgentFailuresQuoteMassGensNotice: a model that wrote prose instead of
// calling a tool leaves that prose before MassGen's notice in the error
// event; the cause quotes the notice alone, and does not repeat it from
// the agent's failure.
func TestAgentFailuresQuoteMassGensNotice(t *testing.T) {
	const notice = "Agent failed to use workflow tools after 3 attempts"
	for _, tt := range []struct{ detail, failure, want string }{
		{"POINT ReceivebcdPsy banking matière❌ " + notice, "agent_a: " + notice,
			`all 3 agents failed with "❌ ` + notice + `"`},
		{"❌ Error: Error code: 400 - too long", "agent_a: " + notice + "; last error: Error code: 400 - too long",
			`all 3 agents failed with "❌ Error: Error code: 400 - too long" (agent_a: ` + notice + `; last error: Error code: 400 - too long)`},
		{"no notice at all", "agent_a: " + notice,
			`all 3 agents failed with "no notice at all" (agent_a: ` + notice + `)`},
	} {
		o := &Outcome{Outcome: &runner.Outcome{}, Analysis: &Analysis{
			Timeline: &Timeline{Events: []Event{{Agent: "agent_a", Type: "error", Detail: tt.detail}}},
			Failures: []string{tt.failure},
		}}
		o.Metrics = policy.Metrics{"agent_errors": policy.Num(3), "agents": policy.Num(3)}
		if got := o.agentFailures(); got != tt.want {
			t.Errorf("%q:\n got %s\nwant %s", tt.detail, got, tt.want)
		}
	}
}
