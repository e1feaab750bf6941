package massgen

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sort"

	"gopkg.in/yaml.v3"
)

// coordination is what Analyze takes from coordination_events.json.
type coordination struct {
	agents       []string
	finalWinner  string
	ignoredVotes int
	failed       map[string]bool // agents named by agent_error events
}

type coordinationFile struct {
	SessionMetadata *struct {
		AgentIDs    []string `json:"agent_ids"`
		FinalWinner *string  `json:"final_winner"`
	} `json:"session_metadata"`
	Events *[]struct {
		EventType string  `json:"event_type"`
		AgentID   *string `json:"agent_id"`
	} `json:"events"`
}

func parseCoordination(b []byte) (*coordination, error) {
	var f coordinationFile
	if err := decodeJSON(b, &f); err != nil {
		return nil, err
	}
	if f.SessionMetadata == nil || f.Events == nil {
		return nil, errors.New("malformed: session_metadata or events missing")
	}
	c := &coordination{failed: map[string]bool{}}
	for _, id := range f.SessionMetadata.AgentIDs {
		if !validAgentID(id) {
			return nil, fmt.Errorf("malformed: session_metadata.agent_ids: %q", id)
		}
		c.agents = append(c.agents, id)
	}
	if w := f.SessionMetadata.FinalWinner; w != nil {
		if !validAgentID(*w) {
			return nil, fmt.Errorf("malformed: session_metadata.final_winner: %q", *w)
		}
		c.finalWinner = *w
	}
	for i, e := range *f.Events {
		switch e.EventType {
		case "vote_ignored":
			c.ignoredVotes++
		case "agent_error":
			if e.AgentID == nil || !validAgentID(*e.AgentID) {
				return nil, fmt.Errorf("malformed: events[%d]: agent_error without a valid agent_id", i)
			}
			c.failed[*e.AgentID] = true
		}
	}
	return c, nil
}

// metadata is what Analyze takes from execution_metadata.yaml.
type metadata struct {
	version string
	agents  []string
	models  []string // sorted, unique
}

type agentConfig struct {
	ID      string `yaml:"id"`
	Backend struct {
		Model string `yaml:"model"`
	} `yaml:"backend"`
}

type metadataFile struct {
	MassgenVersion string `yaml:"massgen_version"`
	Config         struct {
		Agents []agentConfig `yaml:"agents"`
		Agent  *agentConfig  `yaml:"agent"`
	} `yaml:"config"`
}

// parseMetadata decodes the one YAML document of execution_metadata.yaml.
// Keys Analyze does not use are ignored (MassGen writes many); a second
// document or a wrong type for a used key is an error.
func parseMetadata(b []byte) (*metadata, error) {
	var f metadataFile
	dec := yaml.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&f); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("malformed: empty")
		}
		return nil, fmt.Errorf("malformed: %w", err)
	}
	var extra any
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, errors.New("malformed: more than one YAML document")
	}
	m := &metadata{version: f.MassgenVersion}
	agents := f.Config.Agents
	if f.Config.Agent != nil {
		agents = append(agents, *f.Config.Agent)
	}
	seen := map[string]bool{}
	for i, a := range agents {
		if a.ID != "" {
			if !validAgentID(a.ID) {
				return nil, fmt.Errorf("malformed: config.agents[%d].id %q", i, a.ID)
			}
			m.agents = append(m.agents, a.ID)
		}
		if model := a.Backend.Model; model != "" && !seen[model] {
			seen[model] = true
			m.models = append(m.models, model)
		}
	}
	sort.Strings(m.models)
	return m, nil
}
