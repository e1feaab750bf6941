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

// parseMetadata decodes the one YAML document of execution_metadata.yaml.
// Keys Analyze does not use are ignored (MassGen writes many); a second
// document, a key given twice in any mapping, or a wrong type for a used
// key is an error.
//
// The job writes this file, so the work is linear in its size: it is
// parsed into a yaml.Node tree (yaml.v3's decoding into structs checks
// duplicate keys in time quadratic in a mapping's size: minutes for 1 MiB)
// and duplicates are found with one set per mapping.
func parseMetadata(b []byte) (*metadata, error) {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("malformed: empty")
		}
		return nil, fmt.Errorf("malformed: %w", err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, errors.New("malformed: more than one YAML document")
	}
	if err := uniqueKeys(&doc); err != nil {
		return nil, err
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	f := struct {
		version string
		agents  []agentConfig
	}{}
	if !isNull(root) {
		if root.Kind != yaml.MappingNode {
			return nil, errors.New("malformed: not a mapping")
		}
		if err := scalarField(root, "massgen_version", &f.version); err != nil {
			return nil, err
		}
		if cfg := field(root, "config"); !isNull(cfg) {
			if cfg.Kind != yaml.MappingNode {
				return nil, errors.New("malformed: config is not a mapping")
			}
			if list := field(cfg, "agents"); !isNull(list) {
				if list.Kind != yaml.SequenceNode {
					return nil, errors.New("malformed: config.agents is not a sequence")
				}
				for i, n := range list.Content {
					a, err := agentOf(n)
					if err != nil {
						return nil, fmt.Errorf("malformed: config.agents[%d]: %w", i, err)
					}
					f.agents = append(f.agents, a)
				}
			}
			if one := field(cfg, "agent"); !isNull(one) {
				a, err := agentOf(one)
				if err != nil {
					return nil, fmt.Errorf("malformed: config.agent: %w", err)
				}
				f.agents = append(f.agents, a)
			}
		}
	}
	m := &metadata{version: f.version}
	agents := f.agents
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
