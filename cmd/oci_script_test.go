package cmd

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"cohos.dev/cohos/internal/ocipack"
	"cohos.dev/cohos/internal/testkit"
)

// TestOCIScripts runs the OCI stories in testdata/oci once against each
// real registry: Debian's docker-registry (no referrers API, so the
// referrers tag schema) and olareg (referrers API). $KIND names the one.
func TestOCIScripts(t *testing.T) {
	docker, olareg, err := testkit.RegistryBinaries(testkit.RepoRoot())
	if err != nil {
		t.Fatal(err)
	}
	bins := map[string]string{testkit.DockerRegistry: docker, testkit.Olareg: olareg}
	for _, kind := range []string{testkit.DockerRegistry, testkit.Olareg} {
		t.Run(kind, func(t *testing.T) {
			testscript.Run(t, testscript.Params{
				Dir:                 "testdata/oci",
				RequireExplicitExec: true,
				RequireUniqueNames:  true,
				Setup: func(env *testscript.Env) error {
					env.Setenv("KIND", kind)
					env.Values["bins"] = bins
					env.Values["registries"] = map[string]*testkit.Registry{}
					return nil
				},
				Cmds: map[string]func(*testscript.TestScript, bool, []string){
					"exits":      cmdExits,
					"registry":   cmdRegistry,
					"regtamper":  cmdRegTamper,
					"regdelete":  cmdRegDelete,
					"regappend":  cmdRegAppend,
					"ocidigests": cmdOCIDigests,
					"stdoutenv":  cmdStdoutEnv,
				},
			})
		})
	}
}

// cmdRegistry runs `registry start NAME KIND` (sets $NAME to its
// 127.0.0.1:PORT) or `registry stop NAME`.
func cmdRegistry(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: registry start NAME KIND | registry start-auth NAME USER PASSWORD | registry stop NAME")
	}
	key := "registry:" + args[1]
	switch args[0] {
	case "start":
		if len(args) != 3 {
			ts.Fatalf("usage: registry start NAME KIND")
		}
		bins := ts.Value("bins").(map[string]string)
		r, err := testkit.StartRegistry(args[2], bins[args[2]], ts.MkAbs(args[1]+"-registry"))
		ts.Check(err)
		ts.Defer(r.Stop)
		ts.Setenv(args[1], r.Addr)
		registries(ts)[key] = r
	case "start-auth":
		// registry start-auth NAME USER PASSWORD: a docker-registry with Basic auth.
		if len(args) != 4 {
			ts.Fatalf("usage: registry start-auth NAME USER PASSWORD")
		}
		bins := ts.Value("bins").(map[string]string)
		r, err := testkit.StartRegistryAuth(bins[testkit.DockerRegistry], ts.MkAbs(args[1]+"-registry"), args[2], args[3])
		ts.Check(err)
		ts.Defer(r.Stop)
		ts.Setenv(args[1], r.Addr)
		registries(ts)[key] = r
	case "stop":
		regOf(ts, args[1]).Stop()
	default:
		ts.Fatalf("registry: unknown verb %q", args[0])
	}
}

func registries(ts *testscript.TestScript) map[string]*testkit.Registry {
	return ts.Value("registries").(map[string]*testkit.Registry)
}

func regOf(ts *testscript.TestScript, name string) *testkit.Registry {
	r := registries(ts)["registry:"+name]
	if r == nil {
		ts.Fatalf("no registry %q started", name)
	}
	return r
}

// cmdRegTamper runs `regtamper NAME REPO HEX OLD NEW`: in the registry's
// own storage, replaces the first OLD in the blob HEX with NEW (same length).
func cmdRegTamper(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 5 || len(args[3]) != len(args[4]) {
		ts.Fatalf("usage: regtamper NAME REPO HEX OLD NEW (OLD and NEW of one length)")
	}
	p := regOf(ts, args[0]).BlobPath(args[1], args[2])
	b, err := os.ReadFile(p)
	ts.Check(err)
	i := bytes.Index(b, []byte(args[3]))
	if i < 0 {
		ts.Fatalf("regtamper: %q not in %s", args[3], p)
	}
	copy(b[i:], args[4])
	ts.Check(os.WriteFile(p, b, 0o600))
}

// cmdRegAppend runs `regappend NAME REPO HEX TEXT`: appends TEXT to the
// blob HEX in the registry's own storage.
func cmdRegAppend(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 4 {
		ts.Fatalf("usage: regappend NAME REPO HEX TEXT")
	}
	p := regOf(ts, args[0]).BlobPath(args[1], args[2])
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_APPEND, 0)
	ts.Check(err)
	_, err = f.WriteString(args[3])
	ts.Check(err)
	ts.Check(f.Close())
}

// cmdRegDelete runs `regdelete NAME REPO DIGEST`: deletes a manifest.
func cmdRegDelete(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: regdelete NAME REPO DIGEST")
	}
	ts.Check(regOf(ts, args[0]).DeleteManifest(args[1], args[2]))
}

// cmdOCIDigests runs `ocidigests ARCHIVE PREFIX`: sets PREFIX_RUN,
// PREFIX_ATT (manifests, sha256:...), PREFIX_RUNHEX and PREFIX_LAYER (hex)
// from a pack.
func cmdOCIDigests(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: ocidigests ARCHIVE PREFIX")
	}
	run, err := ocipack.OpenFile(context.Background(), ts.MkAbs(args[0]))
	ts.Check(err)
	defer run.Close()
	ts.Check(run.Err())
	ts.Setenv(args[1]+"_RUN", run.Manifest.Digest.String())
	ts.Setenv(args[1]+"_RUNHEX", run.Manifest.Digest.Encoded())
	ts.Setenv(args[1]+"_ATT", run.Attestation.Digest.String())
	ts.Setenv(args[1]+"_LAYER", run.Layer.Digest.Encoded())
}

// cmdStdoutEnv runs `stdoutenv VAR`: sets VAR to the last command's stdout,
// trimmed.
func cmdStdoutEnv(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: stdoutenv VAR")
	}
	ts.Setenv(args[0], strings.TrimSpace(ts.ReadFile("stdout")))
}
