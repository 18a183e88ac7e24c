//go:build !production && !dev && !bindings

package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
)

// desktopMissingHint says how the window program comes back.
const desktopMissingHint = "Installing Resonanz again (the setup program or the ZIP) puts it back"

// desktopPath is the window program of a Windows installation: the
// installer and the ZIP put the GUI program Resonanz.exe in the installation
// directory and this console program in its bin folder (bin\resonanz.exe).
// They cannot share a folder: Windows file names ignore case.
func desktopPath(exe string) string {
	return filepath.Join(filepath.Dir(filepath.Dir(exe)), "Resonanz.exe")
}

// startDesktop starts the window program with the same command line and
// environment and waits for it: Windows has no exec, so this console stays
// open while the window is, and the window's exit status becomes this
// command's (as with exec on Linux). Its standard handles are this console's
// ones, so messages of the window program land here too. From the start menu
// and the desktop link the window program starts directly, with no console.
func startDesktop(path string, args []string) error {
	if _, err := os.Stat(path); err != nil {
		return err
	}
	cmd := exec.Command(path, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	err := cmd.Run()
	if ee := (*exec.ExitError)(nil); errors.As(err, &ee) {
		os.Exit(ee.ExitCode())
	}
	if err != nil {
		return err
	}
	os.Exit(0)
	return nil
}
