package cmd

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"cohos.dev/cohos/internal/substrate"
)

func newSubstrateCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "substrate",
		Short: "Scripted OpenAI-compatible server for rehearsing MassGen runs (not a model)",
		Long: `substrate serves a scripted stand-in for an OpenAI-compatible model server (not a model), so a
governed MassGen run can be rehearsed without a model. Each profile is a script
that converges, churns or fails in a known, repeatable way; it serves only the
model id cohos-substrate-<profile> and marks every response with the header
X-Cohos-Substrate.`,
		Example: `  cohos substrate profiles
  cohos substrate serve --profile stable --addr 127.0.0.1:1234`,
		Args: cobra.NoArgs,
	}
	c.AddCommand(newSubstrateServeCmd(), newSubstrateProfilesCmd())
	return c
}

func newSubstrateProfilesCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "profiles",
		Short:   "List the substrate profiles",
		Example: `  cohos substrate profiles`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 2, ' ', 0)
			for _, p := range substrate.Profiles() {
				fmt.Fprintf(tw, "%s\t%s\n", p, p.Description())
			}
			return tw.Flush()
		},
	}
}

func newSubstrateServeCmd() *cobra.Command {
	var (
		profile   string
		addr      string
		seed      int64
		latency   time.Duration
		rate      float64
		ctxTokens int
		unsafeAny bool
	)
	c := &cobra.Command{
		Use:   "serve --profile NAME",
		Short: "Serve a scripted profile until interrupted",
		Long: `serve listens on a loopback address and plays the chosen profile until SIGINT or
SIGTERM. Point MassGen at it with backend type vllm, base_url http://ADDR/v1 and
model cohos-substrate-<profile>. Listening on a non-loopback address needs
--unsafe-listen-any.`,
		Example: `  cohos substrate serve --profile stable
  cohos substrate serve --profile thrash --addr 127.0.0.1:0 --seed 7
  cohos substrate serve --profile slow --latency 6s
  cohos substrate serve --profile llama-server --context-tokens 4096
  cohos substrate serve --profile llama-cpp-python --failure-rate 0.1`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			p, err := substrate.ParseProfile(profile)
			if err != nil {
				return usageError("%w", err)
			}
			if err := checkLoopback(addr, unsafeAny); err != nil {
				return err
			}
			srv, err := substrate.New(substrate.Options{Profile: p, Seed: seed, Latency: latency, FlakyRate: rate, ContextTokens: ctxTokens})
			if err != nil {
				return usageError("%w", err)
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return serveSubstrate(ctx, cmd, srv, addr)
		},
	}
	f := c.Flags()
	f.StringVar(&profile, "profile", "", "`NAME` of the profile to play (list them with: cohos substrate profiles)")
	f.StringVar(&addr, "addr", "127.0.0.1:1234", "listen address; port 0 picks a free port")
	f.Int64Var(&seed, "seed", 1, "seed of the scripted randomness (flaky failures, thrash answers)")
	f.DurationVar(&latency, "latency", 0, "per-response delay of the slow, interrupt and llama-cpp-python profiles (0 = 4s)")
	f.Float64Var(&rate, "failure-rate", 0, "fraction of requests the flaky, empty-200 and llama-cpp-python profiles fail, in [0, 1] (0 = 0.25)")
	f.IntVar(&ctxTokens, "context-tokens", 0, "context size of the llama-server profile: longer prompts (4 bytes a token) get HTTP 400 (0 = 32768)")
	f.BoolVar(&unsafeAny, "unsafe-listen-any", false, "allow listening on a non-loopback address")
	_ = c.MarkFlagRequired("profile")
	return c
}

// checkLoopback refuses a listen address whose host is not a loopback IP or
// "localhost", unless unsafeAny.
func checkLoopback(addr string, unsafeAny bool) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return usageError("bad --addr %q: %w", addr, err)
	}
	if unsafeAny {
		return nil
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return usageError("refusing to listen on non-loopback address %q (use --unsafe-listen-any)", addr)
}

func serveSubstrate(ctx context.Context, cmd *cobra.Command, srv *substrate.Server, addr string) error {
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", addr)
	if err != nil {
		return inputError(fmt.Errorf("cannot listen: %w", err))
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(cmd.ErrOrStderr(), "cohos: substrate %s listening on http://%s/v1 (scripted rehearsal server, not a model)\n",
		srv.Profile(), ln.Addr())
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return inputError(fmt.Errorf("serving: %w", err))
	case <-ctx.Done():
	}
	shutCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := hs.Shutdown(shutCtx); err != nil {
		// Streams still open after the grace period (a slow profile's
		// delayed replies) are cut.
		if cerr := hs.Close(); cerr != nil {
			return inputError(fmt.Errorf("shutting down: %w", errors.Join(err, cerr)))
		}
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return inputError(fmt.Errorf("serving: %w", err))
	}
	return nil
}
