package massgen

import (
	"slices"
	"testing"

	"cohos.dev/cohos/policy"
	"cohos.dev/cohos/runner"
)

// TestMetricsAreKnown: every metric a MassGen run reports (the fixtures'
// analyses plus what Run adds) is declared for massgen in the policy
// catalogue with its type, so a policy can name it and a typo is caught.
func TestMetricsAreKnown(t *testing.T) {
	for _, name := range []string{"stable", "dead", "thrash"} {
		a, _ := analyzeFixture(t, name)
		o := &Outcome{Outcome: &runner.Outcome{}, Analysis: a}
		for metric, v := range o.metrics() {
			info, ok := policy.LookupMetric(metric)
			_, isBool := v.Boolean()
			switch {
			case !ok:
				t.Errorf("%s: metric %q is not in the policy catalogue", name, metric)
			case (info.Type == "boolean") != isBool || !slices.Contains(info.Runners, "massgen"):
				t.Errorf("%s: metric %q declared %s for %v", name, metric, info.Type, info.Runners)
			}
		}
	}
}
