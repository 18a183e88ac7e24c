package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/resonanz/resonanz/backend/resonanz"
	"github.com/resonanz/resonanz/backend/sqlite"
)

// TestRun_RelayQuarantineInTheSavedLanguage: `resonanz relay quarantine`
// prints a failure's reason from the catalogue in the language the user
// saved (English as stored when none is saved).
func TestRun_RelayQuarantineInTheSavedLanguage(t *testing.T) {
	ctx := context.Background()
	data := t.TempDir()
	db, err := sqlite.Open(ctx, filepath.Join(data, sqlite.FileName), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	f := resonanz.RelayFailure{ID: "r1-7", RelayID: "r1", Seq: 7, Kind: "unsubscribe", At: time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC),
		Key: "error.relay.event.refused", Params: map[string]string{"reason": "unknown list"}, Reason: "The desk refused this event: unknown list"}
	if _, _, err := sqlite.NewRelayJournal(db).Failed(ctx, f, []byte("sealed"), 1); err != nil {
		t.Fatal(err)
	}
	settings := sqlite.NewSettingsService(db)
	for _, tc := range []struct{ saved, want string }{
		{"", "The desk refused this event: unknown list"},
		{"de", "Das Programm hat dieses Ereignis abgelehnt: unknown list"},
		{"en", "The desk refused this event: unknown list"},
	} {
		if tc.saved != "" {
			if err := settings.SetValue(ctx, resonanz.SettingLanguage, tc.saved); err != nil {
				t.Fatal(err)
			}
		}
		code, stdout, stderr := runCLI(t, "--data", data, "relay", "quarantine")
		if code != 0 || !strings.Contains(stdout, "r1-7") || !strings.HasSuffix(strings.TrimSpace(stdout), tc.want) {
			t.Errorf("saved %q: exit %d, stdout %q, stderr %q; want the reason %q", tc.saved, code, stdout, stderr, tc.want)
		}
	}
	db.Close()
}
