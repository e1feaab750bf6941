package cmd

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"cohos.dev/cohos/attest"
	"cohos.dev/cohos/internal/massgencfg"
	"cohos.dev/cohos/policy"
	"cohos.dev/cohos/runner"
)

// massgenFlags are run's MassGen options.
type massgenFlags struct {
	config   string
	modelURL string
	model    string
	agents   int
	bin      string
	fs       *pflag.FlagSet // run's flags: the question and the plain-command flags
}

func (m *massgenFlags) register(f *pflag.FlagSet) {
	m.fs = f
	f.StringVar(&m.config, "massgen-config", "", "MassGen config (YAML or JSON) to run on QUESTION")
	f.StringVar(&m.modelURL, "model-url", "", "OpenAI-compatible base URL: run a generated MassGen job against it\n(LM Studio http://127.0.0.1:1234/v1, Ollama http://127.0.0.1:11434/v1, vLLM http://127.0.0.1:8000/v1)")
	f.StringVar(&m.model, "model", "", "model id for --model-url (default: the first model the server lists)")
	f.IntVar(&m.agents, "agents", massgencfg.DefaultAgents, "number of agents for --model-url")
	f.StringVar(&m.bin, "massgen-bin", "", "massgen executable (default: $COHOS_MASSGEN, the project .venv, then PATH)")
}

// enabled reports whether any MassGen flag was given.
func (m *massgenFlags) enabled() bool {
	for _, name := range []string{"massgen-config", "model-url", "model", "agents", "massgen-bin"} {
		if m.fs != nil && m.fs.Changed(name) {
			return true
		}
	}
	return m.config != "" || m.modelURL != ""
}

// massgenJob is a checked MassGen run, ready to start.
type massgenJob struct {
	bin      string
	config   []byte
	question string
	modelURL string // for the proxy decision, "" when not one plain URL
	baseURL  string // for the evidence
	models   []string
}

// errMassGenHint is the hint printed under "massgen not found".
const errMassGenHint = "run scripts/setup-massgen.sh (or make demo), or pass --massgen-bin"

// prepare checks everything about the MassGen run before anything is
// written: the flags, the config (read and validated, or generated for
// --model-url) and the massgen executable.
func (m *massgenFlags) prepare() (*massgenJob, error) {
	for _, name := range []string{"retries", "collect"} {
		if m.fs.Changed(name) {
			return nil, fmt.Errorf("--%s applies to a command, not to a MassGen run", name)
		}
	}
	args := m.fs.Args()
	if len(args) != 1 || strings.TrimSpace(args[0]) == "" {
		return nil, errors.New("a MassGen run takes exactly one non-empty QUESTION argument")
	}
	job := &massgenJob{question: args[0]}
	var err error
	switch {
	case m.config != "" && m.modelURL != "":
		return nil, errors.New("give either --massgen-config or --model-url, not both")
	case m.config != "":
		if m.fs.Changed("model") || m.fs.Changed("agents") {
			return nil, errors.New("--model and --agents go with --model-url, not --massgen-config")
		}
		err = job.readConfig(m.config)
	case m.modelURL != "":
		err = job.generateConfig(m.modelURL, m.model, m.agents)
	default:
		return nil, errors.New("a MassGen run needs --massgen-config CFG or --model-url URL")
	}
	if err != nil {
		return nil, err
	}
	exe, _ := os.Executable()
	wd, _ := os.Getwd()
	job.bin, err = runner.FindMassGen(runner.MassGenSearch{
		Bin: m.bin, EnvBin: os.Getenv("COHOS_MASSGEN"), WorkDir: wd, Executable: exe, Path: os.Getenv("PATH"),
	})
	if err != nil {
		return nil, withHint(err, errMassGenHint)
	}
	return job, nil
}

// readConfig reads and checks a MassGen config file.
func (j *massgenJob) readConfig(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, runner.MaxMassGenConfigSize+1))
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	info, err := runner.InspectMassGenConfig(b)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	j.config, j.models = b, info.Models
	j.baseURL = redactURLs(info.BaseURLs)
	if len(info.BaseURLs) == 1 {
		j.modelURL = info.BaseURLs[0]
	}
	return nil
}

// generateConfig makes the MassGen config for --model-url.
func (j *massgenJob) generateConfig(baseURL, model string, agents int) error {
	baseURL = strings.TrimRight(baseURL, "/")
	if model == "" {
		var err error
		if model, err = firstModel(baseURL); err != nil {
			return fmt.Errorf("%w (pass --model)", err)
		}
	}
	cfg, err := massgencfg.Generate(massgencfg.Options{BaseURL: baseURL, Model: model, Agents: agents})
	if err != nil {
		return err
	}
	j.config, j.models, j.baseURL, j.modelURL = cfg, []string{model}, redactURLs([]string{baseURL}), baseURL
	return nil
}

// firstModel asks an OpenAI-compatible server which models it serves
// (GET <baseURL>/models) and returns the first id.
func firstModel(baseURL string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, baseURL+"/models", nil)
	if err != nil {
		return "", fmt.Errorf("listing models: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", fmt.Errorf("listing models: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("listing models at %s/models: HTTP %d", baseURL, resp.StatusCode)
	}
	var list struct {
		Data []struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&list); err != nil {
		return "", fmt.Errorf("listing models at %s/models: %w", baseURL, err)
	}
	if len(list.Data) == 0 || list.Data[0].ID == "" {
		return "", fmt.Errorf("%s/models lists no model", baseURL)
	}
	return list.Data[0].ID, nil
}

// run runs the job in dir and returns its metrics and run record.
func (j *massgenJob) run(ctx context.Context, dir, runID string, fl runFlags, progress func(runner.Progress)) (policy.Metrics, attest.Run, error) {
	out, err := runner.RunMassGen(ctx, runner.MassGenSpec{
		Bin: j.bin, Config: j.config, Question: j.question, RunDir: dir, RunID: runID,
		Timeout: fl.timeout, Env: jobEnv(), Progress: progress, ModelURL: j.modelURL,
	})
	if err != nil {
		return nil, attest.Run{}, err
	}
	inv := out.Invocation
	models := j.models
	if out.Analysis != nil && len(out.Analysis.Models) > 0 {
		models = out.Analysis.Models
	}
	exit := out.ExitCode
	return out.Metrics, attest.Run{
		ID: runID, Runner: "massgen", RunnerVersion: out.Version, Argv: inv.Argv,
		ConfigDigest:   map[string]string{"sha256": sha256Hex(j.config)},
		QuestionDigest: map[string]string{"sha256": sha256Hex([]byte(j.question))},
		Models:         models, BaseURL: j.baseURL,
		StartedOn: stamp(inv.StartedOn), FinishedOn: stamp(inv.FinishedOn), ExitCode: &exit,
		Problems: inv.Problems,
	}, nil
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// redactURLs joins base URLs for the evidence with any password in them
// replaced ("user:xxxxx@host"): the predicate is read by everyone.
func redactURLs(urls []string) string {
	out := make([]string, len(urls))
	for i, raw := range urls {
		out[i] = raw
		if u, err := url.Parse(raw); err == nil && u.User != nil {
			out[i] = u.Redacted()
		}
	}
	return strings.Join(out, ",")
}
