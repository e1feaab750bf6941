package cmd

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/pflag"

	"cohos.dev/cohos/govern"
	"cohos.dev/cohos/internal/massgen"
	"cohos.dev/cohos/internal/massgen/massgencfg"
)

// massgenFlags are run's MassGen options.
type massgenFlags struct {
	config   string
	modelURL string
	model    string
	agents   int
	mode     string
	bin      string
	fs       *pflag.FlagSet // run's flags: the question and the plain-command flags
}

func (m *massgenFlags) register(f *pflag.FlagSet) {
	m.fs = f
	f.StringVar(&m.config, "massgen-config", "", "MassGen config (YAML or JSON) to run on QUESTION")
	f.StringVar(&m.modelURL, "model-url", "", "OpenAI-compatible base URL: run a generated MassGen job against it\n(LM Studio http://127.0.0.1:1234/v1, Ollama http://127.0.0.1:11434/v1, vLLM http://127.0.0.1:8000/v1)")
	f.StringVar(&m.model, "model", "", "model id for --model-url (default: the first model the server lists)")
	f.IntVar(&m.agents, "agents", massgencfg.DefaultAgents, "number of agents for --model-url (synthesis: a gatherer, agents-2 domain experts, a synthesizer)")
	f.StringVar(&m.mode, "mode", string(massgencfg.DefaultMode), "MassGen mode for --model-url: voting (identical agents vote) or synthesis (voting off, role agents, one synthesized answer)")
	f.StringVar(&m.bin, "massgen-bin", "", "massgen executable (default: $COHOS_MASSGEN, the project .venv, then PATH)")
}

// enabled reports whether any MassGen flag was given.
func (m *massgenFlags) enabled() bool {
	for _, name := range []string{"massgen-config", "model-url", "model", "agents", "mode", "massgen-bin"} {
		if m.fs != nil && m.fs.Changed(name) {
			return true
		}
	}
	return m.config != "" || m.modelURL != ""
}

// errMassGenHint is the hint printed under "massgen not found".
const errMassGenHint = "run scripts/setup-massgen.sh (or make demo), or pass --massgen-bin"

// job checks the flags that belong to a command or to --model-url only,
// then has govern check the MassGen run before anything is written.
func (m *massgenFlags) job(ctx context.Context) (govern.Job, error) {
	for _, name := range []string{"retries", "collect"} {
		if m.fs.Changed(name) {
			return nil, fmt.Errorf("--%s applies to a command, not to a MassGen run", name)
		}
	}
	if m.config != "" && m.modelURL == "" && (m.fs.Changed("model") || m.fs.Changed("agents")) {
		return nil, errors.New("--model and --agents go with --model-url, not --massgen-config")
	}
	if m.config != "" && m.modelURL == "" && m.fs.Changed("mode") {
		return nil, withHint(errors.New("--mode goes with --model-url, not --massgen-config"),
			"a config says its own mode: orchestrator skip_voting true is synthesis mode")
	}
	var mode massgencfg.Mode
	if m.modelURL != "" {
		var err error
		if mode, err = massgencfg.ParseMode(m.mode); err != nil {
			return nil, withHint(err, "use --mode synthesis or --mode voting")
		}
	}
	question := ""
	if args := m.fs.Args(); len(args) == 1 {
		question = args[0]
	}
	job, err := govern.NewMassGen(ctx, govern.MassGenOptions{
		Question: question, ConfigFile: m.config, ModelURL: m.modelURL, Model: m.model, Agents: m.agents, Mode: mode, Bin: m.bin,
	})
	if errors.Is(err, massgen.ErrNotFound) {
		return nil, withHint(err, errMassGenHint)
	}
	if errors.Is(err, govern.ErrModelServer) {
		return nil, withHint(err, "start the model server (cohos substrate serve, llama-server, ...) or fix --model-url; with --model NAME cohos does not ask it for its models first")
	}
	return job, err
}
