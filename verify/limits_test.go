package verify_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"cohos.dev/cohos/attest"
	"cohos.dev/cohos/policy"
	"cohos.dev/cohos/verify"
)

// TestDerivedLimitNamed: a derived file is read up to the size the
// attested set gives it; a longer one fails evidence.consistency saying so,
// not hidden behind "does not match" (issue 11, case 1).
func TestDerivedLimitNamed(t *testing.T) {
	for _, name := range []string{attest.ManifestName, attest.HashesName} {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, policy.Allow)
			p := filepath.Join(f.dir, name)
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, append(b, ' '), 0o644); err != nil {
				t.Fatal(err)
			}
			rep := f.verify(t, f.bundle, verify.Options{})
			if got := failedOnce(rep); !slices.Equal(got, []string{verify.CheckEvidence}) {
				t.Fatalf("failed %v, want [evidence.consistency]", got)
			}
			if r := rep.Failed()[0].Reason; !strings.Contains(r, name+" is larger than the "+itoa(len(b))+" bytes the attested artifact set gives") {
				t.Fatalf("reason %q does not name the limit", r)
			}
		})
	}
}

func itoa(n int) string {
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}
