package main

import (
	"bytes"
	"context"
	"io"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
)

// TestHarness runs the whole harness on tiny data against a freshly built
// binary: the harness itself must keep working even though CI does not
// run the real benchmarks.
func TestHarness(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "resonanz")
	// The two binaries of `make build`: the headless command line, and next
	// to it the desktop build (the Wails tags), which the app-start workload
	// reaches through the command line's launcher and which opens the real
	// window (in an Xvfb display of its own).
	for _, b := range []struct{ tags, out string }{
		{"webkit2_41", bin},
		{"desktop,production,webkit2_41", bin + "-desktop"},
	} {
		build := exec.Command("go", "build", "-tags", b.tags, "-o", b.out, "..")
		if out, err := build.CombinedOutput(); err != nil {
			t.Fatalf("build %s: %v\n%s", b.out, err, out)
		}
	}
	var out bytes.Buffer
	rep, err := Run(context.Background(), Config{Bin: bin, Recipients: 200, Events: 500, Reactions: 2000, Hits: 300, Runs: 3, WorkDir: dir}, &out)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Results) == 0 {
		t.Fatal("no results")
	}
	for _, r := range rep.Results {
		// Counts (hits, requests) may be zero; rates and times may not.
		count := r.Unit == "hits" || r.Unit == "requests"
		if r.Value < 0 || (r.Value == 0 && !count) || r.Runs != 3 || (r.Baseline > 0 && r.Ratio <= 0) {
			t.Errorf("implausible result %+v", r)
		}
	}
	t.Log("\n" + out.String())
	if _, err := exec.LookPath("Xvfb"); err == nil && !strings.Contains(out.String(), "app start to first screen (") {
		t.Errorf("Xvfb is installed but the app-start workload did not report:\n%s", out.String())
	}
	if _, err := exec.LookPath("dbus-daemon"); err == nil && !strings.Contains(out.String(), "without a D-Bus session bus") {
		t.Errorf("dbus-daemon is installed but the app start outside a desktop session was not reported:\n%s", out.String())
	}
	if !strings.Contains(out.String(), "import recipients CSV (0k rows): ") || !strings.Contains(out.String(), "(baseline ") {
		t.Errorf("report:\n%s", out.String())
	}
}

func TestMedian(t *testing.T) {
	if got := median([]float64{3, 1, 2}); got != 2 {
		t.Errorf("median %v", got)
	}
	if got := median([]int64{4, 1, 3, 2}); got != 2 {
		t.Errorf("median %v", got)
	}
}

// TestOutputPeakRSS: the peak memory of a child is its own, not this
// process's (which ru_maxrss would report after vfork).
func TestOutputPeakRSS(t *testing.T) {
	ballast := make([]byte, 300<<20) // this process: 300 MB resident
	for i := 0; i < len(ballast); i += 4096 {
		ballast[i] = 1
	}
	cmd := exec.Command("sleep", "0.2")
	_, elapsed, peak, err := output(cmd)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("sleep: %v, peak %d KB (ru_maxrss %d KB)", elapsed, peak, cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss)
	if peak <= 0 || peak > 50<<10 {
		t.Errorf("peak RSS of sleep = %d KB, want a few MB", peak)
	}
	runtime.KeepAlive(ballast)
}

func TestRun_OnlyUnknown(t *testing.T) {
	_, err := Run(context.Background(), Config{Bin: "x", Only: []string{"start", "nope"}, WorkDir: t.TempDir()}, io.Discard)
	if err == nil || !strings.Contains(err.Error(), `no workload "nope"`) || !strings.Contains(err.Error(), "recipients, reactions") {
		t.Errorf("err = %v", err)
	}
}
