package massgen

import (
	"strings"
	"testing"
)

func TestStartFailure(t *testing.T) {
	long := strings.Repeat("é", 400)
	for _, tc := range []struct {
		name, stderr string
		exit         int
		want         string
	}{
		{"traceback", "Traceback (most recent call last):\n  File \"x\", line 1\nImportError: cannot import name 'a' from 'b'\n\n  \n", 1,
			"massgen exited 1 before writing any log: ImportError: cannot import name 'a' from 'b'"},
		{"no final newline", "first\nModuleNotFoundError: No module named 'mcp'", 1,
			"massgen exited 1 before writing any log: ModuleNotFoundError: No module named 'mcp'"},
		{"empty", "", 2, "massgen exited 2 before writing any log (its stderr is empty)"},
		{"blank", "\n \n\t\n", 0, "massgen exited 0 before writing any log (its stderr is empty)"},
		{"signal", "", -1, "massgen was killed by a signal before writing any log (its stderr is empty)"},
		{"control and invalid utf-8", "bad \x1b[31mred\xff\n", 1, "massgen exited 1 before writing any log: bad \uFFFD[31mred\uFFFD"},
		{"carriage return", "error: x\r\n", 1, "massgen exited 1 before writing any log: error: x"},
		{"long line", long + "\n", 1, "massgen exited 1 before writing any log: " + strings.Repeat("é", 150) + "..."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := strings.NewReader(tc.stderr)
			if got := StartFailure(tc.exit, r, r.Size()); got != tc.want {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

// Only the tail of a huge stderr is read.
func TestStartFailureReadsTheTail(t *testing.T) {
	big := strings.Repeat("noise line\n", 1<<20) + "RuntimeError: the end\n"
	r := strings.NewReader(big)
	if got, want := StartFailure(1, r, r.Size()), "massgen exited 1 before writing any log: RuntimeError: the end"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	// A last line longer than the tail is cut to what the tail holds.
	r = strings.NewReader("x\n" + strings.Repeat("y", 20000))
	if got := StartFailure(1, r, r.Size()); !strings.HasPrefix(got, "massgen exited 1 before writing any log: yyy") || len(got) > 400 {
		t.Errorf("got %q", got)
	}
}
