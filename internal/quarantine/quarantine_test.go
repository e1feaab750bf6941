package quarantine

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

func mustOpen(t *testing.T, dir string) *Dir {
	t.Helper()
	d, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// TestClearMovesEveryKind: a file, directory, symlink and FIFO at evidence
// names are moved, kept and named; nothing there is no item.
func TestClearMovesEveryKind(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "decision.json"), []byte("forged"), 0o644)
	os.MkdirAll(filepath.Join(dir, "manifest.json", "inner"), 0o755)
	os.WriteFile(filepath.Join(dir, "manifest.json", "inner", "f"), []byte("x"), 0o644)
	os.Symlink("/etc/passwd", filepath.Join(dir, "SHA256SUMS"))
	syscall.Mkfifo(filepath.Join(dir, "bundle.intoto.jsonl"), 0o644)
	os.Mkdir(filepath.Join(dir, "artifacts"), 0o755)
	os.Symlink("/", filepath.Join(dir, "artifacts", "index.txt"))
	os.WriteFile(filepath.Join(dir, Folder), []byte("the job's own file named quarantine"), 0o644)
	d := mustOpen(t, dir)
	for _, name := range []string{"decision.json", "manifest.json", "SHA256SUMS", "bundle.intoto.jsonl", "artifacts/index.txt", "policy.json", "nope/x"} {
		if _, err := d.Clear(name, "evidence name"); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	for _, it := range d.Items() {
		got = append(got, it.Name+" "+it.Kind+" "+it.To)
	}
	want := []string{
		"decision.json file quarantine-2/decision.json",
		"manifest.json directory quarantine-2/manifest.json",
		"SHA256SUMS symlink quarantine-2/SHA256SUMS",
		"bundle.intoto.jsonl fifo quarantine-2/bundle.intoto.jsonl",
		"artifacts/index.txt symlink quarantine-2/artifacts%2Findex.txt",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("items:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "quarantine-2", "manifest.json", "inner", "f")); string(b) != "x" {
		t.Errorf("moved directory lost its content")
	}
	if _, err := os.Lstat(filepath.Join(dir, "decision.json")); !os.IsNotExist(err) {
		t.Errorf("decision.json still there: %v", err)
	}
	if p := d.Items()[3].Problem(); p != `evidence name: the job left a fifo at "bundle.intoto.jsonl"; moved to quarantine-2/bundle.intoto.jsonl` {
		t.Errorf("problem = %q", p)
	}
	// Passwd was never touched through the link.
	if _, err := os.Stat("/etc/passwd"); err != nil {
		t.Fatal(err)
	}
}

// TestKeepLeavesCohosFile: Keep moves only what keep rejects.
func TestKeepLeavesCohosFile(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "log"), []byte("mine"), 0o644)
	d := mustOpen(t, dir)
	moved, err := d.Keep("log", "replaced", func(fi os.FileInfo) bool { return fi.Mode().IsRegular() })
	if err != nil || moved || len(d.Items()) != 0 {
		t.Fatalf("Keep moved cohos's own file: %v %v", moved, err)
	}
	moved, err = d.Keep("log", "replaced", func(os.FileInfo) bool { return false })
	if err != nil || !moved || d.Items()[0].To != "quarantine/log" {
		t.Fatalf("Keep = %v, %v, %+v", moved, err, d.Items())
	}
}

