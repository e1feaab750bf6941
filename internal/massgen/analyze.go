package massgen

import (
	"context"
	"errors"
	"io/fs"
	"path"
	"sort"

	"cohos.dev/cohos/policy"
)

// Analysis is what MassGen's own files say about one run.
type Analysis struct {
	Metrics      policy.Metrics    // never nil; see Analyze for the metric names
	Winner       string            // "" if none
	FinalAnswer  string            // path (relative to the fs root) of the final answer file, "" if none
	AgentAnswers map[string]string // agent id -> path (relative to the fs root) of its latest answer.txt
	Agents       []string          // agent ids, sorted
	Models       []string          // model ids from execution_metadata.yaml's config, sorted, unique
	Version      string            // massgen_version from execution_metadata.yaml, "" if unknown
	Timeline     *Timeline         // never nil
	Problems     []string          // why parts could not be read: "status.json: truncated", ...
	// Failures says why each failed agent failed, from events.jsonl:
	// "agent_a: Agent failed to use workflow tools after 3 attempts; last
	// error: Error code: 400 - {...}". At most 10 agents, then a count.
	Failures []string
}

// The files Analyze reads in the attempt directory.
const (
	statusName   = "status.json"
	eventsName   = "events.jsonl"
	coordName    = "coordination_events.json"
	metadataName = "execution_metadata.yaml"
)

// sources is everything read from one attempt directory.
type sources struct {
	logDir, turnDir, attemptDir string
	st                          *status
	ev                          *events
	co                          *coordination
	md                          *metadata
	modelCalls                  *int // metrics_summary.json's api_timing.total_calls
	canceled                    bool
}

// Analyze reads the MassGen log directory logDir (relative to fsys's root,
// as FindLogDir returns it) and reports what it shows. It reads the highest
// turn_N and, in it, the highest attempt_N directory.
//
// Analyze never fails: a missing, truncated, oversized or malformed file,
// a symbolic link (never followed; give it an os.Root's FS or any
// fs.ReadLinkFS), or a bad line becomes an entry in Problems, and any
// problem makes the run not completed (fail closed). When ctx ends, reading
// stops and the Problems say "analysis: context canceled" (or deadline
// exceeded). Reads are bounded: 64 MiB per file, 1 MiB for the YAML, 4 MiB
// per events.jsonl line, 1M lines.
//
// Counts MassGen logs as events come from events.jsonl, the complete
// record: status.json is a periodic snapshot that lags when a run fails
// fast. Where status.json keeps the same count (answers, enforcement
// retries) and the two disagree, that is a problem.
//
// Metrics (a metric that could not be observed at all is left out, so the
// policy's rule for missing metrics decides):
//   - completed (bool): a winner is known, its final answer file exists and
//     is non-empty, the run did not time out, there are no Problems, and
//     status.json says finish_reason "completed" or, when the final
//     presentation was skipped (MassGen 0.1.91 then leaves finish_reason
//     "in_progress"), events.jsonl has a winner_selected event for that
//     winner. Always present.
//   - timed_out (bool): finish_reason "timeout" or an orchestrator_timeout event.
//   - restarts: agent_restart events.
//   - answers_total, answers_per_agent_max: answer_submitted events (all,
//     and the most by one agent); from status.json's answer_count when
//     events.jsonl could not be read.
//   - ignored_votes: vote_ignored events in coordination_events.json.
//   - enforcement_retries: MassGen's "❌ Retry (n/m)" text events (one per
//     re-prompt of an agent that neither answered nor voted through its
//     tools); from status.json's enforcement records (distinct round and
//     attempt below max_attempts) when events.jsonl could not be read.
//   - votes_total: vote events.
//   - errors_total: error and agent_error events and "❌ Error:" text events.
//   - agent_errors: agents that failed: a non-null error or status "error"
//     in status.json, an enforcement attempt numbered max_attempts, an
//     error/agent_error event, or the "Agent failed to use workflow tools"
//     text event (the only trace when every agent was killed).
//   - tokens_in, tokens_out: the agents' token_usage.
//   - round_latency_p50_seconds, round_latency_p95_seconds: nearest-rank
//     percentiles of all round_history durations; left out without rounds.
//   - agents: the number of agents.
//   - model_calls: the chat-completion calls MassGen made, from
//     metrics_summary.json's api_timing.total_calls (left out when MassGen
//     wrote no summary, as when every agent failed).
func Analyze(ctx context.Context, fsys fs.FS, logDir string) *Analysis {
	a := &Analysis{Metrics: policy.Metrics{}, AgentAnswers: map[string]string{}}
	p := newProblems()
	src := readSources(ctx, fsys, logDir, p)
	crossCheck(&src, p)
	if src.canceled {
		p.add("analysis", "%v", ctx.Err())
	}
	a.Version, a.Agents = collectAgents(&src)
	if src.md != nil {
		a.Models = src.md.models
	}
	a.Winner = pickWinner(&src, p)
	if !src.canceled && src.attemptDir != "" {
		a.FinalAnswer = findFinal(fsys, &src, a.Winner, p)
		for _, id := range a.Agents {
			if f := latestAnswer(fsys, path.Join(src.attemptDir, id)); f != "" {
				a.AgentAnswers[id] = f
			}
		}
	}
	a.Problems = p.list()
	a.Failures = failures(&src)
	a.Metrics = metrics(&src, a)
	a.Timeline = buildTimeline(&src, a)
	return a
}

