package attest_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
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
	// DSSE as its spec says (issue 11): unknown and other-case fields,
	// witness's signature fields, duplicates, whitespace in base64, no
	// final newline, one envelope over several lines.
	const p, g = `"payloadType":"t","payload":"eA=="`, `"sig":"eA=="`
	for _, seed := range []string{
		`{` + p + `,"signatures":[{"keyid":"k",` + g + `}]}`,
		`{` + p + `,"signatures":[{"keyid":"k",` + g + `,"certificate":"c","intermediates":["i"],"timestamps":[{"type":"tsp","data":"d"}]}],"x":{"y":[1]}}` + "\n",
		`{` + p + `,"PAYLOAD":"eQ==","signatures":[{"KeyId":"k",` + g + `}]}` + "\n",
		`{` + p + `,"x":1,"x":2,"signatures":[{` + g + `}]}` + "\n",
		`{"payloadType":"t","payload":"e\nA==","signatures":[{"sig":"eA=\r\n="}]}` + "\n",
		"{\n  " + p + ",\n  \"signatures\": [\n    {" + g + "}\n  ]\n}\n",
		`{` + p + `,"signatures":[{` + g + `}]}` + "\n" + `{` + p + `,"signatures":[{` + g + `}]}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		envs, err := attest.ParseBundle(b)
		if err != nil {
			if envs != nil {
				t.Fatal("envelopes returned with an error")
			}
			return
		}
		// One envelope per line (the last may lack its newline), or one
		// envelope spread over several lines.
		if lines := bytes.Count(bytes.TrimSuffix(b, []byte("\n")), []byte("\n")) + 1; len(envs) == 0 || len(envs) != lines && len(envs) != 1 {
			t.Fatalf("%d envelopes from %d lines", len(envs), lines)
		}
		var again []byte
		for _, e := range envs {
			if len(e.Sigs) != len(e.Signatures) || len(e.Body) == 0 || e.PayloadType == "" {
				t.Fatalf("inconsistent envelope %+v", e.Envelope)
			}
			line, err := json.Marshal(e.Envelope)
			if err != nil {
				t.Fatal(err)
			}
			again = append(append(again, line...), '\n')
			if st, err := attest.ParseStatement(e.Body); err == nil {
				_, _ = attest.ParsePredicate(st.Predicate)
			}
		}
		// Re-encoded, the envelopes parse to the same envelopes.
		back, err := attest.ParseBundle(again)
		if err != nil {
			t.Fatalf("re-encoded bundle does not parse: %v\n%s", err, again)
		}
		if !reflect.DeepEqual(back, envs) {
			t.Fatalf("re-encoding changed the envelopes:\n%+v\n%+v", envs, back)
		}
	})
}

func TestSeedVectorsExist(t *testing.T) {
	if _, err := os.Stat("../testdata/vectors/bundle/untouched.txtar"); err != nil {
		t.Fatal(err)
	}
}
