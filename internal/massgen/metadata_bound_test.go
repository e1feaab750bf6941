package massgen

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

// manyKeys is an execution_metadata.yaml of about size bytes: the real
// fields, then one flow mapping with as many keys (null values) as fit.
func manyKeys(size int) []byte {
	var b strings.Builder
	b.WriteString("massgen_version: 0.1.91\nconfig: {agents: [{id: agent_a, backend: {model: m}}]}\nextra: {")
	for i := 0; b.Len() < size-16; i++ {
		fmt.Fprintf(&b, "%x, ", i)
	}
	b.WriteString("end}\n")
	return []byte(b.String())
}

// keyCount counts the keys manyKeys wrote.
func keyCount(b []byte) int { return strings.Count(string(b), ", ") + 1 }

// TestMetadataLinear: a 1 MiB execution_metadata.yaml with over 100,000
// keys in one mapping (issue 11, case 3: three minutes of CPU in yaml.v3's
// duplicate-key check) parses in bounded time; a duplicate is still
// refused, at the end of the mapping as at its start.
func TestMetadataLinear(t *testing.T) {
	b := manyKeys(maxYAMLSize)
	if n := keyCount(b); n < 100000 {
		t.Fatalf("only %d keys", n)
	}
	start := time.Now()
	m, err := parseMetadata(b)
	if err != nil {
		t.Fatal(err)
	}
	// A generous guard against a quadratic parse, not a timing assertion.
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("1 MiB of keys took %v", d)
	}
	if m.version != "0.1.91" || len(m.agents) != 1 || m.agents[0] != "agent_a" || len(m.models) != 1 {
		t.Fatalf("metadata %+v", m)
	}
	for _, dup := range []string{
		strings.Replace(string(b), "end}", "end, 0}", 1),
		"massgen_version: 1\nmassgen_version: 2\n",
		"config: {agents: [{id: a, id: b}]}\n",
		"x: {y: 1, y: 1}\n",
	} {
		if _, err := parseMetadata([]byte(dup)); err == nil || !strings.Contains(err.Error(), "already defined") {
			t.Errorf("duplicate key accepted: %v", err)
		}
	}
}

// TestMetadataTypes: the used keys keep their types; anything else is
// ignored.
func TestMetadataTypes(t *testing.T) {
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{"massgen_version: 0.1.91\n", true},
		{"massgen_version: null\nconfig: null\n", true},
		{"other: [1, 2, {a: b}]\n", true},
		{"massgen_version: [1]\n", false},
		{"config: [1]\n", false},
		{"config: {agents: {id: a}}\n", false},
		{"config: {agents: [[1]]}\n", false},
		{"config: {agent: {id: agent_a, backend: {model: [m]}}}\n", false},
		{"- 1\n", false},
		{"a: 1\n---\nb: 2\n", false},
		{"", false},
	} {
		_, err := parseMetadata([]byte(tc.in))
		if (err == nil) != tc.ok {
			t.Errorf("%q: err %v, want ok=%v", tc.in, err, tc.ok)
		}
	}
}

// TestAnalyzeStopsOnCancel: a canceled context (what SIGTERM does) stops
// the analysis of a run whose metadata is as large as allowed, and says so.
func TestAnalyzeStopsOnCancel(t *testing.T) {
	full, dir := mapFixture(t, "stable")
	m := fstest.MapFS{}
	for k, v := range full {
		m[k] = v
	}
	m[attemptFile(dir, metadataName)] = &fstest.MapFile{Data: manyKeys(maxYAMLSize)}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	done := make(chan *Analysis, 1)
	go func() { done <- Analyze(ctx, m, dir) }()
	select {
	case a := <-done:
		found := false
		for _, p := range a.Problems {
			found = found || strings.HasPrefix(p, "analysis")
		}
		if !found {
			t.Fatalf("problems %q do not say the analysis stopped", a.Problems)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("Analyze did not stop on a canceled context")
	}
}

// BenchmarkParseMetadata shows the parse linear in the number of keys.
func BenchmarkParseMetadata(b *testing.B) {
	for _, size := range []int{64 << 10, 256 << 10, 1 << 20} {
		in := manyKeys(size)
		b.Run(fmt.Sprintf("%dKiB", size>>10), func(b *testing.B) {
			b.SetBytes(int64(len(in)))
			for b.Loop() {
				if _, err := parseMetadata(in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// FuzzParseMetadata: never panics, and what it accepts parses again to
// the same result. Seeded with the bounded-work vectors.
func FuzzParseMetadata(f *testing.F) {
	f.Add([]byte("massgen_version: 0.1.91\nconfig: {agents: [{id: agent_a, backend: {model: m}}]}\n"))
	f.Add(manyKeys(4 << 10))
	f.Add([]byte("x: {y: 1, y: 1}\n"))
	f.Add([]byte("a: &x {b: 1}\nc: *x\nconfig: {agent: *x}\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := parseMetadata(b)
		if err != nil {
			return
		}
		m2, err := parseMetadata(b)
		if err != nil || fmt.Sprint(m) != fmt.Sprint(m2) {
			t.Fatalf("unstable: %v / %v, %v", m, m2, err)
		}
	})
}
