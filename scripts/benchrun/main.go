//go:build ignore

// benchrun times commands interleaved: each round runs every variant once,
// in an order rotated by one each round, so that the machine's load falls
// on all of them alike. It prints, per variant, the median wall time (with
// p10-p90) and the median CPU time (user+system of the process and every
// descendant it waited for, which does not grow with other processes'
// load), then the ratios asked for.
//
// Usage (see scripts/bench-run.sh):
//
//	go run scripts/benchrun/main.go -rounds N -ratio A/B ... NAME=ARGV ...
//
// ARGV is split on spaces; "{out}" in it becomes a new, absent path under
// a temporary directory for each run. A run that exits other than 0 or 1
// stops the benchmark.
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

type variant struct {
	name      string
	argv      []string
	wall, cpu []time.Duration
}

type ratios []string

func (r *ratios) String() string     { return strings.Join(*r, ",") }
func (r *ratios) Set(s string) error { *r = append(*r, s); return nil }

func main() {
	rounds := flag.Int("rounds", 40, "rounds (each runs every variant once)")
	var want ratios
	flag.Var(&want, "ratio", "A/B: print variant A's medians over B's (repeatable)")
	flag.Parse()
	log.SetFlags(0)
	var vs []*variant
	for _, arg := range flag.Args() {
		name, cmd, ok := strings.Cut(arg, "=")
		if !ok || name == "" || cmd == "" {
			log.Fatalf("benchrun: %q is not NAME=ARGV", arg)
		}
		vs = append(vs, &variant{name: name, argv: strings.Fields(cmd)})
	}
	tmp, err := os.MkdirTemp("", "benchrun-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	n := 0
	for r := 0; r < *rounds; r++ {
		for i := range vs {
			v := vs[(i+r)%len(vs)]
			n++
			if err := v.run(filepath.Join(tmp, fmt.Sprintf("out%d", n))); err != nil {
				os.RemoveAll(tmp)
				log.Fatalf("benchrun: %s: %v", v.name, err)
			}
		}
		// Keep the disk use flat: the runs' directories are not needed.
		entries, _ := os.ReadDir(tmp)
		for _, e := range entries {
			os.RemoveAll(filepath.Join(tmp, e.Name()))
		}
	}
	byName := map[string]*variant{}
	fmt.Printf("%-14s %12s %20s %12s   (%d rounds, interleaved)\n", "variant", "wall median", "wall p10-p90", "cpu median", *rounds)
	for _, v := range vs {
		byName[v.name] = v
		fmt.Printf("%-14s %12s %20s %12s\n", v.name, ms(pct(v.wall, 50)), ms(pct(v.wall, 10))+"-"+ms(pct(v.wall, 90)), ms(pct(v.cpu, 50)))
	}
	for _, r := range want {
		a, b, _ := strings.Cut(r, "/")
		va, vb := byName[a], byName[b]
		if va == nil || vb == nil {
			log.Fatalf("benchrun: ratio %q names an unknown variant", r)
		}
		fmt.Printf("%-24s wall %7.2fx   cpu %7.2fx\n", a+" / "+b, ratio(va.wall, vb.wall), ratio(va.cpu, vb.cpu))
	}
}

func (v *variant) run(out string) error {
	argv := make([]string, len(v.argv))
	for i, a := range v.argv {
		argv[i] = strings.ReplaceAll(a, "{out}", out)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() == 1 {
		err = nil // a REFUSE is a finished run
	}
	if err != nil {
		return err
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	v.wall, v.cpu = append(v.wall, wall), append(v.cpu, cpu)
	return nil
}

func pct(d []time.Duration, p int) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[(len(s)-1)*p/100]
}

func ratio(a, b []time.Duration) float64 {
	return float64(pct(a, 50)) / float64(max(pct(b, 50), time.Microsecond))
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/1e6) }
