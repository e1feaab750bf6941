package massgen

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"time"
)

// TimelineName is the file the MassGen runner writes into the run
// directory (and so into the attested artifact set): what each agent did,
// round by round, taken from MassGen's own records.
const TimelineName = "massgen_timeline.json"

// Timeline is the per-agent history of one MassGen run.
type Timeline struct {
	Agents []string `json:"agents"`
	Winner string   `json:"winner,omitempty"`
	Rounds []Round  `json:"rounds"`
	Events []Event  `json:"events"`
}

// Round is one agent round (status.json round_history).
type Round struct {
	Agent           string    `json:"agent"`
	Round           int       `json:"round"`
	Outcome         string    `json:"outcome"` // answer, vote, restarted, error, timeout, presentation, ...
	Start           time.Time `json:"start"`
	End             time.Time `json:"end"`
	DurationSeconds float64   `json:"durationSeconds"`
	InputTokens     int64     `json:"inputTokens"`
	OutputTokens    int64     `json:"outputTokens"`
}

// Event is one point on the timeline (events.jsonl).
type Event struct {
	Time   time.Time `json:"time"`
	Agent  string    `json:"agent,omitempty"`
	Type   string    `json:"type"` // answer, vote, restart, error, winner, timeout
	Detail string    `json:"detail,omitempty"`
}

// ParseTimeline decodes a massgen_timeline.json strictly.
func ParseTimeline(b []byte) (*Timeline, error) {
	var t Timeline
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&t); err != nil {
		return nil, fmt.Errorf("%s: %w", TimelineName, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%s: trailing data", TimelineName)
	}
	return &t, nil
}
