// Package golden compares test output with golden files (testdata/...) and
// rewrites them when the tests run with -update: one way to compare,
// update and report a difference (as a line diff), for every package's
// golden tests.
package golden

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// Update reports whether this test run rewrites the golden files.
func Update() bool { return *update }

// Assert compares got with the golden file at path and reports the
// difference as a line diff; with -update it writes got to path instead.
func Assert(tb testing.TB, path string, got []byte) {
	tb.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			tb.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		tb.Fatalf("%v (run go test -update to create it)", err)
	}
	if d := Diff(string(want), string(got)); d != "" {
		tb.Errorf("%s differs (-want +got; go test -update rewrites it after review):\n%s", path, d)
	}
}

// maxDiffLines bounds the lines a diff shows.
const maxDiffLines = 20

// Diff returns the lines in which want and got differ, each as "-N: want"
// and "+N: got" (N the line number), at most maxDiffLines of them; "" when
// they are equal.
func Diff(want, got string) string {
	if want == got {
		return ""
	}
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	shown := 0
	for i := 0; i < len(wl) || i < len(gl); i++ {
		w, hasW := line(wl, i)
		g, hasG := line(gl, i)
		if hasW && hasG && w == g {
			continue
		}
		if shown == maxDiffLines {
			fmt.Fprintf(&b, "… (want %d lines, got %d)\n", len(wl), len(gl))
			break
		}
		if hasW {
			fmt.Fprintf(&b, "-%d: %s\n", i+1, w)
		}
		if hasG {
			fmt.Fprintf(&b, "+%d: %s\n", i+1, g)
		}
		shown++
	}
	return b.String()
}

func line(lines []string, i int) (string, bool) {
	if i < len(lines) {
		return lines[i], true
	}
	return "", false
}
