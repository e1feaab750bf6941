package runner

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"

	"gopkg.in/yaml.v3"
)

// MaxMassGenConfigSize bounds a MassGen config accepted by
// InspectMassGenConfig.
const MaxMassGenConfigSize = 1 << 20

// ErrMassGenConfig is returned (wrapped) by InspectMassGenConfig for a
// config MassGen cannot run.
var ErrMassGenConfig = errors.New("invalid massgen config")

// MassGenConfigInfo is what cohos reads from a MassGen config: enough to
// check its shape and to name the models and servers in the evidence.
// MassGen itself validates the rest.
type MassGenConfigInfo struct {
	// Agents are the agent ids in config order ("" for an agent without one).
	Agents []string
	// Models are the distinct backend models, in config order.
	Models []string
	// BaseURLs are the distinct backend base_url values, in config order.
	BaseURLs []string
}

// InspectMassGenConfig parses a MassGen config (YAML, or JSON, which is
// YAML) and checks its shape: one document, a mapping, with either a
// non-empty "agents" list or a single "agent", each agent a mapping with
// a "backend" mapping whose "type" is a non-empty string, agent ids
// distinct, backend "model" and "base_url" strings when present, and at
// most MaxMassGenConfigSize bytes. Any other key is left to MassGen. Every
// error wraps ErrMassGenConfig.
func InspectMassGenConfig(data []byte) (*MassGenConfigInfo, error) {
	if len(data) > MaxMassGenConfigSize {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrMassGenConfig, MaxMassGenConfigSize)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%w: empty", ErrMassGenConfig)
		}
		return nil, fmt.Errorf("%w: %w", ErrMassGenConfig, err)
	}
	var extra any
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: more than one YAML document", ErrMassGenConfig)
	}
	if doc == nil {
		return nil, fmt.Errorf("%w: not a mapping", ErrMassGenConfig)
	}
	agents, err := configAgents(doc)
	if err != nil {
		return nil, err
	}
	info := &MassGenConfigInfo{}
	for i, a := range agents {
		if err := info.add(i, a); err != nil {
			return nil, err
		}
	}
	return info, nil
}

// configAgents returns the agent entries of doc.
func configAgents(doc map[string]any) ([]any, error) {
	list, hasList := doc["agents"]
	single, hasSingle := doc["agent"]
	switch {
	case hasList && hasSingle:
		return nil, fmt.Errorf(`%w: both "agents" and "agent"`, ErrMassGenConfig)
	case hasSingle:
		return []any{single}, nil
	case !hasList:
		return nil, fmt.Errorf(`%w: no "agents"`, ErrMassGenConfig)
	}
	agents, ok := list.([]any)
	if !ok || len(agents) == 0 {
		return nil, fmt.Errorf(`%w: "agents" is not a non-empty list`, ErrMassGenConfig)
	}
	return agents, nil
}

// add checks agent number i and records its id, model and base URL.
func (info *MassGenConfigInfo) add(i int, entry any) error {
	a, ok := entry.(map[string]any)
	if !ok {
		return fmt.Errorf("%w: agent %d is not a mapping", ErrMassGenConfig, i+1)
	}
	id, err := optString(a, "id")
	if err != nil {
		return fmt.Errorf("%w: agent %d: %w", ErrMassGenConfig, i+1, err)
	}
	if id != "" && slices.Contains(info.Agents, id) {
		return fmt.Errorf("%w: agent id %q twice", ErrMassGenConfig, id)
	}
	info.Agents = append(info.Agents, id)
	name := id
	if name == "" {
		name = fmt.Sprintf("%d", i+1)
	}
	b, ok := a["backend"].(map[string]any)
	if !ok {
		return fmt.Errorf("%w: agent %s: no backend mapping", ErrMassGenConfig, name)
	}
	typ, err := optString(b, "type")
	if err == nil && typ == "" {
		err = errors.New(`no backend "type"`)
	}
	model, merr := optString(b, "model")
	url, uerr := optString(b, "base_url")
	if err = errors.Join(err, merr, uerr); err != nil {
		return fmt.Errorf("%w: agent %s: %w", ErrMassGenConfig, name, err)
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
