package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/resonanz/resonanz/backend/sqlite"
)

// appStart measures the desktop app from exec to its first screen showing
// data (the recipient table's first page painted: Go's prerendered one,
// which the page reports to System.FirstScreenPrerendered after the next two
// animation frames, or without one the UI's, which calls System.FirstScreen;
// the app logs "first screen"), and until the UI's own first screen has
// taken its place ("first screen ready"; with
// RESONANZ_QUIT_AFTER_FIRST_SCREEN=1 the app then quits) on a
// store of cfg.Recipients recipients, in an Xvfb display of its own. Started
// as the menu entry starts it (build/linux/resonanz.desktop): the window
// program beside the headless binary (`resonanz` in a terminal execs the
// same program after its own start, about 30 ms later). One unmeasured
// launch first warms the page cache, as on a machine where the app has run
// before. The in-run baseline is the floor: a bare Wails window with the
// desk's window options and WebKitGTK switches showing one line of text
// (bench/barewindow), launched alternately; what the desk takes beyond it is
// its own (the store and the first screen's data, its bundle and page).
func appStart(ctx context.Context, cfg Config) ([]Result, error) {
	display, stop, err := startXvfb(ctx)
	if err != nil {
		fmt.Fprintf(os.Stderr, "app start to first screen: skipped (%v)\n", err)
		return nil, nil
	}
	defer stop()
	// A desktop session has a D-Bus session bus, which GTK's accessibility
	// bridge and WebKit ask at start; Xvfb alone has none, and GIO then
	// forks dbus-launch (to start one) on the window's main thread, three
	// times before the page loads. The launches run with a bus of their own,
	// as in a desktop session; a set without one is reported apart.
	session, stopBus, err := startSessionBus(ctx, cfg.WorkDir)
	if err != nil {
		fmt.Fprintf(os.Stderr, "app start: no D-Bus session bus (%v): measured as outside a desktop session\n", err)
	} else {
		defer stopBus()
	}
	data := filepath.Join(cfg.WorkDir, "start")
	if err := seedStore(ctx, filepath.Join(data, sqlite.FileName), cfg.Recipients, 0); err != nil {
		return nil, err
	}
	base := cfg.BaseBin
	if base != "" {
		// The window is the desktop binary beside the command line one; an
		// older build that was built headless only (go build, no Wails) has
		// none, so it can be compared in the other workloads, not here.
		if _, err := os.Stat(desktopBin(base)); err != nil {
			fmt.Fprintf(os.Stderr, "app start: no baseline: the -base-bin build has no resonanz-desktop beside it (%v)\n", err)
			base = ""
		}
	}
	bare, err := buildBareWindow(ctx, cfg.WorkDir)
	if err != nil {
		fmt.Fprintf(os.Stderr, "app start: no bare window to compare with (%v)\n", err)
	}
	var walls, own, baseWalls, busless, bareWalls []time.Duration
	var rss []int64
	marks, baseMarks, bareMarks := map[string][]float64{}, map[string][]float64{}, map[string][]float64{}
	for i := range cfg.Runs + 1 {
		if bare != "" {
			// The floor, in alternating launches (its warm-up with the
			// desk's).
			w, _, _, m, err := launchToFirstScreen(ctx, bare, data, display, session)
			if err != nil {
				return nil, fmt.Errorf("bare window: %w", err)
			}
			if i > 0 {
				bareWalls = append(bareWalls, w)
				for k, v := range m {
					bareMarks[k] = append(bareMarks[k], v)
				}
			}
		}
		wall, self, peak, m, err := launchToFirstScreen(ctx, desktopBin(cfg.Bin), data, display, session)
		if err != nil {
			return nil, err
		}
		if session != "" {
			// The same build outside a desktop session, in alternating launches.
			w, _, _, _, err := launchToFirstScreen(ctx, desktopBin(cfg.Bin), data, display, "")
			if err != nil {
				return nil, fmt.Errorf("without a session bus: %w", err)
			}
			if i > 0 {
				busless = append(busless, w)
			}
		}
		if i == 0 {
			continue // warm-up
		}
		walls, own, rss = append(walls, wall), append(own, self), append(rss, peak)
		for k, v := range m {
			marks[k] = append(marks[k], v)
		}
		if base != "" {
			// The older build in alternating launches: the in-run baseline.
			bw, _, _, bm, err := launchToFirstScreen(ctx, desktopBin(base), data, display, session)
			if err != nil {
				return nil, fmt.Errorf("base binary: %w", err)
			}
			baseWalls = append(baseWalls, bw)
			for k, v := range bm {
				baseMarks[k] = append(baseMarks[k], v)
			}
		}
	}
	res := []Result{{
		Name:  fmt.Sprintf("app start to first screen (%dk recipients; the app's own clock from process start: %.2f s)", cfg.Recipients/1000, median(own).Seconds()),
		Value: median(walls).Seconds(), Unit: "s", PeakRSS: median(rss), Target: "≤ 1 s", Runs: cfg.Runs,
	}}
	if len(bareWalls) > 0 {
		res[0].Baseline = median(bareWalls).Seconds()
		res[0].Ratio = res[0].Value / res[0].Baseline
		res[0].Name += ", baseline: a bare Wails window with the same options and WebKit switches showing one line of text"
		res = append(res,
			Result{Name: "app start, the bare window: program start → page navigation", Value: median(bareMarks["navigation_ms"]), Unit: "ms", Runs: len(bareWalls)},
			Result{Name: "app start, the bare window: navigation → painted", Value: median(bareMarks["painted_ms"]), Unit: "ms", Runs: len(bareWalls)})
	}
	if len(baseWalls) > 0 {
		res = append(res, Result{Name: "app start to first screen, the -base-bin build in alternating launches", Value: median(baseWalls).Seconds(), Unit: "s", Runs: len(baseWalls)})
	}
	if len(busless) > 0 {
		res = append(res, Result{
			Name:  "app start to first screen without a D-Bus session bus (outside a desktop session: GIO forks dbus-launch on the window's main thread)",
			Value: median(busless).Seconds(), Unit: "s", Runs: len(busless),
		})
	}
	if v := marks["prerendered"]; len(walls) > 0 {
		// Which first screen the figure above is: the warm-up launch saved
		// the UI's language, so each later one should carry it.
		res = append(res, Result{Name: fmt.Sprintf("app start: launches whose page painted Go's prerendered first screen (of %d)", len(walls)), Value: float64(len(v)), Unit: "launches", Runs: len(walls)})
	}
	if v := marks["ui_wall_ms"]; len(v) > 0 {
		// Go's prerendered first screen paints before the UI's bundle runs;
		// the UI's own takes its place once it shows the same data, and
		// from then on the screen answers.
		r := Result{Name: "app start until the UI's own first screen replaced the prerendered one (the screen answers)", Value: median(v) / 1000, Unit: "s", Runs: len(v)}
		if len(baseWalls) > 0 {
			r.Baseline = median(baseWalls).Seconds()
			r.Ratio = r.Value / r.Baseline
			r.Name += "; baseline: the -base-bin build's first screen"
		}
		res = append(res, r)
	}
	// The breakdown, medians of the app's own marks: from the desktop
	// program's start until it handed over to Wails and until WebKit began
	// loading the page, then from that moment: the first screen painted
	// (Go's prerendered one where the page carries it); then the UI's own:
	// the first bundle fetched, parsed and evaluated; the start language's
	// messages loaded; the shell mounted; the first page of data shown; laid
	// out and painted in place of the prerendered one. A mark of the
	// -base-bin build is its baseline (its first screen had no prerendered
	// one: its painted is the UI's).
	for _, b := range []struct{ key, what string }{
		{"ready_ms", "desktop program start → handed to Wails (the store opened, the first screen's data asked for)"},
		{"navigation_ms", "desktop program start → page navigation (WebKit start-up)"},
		{"document_ms", "navigation → index.html received"},
		{"painted_ms", "navigation → first screen painted"},
		{"ui_bundle_ms", "navigation → first bundle served (Go's asset server)"},
		{"ui_script_ms", "navigation → first bundle evaluated"},
		{"ui_messages_ms", "navigation → the start language's messages loaded"},
		{"ui_mounted_ms", "navigation → shell mounted"},
		{"ui_data_ms", "navigation → first page of data"},
		{"ui_painted_ms", "navigation → the UI's first screen painted"},
	} {
		v := marks[b.key]
		if len(v) == 0 {
			v = marks[strings.TrimPrefix(b.key, "ui_")] // a build without a prerendered screen
		}
		if len(v) > 0 {
			r := Result{Name: "app start breakdown: " + b.what, Value: median(v), Unit: "ms", Runs: len(v)}
			bv := baseMarks[strings.TrimPrefix(b.key, "ui_")]
			if len(bv) == 0 {
				bv = baseMarks[b.key]
			}
			if len(bv) > 0 {
				// The same mark of the -base-bin build, for where the time went.
				r.Baseline = median(bv)
				r.Ratio = r.Value / r.Baseline
			}
			res = append(res, r)
		}
	}
	if kb, err := firstBundleKB("frontend/dist"); err == nil {
		res = append(res, Result{Name: "app start: first bundle (the scripts and style sheets index.html names, uncompressed)", Value: kb, Unit: "kB", Runs: 1})
	}
	v := marks["ui_loaded_bytes"]
	if len(v) == 0 {
		v = marks["loaded_bytes"]
	}
	if len(v) > 0 {
		// Measured by the app: everything its page loaded from the asset
		// server until the first screen (index.html with the preloaded
		// data, the bundle, the language's messages).
		r := Result{Name: "app start: loaded until the first screen (index.html with its data, scripts, style sheets, messages; uncompressed)", Value: median(v) / 1000, Unit: "kB", Runs: len(v)}
		if bv := baseMarks["loaded_bytes"]; len(bv) > 0 {
			r.Baseline = median(bv) / 1000
			r.Ratio = r.Value / r.Baseline
		}
		res = append(res, r)
	}
	return res, nil
}

