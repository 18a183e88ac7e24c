//go:build !production && !dev && !bindings && !windows

package main

import (
	"os"
	"path/filepath"
	"syscall"
)

// desktopMissingHint says how the window program comes back.
const desktopMissingHint = "`make build` builds it next to this one (the .deb installs both in /usr/bin)"

// desktopPath is resonanz-desktop in the directory of exe, this program's
// file with symbolic links resolved (a link in ~/bin finds the real
// installation).
func desktopPath(exe string) string {
	return filepath.Join(filepath.Dir(exe), "resonanz-desktop")
}

// startDesktop replaces this process with the window program, passing on
// the same command line and environment: the window's process keeps this
// one's pid, stdio and signals, and its exit status is the command's. It
// returns only when the exec fails.
func startDesktop(path string, args []string) error {
	return syscall.Exec(path, append([]string{path}, args...), os.Environ())
}
