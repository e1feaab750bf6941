package runner

import (
	"reflect"
	"testing"
	"time"

	"cohos.dev/cohos/policy"
)

func TestObserve(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		out  Outcome
		wall time.Duration
		want policy.Metrics
	}{
		{"completed", Outcome{ExitCode: 0, StdoutBytes: 10, StderrBytes: 2}, 1234567891 * time.Nanosecond, policy.Metrics{
			"completed": policy.Bool(true), "exit_code": policy.Num(0), "wall_seconds": policy.Num(1.235),
			"restarts": policy.Num(0), "timed_out": policy.Bool(false), "interrupted": policy.Bool(false),
			"stdout_bytes": policy.Num(10), "stderr_bytes": policy.Num(2), "stragglers_killed": policy.Num(0), "isolated": policy.Bool(false),
		}},
		{"exit 0 but timed out", Outcome{ExitCode: 0, TimedOut: true, Restarts: 2}, 400 * time.Microsecond, policy.Metrics{
			"completed": policy.Bool(false), "exit_code": policy.Num(0), "wall_seconds": policy.Num(0),
			"restarts": policy.Num(2), "timed_out": policy.Bool(true), "interrupted": policy.Bool(false),
			"stdout_bytes": policy.Num(0), "stderr_bytes": policy.Num(0), "stragglers_killed": policy.Num(0), "isolated": policy.Bool(false),
		}},
		{"interrupted", Outcome{ExitCode: -1, Interrupted: true}, 2500 * time.Microsecond, policy.Metrics{
			"completed": policy.Bool(false), "exit_code": policy.Num(-1), "wall_seconds": policy.Num(0.003),
			"restarts": policy.Num(0), "timed_out": policy.Bool(false), "interrupted": policy.Bool(true),
			"stdout_bytes": policy.Num(0), "stderr_bytes": policy.Num(0), "stragglers_killed": policy.Num(0), "isolated": policy.Bool(false),
		}},
		{"exit 0 but a log replaced", Outcome{ExitCode: 0, LogReplaced: true}, 0, policy.Metrics{
			"completed": policy.Bool(false), "exit_code": policy.Num(0), "wall_seconds": policy.Num(0),
			"restarts": policy.Num(0), "timed_out": policy.Bool(false), "interrupted": policy.Bool(false),
			"stdout_bytes": policy.Num(0), "stderr_bytes": policy.Num(0), "stragglers_killed": policy.Num(0), "isolated": policy.Bool(false),
		}},
		{"stragglers killed", Outcome{ExitCode: 0, Invocation: Invocation{Record: Record{Stragglers: []Straggler{{PID: 7, Command: "sleep"}, {PID: 8, Command: "sh"}}}}}, 0, policy.Metrics{
			"completed": policy.Bool(true), "exit_code": policy.Num(0), "wall_seconds": policy.Num(0),
			"restarts": policy.Num(0), "timed_out": policy.Bool(false), "interrupted": policy.Bool(false),
			"stdout_bytes": policy.Num(0), "stderr_bytes": policy.Num(0), "stragglers_killed": policy.Num(2), "isolated": policy.Bool(false),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := observe(&tt.out, tt.wall); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("metrics = %v, want %v", got, tt.want)
			}
		})
	}
}
