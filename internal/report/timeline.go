package report

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"cohos.dev/cohos/internal/massgen"
)

// Geometry of the timeline, in SVG user units.
const (
	tlWidth  = 1000.0
	tlLabelW = 150.0
	tlRight  = 24.0
	tlTop    = 8.0
	tlRowH   = 34.0
	tlAxisH  = 34.0
	tlMarkR  = 5.0
	runRow   = "(run)"
)

type timelineView struct {
	Width, Height, LabelX, Top, PlotRight, AxisY, TickY float64
	Rows                                                []tlRow
	Bars                                                []tlBar
	Markers                                             []tlMarker
	Ticks                                               []tick
	Summary                                             string
	Errors                                              []string // error and timeout events, as text
	Start                                               string
	Legend                                              []legendItem
}

type tlRow struct {
	Label          string
	Y, MidY, TextY float64
	Winner, Alt    bool
}

type tlBar struct {
	X, Y, W, H float64
	Class      string
	Title      string
}

type tlMarker struct {
	D, Class, Title string
}

type legendItem struct{ Class, Label, D string }

// roundClass and eventClass map MassGen's words to the page's fixed CSS
// classes; anything else is "other" (never a class taken from the run).
func roundClass(outcome string) string {
	switch outcome {
	case "answer", "vote", "error", "timeout":
		return outcome
	case "restarted", "restart":
		return "restart"
	case "presentation":
		return "present"
	case "post_evaluation":
		return "post"
	}
	return "other"
}

func eventClass(typ string) string {
	switch typ {
	case "answer", "vote", "restart", "error", "winner", "timeout":
		return typ
	}
	return "other"
}

func drawTimeline(t *massgen.Timeline) *timelineView {
	return drawTimelineSpan(t, time.Time{}, time.Time{})
}

// drawTimelineSpan draws t over the whole run, from start to end when they
// are known (the run record's startedOn and finishedOn): a run that spent
// most of its time waiting shows that, not only its few events.
func drawTimelineSpan(t *massgen.Timeline, start, end time.Time) *timelineView {
	rows, index := timelineRows(t)
	t0, t1 := timeRange(t)
	if !start.IsZero() && (t0.IsZero() || start.Before(t0)) {
		t0 = start
	}
	if end.After(t1) {
		t1 = end
	}
	span := math.Max(t1.Sub(t0).Seconds(), 1)
	plotW := tlWidth - tlLabelW - tlRight
	x := func(at time.Time) float64 {
		return round1(tlLabelW + at.Sub(t0).Seconds()/span*plotW)
	}
	v := &timelineView{
		Width: tlWidth, LabelX: tlLabelW - 10, Top: tlTop, PlotRight: tlWidth - tlRight,
		AxisY: tlTop + float64(len(rows))*tlRowH, Rows: rows,
	}
	v.Height, v.TickY = v.AxisY+tlAxisH, v.AxisY+18
	for _, c := range [][2]string{{"answer", "answer"}, {"vote", "vote"}, {"restart", "restart"}, {"error", "error"}, {"timeout", "timeout"}, {"winner", "winner"}} {
		v.Legend = append(v.Legend, legendItem{Class: c[0], Label: c[1], D: shape(c[0], 8, 8)})
	}
	if !t0.IsZero() {
		v.Start = t0.UTC().Format(time.RFC3339)
	}
	for _, r := range t.Rounds {
		if r.Start.IsZero() {
			continue
		}
		end := r.End
		if end.IsZero() || end.Before(r.Start) {
			end = r.Start.Add(time.Duration(r.DurationSeconds * float64(time.Second)))
		}
		row := rows[index[r.Agent]]
		class := roundClass(r.Outcome)
		v.Bars = append(v.Bars, tlBar{
			X: x(r.Start), Y: row.Y + 7, W: math.Max(round1(x(end)-x(r.Start)), 2), H: tlRowH - 14, Class: class,
			Title: fmt.Sprintf("%s · round %d · %s · %.1f s · %d in / %d out tokens",
				r.Agent, r.Round, r.Outcome, r.DurationSeconds, r.InputTokens, r.OutputTokens),
		})
	}
	for _, e := range t.Events {
		if e.Time.IsZero() {
			continue
		}
		agent := e.Agent
		if agent == "" {
			agent = runRow
		}
		class := eventClass(e.Type)
		title := fmt.Sprintf("%s · %s · +%.1f s", agent, e.Type, e.Time.Sub(t0).Seconds())
		if e.Detail != "" {
			title += " · " + e.Detail
		}
		if class == "error" || class == "timeout" {
			// In text too: tooltips are invisible in print and screenshots.
			v.Errors = append(v.Errors, fmt.Sprintf("+%.1f s · %s · %s", e.Time.Sub(t0).Seconds(), agent, orDash(e.Detail)))
		}
		v.Markers = append(v.Markers, tlMarker{D: shape(class, x(e.Time), rows[index[agent]].MidY), Class: class, Title: title})
	}
	v.Ticks = timeTicks(span, func(s float64) float64 { return round1(tlLabelW + s/span*plotW) })
	winner := t.Winner
	if winner == "" {
		winner = "none"
	}
	v.Summary = fmt.Sprintf("%d agent(s) · %d round(s) · %d event(s) · winner %s · %s",
		len(t.Agents), len(t.Rounds), len(t.Events), winner, duration(t1.Sub(t0).Seconds()))
	return v
}

