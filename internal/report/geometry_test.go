package report

import (
	"reflect"
	"testing"
	"time"

	"cohos.dev/cohos/internal/evidence"
	"cohos.dev/cohos/internal/massgen"
	"cohos.dev/cohos/policy"
)

func ptr(f float64) *float64 { return &f }

func TestBar(t *testing.T) {
	tests := []struct {
		name             string
		x                float64
		marginal, refuse *float64
		zones            []string
		ticks            []string
		x0, w, mark      float64
	}{
		// lo 0, hi 3+max(0.6,1)=4: scale = 8 + v/4*384
		{"both limits", 2, ptr(1), ptr(3), []string{"ok", "warn", "bad"}, []string{"0", "1", "3"}, 8, 192, 200},
		{"only marginal", 0, ptr(2), nil, []string{"ok", "warn"}, []string{"0", "2"}, 8, 0, 8},
		{"only refuse", 5, nil, ptr(4), []string{"ok", "bad"}, []string{"0", "4"}, 8, 320, 328},
		{"limit at zero", 1, ptr(0), ptr(1), []string{"ok", "warn", "bad"}, []string{"0", "1"}, 8, 192, 200},
		{"negative value", -1, ptr(1), nil, []string{"ok", "warn"}, []string{"-1", "1"}, 8, 128, 8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := bar(tt.x, tt.marginal, tt.refuse)
			var zones, ticks []string
			right := 0.0
			for i, z := range b.Zones {
				zones = append(zones, z.Class)
				if i > 0 && z.X != right {
					t.Errorf("zone %d starts at %v, the previous ends at %v", i, z.X, right)
				}
				right = z.X + z.W
			}
			for _, tk := range b.Ticks {
				ticks = append(ticks, tk.Label)
			}
			if !reflect.DeepEqual(zones, tt.zones) || !reflect.DeepEqual(ticks, tt.ticks) {
				t.Errorf("zones %v ticks %v, want %v %v", zones, ticks, tt.zones, tt.ticks)
			}
			if right != barWidth-barPad {
				t.Errorf("zones end at %v, want %v", right, barWidth-barPad)
			}
			if b.X0 != tt.x0 || b.W != tt.w || b.Mark != tt.mark {
				t.Errorf("observed bar x0 %v w %v mark %v, want %v %v %v", b.X0, b.W, b.Mark, tt.x0, tt.w, tt.mark)
			}
		})
	}
}

func TestRuleKinds(t *testing.T) {
	yes, no := true, false
	obs := func(v policy.Value) *policy.Value { return &v }
	tests := []struct {
		name string
		r    policy.Reason
		kind string
		pass bool
	}{
		{"boolean as required", policy.Reason{Metric: "completed", Require: &yes, Observed: obs(policy.Bool(true)), Outcome: policy.Allow}, "chip", true},
		{"boolean not as required", policy.Reason{Metric: "timed_out", Require: &no, Observed: obs(policy.Bool(true)), Outcome: policy.Refuse}, "chip", false},
		{"number under a limit", policy.Reason{Metric: "restarts", Marginal: ptr(2), Observed: obs(policy.Num(1)), Outcome: policy.Allow}, "bar", false},
		{"not observed", policy.Reason{Metric: "restarts", Marginal: ptr(2), Outcome: policy.Refuse}, "none", false},
		{"boolean under a numeric rule", policy.Reason{Metric: "restarts", Marginal: ptr(2), Observed: obs(policy.Bool(true)), Outcome: policy.Refuse}, "none", false},
		{"number under require", policy.Reason{Metric: "completed", Require: &yes, Observed: obs(policy.Num(1)), Outcome: policy.Refuse}, "none", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := rule(evidence.Rule{Reason: tt.r})
			if v.Kind != tt.kind || v.Pass != tt.pass || (v.Kind == "bar") != (v.Bar != nil) {
				t.Errorf("kind %q pass %v bar %v, want %q %v", v.Kind, v.Pass, v.Bar != nil, tt.kind, tt.pass)
			}
			if v.Class != decisionClass(tt.r.Outcome) {
				t.Errorf("class %q", v.Class)
			}
		})
	}
}

