package rehearse

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"cohos.dev/cohos/attest"
	"cohos.dev/cohos/govern"
	"cohos.dev/cohos/internal/artifacts"
	"cohos.dev/cohos/internal/massgen/massgencfg"
	"cohos.dev/cohos/internal/regfile"
	"cohos.dev/cohos/internal/substrate"
	"cohos.dev/cohos/keys"
	"cohos.dev/cohos/policy"
	"cohos.dev/cohos/verify"
)

// Matrix is a rehearsal's result, the JSON document `cohos rehearse
// --json` prints.
type Matrix struct {
	MediaType string `json:"mediaType"`
	// Policy names the policy every cell was graded under.
	Policy PolicyRef `json:"policy"`
	// Server is "substrate" (the scripted server, one row per profile)
	// or "model-url" (BaseURL, one row).
	Server  string `json:"server"`
	BaseURL string `json:"baseUrl,omitempty"`
	Agents  int    `json:"agents"`
	// Question is what every cell asked.
	Question string `json:"question"`
	// Rows are the profiles (or "model"), Modes the columns, in order.
	Rows  []string `json:"rows"`
	Modes []string `json:"modes"`
	Cells []Cell   `json:"cells"`
	// WallSeconds is the whole rehearsal's wall time.
	WallSeconds float64 `json:"wallSeconds"`
}

// PolicyRef identifies a policy.
type PolicyRef struct {
	Name   string            `json:"name"`
	Digest map[string]string `json:"digest"`
}

// Cell is one governed run of the matrix.
type Cell struct {
	// Profile is the substrate profile, "" with a model URL.
	Profile string `json:"profile,omitempty"`
	Mode    string `json:"mode"`
	// Model is the model id the agents asked for.
	Model string `json:"model,omitempty"`
	// Decision is the signed decision, "" when the cell has an Error.
	Decision policy.Decision `json:"decision,omitempty"`
	// DecidedBy is the rule that decided a MARGINAL or REFUSE, nil for
	// ALLOW.
	DecidedBy *Decider `json:"decidedBy,omitempty"`
	// Cause is what stopped the job before it could complete, if cohos
	// saw it (the attested run.cause).
	Cause string `json:"cause,omitempty"`
	// WallSeconds is the governed job's wall time (metric wall_seconds).
	WallSeconds float64 `json:"wallSeconds"`
	// ModelCalls is the chat-completion requests MassGen made, as its own
	// logs count them (metric model_calls); nil when not observed.
	ModelCalls *int `json:"modelCalls"`
	// ServerCalls is the chat-completion requests the substrate served
	// (failed ones included); nil with a model URL.
	ServerCalls *int `json:"serverCalls,omitempty"`
	// RunID, RunDir and Bundle locate the evidence.
	RunID  string `json:"runId,omitempty"`
	RunDir string `json:"runDir"`
	Bundle string `json:"bundle,omitempty"`
	// Verified says the bundle verified offline with the signers' public
	// keys (signatures, statement, artifacts, evidence, the decision
	// re-evaluated): admissible or not, it is authentic.
	Verified bool `json:"verified"`
	// Error says why the cell has no decision or did not verify.
	Error string `json:"error,omitempty"`
}

// Decider is the rule that decided.
type Decider struct {
	Metric  string `json:"metric"`
	Message string `json:"message"`
}

func newMatrix(opts Options) *Matrix {
	m := &Matrix{
		MediaType: MediaType,
		Policy:    PolicyRef{Name: opts.Policy.Name, Digest: map[string]string{"sha256": opts.Policy.Digest()}},
		Server:    "substrate",
		Agents:    opts.Agents,
		Question:  question(opts),
	}
	if m.Agents == 0 {
		m.Agents = massgencfg.DefaultAgents
	}
	if opts.ModelURL != "" {
		m.Server, m.BaseURL = "model-url", opts.ModelURL
	}
	cells, _ := plan(opts) // plan was checked by Run
	for _, c := range cells {
		if row := rowName(c); len(m.Rows) == 0 || m.Rows[len(m.Rows)-1] != row {
			m.Rows = append(m.Rows, row)
		}
		if len(m.Rows) == 1 {
			m.Modes = append(m.Modes, c.Mode)
		}
	}
	return m
}

func question(opts Options) string {
	if opts.Question == "" {
		return DefaultQuestion
	}
	return opts.Question
}

