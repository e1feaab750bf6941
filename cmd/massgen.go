package cmd

import (
	"context"
	"errors"

	"github.com/spf13/pflag"

	"cohos.dev/cohos/attest"
	"cohos.dev/cohos/policy"
	"cohos.dev/cohos/runner"
)

// massgenFlags are run's MassGen options.
type massgenFlags struct {
	config   string
	modelURL string
	bin      string
}

func (m *massgenFlags) register(f *pflag.FlagSet) {
	f.StringVar(&m.config, "massgen-config", "", "MassGen config (YAML/JSON): run MassGen on QUESTION")
	f.StringVar(&m.modelURL, "model-url", "", "OpenAI-compatible base URL: run a 3-agent MassGen job against it")
	f.StringVar(&m.bin, "massgen-bin", "", "massgen executable (default: $COHOS_MASSGEN, the project virtualenv, then PATH)")
}

func (m *massgenFlags) enabled() bool { return m.config != "" || m.modelURL != "" }

type massgenJob struct{}

func (m *massgenFlags) prepare() (*massgenJob, error) {
	return nil, errors.New("MassGen runs are not wired yet")
}

func (j *massgenJob) run(ctx context.Context, dir, runID string, fl runFlags, progress func(runner.Progress)) (policy.Metrics, attest.Run, error) {
	return nil, attest.Run{}, errors.New("MassGen runs are not wired yet")
}
