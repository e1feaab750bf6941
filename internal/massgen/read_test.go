package massgen

import (
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

func TestLineReader(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		maxLen  int
		limit   int64
		want    []string // "<long>" for a skipped line
		wantErr error    // after the lines; io.EOF for a clean end
	}{
		{name: "empty", in: "", maxLen: 8, limit: 100, wantErr: io.EOF},
		{name: "lines", in: "a\nbb\n\nc", maxLen: 8, limit: 100, want: []string{"a", "bb", "", "c"}, wantErr: io.EOF},
		{name: "exactly max", in: "12345678\nx\n", maxLen: 8, limit: 100, want: []string{"12345678", "x"}, wantErr: io.EOF},
		{name: "long skipped", in: "a\n123456789\nb\n", maxLen: 8, limit: 100, want: []string{"a", "<long>", "b"}, wantErr: io.EOF},
		{name: "long last line", in: "a\n123456789", maxLen: 8, limit: 100, want: []string{"a", "<long>"}, wantErr: io.EOF},
		{name: "lines past the buffer", in: strings.Repeat("x", 80<<10) + "\n" + strings.Repeat("y", 150<<10) + "\nz\n", maxLen: 100 << 10, limit: 1 << 20,
			want: []string{strings.Repeat("x", 80<<10), "<long>", "z"}, wantErr: io.EOF},
		{name: "total limit", in: "aaaa\nbbbb\ncccc\n", maxLen: 8, limit: 10, want: []string{"aaaa", "bbbb"}, wantErr: errTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lr := newLineReader(strings.NewReader(tt.in), tt.maxLen, tt.limit)
			var got []string
			var err error
			for {
				var line []byte
				var long bool
				line, long, err = lr.next()
				if err != nil {
					break
				}
				if long {
					got = append(got, "<long>")
				} else {
					got = append(got, string(line))
				}
			}
			if !slices.Equal(got, tt.want) || !errors.Is(err, tt.wantErr) {
				t.Fatalf("got %q, %v; want %q, %v", got, err, tt.want, tt.wantErr)
			}
			if lr.no != len(tt.want) {
				t.Errorf("line number %d, want %d", lr.no, len(tt.want))
			}
		})
	}
}

func TestReadBounded(t *testing.T) {
	m := fstest.MapFS{"f": {Data: []byte("12345")}, "d/x": {}}
	if b, err := readBounded(m, "f", 5); err != nil || string(b) != "12345" {
		t.Errorf("at the limit: %q, %v", b, err)
	}
	for _, tt := range []struct {
		name string
		want error
	}{{"f", errTooLarge}, {"g", errMissing}, {"d", errIrregular}, {"d/x/y", errNotDir}, {"f/y", errNotDir}} {
		if _, err := readBounded(m, tt.name, 4); !errors.Is(err, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.want)
		}
	}
}

func TestDecodeJSON(t *testing.T) {
	var v map[string]any
	for _, tt := range []struct {
		in   string
		want string // "" for no error
	}{
		{`{"a": 1}`, ""},
		{`{"a": 1`, "truncated"},
		{``, "truncated"},
		{`{"a": 1} x`, "malformed: data after the JSON value"},
		{`[1]`, "malformed: json: cannot unmarshal array into Go value of type map[string]interface {}"},
	} {
		err := decodeJSON([]byte(tt.in), &v)
		if got := errString(err); got != tt.want {
			t.Errorf("decodeJSON(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestNearestRank(t *testing.T) {
	d := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	for _, tt := range []struct{ p, want float64 }{{50, 5}, {95, 10}, {90, 9}, {0, 1}, {100, 10}} {
		if got := nearestRank(d, tt.p); got != tt.want {
			t.Errorf("p%v = %v, want %v", tt.p, got, tt.want)
		}
	}
	if got := nearestRank([]float64{7}, 95); got != 7 {
		t.Errorf("one value: %v", got)
	}
}
