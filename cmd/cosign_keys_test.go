package cmd

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"cohos.dev/cohos/internal/testkit"
)

// TestCosignKeysLoadLikeCosign (issue 12, item 7): a key cosign made with
// COSIGN_PASSWORD signs with COSIGN_PASSWORD set and nothing else; one
// made with the empty password loads as it is; a wrong COSIGN_PASSWORD
// says so; and the job never sees COSIGN_PASSWORD.
func TestCosignKeysLoadLikeCosign(t *testing.T) {
	cosign := testkit.Cosign(t)
	for _, tc := range []struct {
		name, made, given string
		code              int
		stderr            string
	}{
		{"password", "s3cret", "s3cret", ExitOK, ""},
		{"empty", "", "", ExitOK, ""},
		{"wrong", "s3cret", "other", ExitError, "cosign.key: encrypted private key: wrong password"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			gen := exec.CommandContext(ctx, cosign, "generate-key-pair")
			gen.Dir = dir
			gen.Env = append(os.Environ(), "COSIGN_PASSWORD="+tc.made)
			if out, err := gen.CombinedOutput(); err != nil {
				t.Fatalf("cosign generate-key-pair: %v\n%s", err, out)
			}
			t.Setenv("COHOS_PASSWORD", "")
			t.Setenv("COSIGN_PASSWORD", tc.given)
			var stdout, stderr bytes.Buffer
			run := filepath.Join(dir, "run")
			code := Main([]string{"run", "--sign", filepath.Join(dir, "cosign.key"), "--out", run, "-q", "--",
				"sh", "-c", `echo "pw=[$COSIGN_PASSWORD]"`}, nil, &stdout, &stderr)
			if code != tc.code || !strings.Contains(stderr.String(), tc.stderr) {
				t.Fatalf("exit %d, stderr %q; want %d and %q", code, stderr.String(), tc.code, tc.stderr)
			}
			if code != ExitOK {
				return
			}
			log, err := os.ReadFile(filepath.Join(run, "command_stdout.log"))
			if err != nil || string(log) != "pw=[]\n" {
				t.Errorf("the job saw %q (%v), want pw=[]", log, err)
			}
			code = Main([]string{"verify", run, "--key", filepath.Join(dir, "cosign.pub"), "-q"}, nil, &stdout, &stderr)
			if code != ExitOK {
				t.Errorf("verify with cosign.pub: exit %d", code)
			}
		})
	}
}
