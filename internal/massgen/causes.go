package massgen

import (
	"fmt"
	"sort"
	"strings"
)

// causeLen bounds each text quoted in a failure cause.
const causeLen = 300

// maxCauses bounds Analysis.Failures.
const maxCauses = 10

// failures says, per failed agent, why it failed, from events.jsonl: the
// kill notice MassGen logged ("Agent failed to use workflow tools after 3
// attempts") and the agent's last error (a model server's HTTP status and
// body as MassGen's client reported it), e.g.
//
//	agent_a: Agent failed to use workflow tools after 3 attempts; last error: Error code: 400 - {...}
func failures(src *sources) []string {
	ev := src.ev
	if ev == nil || len(ev.failed) == 0 {
		return nil
	}
	ids := make([]string, 0, len(ev.failed))
	for id := range ev.failed {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var out []string
	for _, id := range ids {
		if len(out) == maxCauses {
			out = append(out, fmt.Sprintf("%d more agents failed", len(ids)-maxCauses))
			break
		}
		var parts []string
		if k := ev.killed[id]; k != "" {
			parts = append(parts, k)
		}
		if e := ev.lastError[id]; e != "" {
			parts = append(parts, "last error: "+e)
		}
		if len(parts) == 0 {
			parts = append(parts, "failed")
		}
		out = append(out, id+": "+strings.Join(parts, "; "))
	}
	return out
}

// AgentsFailed is the cause of a run that did not complete because agents
// failed: the first failed agent's failure (see Analysis.Failures), and how
// many more failed, e.g. "agent_a: Agent failed to use workflow tools
// after 3 attempts; last error: Error code: 400 - {...} (and 2 more agents
// failed)". It is "" when the run completed or no agent failed.
func AgentsFailed(a *Analysis) string {
	if done, _ := a.Metrics["completed"].Boolean(); done || len(a.Failures) == 0 {
		return ""
	}
	cause := a.Failures[0]
	if n, ok := a.Metrics["agent_errors"].Number(); ok && n > 1 {
		cause += fmt.Sprintf(" (and %d more agents failed)", int(n)-1)
	}
	return cause
}