// desktopBin is the window program beside the headless binary bin, the one
// the menu entry starts.
func desktopBin(bin string) string {
	return filepath.Join(filepath.Dir(bin), "resonanz-desktop")
}

// firstBundleKB sums the files index.html names: the entry script, the
// chunks it loads at once and the style sheets.
func firstBundleKB(dist string) (float64, error) {
	html, err := os.ReadFile(filepath.Join(dist, "index.html"))
	if err != nil {
		return 0, err
	}
	var total int64
	for _, m := range assetRef.FindAllSubmatch(html, -1) {
		fi, err := os.Stat(filepath.Join(dist, string(m[1])))
		if err != nil {
			return 0, err
		}
		total += fi.Size()
	}
	return float64(total) / 1000, nil
}

var assetRef = regexp.MustCompile(`(?:src|href)="/?(assets/[^"]+\.(?:js|css))"`)

// launchToFirstScreen starts the desktop app and returns the wall time from
// exec to its "first screen" log line, the time the app itself reports, and
// its peak RSS in KB, and the start marks the line carries (in ms).
func launchToFirstScreen(ctx context.Context, bin, data, display, sessionBus string) (wall, self time.Duration, peakKB int64, marks map[string]float64, err error) {
	// Generous: under load (make test runs packages in parallel on 2 cores)
	// a start took over 60 s once; a quiet one takes under 2 s.
	ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--data", data)
	cmd.Env = append(withoutEnv(os.Environ(), "DBUS_SESSION_BUS_ADDRESS"), "DISPLAY="+display, "RESONANZ_QUIT_AFTER_FIRST_SCREEN=1")
	if sessionBus != "" {
		cmd.Env = append(cmd.Env, "DBUS_SESSION_BUS_ADDRESS="+sessionBus)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return 0, 0, 0, nil, err
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, 0, 0, nil, err
	}
	peak := watchRSS(cmd.Process.Pid)
	var log strings.Builder
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		line := sc.Text()
		fmt.Fprintln(&log, line)
		if wall == 0 && strings.Contains(line, `msg="first screen"`) {
			wall = time.Since(start)
			if marks == nil {
				marks = map[string]float64{}
			}
			readMarks(marks, line, "")
			if strings.Contains(line, " prerendered=true") {
				marks["prerendered"] = 1
			}
			self = time.Duration(marks["after_ms"]) * time.Millisecond
			delete(marks, "after_ms")
		}
		// The UI's own first screen in place of the prerendered one: its
		// marks under "ui_", its wall time as ui_wall_ms.
		if strings.Contains(line, `msg="first screen ready"`) {
			if marks == nil {
				marks = map[string]float64{}
			}
			marks["ui_wall_ms"] = float64(time.Since(start).Microseconds()) / 1000
			readMarks(marks, line, "ui_")
		}
	}
	_, _ = io.Copy(io.Discard, stderr)
	err = cmd.Wait()
	peakKB = peak()
	if err != nil {
		return 0, 0, 0, nil, fmt.Errorf("app start: %w\n%s", err, log.String())
	}
	if wall == 0 {
		return 0, 0, 0, nil, fmt.Errorf("app start: the app quit without reporting its first screen\n%s", log.String())
	}
	return wall, self, peakKB, marks, nil
}

