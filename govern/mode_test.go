package govern_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"cohos.dev/cohos/govern"
	"cohos.dev/cohos/internal/massgen/massgencfg"
)

// TestNewMassGenMode: a mode goes with a model URL, and a mode's limits
// are checked before the server is asked for its models (the URL here
// has no server).
func TestNewMassGenMode(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "massgen")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "cfg.yaml")
	if err := os.WriteFile(cfg, []byte("agents: [{id: a, backend: {type: vllm}}]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	dead := "http://127.0.0.1:9/v1"
	ctx := context.Background()
	for name, tc := range map[string]struct {
		o       govern.MassGenOptions
		want    string
		invalid bool // the error wraps massgencfg.ErrInvalid
	}{
		"mode with a config":     {govern.MassGenOptions{ConfigFile: cfg, Mode: massgencfg.Synthesis}, "--mode goes with --model-url", false},
		"two synthesis agents":   {govern.MassGenOptions{ModelURL: dead, Agents: 2, Mode: massgencfg.Synthesis}, "synthesis mode needs at least 3", true},
		"unknown mode":           {govern.MassGenOptions{ModelURL: dead, Mode: "debate"}, `mode "debate"`, true},
		"synthesis, no model":    {govern.MassGenOptions{ModelURL: dead, Mode: massgencfg.Synthesis}, "model server unreachable at " + dead, false},
		"voting agents are fine": {govern.MassGenOptions{ModelURL: dead, Agents: 2, Mode: massgencfg.Voting}, "model server unreachable at " + dead, false},
	} {
		t.Run(name, func(t *testing.T) {
			tc.o.Question, tc.o.Bin = "q", bin
			_, err := govern.NewMassGen(ctx, tc.o)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("NewMassGen = %v, want an error containing %q", err, tc.want)
			}
			if errors.Is(err, massgencfg.ErrInvalid) != tc.invalid {
				t.Errorf("error %v: ErrInvalid %v", err, errors.Is(err, massgencfg.ErrInvalid))
			}
		})
	}
}