// readSources finds the attempt directory and reads its four files.
func readSources(ctx context.Context, fsys fs.FS, logDir string, p *problems) sources {
	src := sources{logDir: logDir}
	turn, err := lastNumbered(fsys, logDir, "turn_")
	if err != nil || turn == "" {
		p.add("turn_*", "%v", orMissing(err))
		return src
	}
	src.turnDir = path.Join(logDir, turn)
	attempt, err := lastNumbered(fsys, src.turnDir, "attempt_")
	switch {
	case err != nil:
		p.add("attempt_*", "%v", err)
		return src
	case attempt == "":
		src.attemptDir = src.turnDir // MassGen before attempt directories
	default:
		src.attemptDir = path.Join(src.turnDir, attempt)
	}
	file := func(name string) string { return path.Join(src.attemptDir, name) }
	steps := []func(){
		func() {
			b, err := readBounded(fsys, file(statusName), maxFileSize)
			if err == nil {
				src.st, err = parseStatus(b)
			}
			p.addErr(statusName, err)
		},
		func() {
			ev, err := readEvents(ctx, fsys, file(eventsName), func(f string, args ...any) { p.add(eventsName, f, args...) })
			src.ev = ev
			if err != nil && ctx.Err() == nil {
				p.addErr(eventsName, err)
			}
		},
		func() {
			b, err := readBounded(fsys, file(coordName), maxFileSize)
			if errors.Is(err, errMissing) && !coordinationExpected(src.ev) {
				return // MassGen writes it only after a normal end
			}
			if err == nil {
				src.co, err = parseCoordination(b)
			}
			p.addErr(coordName, err)
		},
		func() {
			b, err := readBounded(fsys, file(metadataName), maxYAMLSize)
			if err == nil {
				src.md, err = parseMetadata(b)
			}
			p.addErr(metadataName, err)
		},
		func() {
			n, ok, err := readModelCalls(fsys, src.attemptDir)
			if ok {
				src.modelCalls = &n
			}
			p.addErr(summaryName, err)
		},
	}
	for _, step := range steps {
		if ctx.Err() != nil {
			src.canceled = true
			return src
		}
		step()
	}
	src.canceled = ctx.Err() != nil
	return src
}

// coordinationExpected reports whether the run ended normally, after which
// MassGen 0.1.91 always writes coordination_events.json: a final_answer or
// winner_selected event. (Without events.jsonl it is expected too.) In the
// captured runs it is absent only when every agent failed or the final
// presentation failed.
func coordinationExpected(ev *events) bool {
	return ev == nil || ev.selected != "" || ev.hasFinalAnswer
}

func orMissing(err error) error {
	if err == nil {
		return errMissing
	}
	return err
}

// collectAgents returns the MassGen version and every agent id any file names.
func collectAgents(src *sources) (string, []string) {
	set := map[string]bool{}
	version := ""
	if src.st != nil {
		for _, id := range src.st.agents {
			set[id] = true
		}
	}
	if src.md != nil {
		version = src.md.version
		for _, id := range src.md.agents {
			set[id] = true
		}
	}
	if src.co != nil {
		for _, id := range src.co.agents {
			set[id] = true
		}
	}
	if src.ev != nil {
		for _, e := range src.ev.timeline {
			if e.Agent != "" {
				set[e.Agent] = true
			}
		}
	}
	agents := make([]string, 0, len(set))
	for id := range set {
		agents = append(agents, id)
	}
	sort.Strings(agents)
	return version, agents
}

// pickWinner takes the winner from events.jsonl (final presentation, else
// winner_selected), else status.json's results.winner, else
// coordination_events.json's final_winner; sources that disagree are a
// problem.
func pickWinner(src *sources, p *problems) string {
	type claim struct{ file, agent string }
	var claims []claim
	if src.ev != nil {
		claims = append(claims, claim{eventsName, src.ev.presenter}, claim{eventsName, src.ev.selected})
	}
	if src.st != nil {
		claims = append(claims, claim{statusName, src.st.winner})
	}
	if src.co != nil {
		claims = append(claims, claim{coordName, src.co.finalWinner})
	}
	winner, from := "", ""
	for _, c := range claims {
		switch {
		case c.agent == "":
		case winner == "":
			winner, from = c.agent, c.file
		case c.agent != winner:
			p.add("winner", "%s names %s but %s names %s", from, winner, c.file, c.agent)
		}
	}
	return winner
}

// findFinal returns the winner's final answer: turn_N/final/<winner>/answer.txt
// (what MassGen prints as ANSWER:), else the attempt's own copy.
func findFinal(fsys fs.FS, src *sources, winner string, p *problems) string {
	if winner == "" {
		return ""
	}
	rel := path.Join("final", winner, "answer.txt")
	var firstErr error
	for _, dir := range []string{src.turnDir, src.attemptDir} {
		name := path.Join(dir, rel)
		fi, err := checkPath(fsys, name)
		switch {
		case err != nil:
		case !fi.Mode().IsRegular():
			err = errIrregular
		case fi.Size() == 0:
			err = errors.New("empty")
		}
		if err == nil {
			return name
		}
		if firstErr == nil || errors.Is(firstErr, errMissing) {
			firstErr = err
		}
	}
	p.addErr(rel, firstErr)
	return ""
}

// latestAnswer returns the newest <agentDir>/<timestamp>/answer.txt, or "".
// The timestamp directories (YYYYmmdd_HHMMSS_ffffff) sort by name.
func latestAnswer(fsys fs.FS, agentDir string) string {
	if checkDir(fsys, agentDir) != nil {
		return ""
	}
	entries, err := fs.ReadDir(fsys, agentDir)
	if err != nil {
		return ""
	}
	for i := len(entries) - 1; i >= 0; i-- {
		if !entries[i].Type().IsDir() {
			continue
		}
		name := path.Join(agentDir, entries[i].Name(), "answer.txt")
		if fi, err := checkPath(fsys, name); err == nil && fi.Mode().IsRegular() {
			return name
		}
	}
	return ""
}
