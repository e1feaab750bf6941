//go:build unix

package report_test

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"cohos.dev/cohos/internal/evidence"
	"cohos.dev/cohos/internal/report"
	"cohos.dev/cohos/keys"
)

var update = flag.Bool("update", false, "rewrite docs/report-marginal.png from the demo MARGINAL run")

// screenshotPath is the README's screenshot, relative to this package.
const screenshotPath = "../../docs/report-marginal.png"

// maxScreenshot bounds the committed PNG.
const maxScreenshot = 300 << 10

// chromium runs headless Chromium on a file with one action (--dump-dom
// or --screenshot=PNG) and returns its stdout and its log. It fails the
// test when Chromium is missing: the browser test is never skipped.
func chromium(t *testing.T, page string, action ...string) (stdout []byte, log string) {
	t.Helper()
	bin, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatalf("chromium not found (%v): run scripts/setup-chromium.sh to install it", err)
	}
	home := t.TempDir()
	args := append([]string{
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + filepath.Join(home, "profile"), "--enable-logging=stderr", "--v=0",
		"--window-size=1200,1600",
	}, action...)
	args = append(args, "file://"+page)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), "HOME="+home, "XDG_CONFIG_HOME="+home, "XDG_CACHE_HOME="+home)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	if cmd.Process != nil {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // helpers left in Chromium's group
	}
	if err != nil {
		t.Fatalf("chromium %v: %v\n%s", action, err, errb.String())
	}
	return out.Bytes(), errb.String()
}

// consoleProblems returns the log lines of page console messages and
// uncaught errors. The report has no scripts, so any console message at
// all (a blocked load is one) is a problem.
func consoleProblems(log string) []string {
	var bad []string
	for _, l := range strings.Split(log, "\n") {
		if strings.Contains(l, ":CONSOLE") || strings.Contains(l, "Uncaught") {
			bad = append(bad, l)
		}
	}
	return bad
}

// blankness measures a screenshot: how many distinct colours it has and
// what fraction of its pixels differ from the most common colour.
func blankness(img image.Image) (colours int, ink float64) {
	counts := map[[4]uint32]int{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, a := img.At(x, y).RGBA()
			counts[[4]uint32{r, g, bl, a}]++
		}
	}
	top := 0
	for _, n := range counts {
		top = max(top, n)
	}
	total := b.Dx() * b.Dy()
	return len(counts), float64(total-top) / float64(total)
}

func notBlank(img image.Image) error {
	colours, ink := blankness(img)
	if colours < 64 || ink < 0.05 {
		return errors.New("screenshot is blank")
	}
	return nil
}

