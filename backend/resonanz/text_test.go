package resonanz_test

import (
	"testing"

	"github.com/resonanz/resonanz/backend/resonanz"
)

// TestFormatDecimal: groups of three and the decimal mark, as the UI's
// Intl.NumberFormat writes them for de-DE and en-GB.
func TestFormatDecimal(t *testing.T) {
	for _, tc := range []struct{ lang, in, want string }{
		{"de", "0", "0"}, {"de", "999", "999"}, {"de", "1000", "1.000"}, {"de", "1234567", "1.234.567"},
		{"de", "-1234.50", "-1.234,50"}, {"de", "0.5", "0,5"}, {"en", "1234567.25", "1,234,567.25"},
		{"en", "-100000", "-100,000"}, {"fr", "1234.5", "1.234,5"},
	} {
		if got := resonanz.FormatDecimal(tc.lang, tc.in); got != tc.want {
			t.Errorf("FormatDecimal(%s, %s) = %q, want %q", tc.lang, tc.in, got, tc.want)
		}
	}
}
