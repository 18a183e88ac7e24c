package resonanz_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/resonanz/resonanz/backend/resonanz"
)

func TestErrorCodeAndMessage(t *testing.T) {
	wrapped := fmt.Errorf("save sender: %w", resonanz.Errorf(resonanz.ENOTFOUND, "No mailing %d.", 7))
	driver := errors.New("sqlite3: database is locked")
	for _, tt := range []struct {
		err           error
		code, message string
	}{
		{nil, "", ""},
		{wrapped, resonanz.ENOTFOUND, "No mailing 7."},
		{driver, resonanz.EINTERNAL, "An internal error occurred. Details were written to the log."},
	} {
		if got := resonanz.ErrorCode(tt.err); got != tt.code {
			t.Errorf("ErrorCode(%v) = %q, want %q", tt.err, got, tt.code)
		}
		if got := resonanz.ErrorMessage(tt.err); got != tt.message {
			t.Errorf("ErrorMessage(%v) = %q, want %q", tt.err, got, tt.message)
		}
		if tt.err != nil && strings.Contains(resonanz.ErrorMessage(tt.err), "sqlite3") {
			t.Error("driver error leaked into the user message")
		}
	}
}
