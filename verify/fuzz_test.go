package verify_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"testing"

	"cohos.dev/cohos/attest"
	"cohos.dev/cohos/internal/artifacts"
	"cohos.dev/cohos/verify"
)

// FuzzVerify mutates bundles against the untouched vector's run directory
// and trusted key: verify never panics, and whenever it passes, the signed
// statement is exactly the one that was attested (junk never passes).
func FuzzVerify(f *testing.F) {
	var good vector
	for _, v := range loadVectors(f) {
		f.Add(v.bundle)
		if v.name == "untouched.txtar" {
			good = v
		}
	}
	envs, err := attest.ParseBundle(good.bundle)
	if err != nil {
		f.Fatal(err)
	}
	want := envs[0].Body
	// The forms DSSE allows beyond one line per envelope (issue 11): no
	// final newline, one envelope pretty-printed, witness's signature fields.
	line := bytes.TrimSuffix(good.bundle, []byte("\n"))
	f.Add(line)
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, line, "", "  "); err != nil {
		f.Fatal(err)
	}
	f.Add(pretty.Bytes())
	f.Add(bytes.Replace(good.bundle, []byte(`"sig":`), []byte(`"certificate":"c","intermediates":[],"timestamps":[],"sig":`), 1))
	root, err := os.OpenRoot(good.extract(f))
	if err != nil {
		f.Fatal(err)
	}
	defer root.Close()
	opts := good.opts
	opts.Artifacts = artifacts.RootFS(root)
	f.Fuzz(func(t *testing.T, b []byte) {
		rep, err := verify.Bundle(context.Background(), b, opts)
		if rep == nil {
			t.Fatalf("no report: %v", err)
		}
		if err != nil {
			return
		}
		got, perr := attest.ParseBundle(b)
		if perr != nil {
			t.Fatalf("verify passed a bundle that does not parse: %v", perr)
		}
		for _, e := range got {
			if !bytes.Equal(e.Body, want) {
				t.Fatalf("verify passed a different statement:\n%s", e.Body)
			}
		}
		if only := rep.Verified() && !rep.Admissible(); len(rep.Failed()) > 0 && !only {
			t.Fatal("Err nil with failed checks")
		}
		_ = verify.Pass
	})
}