// timelineRows gives one row per agent: the listed agents first, then any
// other agent the rounds or events name, then a row for run-wide events.
func timelineRows(t *massgen.Timeline) ([]tlRow, map[string]int) {
	index := map[string]int{}
	var names []string
	add := func(n string) {
		if _, ok := index[n]; !ok {
			index[n] = len(names)
			names = append(names, n)
		}
	}
	for _, a := range t.Agents {
		add(a)
	}
	var extra []string
	for _, r := range t.Rounds {
		extra = append(extra, r.Agent)
	}
	runWide := false
	for _, e := range t.Events {
		if e.Agent == "" {
			runWide = true
		} else {
			extra = append(extra, e.Agent)
		}
	}
	sort.Strings(extra)
	for _, a := range extra {
		add(a)
	}
	if runWide {
		add(runRow)
	}
	rows := make([]tlRow, len(names))
	for i, n := range names {
		y := tlTop + float64(i)*tlRowH
		rows[i] = tlRow{Label: n, Y: y, MidY: y + tlRowH/2, TextY: y + tlRowH/2 + 5, Winner: n == t.Winner && n != "", Alt: i%2 == 1}
	}
	return rows, index
}

// timeRange returns the earliest and latest instant the timeline names.
func timeRange(t *massgen.Timeline) (t0, t1 time.Time) {
	see := func(at time.Time) {
		if at.IsZero() {
			return
		}
		if t0.IsZero() || at.Before(t0) {
			t0 = at
		}
		if at.After(t1) {
			t1 = at
		}
	}
	for _, r := range t.Rounds {
		see(r.Start)
		see(r.End)
		if !r.Start.IsZero() {
			see(r.Start.Add(time.Duration(r.DurationSeconds * float64(time.Second))))
		}
	}
	for _, e := range t.Events {
		see(e.Time)
	}
	return t0, t1
}

// timeTicks picks a round step giving at most ten ticks over span seconds.
func timeTicks(span float64, x func(float64) float64) []tick {
	step := math.Ceil(span/10/86400) * 86400 // whole days for very long runs
	for _, s := range []float64{0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 28800, 86400} {
		if span/s <= 10 {
			step = s
			break
		}
	}
	var ts []tick
	for i := 0; float64(i)*step <= span+1e-9; i++ {
		s := float64(i) * step
		ts = append(ts, tick{x(s), duration(s)})
	}
	return ts
}

// duration formats seconds as "850ms", "12s", "1m30s" or "2h05m".
func duration(s float64) string {
	switch {
	case s < 1 && s > 0:
		return fmt.Sprintf("%.1fs", s)
	case s < 60:
		return fmt.Sprintf("%gs", math.Round(s*10)/10)
	case s < 3600:
		m, sec := int(s)/60, int(s)%60
		if sec == 0 {
			return fmt.Sprintf("%dm", m)
		}
		return fmt.Sprintf("%dm%02ds", m, sec)
	}
	return fmt.Sprintf("%dh%02dm", int(s)/3600, int(s)%3600/60)
}

// shape returns the SVG path of an event marker centred on (cx, cy).
func shape(class string, cx, cy float64) string {
	r := tlMarkR
	p := func(format string, args ...float64) string {
		parts := make([]any, len(args))
		for i, a := range args {
			parts[i] = round1(a)
		}
		return fmt.Sprintf(format, parts...)
	}
	switch class {
	case "vote":
		return p("M%v %vL%v %vL%v %vL%v %vZ", cx, cy-r-1, cx+r+1, cy, cx, cy+r+1, cx-r-1, cy)
	case "restart":
		return p("M%v %vL%v %vL%v %vZ", cx, cy-r-1, cx+r+1, cy+r, cx-r-1, cy+r)
	case "error":
		return p("M%v %vL%v %vM%v %vL%v %v", cx-r, cy-r, cx+r, cy+r, cx+r, cy-r, cx-r, cy+r)
	case "timeout":
		return p("M%v %vh%vv%vh%vZ", cx-r, cy-r, 2*r, 2*r, -2*r)
	case "winner":
		var b strings.Builder
		for i := range 10 {
			rad := r + 2
			if i%2 == 1 {
				rad = (r + 2) * 0.45
			}
			a := math.Pi/2 + float64(i)*math.Pi/5
			cmd := "L"
			if i == 0 {
				cmd = "M"
			}
			b.WriteString(p(cmd+"%v %v", cx+rad*math.Cos(a), cy-rad*math.Sin(a)))
		}
		return b.String() + "Z"
	}
	return p("M%v %va%v %v 0 1 0 %v 0a%v %v 0 1 0 %v 0", cx-r, cy, r, r, 2*r, r, r, -2*r)
}

func orDash(s string) string {
	if s == "" {
		return "(no message)"
	}
	return s
}
