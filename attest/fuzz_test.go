package attest_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/tools/txtar"

	"cohos.dev/cohos/attest"
)

// seedVectors adds every spec vector's bundle to the fuzzer's corpus.
func seedVectors(f *testing.F) {
	paths, _ := filepath.Glob("../testdata/vectors/bundle/*.txtar")
	if len(paths) == 0 {
		f.Fatal("no spec vectors to seed from")
	}
	for _, p := range paths {
		ar, err := txtar.ParseFile(p)
		if err != nil {
			f.Fatal(err)
		}
		for _, file := range ar.Files {
			if file.Name == "bundle.intoto.jsonl" {
				f.Add(file.Data)
			}
		}
	}
}

// FuzzParseBundle: never panics, and what it accepts re-encodes to the
// same envelopes (nothing accepted is lost or invented).
func FuzzParseBundle(f *testing.F) {
	seedVectors(f)
	f.Add([]byte("{}\n"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, b []byte) {
		envs, err := attest.ParseBundle(b)
		if err != nil {
			if envs != nil {
				t.Fatal("envelopes returned with an error")
			}
			return
		}
		if len(envs) == 0 || len(envs) != bytes.Count(b, []byte("\n")) {
			t.Fatalf("%d envelopes from %d lines", len(envs), bytes.Count(b, []byte("\n")))
		}
		for _, e := range envs {
			if len(e.Sigs) != len(e.Signatures) || len(e.Body) == 0 || e.PayloadType == "" {
				t.Fatalf("inconsistent envelope %+v", e.Envelope)
			}
			if _, err := json.Marshal(e.Envelope); err != nil {
				t.Fatal(err)
			}
			if st, err := attest.ParseStatement(e.Body); err == nil {
				_, _ = attest.ParsePredicate(st.Predicate)
			}
		}
	})
}

func TestSeedVectorsExist(t *testing.T) {
	if _, err := os.Stat("../testdata/vectors/bundle/untouched.txtar"); err != nil {
		t.Fatal(err)
	}
}
