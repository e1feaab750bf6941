package govern

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"

	"cohos.dev/cohos/attest"
	"cohos.dev/cohos/internal/massgen"
	"cohos.dev/cohos/internal/massgen/massgencfg"
	"cohos.dev/cohos/internal/regfile"
	"cohos.dev/cohos/policy"
)

// MassGenOptions say which MassGen run to make: ConfigFile, or a config
// generated for ModelURL.
type MassGenOptions struct {
	Question string
	// ConfigFile is a MassGen config (YAML or JSON) to run as it is.
	ConfigFile string
	// ModelURL is an OpenAI-compatible base URL to generate a config for,
	// with Agents agents (0 = the default) asking for Model ("" = the
	// first model the server lists).
	ModelURL, Model string
	Agents          int
	// Mode is the generated config's mode ("" = voting); a ConfigFile
	// says its own (see massgencfg.Info.Mode).
	Mode massgencfg.Mode
	// Bin is the massgen executable; "" looks in $COHOS_MASSGEN, the
	// project .venv, then PATH.
	Bin string
}

// MassGen is a checked MassGen run, ready to govern.
type MassGen struct {
	bin      string
	config   []byte
	question string
	modelURL string // for the proxy decision, "" when not one plain URL
	baseURL  string // for the evidence, passwords redacted
	models   []string
	mode     massgencfg.Mode
	roles    []massgencfg.AgentRole
}

// NewMassGen checks everything about a MassGen run before anything is
// written: the config (read and inspected, or generated for ModelURL,
// asking the server for its models when Model is "") and the massgen
// executable (an error wrapping massgen.ErrNotFound when there is none).
func NewMassGen(ctx context.Context, o MassGenOptions) (*MassGen, error) {
	if strings.TrimSpace(o.Question) == "" {
		return nil, errors.New("a MassGen run takes exactly one non-empty QUESTION argument")
	}
	j := &MassGen{question: o.Question}
	var err error
	switch {
	case o.ConfigFile != "" && o.ModelURL != "":
		return nil, errors.New("give either --massgen-config or --model-url, not both")
	case o.ConfigFile != "" && o.Mode != "":
		return nil, errors.New("--mode goes with --model-url; a --massgen-config says its own mode")
	case o.ConfigFile != "":
		err = j.readConfig(o.ConfigFile)
	case o.ModelURL != "":
		err = j.generateConfig(ctx, o)
	default:
		return nil, errors.New("a MassGen run needs --massgen-config CFG or --model-url URL")
	}
	if err != nil {
		return nil, err
	}
	exe, _ := os.Executable()
	wd, _ := os.Getwd()
	j.bin, err = massgen.FindExecutable(massgen.Search{
		Bin: o.Bin, EnvBin: os.Getenv("COHOS_MASSGEN"), WorkDir: wd, Executable: exe, Path: os.Getenv("PATH"),
	})
	if err != nil {
		return nil, err
	}
	return j, nil
}

// readConfig reads and checks a MassGen config file.
func (j *MassGen) readConfig(path string) error {
	b, err := regfile.Read(path, massgencfg.MaxConfigSize)
	if errors.Is(err, regfile.ErrTooLarge) {
		return fmt.Errorf("%s: %w: larger than %d bytes", path, massgencfg.ErrConfig, massgencfg.MaxConfigSize)
	}
	if err != nil {
		return err
	}
	info, err := massgencfg.Inspect(b)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	j.config, j.models, j.mode, j.roles = b, info.Models, info.Mode, info.Roles
	j.baseURL = massgen.RedactURLs(info.BaseURLs)
	if len(info.BaseURLs) == 1 {
		j.modelURL = info.BaseURLs[0]
	}
	return nil
}

// generateConfig makes the MassGen config for a model URL.
func (j *MassGen) generateConfig(ctx context.Context, o MassGenOptions) error {
	baseURL, model := strings.TrimRight(o.ModelURL, "/"), o.Model
	mode := o.Mode
	if mode == "" {
		mode = massgencfg.Voting
	}
	// Options the config cannot have are named before the server is
	// asked for its models (a placeholder stands in for the model).
	if _, err := massgencfg.Generate(massgencfg.Options{BaseURL: baseURL, Model: cmp.Or(model, "model"), Agents: o.Agents, Mode: mode}); err != nil {
		return err
	}
	if model == "" {
		var err error
		if model, err = massgen.FirstModel(ctx, baseURL); err != nil {
			var ne *net.OpError
			if errors.As(err, &ne) {
				return fmt.Errorf("%w at %s (%v)", ErrModelServer, massgen.RedactURLs([]string{baseURL}), ne.Err)
			}
			return fmt.Errorf("%w (pass --model)", err)
		}
	}
	cfg, err := massgencfg.Generate(massgencfg.Options{BaseURL: baseURL, Model: model, Agents: o.Agents, Mode: mode})
	if err != nil {
		return err
	}
	info, err := massgencfg.Inspect(cfg)
	if err != nil {
		return fmt.Errorf("generated config: %w", err)
	}
	j.config, j.models, j.baseURL, j.modelURL = cfg, []string{model}, massgen.RedactURLs([]string{baseURL}), baseURL
	j.mode, j.roles = info.Mode, info.Roles
	return nil
}

func (j *MassGen) run(ctx context.Context, s setup) (policy.Metrics, attest.Run, error) {
	out, err := massgen.Run(ctx, massgen.Spec{
		Bin: j.bin, Config: j.config, Question: j.question, RunDir: s.dir, RunID: s.runID,
		Timeout: s.timeout, Env: s.env, Progress: s.progress, ModelURL: j.modelURL,
		Mode: j.mode, Roles: j.roles,
		Isolation: s.isolation, Reserved: reserved(),
		TeeStdout: s.teeOut, TeeStderr: s.teeErr, Live: s.live,
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
		ID: s.runID, Runner: "massgen", RunnerVersion: out.Version, Argv: inv.Argv,
		ConfigDigest:   map[string]string{"sha256": sha256Hex(j.config)},
		QuestionDigest: map[string]string{"sha256": sha256Hex([]byte(j.question))},
		Models:         models, BaseURL: j.baseURL,
		StartedOn: stamp(inv.StartedOn), FinishedOn: stamp(inv.FinishedOn), ExitCode: &exit,
		Problems: inv.Problems, Cause: out.Cause, RunnerDistributions: distributions(out.Dists),
		Mode: string(j.mode), Roles: agentRoles(j.roles),
		Isolation: isolation(out.Isolation),
	}, nil
}

// ErrModelServer: nothing answers at the model URL (connection refused,
// no route, no such host).
var ErrModelServer = errors.New("model server unreachable")

// agentRoles is the predicate's record of roles, nil when there are none.
func agentRoles(roles []massgencfg.AgentRole) []attest.AgentRole {
	var out []attest.AgentRole
	for _, r := range roles {
		out = append(out, attest.AgentRole{Agent: r.Agent, Role: string(r.Role)})
	}
	return out
}

// distributions is the predicate's record of d, nil when d is.
func distributions(d *massgen.Dists) *attest.Distributions {
	if d == nil {
		return nil
	}
	return &attest.Distributions{Count: d.Count, Digest: map[string]string{"sha256": d.SHA256}}
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
