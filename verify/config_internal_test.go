package verify

import (
	"strings"
	"testing"

	"cohos.dev/cohos/attest"
	"cohos.dev/cohos/internal/artifacts"
)

// TestConfigProblem: a MassGen run's attested config file must be the
// config its configDigest names.
func TestConfigProblem(t *testing.T) {
	const a, b = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	pred := func(runner, digest string, files ...artifacts.File) *attest.Predicate {
		p := &attest.Predicate{Run: attest.Run{Runner: runner}}
		if digest != "" {
			p.Run.ConfigDigest = map[string]string{"sha256": digest}
		}
		p.Artifacts.Files = files
		return p
	}
	cfg := func(sum string) artifacts.File { return artifacts.File{Name: "massgen_config.yaml", SHA256: sum} }
	for _, tt := range []struct {
		name string
		p    *attest.Predicate
		want string
	}{
		{"same", pred("massgen", a, cfg(a)), ""},
		{"rewritten config", pred("massgen", a, cfg(b)), "the attested massgen_config.yaml (sha256:" + b + ") is not the config MassGen was given (run.configDigest sha256:" + a + ")"},
		{"config not attested", pred("massgen", a), "massgen_config.yaml is not among the attested files"},
		{"command run", pred("command", "", cfg(b)), ""},
	} {
		got := configProblem(tt.p)
		if (tt.want == "") != (got == "") || !strings.HasPrefix(got, tt.want) {
			t.Errorf("%s: configProblem = %q, want %q", tt.name, got, tt.want)
		}
	}
}