// TestUnrepresentableNames: names with LF, CR or invalid UTF-8, at any
// depth, and below a moved directory, are moved under escaped names;
// unreadable and read-only directories are opened up again.
func TestUnrepresentableNames(t *testing.T) {
	dir := t.TempDir()
	mk := func(name, data string) {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	mk("artifacts/ok.txt", "ok")
	mk("artifacts/new\nline.txt", "nl")
	mk("bad\xffdir/inner\rcr", "cr")
	mk("deep/er/\xc3\x28.bin", "utf8")
	os.Chmod(filepath.Join(dir, "deep", "er"), 0o000)
	os.Chmod(filepath.Join(dir, "artifacts"), 0o555)
	d := mustOpen(t, dir)
	if err := d.Unrepresentable(); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, it := range d.Items() {
		got = append(got, it.To)
	}
	slices.Sort(got)
	want := []string{"quarantine/artifacts%2Fnew%0Aline.txt", "quarantine/bad%FFdir", "quarantine/bad%FFdir/inner%0Dcr", "quarantine/deep%2Fer%2F%C3%28.bin"}
	if !slices.Equal(got, want) {
		t.Fatalf("moved to %q, want %q", got, want)
	}
	for to, data := range map[string]string{want[0]: "nl", want[2]: "cr", want[3]: "utf8", "artifacts/ok.txt": "ok"} {
		if b, err := os.ReadFile(filepath.Join(dir, to)); string(b) != data {
			t.Errorf("%s = %q, %v; want %q", to, b, err, data)
		}
	}
	if fi, _ := os.Stat(filepath.Join(dir, "artifacts")); fi.Mode().Perm()&0o700 != 0o700 {
		t.Errorf("artifacts/ still %v", fi.Mode())
	}
}

// TestOpenMakesRunDirWritable: a run directory the job made read-only is
// writable again.
func TestOpenMakesRunDirWritable(t *testing.T) {
	dir := t.TempDir()
	os.Chmod(dir, 0o500)
	mustOpen(t, dir)
	if fi, _ := os.Stat(dir); fi.Mode().Perm() != 0o700 {
		t.Fatalf("mode %v, want 0700", fi.Mode().Perm())
	}
}

func TestEscape(t *testing.T) {
	for in, want := range map[string]string{"a/b": "a%2Fb", "..": "%2E.", ".x": "%2Ex", "ok-1_2+3.txt": "ok-1_2+3.txt", "%": "%25", "é": "%C3%A9"} {
		if got := Escape(in); got != want {
			t.Errorf("Escape(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestUnreadableOpenedAgain: a run directory made unwritable, a directory
// and a file made unreadable are opened again and each named; a
// directory that is only read-only is made writable without a problem.
func TestUnreadableOpenedAgain(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "artifacts", "locked"), 0o755)
	os.MkdirAll(filepath.Join(dir, "artifacts", "ro"), 0o755)
	os.WriteFile(filepath.Join(dir, "artifacts", "locked", "f"), []byte("x"), 0o644)
	os.WriteFile(filepath.Join(dir, "artifacts", "secret"), []byte("y"), 0o644)
	os.Chmod(filepath.Join(dir, "artifacts", "secret"), 0o200)
	os.Chmod(filepath.Join(dir, "artifacts", "locked"), 0)
	os.Chmod(filepath.Join(dir, "artifacts", "ro"), 0o555)
	os.Chmod(dir, 0o555)
	d := mustOpen(t, dir)
	if err := d.Unrepresentable(); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"the job locked the run directory (mode 0555); cohos made it writable again",
		`the job made the directory "artifacts/locked" unreadable (mode 0000); cohos made it readable again`,
		`the job made the file "artifacts/secret" unreadable (mode 0200); cohos made it readable again`,
	}
	got := d.Opened()
	slices.Sort(got[1:])
	if !slices.Equal(got, want) {
		t.Fatalf("opened:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, f := range []string{"artifacts/locked/f", "artifacts/secret"} {
		if _, err := os.ReadFile(filepath.Join(dir, f)); err != nil {
			t.Errorf("%s still unreadable: %v", f, err)
		}
	}
	if fi, _ := os.Stat(filepath.Join(dir, "artifacts", "ro")); fi.Mode().Perm() != 0o755 {
		t.Errorf("artifacts/ro mode %v, want 0755", fi.Mode().Perm())
	}
}

// TestFolderNamesTheJobTook: a job that made quarantine and
// quarantine-2 ... quarantine-64 cannot stop cohos from quarantining.
func TestFolderNamesTheJobTook(t *testing.T) {
	dir := t.TempDir()
	os.Mkdir(filepath.Join(dir, Folder), 0o755)
	for n := 2; n <= maxFolders; n++ {
		os.Mkdir(filepath.Join(dir, Folder+"-"+strconv.Itoa(n)), 0o755)
	}
	os.WriteFile(filepath.Join(dir, "decision.json"), []byte("forged"), 0o644)
	d := mustOpen(t, dir)
	if moved, err := d.Clear("decision.json", "evidence name"); err != nil || !moved {
		t.Fatalf("Clear = %v, %v", moved, err)
	}
	to := d.Items()[0].To
	if !strings.HasPrefix(to, Folder+"-") || len(to) != len(Folder)+1+16+len("/decision.json") {
		t.Errorf("moved to %q, want a random quarantine-<16 hex> folder", to)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, to)); string(b) != "forged" {
		t.Errorf("moved file = %q", b)
	}
}
