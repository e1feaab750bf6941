package runner

import (
	"math"
	"time"

	"cohos.dev/cohos/policy"
)

// observe returns the metrics of o, whose attempts took wall in total.
func observe(o *Outcome, wall time.Duration) policy.Metrics {
	return policy.Metrics{
		"completed":         policy.Bool(o.ExitCode == 0 && !o.TimedOut && !o.Interrupted && !o.LogReplaced && !o.Tampered),
		"exit_code":         policy.Num(float64(o.ExitCode)),
		"wall_seconds":      policy.Num(WallSeconds(wall)),
		"restarts":          policy.Num(float64(o.Restarts)),
		"timed_out":         policy.Bool(o.TimedOut),
		"interrupted":       policy.Bool(o.Interrupted),
		"stdout_bytes":      policy.Num(float64(o.StdoutBytes)),
		"stderr_bytes":      policy.Num(float64(o.StderrBytes)),
		"stragglers_killed": policy.Num(float64(len(o.Invocation.Stragglers))),
		"isolated":          policy.Bool(o.Isolation.Isolated),
	}
}

// WallSeconds is d in seconds rounded to the millisecond, as the
// wall_seconds metric gives it.
func WallSeconds(d time.Duration) float64 {
	return math.Round(d.Seconds()*1000) / 1000
}
