package runner

import (
	"math"
	"time"

	"cohos.dev/cohos/policy"
)

// observe returns the metrics of o, whose attempts took wall in total, as
// float64 and bool values.
func observe(o *Outcome, wall time.Duration) map[string]any {
	return map[string]any{
		"completed":         o.ExitCode == 0 && !o.TimedOut && !o.Interrupted && !o.logReplaced,
		"exit_code":         float64(o.ExitCode),
		"wall_seconds":      math.Round(wall.Seconds()*1000) / 1000,
		"restarts":          float64(o.Restarts),
		"timed_out":         o.TimedOut,
		"interrupted":       o.Interrupted,
		"stdout_bytes":      float64(o.StdoutBytes),
		"stderr_bytes":      float64(o.StderrBytes),
		"stragglers_killed": float64(len(o.Invocation.Stragglers)),
	}
}

// toMetrics converts raw metrics to policy.Metrics. Values other than
// float64 and bool (which observe never produces) are left out.
func toMetrics(raw map[string]any) policy.Metrics {
	m := make(policy.Metrics, len(raw))
	for k, v := range raw {
		switch v := v.(type) {
		case float64:
			m[k] = policy.Num(v)
		case bool:
			m[k] = policy.Bool(v)
		}
	}
	return m
}
