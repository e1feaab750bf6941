package massgen

import (
	"errors"
	"fmt"

	"gopkg.in/yaml.v3"
)

// agentConfig is what parseMetadata takes from one agent of the config.
type agentConfig struct {
	ID      string
	Backend struct{ Model string }
}

// agentOf reads id and backend.model of one agent mapping.
func agentOf(n *yaml.Node) (agentConfig, error) {
	var a agentConfig
	if isNull(n) {
		return a, nil
	}
	if n.Kind != yaml.MappingNode {
		return a, errors.New("not a mapping")
	}
	if err := scalarField(n, "id", &a.ID); err != nil {
		return a, err
	}
	if be := field(n, "backend"); !isNull(be) {
		if be.Kind != yaml.MappingNode {
			return a, errors.New("backend is not a mapping")
		}
		if err := scalarField(be, "model", &a.Backend.Model); err != nil {
			return a, err
		}
	}
	return a, nil
}

// field returns the value of key in the mapping m, or nil. Keys are
// unique (uniqueKeys ran), so the first match is the only one.
func field(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if k := m.Content[i]; k.Kind == yaml.ScalarNode && k.Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// scalarField sets *dst to the scalar value of key in m; an absent or null
// value leaves it "", any other kind is an error.
func scalarField(m *yaml.Node, key string, dst *string) error {
	n := field(m, key)
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("malformed: %s is not a scalar", key)
	}
	if err := n.Decode(dst); err != nil {
		return fmt.Errorf("malformed: %s: %w", key, err)
	}
	return nil
}

func isNull(n *yaml.Node) bool {
	return n == nil || n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// uniqueKeys rejects a mapping, anywhere in the tree, with a key given
// twice (scalar keys compared by tag and value), in time linear in the
// tree. Alias nodes are not followed: their target is checked where it
// stands.
func uniqueKeys(root *yaml.Node) error {
	type key struct{ tag, value string }
	stack := []*yaml.Node{root}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if n.Kind == yaml.MappingNode {
			seen := make(map[key]struct{}, len(n.Content)/2)
			for i := 0; i+1 < len(n.Content); i += 2 {
				k := n.Content[i]
				if k.Kind != yaml.ScalarNode {
					continue // complex keys: nothing here reads them
				}
				kk := key{k.ShortTag(), k.Value}
				if _, dup := seen[kk]; dup {
					return fmt.Errorf("malformed: line %d: mapping key %q already defined", k.Line, k.Value)
				}
				seen[kk] = struct{}{}
			}
		}
		if n.Kind != yaml.AliasNode {
			stack = append(stack, n.Content...)
		}
	}
	return nil
}
