// Package rehearse runs a policy against MassGen in every mode and, on
// the scripted substrate server, under every substrate profile: one
// governed, signed and verified run per cell of a matrix (profile × mode
// → decision, deciding reason, wall time, model calls). With a model URL
// instead of the substrate, the rows are that one server.
//
// Each cell is an ordinary governed run (package govern) in its own run
// directory below Options.Dir, named <profile>-<mode>; its bundle is then
// verified offline with the signers' public keys (package verify).
// Rehearse does not print.
package rehearse

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"

	"cohos.dev/cohos/internal/massgen"
	"cohos.dev/cohos/internal/massgen/massgencfg"
	"cohos.dev/cohos/internal/substrate"
	"cohos.dev/cohos/keys"
	"cohos.dev/cohos/policy"
	"cohos.dev/cohos/runner"
)

// MediaType versions the JSON document (Matrix).
const MediaType = "application/vnd.cohos.rehearsal.v1+json"

// DefaultQuestion is the task every cell asks.
const DefaultQuestion = "What is 2+2?"

// DefaultLatency is the per-response delay of the slow profile in a
// rehearsal: above the default policy's 3 s marginal round latency.
const DefaultLatency = 4 * time.Second

// Options say what to rehearse.
type Options struct {
	Policy  *policy.Policy
	Signers []dsse.Signer // each must be a *keys.Signer (their public keys verify the cells)
	// Dir is the new directory that holds one run directory per cell. It
	// must not exist.
	Dir string
	// Profiles are the substrate profiles, the rows (nil = the five
	// behaviour profiles: stable, slow, thrash, flaky, dead). Ignored
	// with ModelURL.
	Profiles []substrate.Profile
	// Modes are the columns (nil = voting and synthesis).
	Modes []massgencfg.Mode
	// ModelURL, when set, replaces the substrate: one row, this server,
	// asking for Model ("" = the first model it lists).
	ModelURL, Model string
	// Agents per run (0 = massgencfg.DefaultAgents).
	Agents int
	// Question is the task (""= DefaultQuestion).
	Question string
	// Timeout is each cell's wall-clock limit (0 = none).
	Timeout time.Duration
	// Latency is the slow profile's delay (0 = DefaultLatency).
	Latency time.Duration
	// Seed seeds the substrate's scripted randomness (flaky failures).
	Seed int64
	// Jobs is how many cells run at once (0 = the number of CPUs), not
	// counting the slow profile's, which wait on the server, not the CPU,
	// and run beside the others.
	Jobs int
	// Bin is the massgen executable ("" = found as govern finds it).
	Bin string
	// Env is the jobs' environment (nil = os.Environ()).
	Env []string
	// Isolation is each run's (see govern.Options.Isolation).
	Isolation runner.Isolation
	// Done, if set, is called after each cell, from the cell's goroutine
	// (calls may overlap).
	Done func(Cell)
}

// Behaviours are the substrate profiles a rehearsal plays by default.
func Behaviours() []substrate.Profile {
	return []substrate.Profile{substrate.Stable, substrate.Slow, substrate.Thrash, substrate.Flaky, substrate.Dead}
}

// ErrExists is returned (wrapped) when Options.Dir already exists.
var ErrExists = errors.New("rehearsal directory already exists")

