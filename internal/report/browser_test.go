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

// TestScreenshot checks the README's screenshot of the demo's MARGINAL
// run; with -update it takes it again.
func TestScreenshot(t *testing.T) {
	target, err := filepath.Abs(screenshotPath)
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		dir, pub := demoRun(t, true)
		t.Chdir(filepath.Dir(dir)) // the page shows relative paths, not the test's temporary ones
		page, err := filepath.Abs(writeReport(t, filepath.Base(dir), pub))
		if err != nil {
			t.Fatal(err)
		}
		shot := filepath.Join(t.TempDir(), "shot.png")
		chromium(t, page, "--screenshot="+shot)
		var buf bytes.Buffer
		enc := png.Encoder{CompressionLevel: png.BestCompression}
		if err := enc.Encode(&buf, decodePNG(t, shot)); err != nil {
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
	if err := notBlank(decodePNG(t, target)); err != nil {
		t.Error(err)
	}
}
