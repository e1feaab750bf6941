package policies

import (
	"testing"

	"cohos.dev/cohos/policy"
)

// TestIsolatedRequiredOnLinuxOnly: the default policy requires the
// isolated metric on Linux and has no such rule elsewhere.
func TestIsolatedRequiredOnLinuxOnly(t *testing.T) {
	for _, goos := range []string{"linux", "darwin"} {
		for name, doc := range map[string]string{"default": defaultYAML, "starter": starterYAML} {
			p, err := policy.Parse(forOS(doc, goos))
			if err != nil {
				t.Fatal(err)
			}
			m := policy.Metrics{"completed": policy.Bool(true), "timed_out": policy.Bool(false), "interrupted": policy.Bool(false),
				"restarts": policy.Num(0), "wall_seconds": policy.Num(1), "isolated": policy.Bool(false)}
			got := policy.Evaluate(p, m).Decision
			want := policy.Allow
			if goos == "linux" {
				want = policy.Refuse
			}
			if got != want {
				t.Errorf("%s on %s: isolated=false gives %s, want %s", name, goos, got, want)
			}
			delete(m, "isolated")
			if got := policy.Evaluate(p, m).Decision; got != want {
				t.Errorf("%s on %s: no isolated metric gives %s, want %s", name, goos, got, want)
			}
		}
	}
}
