package e2e

import (
	"fmt"
	"net"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestDeadModelServerIsNamed (issue 12): the real MassGen against a model
// URL where nothing listens. Its agents fail with MassGen's own error
// text and it exits 0; cohos's REFUSE names the unreachable URL and the
// agents' error, in run's decision line, the signed run.cause and verify.
func TestDeadModelServerIsNamed(t *testing.T) {
	t.Parallel()
	w := needMassGen(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := fmt.Sprintf("http://%s/v1", l.Addr())
	l.Close() // nothing listens there now
	g := &governed{dir: filepath.Join(t.TempDir(), "run")}
	g.res = w.run(t, t.TempDir(), runLimit, "run", "--sign", w.key, "--model-url", url, "--model", "m",
		"--massgen-bin", w.massgen, "--out", g.dir, question)
	if g.res.code != 1 {
		t.Fatalf("cohos run exit %d, want 1\nstdout: %s\nstderr: %s", g.res.code, g.res.stdout, g.res.stderr)
	}
	g.read(t)
	t.Logf("cause: %s", g.pred.Run.Cause)
	cause := regexp.MustCompile(`^model server unreachable at ` + regexp.QuoteMeta(url) +
		` \(connect: connection refused\); (all \d+|\d+ of \d+) agents failed with ".+"( \(.+\))?$`)
	if !cause.MatchString(g.pred.Run.Cause) {
		t.Errorf("cause %q, want to match %s", g.pred.Run.Cause, cause)
	}
	line := "REFUSE: completed false, required true (" + g.pred.Run.Cause + ")"
	if !strings.Contains(g.res.stdout, line+"\n") {
		t.Errorf("decision line lacks %q:\n%s", line, g.res.stdout)
	}
	v := w.run(t, t.TempDir(), runLimit, "verify", g.dir, "--key", w.pub)
	if v.code != 1 || !strings.Contains(v.stdout, "REFUSE: completed false, required true ("+g.pred.Run.Cause+")") {
		t.Errorf("verify exit %d, stdout:\n%s", v.code, v.stdout)
	}
}