// readMarks adds the _ms and _bytes fields of a log line to marks, their
// names prefixed.
func readMarks(marks map[string]float64, line, prefix string) {
	for _, f := range strings.Fields(line) {
		if k, v, ok := strings.Cut(f, "="); ok && (strings.HasSuffix(k, "_ms") || strings.HasSuffix(k, "_bytes")) {
			n, _ := strconv.Atoi(v)
			marks[prefix+k] = float64(n)
		}
	}
}

// startXvfb starts a virtual X display and returns its name (":N") and a
// function that stops it.
func startXvfb(ctx context.Context) (string, func(), error) {
	path, err := exec.LookPath("Xvfb")
	if err != nil {
		return "", nil, errors.New("no Xvfb installed")
	}
	r, w, err := os.Pipe()
	if err != nil {
		return "", nil, err
	}
	defer r.Close()
	cmd := exec.CommandContext(ctx, path, "-displayfd", "3", "-screen", "0", "1400x900x24", "-nolisten", "tcp")
	cmd.ExtraFiles = []*os.File{w} // fd 3: Xvfb writes the display number there when ready
	if err := cmd.Start(); err != nil {
		w.Close()
		return "", nil, err
	}
	w.Close()
	n, stop, err := firstLine(cmd, r, "the Xvfb display")
	if err != nil {
		return "", nil, err
	}
	return ":" + n, stop, nil
}

