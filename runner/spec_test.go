package runner

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestRunErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		edit  func(t *testing.T, s *Spec)
		want  error
		cause error
	}{
		{"no command", func(t *testing.T, s *Spec) { s.Argv = nil }, ErrSpec, nil},
		{"empty command", func(t *testing.T, s *Spec) { s.Argv = []string{""} }, ErrSpec, nil},
		{"no run dir", func(t *testing.T, s *Spec) { s.RunDir = "" }, ErrSpec, nil},
		{"prefix with slash", func(t *testing.T, s *Spec) { s.Prefix = "a/b" }, ErrSpec, nil},
		{"negative retries", func(t *testing.T, s *Spec) { s.Retries = -1 }, ErrSpec, nil},
		{"negative timeout", func(t *testing.T, s *Spec) { s.Timeout = -time.Second }, ErrSpec, nil},
		{"missing run dir", func(t *testing.T, s *Spec) { s.RunDir = filepath.Join(s.RunDir, "missing") }, ErrRunDir, fs.ErrNotExist},
		{"run dir not empty", func(t *testing.T, s *Spec) {
			if err := os.WriteFile(filepath.Join(s.RunDir, "x"), nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}, ErrRunDir, nil},
		{"missing work dir", func(t *testing.T, s *Spec) { s.WorkDir = filepath.Join(s.WorkDir, "missing") }, ErrWorkDir, fs.ErrNotExist},
		{"work dir is a file", func(t *testing.T, s *Spec) {
			p := filepath.Join(s.WorkDir, "f")
			if err := os.WriteFile(p, nil, 0o644); err != nil {
				t.Fatal(err)
			}
			s.WorkDir = p
		}, ErrWorkDir, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			spec := newSpec(t, "sh", "-c", "touch ran")
			tt.edit(t, &spec)
			out, err := Run(context.Background(), spec)
			if !errors.Is(err, tt.want) || (tt.cause != nil && !errors.Is(err, tt.cause)) {
				t.Fatalf("Run error = %v, want %v (cause %v)", err, tt.want, tt.cause)
			}
			if out != nil {
				t.Errorf("Run returned an outcome with %v", err)
			}
			if _, err := os.Stat(filepath.Join(spec.WorkDir, "ran")); err == nil {
				t.Error("the job ran")
			}
		})
	}
}

func TestRunPrefix(t *testing.T) {
	t.Parallel()
	spec := newSpec(t, "sh", "-c", "echo out; echo err >&2")
	spec.Prefix = "massgen"
	mustRun(t, context.Background(), spec)
	entries, err := os.ReadDir(spec.RunDir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	want := []string{"artifacts", "massgen_invocation.json", "massgen_stderr.log", "massgen_stdout.log"}
	if len(names) != len(want) {
		t.Fatalf("run dir holds %q, want %q", names, want)
	}
	for i := range want {
		if names[i] != want[i] {
			t.Errorf("run dir holds %q, want %q", names, want)
		}
	}
}
