package massgen

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"time"
)

// statusFile is the part of MassGen's status.json that Analyze uses.
type statusFile struct {
	FinishReason *string                `json:"finish_reason"`
	Agents       map[string]statusAgent `json:"agents"`
	Results      struct {
		Winner *string `json:"winner"`
	} `json:"results"`
}

type statusAgent struct {
	Status       string          `json:"status"`
	AnswerCount  float64         `json:"answer_count"`
	Error        json.RawMessage `json:"error"`
	TokenUsage   *tokenUsage     `json:"token_usage"`
	RoundHistory []statusRound   `json:"round_history"`
	Reliability  *reliability    `json:"reliability"`
}

type tokenUsage struct {
	InputTokens  float64 `json:"input_tokens"`
	OutputTokens float64 `json:"output_tokens"`
}

type statusRound struct {
	RoundNumber  float64 `json:"round_number"`
	Outcome      string  `json:"outcome"`
	InputTokens  float64 `json:"input_tokens"`
	OutputTokens float64 `json:"output_tokens"`
	StartTime    float64 `json:"start_time"`
	EndTime      float64 `json:"end_time"`
	DurationMS   float64 `json:"duration_ms"`
}

type reliability struct {
	EnforcementAttempts []struct {
		Round       float64 `json:"round"`
		Attempt     float64 `json:"attempt"`
		MaxAttempts float64 `json:"max_attempts"`
	} `json:"enforcement_attempts"`
	TotalEnforcementRetries *float64 `json:"total_enforcement_retries"`
}

// status is what Analyze takes from a valid status.json.
type status struct {
	finishReason string
	winner       string // results.winner, "" if null
	agents       []string
	answers      map[string]int
	failed       map[string]bool // non-null error, status "error", or a last enforcement attempt
	retries      int             // reliability.total_enforcement_retries (or the records), all agents
	attempts     map[string]int  // distinct (round, attempt) enforcement records per agent
	tokensIn     int64
	tokensOut    int64
	rounds       []Round
}

// maxCount bounds every count MassGen reports (2^53: exact in a float64).
const maxCount = 1 << 53

// parseStatus decodes and checks status.json. Any value of the wrong type
// or out of range makes the whole file invalid: half-believed numbers
// would let a corrupt file pass a policy.
func parseStatus(b []byte) (*status, error) {
	var f statusFile
	if err := decodeJSON(b, &f); err != nil {
		return nil, err
	}
	if f.FinishReason == nil {
		return nil, fmt.Errorf("malformed: finish_reason missing")
	}
	if f.Agents == nil {
		return nil, fmt.Errorf("malformed: agents missing")
	}
	s := &status{
		finishReason: *f.FinishReason,
		answers:      map[string]int{},
		attempts:     map[string]int{},
		failed:       map[string]bool{},
	}
	if w := f.Results.Winner; w != nil {
		if !validAgentID(*w) {
			return nil, fmt.Errorf("malformed: results.winner %q is not an agent id", *w)
		}
		s.winner = *w
	}
	ids := make([]string, 0, len(f.Agents))
	for id := range f.Agents {
		if !validAgentID(id) {
			return nil, fmt.Errorf("malformed: agent id %q", id)
		}
		ids = append(ids, id)
	}
	sort.Strings(ids) // a deterministic order for rounds and errors
	for _, id := range ids {
		if err := s.addAgent(id, f.Agents[id]); err != nil {
			return nil, fmt.Errorf("malformed: agents.%s: %w", id, err)
		}
	}
	return s, nil
}

func (s *status) addAgent(id string, a statusAgent) error {
	s.agents = append(s.agents, id)
	n, err := count(a.AnswerCount, "answer_count")
	if err != nil {
		return err
	}
	s.answers[id] = int(n)
	if e := bytes.TrimSpace(a.Error); len(e) > 0 && !bytes.Equal(e, []byte("null")) {
		s.failed[id] = true
	}
	if a.Status == "error" {
		s.failed[id] = true
	}
	if u := a.TokenUsage; u != nil {
		in, err := count(u.InputTokens, "token_usage.input_tokens")
		if err != nil {
			return err
		}
		out, err := count(u.OutputTokens, "token_usage.output_tokens")
		if err != nil {
			return err
		}
		if s.tokensIn+in > maxCount || s.tokensOut+out > maxCount {
			return fmt.Errorf("token_usage: total out of range")
		}
		s.tokensIn += in
		s.tokensOut += out
	}
	if r := a.Reliability; r != nil {
		if err := s.addReliability(id, r); err != nil {
			return err
		}
	}
	for i, r := range a.RoundHistory {
		round, err := makeRound(id, r)
		if err != nil {
			return fmt.Errorf("round_history[%d]: %w", i, err)
		}
		s.rounds = append(s.rounds, round)
	}
	return nil
}