// writeReport renders the demo run (verified with its key) beside it.
func writeReport(t *testing.T, dir string, pub *keys.Public) string {
	t.Helper()
	ev, err := evidence.Load(context.Background(), dir, evidence.Options{Keys: []*keys.Public{pub}, PreviewBytes: 4096})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := report.Render(&buf, ev, report.Options{RunDir: filepath.Base(dir), Generator: "cohos"}); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(filepath.Dir(dir), "report.html")
	if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestBrowser loads the report of a real attested MassGen-like run in
// headless Chromium: the DOM holds the decision, the console is silent
// (the page's CSP would log any load of an outside asset), and the
// screenshot is not blank. Control pages show each check can fail.
func TestBrowser(t *testing.T) {
	dir, pub := demoRun(t, true)
	reportPage := writeReport(t, dir, pub)
	controls := t.TempDir()
	external := filepath.Join(controls, "external.html")
	blank := filepath.Join(controls, "blank.html")
	for name, body := range map[string]string{
		external: `<!DOCTYPE html><html><head><meta http-equiv="Content-Security-Policy" content="default-src 'none'"></head><body><p>MARGINAL</p><img src="https://assets.invalid/logo.png"></body></html>`,
		blank:    `<!DOCTYPE html><html><body></body></html>`,
	} {
		if err := os.WriteFile(name, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name        string
		page        string
		wantDOM     string
		wantConsole bool
		wantBlank   bool
	}{
		{"report", reportPage, `<div class="decision">MARGINAL</div>`, false, false},
		{"control: outside asset", external, `<p>MARGINAL</p>`, true, true},
		{"control: blank page", blank, `<body>`, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dom, log := chromium(t, tt.page, "--dump-dom")
			if !bytes.Contains(dom, []byte(tt.wantDOM)) {
				t.Errorf("DOM lacks %q:\n%.2000s", tt.wantDOM, dom)
			}
			if got := consoleProblems(log); (len(got) > 0) != tt.wantConsole {
				t.Errorf("console problems %q, want some: %v", got, tt.wantConsole)
			}
			shot := filepath.Join(t.TempDir(), "shot.png")
			_, log = chromium(t, tt.page, "--screenshot="+shot)
			if got := consoleProblems(log); (len(got) > 0) != tt.wantConsole {
				t.Errorf("console problems while taking the screenshot %q", got)
			}
			img := decodePNG(t, shot)
			if b := img.Bounds(); b.Dx() != 1200 || b.Dy() != 1600 {
				t.Errorf("screenshot is %v, want 1200x1600", b.Size())
			}
			if err := notBlank(img); (err != nil) != tt.wantBlank {
				colours, ink := blankness(img)
				t.Errorf("blank check: %v (%d colours, %.3f ink), want blank %v", err, colours, ink, tt.wantBlank)
			}
		})
	}
}

func decodePNG(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return img
}

// maxScreenshotDiff is the fraction of pixels in which the committed
// screenshot may differ from a fresh render of the same run. With the pinned
// Chromium the render is byte-identical (the fresh key's id is below the
// fold); the slack is for anti-aliasing, far below what a changed line of
// text or a changed banner costs (the control differs in 7.5%).
const maxScreenshotDiff = 0.001

// renderDemo renders the report of the demo MARGINAL run in Chromium.
func renderDemo(t *testing.T, timeline bool) image.Image {
	t.Helper()
	dir, pub := demoRun(t, timeline)
	t.Chdir(filepath.Dir(dir)) // the page shows relative paths, not the test's temporary ones
	page, err := filepath.Abs(writeReport(t, filepath.Base(dir), pub))
	if err != nil {
		t.Fatal(err)
	}
	shot := filepath.Join(t.TempDir(), "shot.png")
	chromium(t, page, "--screenshot="+shot)
	return decodePNG(t, shot)
}

// pixelDiff returns the fraction of pixels in which a and b differ by more
// than a little anti-aliasing in some channel (1 when their sizes differ).
func pixelDiff(a, b image.Image) float64 {
	ab, bb := a.Bounds(), b.Bounds()
	if ab.Size() != bb.Size() {
		return 1
	}
	const tolerance = 8 << 8 // of 0xffff per channel
	differ := 0
	for y := 0; y < ab.Dy(); y++ {
		for x := 0; x < ab.Dx(); x++ {
			r1, g1, b1, a1 := a.At(ab.Min.X+x, ab.Min.Y+y).RGBA()
			r2, g2, b2, a2 := b.At(bb.Min.X+x, bb.Min.Y+y).RGBA()
			for _, d := range [][2]uint32{{r1, r2}, {g1, g2}, {b1, b2}, {a1, a2}} {
				if max(d[0], d[1])-min(d[0], d[1]) > tolerance {
					differ++
					break
				}
			}
		}
	}
	return float64(differ) / float64(ab.Dx()*ab.Dy())
}

// TestScreenshot checks the README's screenshot against a fresh render of
// the demo's MARGINAL run; with -update it stores the fresh render. A
// control render of another page shows the comparison can fail.
func TestScreenshot(t *testing.T) {
	target, err := filepath.Abs(screenshotPath)
	if err != nil {
		t.Fatal(err)
	}
	fresh := renderDemo(t, true)
	if *update {
		var buf bytes.Buffer
		enc := png.Encoder{CompressionLevel: png.BestCompression}
		if err := enc.Encode(&buf, fresh); err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(target, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	fi, err := os.Stat(target)
	if err != nil {
		t.Fatalf("%v: run go test ./internal/report -run TestScreenshot -update", err)
	}
	if fi.Size() > maxScreenshot {
		t.Errorf("%s is %d bytes, want at most %d", screenshotPath, fi.Size(), maxScreenshot)
	}
	committed := decodePNG(t, target)
	if err := notBlank(committed); err != nil {
		t.Error(err)
	}
	d := pixelDiff(committed, fresh)
	t.Logf("a fresh render differs from %s in %.3f%% of its pixels", screenshotPath, 100*d)
	if d > maxScreenshotDiff {
		t.Errorf("%s differs from a fresh render in %.2f%% of its pixels (at most %.2f%%): if the new look is intended, run go test ./internal/report -run TestScreenshot -update",
			screenshotPath, 100*d, 100*maxScreenshotDiff)
	}
	// Control: the same run without a timeline is another page.
	d = pixelDiff(committed, renderDemo(t, false))
	t.Logf("control: %.3f%%", 100*d)
	if d <= maxScreenshotDiff {
		t.Errorf("control: a render without the timeline differs in only %.2f%% of pixels", 100*d)
	}
}
