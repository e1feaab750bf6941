package massgen

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"cohos.dev/cohos/runner"
)

// probeTimeout bounds the connection attempt that tells a dead model
// server from agents that failed for another reason.
const probeTimeout = 2 * time.Second

// explain returns what kept a MassGen run that did not complete from
// completing, in the words a person acts on: cohos's timeout or an
// interrupt (the supervisor's cause), MassGen exiting before writing any
// log, MassGen's own orchestrator timeout, the model server unreachable at
// its URL, "all N agents failed with "ERROR"", or the first problem in
// reading MassGen's files. "" when the run completed.
func (o *Outcome) explain(ctx context.Context, modelURL string) string {
	if done, _ := o.Metrics["completed"].Boolean(); done {
		return ""
	}
	if o.TimedOut || o.Interrupted || o.LogReplaced {
		return o.Outcome.Cause
	}
	if o.Invocation.LogDir == "" {
		return StartFailure(o.ExitCode, o.Stderr, o.StderrBytes)
	}
	if t, _ := o.Metrics["timed_out"].Boolean(); t {
		return "massgen's orchestrator timed out (its own timeout, in the massgen config)"
	}
	failed := o.agentFailures()
	if failed != "" && modelURL != "" {
		if err := probe(ctx, modelURL); err != nil {
			return fmt.Sprintf("model server unreachable at %s (%v); %s", RedactURLs([]string{modelURL}), err, failed)
		}
	}
	if failed != "" {
		return failed
	}
	if o.Analysis != nil && o.Analysis.Winner == "" {
		return "massgen selected no winner"
	}
	if len(o.Invocation.Problems) > 0 {
		return o.Invocation.Problems[0]
	}
	return "massgen left no final answer"
}

// agentFailures says how many agents failed and with what first error:
// "all 3 agents failed with "Connection error"", "1 of 3 agents failed
// ...", "" when none did.
func (o *Outcome) agentFailures() string {
	n, _ := o.Metrics["agent_errors"].Number()
	total, _ := o.Metrics["agents"].Number()
	if n < 1 || o.Analysis == nil {
		return ""
	}
	what := fmt.Sprintf("%d of %d agents failed", int(n), int(total))
	if n == total {
		what = fmt.Sprintf("all %d agents failed", int(n))
	}
	msg := firstError(o.Analysis.Timeline)
	if msg != "" {
		what += " with " + strconv.Quote(msg)
	}
	// MassGen's own notice of why the first agent was given up on
	// ("Agent failed to use workflow tools after 3 attempts; last error:
	// ..."), when the first error event does not already say it.
	if f := o.Analysis.Failures; len(f) > 0 && !strings.Contains(msg, agentNotice(f[0])) {
		what += " (" + f[0] + ")"
	}
	return what
}

// agentNotice is a failure ("agent_a: Agent failed ...") without its
// agent's name.
func agentNotice(failure string) string {
	if _, notice, ok := strings.Cut(failure, ": "); ok {
		return notice
	}
	return failure
}

// noticeMark starts MassGen's own notices in an agent's output ("❌ Error:
// ...", "❌ Agent failed to use workflow tools ...").
const noticeMark = "❌"

// firstError is the first error event's detail, printable. When the model's
// own text precedes MassGen's last notice in it (a model that wrote prose
// instead of calling a tool), only the notice is kept: it says why.
func firstError(t *Timeline) string {
	if t == nil {
		return ""
	}
	for _, e := range t.Events {
		if e.Type == "error" && e.Detail != "" {
			d := runner.Printable([]byte(e.Detail))
			if i := strings.LastIndex(d, noticeMark); i > 0 {
				d = d[i:]
			}
			return d
		}
	}
	return ""
}

// probe opens (and closes) a TCP connection to the host of the model URL.
func probe(ctx context.Context, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return fmt.Errorf("not a URL")
	}
	port := u.Port()
	if port == "" {
		port = "80"
		if u.Scheme == "https" {
			port = "443"
		}
	}
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", net.JoinHostPort(u.Hostname(), port))
	if err != nil {
		if ne, ok := err.(*net.OpError); ok && ne.Err != nil {
			return ne.Err
		}
		return err
	}
	return c.Close()
}