// firstLine waits up to 15 s for the first line the started cmd writes to r
// (what it prints when it is ready: Xvfb its display, dbus-daemon its
// address) and returns it with a function that stops cmd; what names cmd
// in the errors. The rest of r is read and dropped, so cmd never blocks on
// a full pipe.
func firstLine(cmd *exec.Cmd, r io.Reader, what string) (string, func(), error) {
	stop := func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}
	got := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(r).ReadString('\n')
		got <- strings.TrimSpace(line)
		_, _ = io.Copy(io.Discard, r)
	}()
	select {
	case line := <-got:
		if line == "" {
			stop()
			return "", nil, errors.New(what + " did not start")
		}
		return line, stop, nil
	case <-time.After(15 * time.Second):
		stop()
		return "", nil, errors.New(what + " did not start within 15 s")
	}
}

// withoutEnv returns env without the variable key.
func withoutEnv(env []string, key string) []string {
	return slices.DeleteFunc(slices.Clone(env), func(kv string) bool { return strings.HasPrefix(kv, key+"=") })
}

// sessionBusConfig is the bus's configuration: a session bus (the
// standard one's policy) that starts no services. With the machine's
// session services the first launch started the accessibility bus
// (at-spi), and once in some 160 launches the window then painted only
// after ten minutes (GTK's accessibility bridge waits on the bus with
// D-Bus's 25 s timeout): a hazard of starting and killing a window every
// second, which would fail the run. Without the services the bridge is
// told at once that there is no accessibility bus.
const sessionBusConfig = `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:tmpdir=/tmp</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`

// startSessionBus starts a D-Bus session bus of its own (sessionBusConfig,
// written to dir) and returns its address and a function that stops it.
func startSessionBus(ctx context.Context, dir string) (string, func(), error) {
	path, err := exec.LookPath("dbus-daemon")
	if err != nil {
		return "", nil, errors.New("no dbus-daemon installed")
	}
	conf := filepath.Join(dir, "session-bus.conf")
	if err := os.WriteFile(conf, []byte(sessionBusConfig), 0o600); err != nil {
		return "", nil, err
	}
	cmd := exec.CommandContext(ctx, path, "--config-file="+conf, "--nofork", "--nopidfile", "--print-address=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		return "", nil, err
	}
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	return firstLine(cmd, out, "dbus-daemon")
}

// buildBareWindow builds bench/barewindow with the desk's window tags into
// dir and returns the program's path.
func buildBareWindow(ctx context.Context, dir string) (string, error) {
	out := filepath.Join(dir, "bare-window")
	build := exec.CommandContext(ctx, "go", "build", "-tags", "desktop,production,webkit2_41", "-ldflags", "-s -w", "-o", out, "github.com/resonanz/resonanz/bench/barewindow")
	if msg, err := build.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build: %w\n%s", err, msg)
	}
	return out, nil
}
