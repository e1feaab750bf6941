package runner

import (
	"testing"

	"cohos.dev/cohos/policy"
)

// TestMetricsAreKnown: every metric the command runner reports is in the
// policy catalogue (cohos policy metrics) for the command runner, so a
// policy can name it and a typo of it is caught.
func TestMetricsAreKnown(t *testing.T) {
	m := observe(&Outcome{}, 0)
	for name, v := range m {
		info, ok := policy.LookupMetric(name)
		if !ok {
			t.Errorf("metric %q is not in the policy catalogue", name)
			continue
		}
		_, isBool := v.Boolean()
		if (info.Type == "boolean") != isBool || !contains(info.Runners, "command") {
			t.Errorf("metric %q declared %s for %v", name, info.Type, info.Runners)
		}
	}
	for _, info := range policy.KnownMetrics() {
		// isolated comes with job isolation (runner.Spec isolation), not
		// from observe.
		if _, ok := m[info.Name]; contains(info.Runners, "command") && !ok && info.Name != "isolated" {
			t.Errorf("catalogue declares %q for command, the runner does not report it", info.Name)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
