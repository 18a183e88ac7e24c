//go:build linux

package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestHeadlessBinary builds build/bin/resonanz as make build does (plain go
// build, no Wails tags) and checks that it links no GTK or WebKit, and that
// its desktop command execs resonanz-desktop next to its real file, or says
// clearly that it is missing.
func TestHeadlessBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "resonanz")
	build := exec.Command("go", "build", "-tags", "webkit2_41", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	// A link elsewhere (as in ~/bin) must find resonanz-desktop next to the
	// real file, not next to the link.
	link := filepath.Join(t.TempDir(), "resonanz")
	if err := os.Symlink(bin, link); err != nil {
		t.Fatal(err)
	}
	data := t.TempDir()

	t.Run("NoWebKit", func(t *testing.T) {
		if _, err := exec.LookPath("ldd"); err != nil {
			t.Skip("no ldd")
		}
		out, err := exec.Command("ldd", bin).CombinedOutput()
		if err != nil {
			t.Fatalf("ldd: %v\n%s", err, out)
		}
		if !strings.Contains(string(out), "libc.so") {
			t.Fatalf("ldd did not list the C library; cannot judge:\n%s", out)
		}
		var linked []string
		for _, lib := range []string{"libwebkit2gtk", "libjavascriptcoregtk", "libgtk", "libgdk"} {
			if strings.Contains(string(out), lib) {
				linked = append(linked, lib)
			}
		}
		if linked != nil {
			t.Errorf("the headless binary links %s:\n%s", strings.Join(linked, ", "), out)
		}
	})

	t.Run("Version", func(t *testing.T) {
		out, err := exec.Command(bin, "version").Output()
		if err != nil || !strings.HasPrefix(string(out), "resonanz ") {
			t.Fatalf("version: %v, %q", err, out)
		}
	})

	t.Run("ErrDesktopMissing", func(t *testing.T) {
		for _, args := range [][]string{{"--data", data}, {"desktop", "--data", data}} {
			var stderr bytes.Buffer
			cmd := exec.Command(link, args...)
			cmd.Stderr = &stderr
			err := cmd.Run()
			if ee := (*exec.ExitError)(nil); !errors.As(err, &ee) || ee.ExitCode() != 1 {
				t.Fatalf("%v: want exit status 1, got %v\n%s", args, err, stderr.String())
			}
			want := filepath.Join(dir, "resonanz-desktop")
			if msg := stderr.String(); !strings.Contains(msg, want+", and it is missing") || !strings.Contains(msg, "make build") {
				t.Errorf("%v: the message should name %s and how to build it:\n%s", args, want, msg)
			}
		}
	})

	t.Run("ExecDesktop", func(t *testing.T) {
		// A stand-in that prints its pid, arguments and one variable of its
		// environment, and ends with its own exit status.
		fake := "#!/bin/sh\necho \"$$\"\nprintf '%s\\n' \"$@\"\necho \"mark=$RESONANZ_TEST_MARK\"\nexit 7\n"
		if err := os.WriteFile(filepath.Join(dir, "resonanz-desktop"), []byte(fake), 0o755); err != nil {
			t.Fatal(err)
		}
		args := []string{"--data", data, "desktop", "--json"}
		var stdout, stderr bytes.Buffer
		cmd := exec.Command(link, args...)
		cmd.Env = append(os.Environ(), "RESONANZ_TEST_MARK=passed")
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		if ee := (*exec.ExitError)(nil); !errors.As(err, &ee) || ee.ExitCode() != 7 {
			t.Fatalf("want the desktop program's exit status 7, got %v\n%s", err, stderr.String())
		}
		lines := strings.Split(strings.TrimSuffix(stdout.String(), "\n"), "\n")
		want := append([]string{strconv.Itoa(cmd.Process.Pid)}, args...)
		want = append(want, "mark=passed")
		if strings.Join(lines, "\n") != strings.Join(want, "\n") {
			t.Errorf("the desktop program saw (pid, args, env)\n%q\nwant (the same process, arguments and environment)\n%q", lines, want)
		}
	})
}
