package massgencfg

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"

	"gopkg.in/yaml.v3"
)

// MaxConfigSize bounds a MassGen config accepted by
// Inspect.
const MaxConfigSize = 1 << 20

// ErrConfig is returned (wrapped) by Inspect for a
// config MassGen cannot run.
var ErrConfig = errors.New("invalid massgen config")

// Info is what cohos reads from a MassGen config: enough to
// check its shape and to name the models and servers in the evidence.
// MassGen itself validates the rest.
type Info struct {
	// Agents are the agent ids in config order ("" for an agent without one).
	Agents []string
	// Models are the distinct backend models, in config order.
	Models []string
	// BaseURLs are the distinct backend base_url values, in config order.
	BaseURLs []string
	// Mode is Synthesis when the orchestrator has skip_voting true,
	// Decomposition when its coordination_mode is decomposition, else
	// Voting.
	Mode Mode
	// Roles are the roles of the agents whose ids name one (see RoleOf),
	// in config order, when Mode is Synthesis; else nil.
	Roles []AgentRole
}

// Inspect parses a MassGen config (YAML, or JSON, which is
// YAML) and checks its shape: one document, a mapping, with either a
// non-empty "agents" list or a single "agent", each agent a mapping with
// a "backend" mapping whose "type" is a non-empty string, agent ids
// distinct, backend "model" and "base_url" strings when present, and at
// most MaxConfigSize bytes. Any other key is left to MassGen. Every
// error wraps ErrConfig.
func Inspect(data []byte) (*Info, error) {
	if len(data) > MaxConfigSize {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrConfig, MaxConfigSize)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%w: empty", ErrConfig)
		}
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	var extra any
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: more than one YAML document", ErrConfig)
	}
	if doc == nil {
		return nil, fmt.Errorf("%w: not a mapping", ErrConfig)
	}
	agents, err := configAgents(doc)
	if err != nil {
		return nil, err
	}
	info := &Info{}
	for i, a := range agents {
		if err := info.add(i, a); err != nil {
			return nil, err
		}
	}
	if info.Mode, err = configMode(doc); err != nil {
		return nil, err
	}
	if info.Mode == Synthesis {
		info.Roles = AgentRoles(info.Agents)
	}
	return info, nil
}

// configAgents returns the agent entries of doc.
func configAgents(doc map[string]any) ([]any, error) {
	list, hasList := doc["agents"]
	single, hasSingle := doc["agent"]
	switch {
	case hasList && hasSingle:
		return nil, fmt.Errorf(`%w: both "agents" and "agent"`, ErrConfig)
	case hasSingle:
		return []any{single}, nil
	case !hasList:
		return nil, fmt.Errorf(`%w: no "agents"`, ErrConfig)
	}
	agents, ok := list.([]any)
	if !ok || len(agents) == 0 {
		return nil, fmt.Errorf(`%w: "agents" is not a non-empty list`, ErrConfig)
	}
	return agents, nil
}

// add checks agent number i and records its id, model and base URL.
func (info *Info) add(i int, entry any) error {
	a, ok := entry.(map[string]any)
	if !ok {
		return fmt.Errorf("%w: agent %d is not a mapping", ErrConfig, i+1)
	}
	id, err := optString(a, "id")
	if err != nil {
		return fmt.Errorf("%w: agent %d: %w", ErrConfig, i+1, err)
	}
	if id != "" && slices.Contains(info.Agents, id) {
		return fmt.Errorf("%w: agent id %q twice", ErrConfig, id)
	}
	info.Agents = append(info.Agents, id)
	name := id
	if name == "" {
		name = fmt.Sprintf("%d", i+1)
	}
	b, ok := a["backend"].(map[string]any)
	if !ok {
		return fmt.Errorf("%w: agent %s: no backend mapping", ErrConfig, name)
	}
	typ, err := optString(b, "type")
	if err == nil && typ == "" {
		err = errors.New(`no backend "type"`)
	}
	model, merr := optString(b, "model")
	url, uerr := optString(b, "base_url")
	if err = errors.Join(err, merr, uerr); err != nil {
		return fmt.Errorf("%w: agent %s: %w", ErrConfig, name, err)
	}
	if model != "" && !slices.Contains(info.Models, model) {
		info.Models = append(info.Models, model)
	}
	if url != "" && !slices.Contains(info.BaseURLs, url) {
		info.BaseURLs = append(info.BaseURLs, url)
	}
	return nil
}

// optString returns m[key] when it is a string, "" when it is absent.
func optString(m map[string]any, key string) (string, error) {
	v, ok := m[key]
	if !ok || v == nil {
		return "", nil
	}
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("%q is not a string", key)
	}
	return s, nil
}
