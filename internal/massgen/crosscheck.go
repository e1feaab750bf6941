package massgen

import "sort"

// crossCheck compares the counts events.jsonl and status.json both keep,
// per agent. events.jsonl is written as things happen; status.json is a
// snapshot taken every few seconds, so when a run fails fast its last
// snapshot can miss the end (three real runs that each logged six retries
// had 5, 0 and 5 in status.json). The metrics come from the events; a
// disagreement is recorded as a problem, because it also means one of the
// two files is not what MassGen would have written.
func crossCheck(src *sources, p *problems) {
	st, ev := src.st, src.ev
	if st == nil || ev == nil {
		return
	}
	compare := func(what string, fromStatus, fromEvents map[string]int, eventName string) {
		ids := map[string]bool{}
		for id := range fromStatus {
			ids[id] = true
		}
		for id := range fromEvents {
			if id != "" {
				ids[id] = true
			}
		}
		sorted := make([]string, 0, len(ids))
		for id := range ids {
			sorted = append(sorted, id)
		}
		sort.Strings(sorted)
		for _, id := range sorted {
			if s, e := fromStatus[id], fromEvents[id]; s != e {
				p.add(statusName, "%s of %s is %d but %s has %d %s events (the metric counts the events)",
					what, id, s, eventsName, e, eventName)
			}
		}
	}
	compare("answer_count", st.answers, ev.answers, "answer_submitted")
	compare("enforcement retries", st.attempts, ev.retries, `"Retry (n/m)"`)
}
