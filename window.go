//go:build production || dev || bindings

package main

// The window in this process: the Wails builds (`wails build`, which adds the
// production tag, and `wails dev`; `bindings` is Wails' binding generator,
// which runs wails.Run too). The headless build execs this one instead (see
// window_launcher.go).

import (
	"context"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/wailsapp/wails/v2"
	"github.com/wailsapp/wails/v2/pkg/options/assetserver"

	"github.com/resonanz/resonanz/backend/desktop"
	"github.com/resonanz/resonanz/backend/webkitenv"
)

// windowBackupDelay holds the desktop window's first daily copy back until
// its start-up is over (the first screen shows within about 1.5 s here).
const windowBackupDelay = 20 * time.Second

// processStart is when the program started (package initialisation, after
// the dynamic loader): the first screen's log line reports the time since.
var processStart = time.Now()

// runDesktop opens the desktop window and blocks until it is closed. args
// (the command line) is for the headless build's launcher, which passes it on.
func runDesktop(ctx context.Context, _ []string, dataDir string, assets fs.FS, log *slog.Logger) error {
	// First, while no C code runs yet: WebKitGTK's switches that skip the
	// GL set-up a CPU-painted window never uses (backend/webkitenv).
	webkitenv.SetSwitches()
	window := &desktop.Window{}
	edge := Edge{Mode: "desktop", Window: window, Events: window}
	// With a damaged data file the window still comes up: it shows the
	// message and offers the newest good backup.
	a, err := openOrRecover(ctx, dataDir, edge, log, "data file damaged")
	if err != nil {
		return err
	}
	defer a.Close()
	// The first screen's data is read while WebKit starts.
	firstScreen := desktop.Prefetch(a.firstScreen)
	// The late integrity check and the daily copy wait for the first screen.
	shown := make(chan struct{})
	stop := a.startDailyBackups(ctx, shown, windowBackupDelay)
	defer stop()
	// What the page loaded until its first screen showed (bytes), and when
	// this program had done its own start-up and handed over to Wails.
	var assetsServed startAssets
	var ready time.Duration
	// The first screen painted (Go's prerendered one, or the UI's): the
	// time since program start and the page's marks (bench/start.go reads
	// them). Then the UI's own first screen with its data: the rest of the
	// breakdown, and the late work may start.
	desktop.OnFirstScreen(a.system, func(t desktop.StartTimings, prerendered bool) {
		nav := time.UnixMicro(int64(t.NavigationStart * 1000))
		a.log.Info("first screen", "after_ms", time.Since(processStart).Milliseconds(),
			"ready_ms", ready.Milliseconds(), "navigation_ms", nav.Sub(processStart).Milliseconds(),
			"document_ms", int64(t.Document), "painted_ms", int64(t.Painted), "prerendered", prerendered)
	}, func(t desktop.StartTimings) {
		assetsServed.done.Store(true)
		close(shown) // the ready hook runs once
		nav := time.UnixMicro(int64(t.NavigationStart * 1000))
		a.log.Info("first screen ready", "after_ms", time.Since(processStart).Milliseconds(),
			"bundle_ms", assetsServed.firstScript(nav), "script_ms", int64(t.Script), "messages_ms", int64(t.Messages),
			"mounted_ms", int64(t.Mounted), "data_ms", int64(t.Data), "painted_ms", int64(t.Painted),
			"loaded_bytes", assetsServed.loaded.Load())
		if os.Getenv("RESONANZ_QUIT_AFTER_FIRST_SCREEN") == "1" {
			window.Quit() // start-up timing in make bench
		}
	})
	a.autoStartListener(ctx)
	a.startMailboxLoop(ctx, a.log)
	if a.autoPublish != nil { // nil in recovery
		go a.autoPublish.Run(ctx)
	}
	ready = time.Since(processStart)
	app := webkitenv.Window()
	app.OnStartup = window.Startup
	// With unsaved changes the UI asks before the window closes.
	app.OnBeforeClose = window.BeforeClose
	// The listener stops before the window's process ends: queued hits are
	// written (Close does it again, harmlessly, for other exits).
	app.OnShutdown = func(context.Context) { a.StopListener(context.Background()) }
	// The page carries the first screen's data (no round trip after the
	// bundle has run).
	app.AssetServer = &assetserver.Options{Assets: assets, Middleware: func(next http.Handler) http.Handler {
		return assetsServed.watch(desktop.PreloadIndex(next, assets, firstScreen, a.log))
	}}
	app.Bind = a.Bindings()
	app.ErrorFormatter = a.Errors().Wails
	return wails.Run(app)
}

// firstScreen returns what the window's page carries from the start (none
// in recovery).
func (a *App) firstScreen() []desktop.Preload {
	if a.recipients == nil {
		return nil
	}
	return desktop.FirstScreen(a.recipients, a.system, a.settings)
}

// startAssets is what the window's page loaded until its first screen
// showed: the bytes of the answers, and when the first script (the start
// bundle, the first one index.html names) had been served.
type startAssets struct {
	loaded atomic.Int64
	script atomic.Int64 // Unix µs; 0 until served
	done   atomic.Bool  // the first screen showed: stop counting
}

// watch counts the answers of next until done is set.
func (s *startAssets) watch(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.done.Load() {
			next.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(countingWriter{w, &s.loaded}, r)
		if strings.HasSuffix(r.URL.Path, ".js") {
			s.script.CompareAndSwap(0, time.Now().UnixMicro())
		}
	})
}

// firstScript returns when the first script had been served, in ms after
// nav (0 if none was).
func (s *startAssets) firstScript(nav time.Time) int64 {
	us := s.script.Load()
	if us == 0 {
		return 0
	}
	return time.UnixMicro(us).Sub(nav).Milliseconds()
}

type countingWriter struct {
	http.ResponseWriter
	n *atomic.Int64
}

func (w countingWriter) Write(p []byte) (int, error) {
	n, err := w.ResponseWriter.Write(p)
	w.n.Add(int64(n))
	return n, err
}
