package massgen

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"
)

func TestFindLogDir(t *testing.T) {
	dir := &fstest.MapFile{Mode: fs.ModeDir | 0o755}
	tests := []struct {
		name    string
		fsys    fstest.MapFS
		base    string
		want    string
		wantErr error
	}{
		{
			name: "one",
			fsys: fstest.MapFS{"b/log_1/turn_1/x": {}, "b/other": {}, "b/log_file": {}},
			base: "b", want: "b/log_1",
		},
		{name: "missing base", fsys: fstest.MapFS{"x": {}}, base: "b", wantErr: ErrNoLogs},
		{name: "empty base", fsys: fstest.MapFS{"b": dir}, base: "b", wantErr: ErrNoLogs},
		{name: "only a file named log_", fsys: fstest.MapFS{"b/log_1": {}}, base: "b", wantErr: ErrNoLogs},
		{name: "two", fsys: fstest.MapFS{"b/log_1": dir, "b/log_2": dir}, base: "b", wantErr: ErrAmbiguous},
		{
			name: "linked log dir ignored",
			fsys: fstest.MapFS{"b/log_1": {Mode: fs.ModeSymlink, Data: []byte("../real")}, "real/turn_1/x": {}},
			base: "b", wantErr: ErrNoLogs,
		},
		{
			name: "linked base refused",
			fsys: fstest.MapFS{"b": {Mode: fs.ModeSymlink, Data: []byte("real")}, "real/log_1/x": {}},
			base: "b", wantErr: errSymlink,
		},
		{name: "invalid base", fsys: fstest.MapFS{}, base: "../b", wantErr: fs.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := FindLogDir(tt.fsys, tt.base)
			if !errors.Is(err, tt.wantErr) || got != tt.want {
				t.Fatalf("FindLogDir = %q, %v; want %q, %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

// TestFindLogDirOSRoot uses a real directory: a missing base under an
// os.Root is ErrNoLogs, and a real symlink to a log directory is ignored.
func TestFindLogDirOSRoot(t *testing.T) {
	top := t.TempDir()
	fsys := rootFS(t, top)
	if _, err := FindLogDir(fsys, logBase); !errors.Is(err, ErrNoLogs) {
		t.Fatalf("missing base: %v, want ErrNoLogs", err)
	}
	base := filepath.Join(top, filepath.FromSlash(logBase))
	if err := os.MkdirAll(filepath.Join(top, "elsewhere/log_1"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(base, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../../elsewhere/log_1", filepath.Join(base, "log_1")); err != nil {
		t.Fatal(err)
	}
	if _, err := FindLogDir(fsys, logBase); !errors.Is(err, ErrNoLogs) {
		t.Fatalf("linked log dir: %v, want ErrNoLogs", err)
	}
	if err := os.Mkdir(filepath.Join(base, "log_2"), 0o755); err != nil {
		t.Fatal(err)
	}
	if got, err := FindLogDir(fsys, logBase); err != nil || got != logBase+"/log_2" {
		t.Fatalf("FindLogDir = %q, %v", got, err)
	}
}
