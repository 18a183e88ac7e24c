//go:build !production && !dev && !bindings

package main

// The headless build (plain `go build`: build/bin/resonanz) links no GTK or
// WebKit, so every command starts without loading their ~170 libraries. Its
// desktop command hands over to the Wails build, resonanz-desktop, which
// lies next to it (window.go).

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"syscall"

	"github.com/resonanz/resonanz/backend/resonanz"
)

// desktopProgram is the file name of the Wails build, next to this program.
const desktopProgram = "resonanz-desktop"

// runDesktop replaces this process with resonanz-desktop, passing on the
// same command line and environment: the window's process keeps this one's
// pid, stdio and signals, and its exit status is the command's. It returns
// only when the exec fails.
func runDesktop(_ context.Context, args []string, _ string, _ fs.FS, _ *slog.Logger) error {
	path, err := desktopPath()
	if err != nil {
		return err
	}
	err = syscall.Exec(path, append([]string{path}, args...), os.Environ())
	if errors.Is(err, fs.ErrNotExist) {
		return resonanz.Errorf(resonanz.ENOTFOUND,
			"The desktop window is a separate program, %s, and it is missing. `make build` builds it next to this one; "+
				"without it, `resonanz serve` opens the same desk in a browser.", path)
	}
	return fmt.Errorf("desktop: start %s: %w", path, err)
}

// desktopPath is resonanz-desktop in the directory of this program's file,
// symbolic links resolved (a link in ~/bin finds the real installation).
func desktopPath() (string, error) {
	exe, err := os.Executable()
	if err == nil {
		exe, err = filepath.EvalSymlinks(exe)
	}
	if err != nil {
		return "", fmt.Errorf("desktop: find this program's file: %w", err)
	}
	return filepath.Join(filepath.Dir(exe), desktopProgram), nil
}