// Run rehearses: it finds the massgen executable (an error wrapping
// massgen.ErrNotFound when there is none), creates opts.Dir, runs every
// cell (see Options.Jobs) and returns
// the matrix in row and column order. A cell that could not be governed
// (its substrate or MassGen could not start, its evidence not written)
// carries the error instead of a decision; Run itself fails only on
// unusable options or when opts.Dir cannot be created. When ctx ends,
// running cells are stopped and signed as REFUSE by govern, and cells not
// yet started say so.
func Run(ctx context.Context, opts Options) (*Matrix, error) {
	if opts.Policy == nil || len(opts.Signers) == 0 {
		return nil, errors.New("rehearse: a policy and at least one signer are needed")
	}
	pubs, err := publicKeys(opts.Signers)
	if err != nil {
		return nil, err
	}
	if opts.Dir == "" {
		return nil, errors.New("rehearse: no directory")
	}
	cells, err := plan(opts)
	if err != nil {
		return nil, err
	}
	// One massgen for every cell, found before anything is written.
	exe, _ := os.Executable()
	wd, _ := os.Getwd()
	if opts.Bin, err = massgen.FindExecutable(massgen.Search{
		Bin: opts.Bin, EnvBin: os.Getenv("COHOS_MASSGEN"), WorkDir: wd, Executable: exe, Path: os.Getenv("PATH"),
	}); err != nil {
		return nil, err
	}
	if err := os.Mkdir(opts.Dir, 0o755); err != nil {
		if errors.Is(err, os.ErrExist) {
			return nil, fmt.Errorf("%w: %s", ErrExists, opts.Dir)
		}
		return nil, err
	}
	m := newMatrix(opts)
	start := time.Now()
	jobs := opts.Jobs
	if jobs <= 0 {
		jobs = runtime.NumCPU()
	}
	sem := make(chan struct{}, jobs)
	var wg sync.WaitGroup
	start1 := func(c *Cell, release func()) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer release()
			runCell(ctx, opts, pubs, c)
			if opts.Done != nil {
				opts.Done(*c)
			}
		}()
	}
	// The slow profile's cells wait on the server, not the CPU: they start
	// first and run beside the others.
	beside := make([]bool, len(cells))
	for i := range cells {
		beside[i] = cells[i].Profile == string(substrate.Slow)
	}
	for i := range cells {
		if beside[i] {
			start1(&cells[i], func() {})
		}
	}
	for i := range cells {
		c := &cells[i]
		if beside[i] {
			continue
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			c.Error = "not run: " + ctx.Err().Error()
			continue
		}
		start1(c, func() { <-sem })
	}
	wg.Wait()
	m.Cells = cells
	m.WallSeconds = seconds(time.Since(start))
	return m, nil
}

// plan lists the cells, rows (profiles, or the model) by columns (modes).
func plan(opts Options) ([]Cell, error) {
	modes := opts.Modes
	if len(modes) == 0 {
		modes = massgencfg.Modes()
	}
	for _, md := range modes {
		if _, err := massgencfg.ParseMode(string(md)); err != nil {
			return nil, err
		}
	}
	rows := []string{}
	if opts.ModelURL != "" {
		rows = append(rows, "")
	} else {
		profiles := opts.Profiles
		if len(profiles) == 0 {
			profiles = Behaviours()
		}
		for _, p := range profiles {
			if !p.Valid() {
				return nil, fmt.Errorf("%w %q", substrate.ErrUnknownProfile, p)
			}
			if slices.Contains(rows, string(p)) {
				return nil, fmt.Errorf("rehearse: profile %s given twice", p)
			}
			rows = append(rows, string(p))
		}
	}
	var cells []Cell
	for _, r := range rows {
		for _, md := range modes {
			if slices.ContainsFunc(cells, func(c Cell) bool { return c.Profile == r && c.Mode == string(md) }) {
				return nil, fmt.Errorf("rehearse: mode %s given twice", md)
			}
			cells = append(cells, Cell{Profile: r, Mode: string(md)})
		}
	}
	return cells, nil
}

// publicKeys returns the public keys of the signers.
func publicKeys(signers []dsse.Signer) ([]*keys.Public, error) {
	var pubs []*keys.Public
	for _, s := range signers {
		ks, ok := s.(interface{ Public() *keys.Public })
		if !ok {
			return nil, fmt.Errorf("rehearse: signer %T has no public key to verify with", s)
		}
		pubs = append(pubs, ks.Public())
	}
	return pubs, nil
}

// runDirName is a cell's run directory name below Options.Dir.
func runDirName(c Cell) string {
	row := c.Profile
	if row == "" {
		row = "model"
	}
	return row + "-" + c.Mode
}

// seconds rounds d to milliseconds, in seconds.
func seconds(d time.Duration) float64 {
	return float64(d.Round(time.Millisecond)) / float64(time.Second)
}
