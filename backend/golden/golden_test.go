package golden_test

import (
	"testing"

	"github.com/resonanz/resonanz/backend/golden"
)

func TestDiff(t *testing.T) {
	for _, tc := range []struct {
		name, want, got, diff string
	}{
		{"Equal", "a\nb\n", "a\nb\n", ""},
		{"Changed", "a\nb\nc", "a\nB\nc", "-2: b\n+2: B\n"},
		{"Longer", "a", "a\nb", "+2: b\n"},
		{"Shorter", "a\nb", "a", "-2: b\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if d := golden.Diff(tc.want, tc.got); d != tc.diff {
				t.Errorf("Diff = %q, want %q", d, tc.diff)
			}
		})
	}
}