// addReliability sums enforcement retries and marks an agent whose
// recorded attempts reached max_attempts: MassGen kills an agent after its
// last attempt fails. (Periodic snapshots often miss that last attempt;
// events.jsonl then says so.)
func (s *status) addReliability(id string, r *reliability) error {
	n := int64(len(r.EnforcementAttempts))
	if r.TotalEnforcementRetries != nil {
		var err error
		if n, err = count(*r.TotalEnforcementRetries, "reliability.total_enforcement_retries"); err != nil {
			return err
		}
	}
	if int64(s.retries)+n > maxCount {
		return fmt.Errorf("reliability: total out of range")
	}
	s.retries += int(n)
	// One failed attempt can leave two records (api_error, then
	// no_tool_calls); MassGen re-prompts once per (round, attempt) below
	// max_attempts.
	seen := map[[2]float64]bool{}
	for i, at := range r.EnforcementAttempts {
		if _, err := count(at.Round, "round"); err != nil {
			return fmt.Errorf("reliability.enforcement_attempts[%d]: %w", i, err)
		}
		a, err := count(at.Attempt, "attempt")
		if err != nil {
			return fmt.Errorf("reliability.enforcement_attempts[%d]: %w", i, err)
		}
		m, err := count(at.MaxAttempts, "max_attempts")
		if err != nil {
			return fmt.Errorf("reliability.enforcement_attempts[%d]: %w", i, err)
		}
		if m > 0 && a >= m {
			s.failed[id] = true // the last attempt failed: killed, not re-prompted
		} else {
			seen[[2]float64{at.Round, at.Attempt}] = true
		}
	}
	s.attempts[id] = len(seen)
	return nil
}

func makeRound(agent string, r statusRound) (Round, error) {
	no, err := count(r.RoundNumber, "round_number")
	if err != nil {
		return Round{}, err
	}
	in, err := count(r.InputTokens, "input_tokens")
	if err != nil {
		return Round{}, err
	}
	out, err := count(r.OutputTokens, "output_tokens")
	if err != nil {
		return Round{}, err
	}
	start, err := unixTime(r.StartTime, "start_time")
	if err != nil {
		return Round{}, err
	}
	end, err := unixTime(r.EndTime, "end_time")
	if err != nil {
		return Round{}, err
	}
	if !finite(r.DurationMS) || r.DurationMS < 0 || r.DurationMS > 1e12 {
		return Round{}, fmt.Errorf("duration_ms %v out of range", r.DurationMS)
	}
	return Round{
		Agent:           agent,
		Round:           int(no),
		Outcome:         r.Outcome,
		Start:           start,
		End:             end,
		DurationSeconds: msToSeconds(r.DurationMS),
		InputTokens:     in,
		OutputTokens:    out,
	}, nil
}

// count checks that f is a whole number in [0, 2^53].
func count(f float64, name string) (int64, error) {
	if !finite(f) || f < 0 || f > maxCount || f != math.Trunc(f) {
		return 0, fmt.Errorf("%s %v is not a count", name, f)
	}
	return int64(f), nil
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

// msToSeconds converts milliseconds to seconds rounded to the microsecond,
// so that 137.82 ms is exactly the float64 nearest 0.13782.
func msToSeconds(ms float64) float64 { return math.Round(ms*1000) / 1e6 }

// unixTime converts MassGen's Unix seconds (a float) to a UTC time rounded
// to the microsecond; 0 (unknown) gives the zero time.
func unixTime(f float64, name string) (time.Time, error) {
	if f == 0 {
		return time.Time{}, nil
	}
	if !finite(f) || f < 0 || f > 1e11 {
		return time.Time{}, fmt.Errorf("%s %v out of range", name, f)
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(math.Round(frac*1e6))*1000).UTC(), nil
}