// rowName is the cell's row: its profile, or "model".
func rowName(c Cell) string {
	if c.Profile == "" {
		return "model"
	}
	return c.Profile
}

// runCell governs one cell and fills c.
func runCell(ctx context.Context, opts Options, pubs []*keys.Public, c *Cell) {
	dir := filepath.Join(opts.Dir, runDirName(*c))
	c.RunDir = dir
	url, model := opts.ModelURL, opts.Model
	var srv *substrate.Server
	if c.Profile != "" {
		latency := opts.Latency
		if latency == 0 {
			latency = DefaultLatency
		}
		var stop func()
		var err error
		srv, url, stop, err = serve(substrate.Options{Profile: substrate.Profile(c.Profile), Latency: latency, Seed: opts.Seed})
		if err != nil {
			c.Error = err.Error()
			return
		}
		defer stop()
		model = srv.Profile().Model()
	}
	job, err := govern.NewMassGen(ctx, govern.MassGenOptions{
		Question: question(opts), ModelURL: url, Model: model, Agents: opts.Agents,
		Mode: massgencfg.Mode(c.Mode), Bin: opts.Bin,
	})
	if err != nil {
		c.Error = err.Error()
		return
	}
	started := time.Now()
	res, err := govern.Run(ctx, job, govern.Options{
		Policy: opts.Policy, Signers: opts.Signers, Dir: dir, Timeout: opts.Timeout, Env: opts.Env,
		Isolation: opts.Isolation,
	})
	if srv != nil {
		n := srv.Stats().Chat
		c.ServerCalls = &n
	}
	if err != nil {
		c.Error = err.Error()
		c.WallSeconds = seconds(time.Since(started))
		return
	}
	fill(c, res)
	c.Verified, err = verifyCell(ctx, res, pubs)
	if err != nil {
		c.Error = err.Error()
	}
}

// fill records the signed result in c.
func fill(c *Cell, res *attest.Result) {
	ev := res.Evaluation
	c.Decision = ev.Decision
	if d := ev.Decider(); d != nil {
		c.DecidedBy = &Decider{Metric: d.Metric, Message: d.Message}
	}
	p := res.Predicate
	c.RunID, c.Bundle, c.Cause = p.Run.ID, res.Bundle, p.Run.Cause
	if len(p.Run.Models) > 0 {
		c.Model = p.Run.Models[0]
	}
	if v, ok := p.Metrics["wall_seconds"]; ok {
		c.WallSeconds, _ = v.Number()
	}
	if v, ok := p.Metrics["model_calls"]; ok {
		if f, isNum := v.Number(); isNum {
			n := int(f)
			c.ModelCalls = &n
		}
	}
}

// verifyCell verifies the cell's bundle offline against its run
// directory with the signers' public keys.
func verifyCell(ctx context.Context, res *attest.Result, pubs []*keys.Public) (bool, error) {
	data, err := regfile.Read(res.Bundle, attest.MaxBundleSize)
	if err != nil {
		return false, fmt.Errorf("verify: %w", err)
	}
	root, err := os.OpenRoot(filepath.Dir(res.Bundle))
	if err != nil {
		return false, fmt.Errorf("verify: %w", err)
	}
	defer root.Close()
	rep, err := verify.Bundle(ctx, data, verify.Options{
		Keys: pubs, Artifacts: artifacts.RootFS(root), RunID: res.Predicate.Run.ID,
	})
	if rep == nil {
		return false, fmt.Errorf("verify: %w", err)
	}
	if !rep.Verified() {
		var names []string
		for _, ch := range rep.IntegrityFailures() {
			names = append(names, ch.ID)
		}
		return false, fmt.Errorf("bundle does not verify: %v", names)
	}
	return true, nil
}

// serve starts a substrate on a free loopback port and returns its base
// URL and a stop function.
func serve(o substrate.Options) (*substrate.Server, string, func(), error) {
	srv, err := substrate.New(o)
	if err != nil {
		return nil, "", nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", nil, fmt.Errorf("substrate: %w", err)
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		// Serve fails only when the listener does; the cell's MassGen then
		// finds no server, and its signed run says so.
		_ = hs.Serve(ln)
	}()
	stop := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if hs.Shutdown(ctx) != nil {
			_ = hs.Close() // delayed replies of the slow profile are cut
		}
		<-done
	}
	return srv, "http://" + ln.Addr().String() + "/v1", stop, nil
}