func TestDuration(t *testing.T) {
	for _, tt := range []struct {
		s    float64
		want string
	}{{0, "0s"}, {0.5, "0.5s"}, {12, "12s"}, {12.34, "12.3s"}, {60, "1m"}, {90, "1m30s"}, {3600, "1h00m"}, {5400, "1h30m"}} {
		if got := duration(tt.s); got != tt.want {
			t.Errorf("duration(%v) = %q, want %q", tt.s, got, tt.want)
		}
	}
}

func TestTimelineLayout(t *testing.T) {
	t0 := time.Date(2026, 11, 24, 5, 0, 0, 0, time.UTC)
	tl := &massgen.Timeline{
		Agents: []string{"b", "a"},
		Winner: "a",
		Rounds: []massgen.Round{
			{Agent: "a", Round: 1, Outcome: "answer", Start: t0, End: t0.Add(10 * time.Second), DurationSeconds: 10},
			{Agent: "ghost", Round: 1, Outcome: "mystery", Start: t0.Add(5 * time.Second), DurationSeconds: 5},
		},
		Events: []massgen.Event{
			{Time: t0.Add(20 * time.Second), Type: "winner"},
			{Time: t0.Add(3 * time.Second), Agent: "b", Type: "<evil>"},
		},
	}
	v := drawTimeline(tl)
	var labels []string
	for _, r := range v.Rows {
		labels = append(labels, r.Label)
	}
	if want := []string{"b", "a", "ghost", runRow}; !reflect.DeepEqual(labels, want) {
		t.Fatalf("rows %v, want %v", labels, want)
	}
	if !v.Rows[1].Winner || v.Rows[0].Winner {
		t.Error("the winner row is not marked")
	}
	// 20 s over 826 units: a's round runs 0-10 s.
	if b := v.Bars[0]; b.Class != "answer" || b.X != tlLabelW || b.W != 413 || b.Y != v.Rows[1].Y+7 {
		t.Errorf("bar 0 = %+v", b)
	}
	// ghost's round has no end: its duration gives it; an unknown outcome is "other".
	if b := v.Bars[1]; b.Class != "other" || b.W != 206.5 {
		t.Errorf("bar 1 = %+v", b)
	}
	if v.Markers[0].Class != "winner" || v.Markers[1].Class != "other" {
		t.Errorf("marker classes %q %q", v.Markers[0].Class, v.Markers[1].Class)
	}
	var ticks []string
	for _, tk := range v.Ticks {
		ticks = append(ticks, tk.Label)
	}
	if want := []string{"0s", "2s", "4s", "6s", "8s", "10s", "12s", "14s", "16s", "18s", "20s"}; !reflect.DeepEqual(ticks, want) {
		t.Errorf("ticks %v, want %v", ticks, want)
	}
}

func TestHugeValuesFallBackToText(t *testing.T) {
	v := rule(evidence.Rule{Reason: policy.Reason{Metric: "m", Marginal: ptr(1), Observed: func() *policy.Value { x := policy.Num(1.7e308); return &x }(), Outcome: policy.Marginal}})
	if v.Kind != "none" || v.Bar != nil {
		t.Errorf("kind %q for a value near the float64 limit, want none", v.Kind)
	}
}

// FuzzDrawTimeline: any timeline the parser accepts lays out without
// panicking, with finite coordinates and at most a dozen axis ticks.
func FuzzDrawTimeline(f *testing.F) {
	f.Add([]byte(`{"agents":["a"],"rounds":[{"agent":"a","round":1,"outcome":"answer","start":"2026-11-24T05:00:00Z","end":"2026-11-24T05:00:04Z","durationSeconds":4}],"events":[{"time":"2026-11-24T05:00:04Z","agent":"a","type":"vote"}]}`))
	f.Add([]byte(`{"agents":[],"rounds":[{"agent":"x","round":1,"outcome":"error","start":"0001-01-01T00:00:01Z","durationSeconds":-5}],"events":[{"time":"9999-12-31T23:59:59Z","type":"winner"}]}`))
	f.Add([]byte(`{"agents":null,"rounds":null,"events":null}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		tl, err := massgen.ParseTimeline(data)
		if err != nil {
			return
		}
		v := drawTimeline(tl)
		if len(v.Ticks) > 12 {
			t.Fatalf("%d ticks", len(v.Ticks))
		}
		for _, b := range v.Bars {
			for _, x := range []float64{b.X, b.Y, b.W, b.H} {
				if x != x || x > 1e300 || x < -1e300 {
					t.Fatalf("bar coordinate %v", x)
				}
			}
		}
	})
}
