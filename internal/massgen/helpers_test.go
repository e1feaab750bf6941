package massgen

import (
	"context"
	"io/fs"
	"os"
	"path"
	"sort"
	"testing"
	"testing/fstest"

	"cohos.dev/cohos/policy"
)

const fixtures = "../../testdata/massgen"

// logBase is where the fixtures (and the runner) keep MassGen's logs.
const logBase = ".massgen/massgen_logs"

// rootFS opens a fixture directory as an os.Root file system.
func rootFS(t testing.TB, dir string) fs.FS {
	t.Helper()
	r, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r.FS()
}

// mapFixture copies a fixture's regular files into a MapFS and returns it
// with its log directory.
func mapFixture(t testing.TB, name string) (fstest.MapFS, string) {
	t.Helper()
	src := os.DirFS(path.Join(fixtures, name))
	m := fstest.MapFS{}
	err := fs.WalkDir(src, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		b, err := fs.ReadFile(src, p)
		m[p] = &fstest.MapFile{Data: b, Mode: 0o644}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	addDirs(m)
	dir, err := FindLogDir(m, logBase)
	if err != nil {
		t.Fatal(err)
	}
	return m, dir
}

// addDirs adds m's implied directories explicitly: MapFS answers Lstat on
// a listed directory without scanning the whole map.
func addDirs(m fstest.MapFS) {
	for name := range m {
		for d := path.Dir(name); d != "."; d = path.Dir(d) {
			if m[d] == nil {
				m[d] = &fstest.MapFile{Mode: fs.ModeDir | 0o755}
			}
		}
	}
}

// attemptFile is the path of a file in the fixture's attempt_1 directory.
func attemptFile(logDir, name string) string {
	return path.Join(logDir, "turn_1/attempt_1", name)
}

// analyzeFixture analyzes a fixture through os.Root.
func analyzeFixture(t testing.TB, name string) (*Analysis, string) {
	t.Helper()
	fsys := rootFS(t, path.Join(fixtures, name))
	dir, err := FindLogDir(fsys, logBase)
	if err != nil {
		t.Fatal(err)
	}
	return Analyze(context.Background(), fsys, dir), dir
}

// diffMetrics lists the differences between got and want, one per metric.
func diffMetrics(got, want policy.Metrics) []string {
	var d []string
	for k, w := range want {
		g, ok := got[k]
		switch {
		case !ok:
			d = append(d, k+": missing, want "+w.String())
		case g != w:
			d = append(d, k+": got "+g.String()+", want "+w.String())
		}
	}
	for k, g := range got {
		if _, ok := want[k]; !ok {
			d = append(d, k+": unexpected "+g.String())
		}
	}
	sort.Strings(d)
	return d
}

func num(f float64) policy.Value  { return policy.Num(f) }
func boolean(b bool) policy.Value { return policy.Bool(b) }
