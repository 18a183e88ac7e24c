//go:build desktop

// Command barewindow is the floor of the window's start in make bench: a
// Wails window with the desk's window options and WebKitGTK switches that
// shows a static page (one line of text) and, once that has painted, logs
// "first screen" as the desk does and quits. What the desk takes beyond it
// is its own: its store and first screen's data, its bundle, its page.
//
// Built by the bench with the desk's tags (desktop,production,webkit2_41).
package main

import (
	"context"
	"embed"
	"log/slog"
	"os"
	"sync/atomic"
	"time"

	"github.com/resonanz/resonanz/backend/webkitenv"
	"github.com/wailsapp/wails/v2"
	"github.com/wailsapp/wails/v2/pkg/options/assetserver"
	"github.com/wailsapp/wails/v2/pkg/runtime"
)

//go:embed index.html
var assets embed.FS

// processStart is when the program started, as in the desk (window.go).
var processStart = time.Now()

// Bare is bound to the page: Shown is its only call.
type Bare struct {
	ctx atomic.Pointer[context.Context] // Wails' context, set at start-up
	log *slog.Logger
}

// Shown logs the start-up time (the bench reads the line) and quits.
func (b *Bare) Shown(navigationStart float64) {
	nav := time.UnixMicro(int64(navigationStart * 1000))
	b.log.Info("first screen", "after_ms", time.Since(processStart).Milliseconds(),
		"navigation_ms", nav.Sub(processStart).Milliseconds(),
		"painted_ms", time.Since(nav).Milliseconds())
	if ctx := b.ctx.Load(); ctx != nil {
		runtime.Quit(*ctx)
	}
}

func main() {
	webkitenv.SetSwitches()
	bare := &Bare{log: slog.New(slog.NewTextHandler(os.Stderr, nil))}
	app := webkitenv.Window()
	app.OnStartup = func(ctx context.Context) { bare.ctx.Store(&ctx) }
	app.AssetServer = &assetserver.Options{Assets: assets}
	app.Bind = []any{bare}
	err := wails.Run(app)
	if err != nil {
		bare.log.Error("window", "err", err)
		os.Exit(1)
	}
}
