package verify_test

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"

	"cohos.dev/cohos/internal/artifacts"
	"cohos.dev/cohos/keys"
	"cohos.dev/cohos/policy"
	"cohos.dev/cohos/verify"
)

var update = flag.Bool("update", false, "rewrite testdata/vectors/bundle from the tamper cases")

const (
	vectorDir = "../testdata/vectors/bundle"
	keyDir    = "../testdata/keys"
)

// fixedKey loads one of the checked-in test keys.
func fixedKey(t testing.TB, name string) (*keys.Signer, *keys.Public) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(keyDir, name))
	if err != nil {
		t.Fatal(err)
	}
	s, err := keys.ParsePrivate(b, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s, s.Public()
}

func vectorName(name string) string {
	return strings.NewReplacer(" ", "-", ".", "", "/", "-").Replace(name)
}

// writeVector keeps a tamper case as a txtar spec vector: the bundle, the
// run directory as the verifier finds it, and the checks that must fail.
func writeVector(t *testing.T, name string, f *fixture, bundle []byte, opts verify.Options, failed []string) {
	t.Helper()
	var comment strings.Builder
	fmt.Fprintf(&comment, "Spec vector %q: verifying bundle.intoto.jsonl against run/ must fail exactly these checks.\n", name)
	fmt.Fprintf(&comment, "fail: %s\n", strings.Join(failed, " "))
	ids := []string{}
	for _, k := range opts.Keys {
		if n, ok := keyNames.Load(k); ok {
			ids = append(ids, n.(string))
			continue
		}
		ids = append(ids, keyFile(k.ID))
	}
	if len(ids) == 0 {
		ids = []string{"ed25519.pub"}
	}
	fmt.Fprintf(&comment, "keys: %s\n", strings.Join(ids, " "))
	if opts.Threshold > 0 {
		fmt.Fprintf(&comment, "threshold: %d\n", opts.Threshold)
	}
	if opts.TrustedPolicy != nil {
		fmt.Fprintf(&comment, "trusted-policy: %s\n", opts.TrustedPolicy.Canonical())
	}
	ar := &txtar.Archive{Comment: []byte(comment.String())}
	ar.Files = append(ar.Files, txtar.File{Name: "bundle.intoto.jsonl", Data: bundle})
	special := false
	err := filepath.WalkDir(f.dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			special = special || !d.IsDir()
			return nil
		}
		rel, _ := filepath.Rel(f.dir, p)
		if rel == "bundle.intoto.jsonl" {
			return nil
		}
		b, err := os.ReadFile(p)
		ar.Files = append(ar.Files, txtar.File{Name: "run/" + filepath.ToSlash(rel), Data: b})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(bundle) > 1<<20 || special {
		return // huge lines and symlinks have no txtar form: the tamper test covers them
	}
	if err := os.MkdirAll(vectorDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(vectorDir, vectorName(name)+".txtar"), txtar.Format(ar), 0o644); err != nil {
		t.Fatal(err)
	}
}

func keyFile(id string) string {
	for _, n := range []string{"ed25519.pub", "ecdsa-p256.pub"} {
		b, _ := os.ReadFile(filepath.Join(keyDir, n))
		if p, err := keys.ParsePublic(b); err == nil && p.ID == id {
			return n
		}
	}
	return "unknown"
}

// vector is a parsed spec vector.
type vector struct {
	name   string
	fail   []string
	misuse string // the options are refused before the bundle is read
	keys   []*keys.Public
	opts   verify.Options
	bundle []byte
	ar     *txtar.Archive
}

func loadVectors(t testing.TB) []vector {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(vectorDir, "*.txtar"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no spec vectors in %s (%v)", vectorDir, err)
	}
	var out []vector
	for _, p := range paths {
		ar, err := txtar.ParseFile(p)
		if err != nil {
			t.Fatal(err)
		}
		v := vector{name: filepath.Base(p), ar: ar}
		for _, line := range strings.Split(string(ar.Comment), "\n") {
			key, val, _ := strings.Cut(line, ": ")
			switch key {
			case "fail":
				v.fail = strings.Fields(val)
			case "misuse":
				v.misuse = val
			case "keys":
				for _, n := range strings.Fields(val) {
					b, err := os.ReadFile(filepath.Join(keyDir, n))
					if err != nil {
						t.Fatal(err)
					}
					pub, err := keys.ParsePublic(b)
					if err != nil {
						t.Fatal(err)
					}
					v.opts.Keys = append(v.opts.Keys, pub)
				}
			case "threshold":
				v.opts.Threshold, _ = strconv.Atoi(val)
			case "trusted-policy":
				pol, err := policy.Parse([]byte(val))
				if err != nil {
					t.Fatal(err)
				}
				v.opts.TrustedPolicy = pol
			}
		}
		for _, f := range ar.Files {
			if f.Name == "bundle.intoto.jsonl" {
				v.bundle = f.Data
			}
		}
		out = append(out, v)
	}
	return out
}

// extract writes the vector's run directory into a temporary directory.
func (v vector) extract(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "run-1")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range v.ar.Files {
		name, ok := strings.CutPrefix(f.Name, "run/")
		if !ok {
			continue
		}
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, f.Data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestVectors verifies every stored spec vector and checks that exactly
// the checks it names fail.
func TestVectors(t *testing.T) {
	for _, v := range loadVectors(t) {
		t.Run(v.name, func(t *testing.T) {
			root, err := os.OpenRoot(v.extract(t))
			if err != nil {
				t.Fatal(err)
			}
			defer root.Close()
			opts := v.opts
			opts.Artifacts = artifacts.RootFS(root)
			rep, err := verify.Bundle(context.Background(), v.bundle, opts)
			if v.misuse != "" {
				if v.misuse != misuseBadThreshold || rep != nil || !errors.Is(err, verify.ErrBadThreshold) {
					t.Fatalf("misuse %q: report %v, err %v; want no report and ErrBadThreshold", v.misuse, rep != nil, err)
				}
				return
			}
			if rep == nil {
				t.Fatal("no report")
			}
			if got := failedIDs(rep); !slices.Equal(got, v.fail) {
				t.Fatalf("failed %v, want %v", got, v.fail)
			}
		})
	}
}
