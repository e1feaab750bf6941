package massgencfg

import "fmt"

// Decomposition is MassGen's coordination_mode in which each agent works
// on a subtask and a presenter assembles the result. cohos does not
// generate it; Inspect reports it.
const Decomposition Mode = "decomposition"

// AgentRole is the role of one agent.
type AgentRole struct {
	Agent string
	Role  Role
}

// AgentRoles returns the role of each agent id that names one (see
// RoleOf), in the order given.
func AgentRoles(agents []string) []AgentRole {
	var roles []AgentRole
	for _, id := range agents {
		if r, ok := RoleOf(id); ok {
			roles = append(roles, AgentRole{Agent: id, Role: r})
		}
	}
	return roles
}

// configMode reads the mode of a config document: the orchestrator's
// skip_voting and coordination_mode (a string; another type is an error
// wrapping ErrConfig). skip_voting is read as MassGen 0.1.91 reads it,
// with Python's bool() (AgentConfig.apply_orchestrator_config), so that
// the string "false" means true, as it does to MassGen.
func configMode(doc map[string]any) (Mode, error) {
	raw, ok := doc["orchestrator"]
	if !ok || raw == nil {
		return Voting, nil
	}
	orch, ok := raw.(map[string]any)
	if !ok {
		return "", fmt.Errorf(`%w: "orchestrator" is not a mapping`, ErrConfig)
	}
	skip := truthy(orch["skip_voting"])
	coord, err := optString(orch, "coordination_mode")
	if err != nil {
		return "", fmt.Errorf("%w: orchestrator %w", ErrConfig, err)
	}
	switch {
	case coord == string(Decomposition):
		return Decomposition, nil
	case skip:
		return Synthesis, nil
	}
	return Voting, nil
}

// truthy is Python's bool() of a decoded YAML value.
func truthy(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case bool:
		return x
	case int:
		return x != 0
	case int64:
		return x != 0
	case uint64:
		return x != 0
	case float64:
		return x != 0
	case string:
		return x != ""
	case []any:
		return len(x) > 0
	case map[string]any:
		return len(x) > 0
	}
	return true
}
