//go:build !production && !dev && !bindings

package main

// The headless build (plain `go build`: build/bin/resonanz) links no GTK or
// WebKit, so every command starts without loading their ~170 libraries. Its
// desktop command hands over to the Wails build, the window program, which
// lies beside it (window.go): resonanz-desktop in the same directory on Linux
// and macOS (exec, window_launcher_unix.go), Resonanz.exe one directory up on
// Windows (start and wait, window_launcher_windows.go).

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/resonanz/resonanz/backend/resonanz"
)

// runDesktop hands the command line and environment to the window program
// (startDesktop); the window's exit status becomes this command's. It returns
// only when the window program cannot be started.
func runDesktop(_ context.Context, args []string, _ string, _ fs.FS, _ *slog.Logger) error {
	exe, err := os.Executable()
	if err == nil {
		exe, err = filepath.EvalSymlinks(exe)
	}
	if err != nil {
		return fmt.Errorf("desktop: find this program's file: %w", err)
	}
	path := desktopPath(exe)
	err = startDesktop(path, args)
	if errors.Is(err, fs.ErrNotExist) {
		return resonanz.E(resonanz.ENOTFOUND, "error.cli.desktopWindowSeparate", "The desktop window is a separate program, {path}, and it is missing. {desktopMissingHint}; without it, `resonanz serve` opens the same desk in a browser.", "path", path, "desktopMissingHint", desktopMissingHint)
	}
	return fmt.Errorf("desktop: start %s: %w", path, err)
}
