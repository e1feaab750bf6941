package report

import (
	"math"
	"strings"

	"cohos.dev/cohos/internal/evidence"
	"cohos.dev/cohos/policy"
)

// Geometry of a rule bar, in SVG user units (the SVG scales to its box).
const (
	barWidth = 400.0
	barPad   = 8.0 // room for the end labels
)

type ruleView struct {
	Metric, Description, Observed, Limits, Outcome, Class, Message string
	// Kind: "bar" (a numeric rule), "chip" (a boolean rule) or "none"
	// (not observed, or a value of the wrong kind).
	Kind string
	Pass bool // for chips: the observed value is the required one
	Bar  *barView
}

type barView struct {
	Zones []zone
	// The observed value: a bar from X0, W wide, and a mark at Mark.
	X0, W, Mark float64
	Ticks       []tick
}

type zone struct {
	X, W  float64
	Class string // ok, warn, bad
}

type tick struct {
	X     float64
	Label string
}

func rule(r evidence.Rule) ruleView {
	v := ruleView{
		Metric: r.Metric, Description: r.Description, Outcome: string(r.Outcome),
		Class: decisionClass(r.Outcome), Message: r.Message, Kind: "none", Observed: "not observed",
	}
	var lim []string
	if r.Require != nil {
		lim = append(lim, "required "+policy.Bool(*r.Require).String())
	}
	if r.Marginal != nil {
		lim = append(lim, "marginal above "+policy.Num(*r.Marginal).String())
	}
	if r.Refuse != nil {
		lim = append(lim, "refuse above "+policy.Num(*r.Refuse).String())
	}
	v.Limits = strings.Join(lim, " · ")
	if r.Observed == nil {
		return v
	}
	v.Observed = r.Observed.String()
	if b, ok := r.Observed.Boolean(); ok && r.Require != nil {
		v.Kind, v.Pass = "chip", b == *r.Require
		return v
	}
	if x, ok := r.Observed.Number(); ok && r.Require == nil && !math.IsNaN(x) && !math.IsInf(x, 0) {
		if b := bar(x, r.Marginal, r.Refuse); b.finite() {
			v.Kind, v.Bar = "bar", b
		}
	}
	return v
}

// finite reports whether every coordinate is a finite number (values near
// the float64 limits overflow the scale; such a rule is shown as text).
func (b *barView) finite() bool {
	xs := []float64{b.X0, b.W, b.Mark}
	for _, z := range b.Zones {
		xs = append(xs, z.X, z.W)
	}
	for _, t := range b.Ticks {
		xs = append(xs, t.X)
	}
	for _, x := range xs {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return false
		}
	}
	return true
}

// bar lays out a numeric rule: green up to the marginal limit, amber up
// to the refuse limit, red beyond, and the observed value as a bar from 0.
func bar(x float64, marginal, refuse *float64) *barView {
	lo, hi := math.Min(0, x), x
	for _, l := range []*float64{marginal, refuse} {
		if l != nil {
			lo, hi = math.Min(lo, *l), math.Max(hi, *l)
		}
	}
	hi += math.Max((hi-lo)*0.2, 1)
	scale := func(v float64) float64 {
		return round1(barPad + (v-lo)/(hi-lo)*(barWidth-2*barPad))
	}
	b := &barView{X0: scale(0), Mark: scale(x)}
	b.Ticks = append(b.Ticks, tick{scale(lo), policy.Num(lo).String()})
	edge := lo
	if marginal != nil {
		b.Zones = append(b.Zones, zone{scale(edge), scale(*marginal) - scale(edge), "ok"})
		b.Ticks = append(b.Ticks, tick{scale(*marginal), policy.Num(*marginal).String()})
		edge = *marginal
	}
	next := "warn"
	if marginal == nil {
		next = "ok"
	}
	if refuse != nil {
		b.Zones = append(b.Zones, zone{scale(edge), scale(*refuse) - scale(edge), next})
		if marginal == nil || *refuse != *marginal {
			b.Ticks = append(b.Ticks, tick{scale(*refuse), policy.Num(*refuse).String()})
		}
		edge, next = *refuse, "bad"
	}
	b.Zones = append(b.Zones, zone{scale(edge), scale(hi) - scale(edge), next})
	for i := range b.Zones {
		b.Zones[i].W = round1(b.Zones[i].W)
	}
	b.X0, b.W = math.Min(b.X0, b.Mark), round1(math.Abs(b.Mark-b.X0))
	b.Ticks = dedupeTicks(b.Ticks)
	return b
}

// dedupeTicks drops a tick drawn where an earlier one already is.
func dedupeTicks(ts []tick) []tick {
	out := ts[:0]
	for _, t := range ts {
		if len(out) > 0 && math.Abs(out[len(out)-1].X-t.X) < 1 {
			continue
		}
		out = append(out, t)
	}
	return out
}

func round1(f float64) float64 { return math.Round(f*10) / 10 }
