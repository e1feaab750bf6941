package massgen

import (
	"math"
	"sort"

	"cohos.dev/cohos/policy"
)

// metrics derives the governance metrics (documented on Analyze) from what
// was read. a must already hold Winner, FinalAnswer, Agents and Problems.
func metrics(src *sources, a *Analysis) policy.Metrics {
	m := policy.Metrics{}
	st, ev, co := src.st, src.ev, src.co
	setNum := func(name string, n int) { m[name] = policy.Num(float64(n)) }

	timedOut := st != nil && st.finishReason == "timeout" || ev != nil && ev.timedOut
	if st != nil || ev != nil {
		m["timed_out"] = policy.Bool(timedOut)
	}
	switch {
	case ev != nil:
		setNum("agent_restarts", ev.restarts)
		setNum("restarts", excessRestarts(ev.restartsBy))
		setNum("answers_total", ev.answersN)
		setNum("answers_per_agent_max", maxValue(ev.answers))
		setNum("enforcement_retries", ev.retriesN)
		setNum("votes_total", ev.votes)
		setNum("errors_total", ev.errorsN)
	case st != nil: // events.jsonl unreadable: already a problem
		total := 0
		for _, n := range st.answers {
			total += n
		}
		setNum("answers_total", total)
		setNum("answers_per_agent_max", maxValue(st.answers))
		retries := 0
		for _, n := range st.attempts {
			retries += n
		}
		setNum("enforcement_retries", retries)
	}
	if co != nil {
		setNum("ignored_votes", co.ignoredVotes)
	}
	if st != nil {
		m["tokens_in"] = policy.Num(float64(st.tokensIn))
		m["tokens_out"] = policy.Num(float64(st.tokensOut))
		if len(st.rounds) > 0 {
			d := make([]float64, len(st.rounds))
			for i, r := range st.rounds {
				d[i] = r.DurationSeconds
			}
			sort.Float64s(d)
			m["round_latency_p50_seconds"] = policy.Num(nearestRank(d, 50))
			m["round_latency_p95_seconds"] = policy.Num(nearestRank(d, 95))
		}
	}
	if st != nil || ev != nil || co != nil {
		failed := map[string]bool{}
		for _, set := range []map[string]bool{statusFailed(st), eventsFailed(ev), coordFailed(co)} {
			for id := range set {
				failed[id] = true
			}
		}
		setNum("agent_errors", len(failed))
	}
	if st != nil || ev != nil || co != nil || src.md != nil {
		setNum("agents", len(a.Agents))
	}
	if src.modelCalls != nil {
		setNum("model_calls", *src.modelCalls)
	}

	finished := st != nil && (st.finishReason == "completed" ||
		st.finishReason == "in_progress" && ev != nil && ev.selected != "" && ev.selected == a.Winner)
	m["completed"] = policy.Bool(finished && a.Winner != "" && a.FinalAnswer != "" &&
		!timedOut && len(a.Problems) == 0)
	return m
}

func statusFailed(st *status) map[string]bool {
	if st == nil {
		return nil
	}
	return st.failed
}

func eventsFailed(ev *events) map[string]bool {
	if ev == nil {
		return nil
	}
	return ev.failed
}

func coordFailed(co *coordination) map[string]bool {
	if co == nil {
		return nil
	}
	return co.failed
}

func maxValue(m map[string]int) int {
	best := 0
	for _, n := range m {
		best = max(best, n)
	}
	return best
}

// nearestRank returns the p-th percentile of the sorted, non-empty d by
// the nearest-rank method: the value at rank ceil(p/100 * n).
func nearestRank(d []float64, p float64) float64 {
	rank := int(math.Ceil(p / 100 * float64(len(d))))
	rank = min(max(rank, 1), len(d))
	return d[rank-1]
}

// buildTimeline orders the rounds by start and the events by time.
func buildTimeline(src *sources, a *Analysis) *Timeline {
	t := &Timeline{
		Agents: append([]string{}, a.Agents...),
		Winner: a.Winner,
		Rounds: []Round{},
		Events: []Event{},
	}
	if src.st != nil {
		t.Rounds = append(t.Rounds, src.st.rounds...)
		sort.SliceStable(t.Rounds, func(i, j int) bool {
			x, y := t.Rounds[i], t.Rounds[j]
			if !x.Start.Equal(y.Start) {
				return x.Start.Before(y.Start)
			}
			return x.Agent < y.Agent
		})
	}
	if src.ev != nil {
		t.Events = append(t.Events, src.ev.timeline...)
		sort.SliceStable(t.Events, func(i, j int) bool { return t.Events[i].Time.Before(t.Events[j].Time) })
	}
	return t
}

// excessRestarts counts agent restarts beyond the first per agent. In
// MassGen's protocol every agent restarts once as a matter of course (it
// answered, then restarts to see the others' answers and vote), so a calm
// run has restarts == 0 and churn shows as restarts > 0. The raw count is
// the agent_restarts metric.
func excessRestarts(by map[string]int) int {
	n := 0
	for _, c := range by {
		if c > 1 {
			n += c - 1
		}
	}
	return n
}
