package rehearse

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"

	"cohos.dev/cohos/internal/massgen/massgencfg"
	"cohos.dev/cohos/internal/substrate"
	"cohos.dev/cohos/internal/testkit"
	"cohos.dev/cohos/keys"
	"cohos.dev/cohos/policy"
)

func TestPlan(t *testing.T) {
	cells, err := plan(Options{})
	if err != nil || len(cells) != 10 {
		t.Fatalf("default plan: %d cells, %v", len(cells), err)
	}
	if cells[0] != (Cell{Profile: "stable", Mode: "voting"}) || cells[9] != (Cell{Profile: "dead", Mode: "synthesis"}) {
		t.Errorf("default plan order: first %+v, last %+v", cells[0], cells[9])
	}
	cells, err = plan(Options{ModelURL: "http://127.0.0.1:1/v1", Profiles: []substrate.Profile{substrate.Thrash}, Modes: []massgencfg.Mode{massgencfg.Synthesis}})
	if err != nil || len(cells) != 1 || cells[0] != (Cell{Mode: "synthesis"}) || runDirName(cells[0]) != "model-synthesis" {
		t.Errorf("model-url plan: %+v, %v", cells, err)
	}
	for name, tc := range map[string]struct {
		o    Options
		want string
	}{
		"unknown profile": {Options{Profiles: []substrate.Profile{"nope"}}, `unknown substrate profile "nope"`},
		"profile twice":   {Options{Profiles: []substrate.Profile{substrate.Stable, substrate.Stable}}, "profile stable given twice"},
		"unknown mode":    {Options{Modes: []massgencfg.Mode{"debate"}}, `"debate"`},
		"mode twice":      {Options{Modes: []massgencfg.Mode{massgencfg.Voting, massgencfg.Voting}}, "mode voting given twice"},
	} {
		if _, err := plan(tc.o); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: plan(%+v) = %v, want an error saying %s", name, tc.o, err, tc.want)
		}
	}
}

func TestRunRefuses(t *testing.T) {
	pol := testkit.Policy(t)
	k, _ := testkit.Key(t, keys.ECDSAP256)
	signer := []dsse.Signer{k}
	dir := t.TempDir()
	taken := filepath.Join(dir, "taken")
	if err := os.Mkdir(taken, 0o755); err != nil {
		t.Fatal(err)
	}
	fake := filepath.Join(dir, "massgen")
	if err := os.WriteFile(fake, []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	const needed = "a policy and at least one signer are needed"
	if _, err := Run(ctx, Options{Signers: signer, Dir: filepath.Join(dir, "r")}); err == nil || !strings.Contains(err.Error(), needed) {
		t.Errorf("Run without a policy: %v", err)
	}
	if _, err := Run(ctx, Options{Policy: pol, Dir: filepath.Join(dir, "r")}); err == nil || !strings.Contains(err.Error(), needed) {
		t.Errorf("Run without a signer: %v", err)
	}
	if _, err := Run(ctx, Options{Policy: pol, Signers: signer, Dir: taken, Bin: fake}); !errors.Is(err, ErrExists) {
		t.Errorf("Run into an existing directory: %v, want ErrExists", err)
	}
	// An ended context: no cell runs, each says so.
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	m, err := Run(canceled, Options{Policy: pol, Signers: signer, Dir: filepath.Join(dir, "c"), Bin: fake,
		Profiles: []substrate.Profile{substrate.Stable, substrate.Dead}})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range m.Cells {
		if c.Decision != "" || c.Error != "not run: context canceled" {
			t.Errorf("cell %s/%s after cancel: %q %q", c.Profile, c.Mode, c.Decision, c.Error)
		}
	}
}

// TestRunSignsAndVerifiesEveryCell: a massgen that leaves no logs makes
// every cell a signed REFUSE whose bundle verifies; the slow profile's
// cells run beside the others.
func TestRunSignsAndVerifiesEveryCell(t *testing.T) {
	k, _ := testkit.Key(t, keys.ECDSAP256)
	dir := t.TempDir()
	fake := filepath.Join(dir, "massgen")
	if err := os.WriteFile(fake, []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	var done []string
	var mu sync.Mutex
	m, err := Run(context.Background(), Options{
		Policy: testkit.Policy(t), Signers: []dsse.Signer{k}, Dir: filepath.Join(dir, "r"), Bin: fake, Jobs: 1,
		Profiles: []substrate.Profile{substrate.Stable, substrate.Slow, substrate.Dead},
		Done: func(c Cell) {
			mu.Lock()
			defer mu.Unlock()
			done = append(done, c.Profile+"-"+c.Mode)
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Cells) != 6 || len(done) != 6 || m.Rows[1] != "slow" || len(m.Modes) != 2 {
		t.Fatalf("matrix %+v, done %q", m, done)
	}
	for _, c := range m.Cells {
		if c.Decision != policy.Refuse || !c.Verified || c.Error != "" || c.ServerCalls == nil || c.ModelCalls != nil ||
			c.RunDir != filepath.Join(dir, "r", c.Profile+"-"+c.Mode) || c.Model != "cohos-substrate-"+c.Profile {
			t.Errorf("cell %+v", c)
		}
	}
}
