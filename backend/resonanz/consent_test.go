package resonanz_test

import (
	"testing"
	"time"

	"github.com/resonanz/resonanz/backend/resonanz"
)

func TestConsentTimelineGranted(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tl := resonanz.ConsentTimeline{
		{Purpose: resonanz.PurposeNewsletter, ListID: 1, Granted: true, At: t0},
		{Purpose: resonanz.PurposeTrackingOpens, Granted: true, At: t0.Add(time.Hour)},
		{Purpose: resonanz.PurposeTrackingOpens, Granted: false, At: t0.Add(48 * time.Hour)},
		{Purpose: resonanz.PurposeTrackingOpens, Granted: true, At: t0.Add(72 * time.Hour)},
	}
	for _, tc := range []struct {
		name    string
		purpose string
		list    int64
		at      time.Time
		want    bool
	}{
		{"before any record", resonanz.PurposeTrackingOpens, 0, t0, false},
		{"at the grant", resonanz.PurposeTrackingOpens, 0, t0.Add(time.Hour), true},
		{"after grant", resonanz.PurposeTrackingOpens, 0, t0.Add(2 * time.Hour), true},
		{"after withdrawal", resonanz.PurposeTrackingOpens, 0, t0.Add(50 * time.Hour), false},
		{"granted again", resonanz.PurposeTrackingOpens, 0, t0.Add(100 * time.Hour), true},
		{"clicks never granted", resonanz.PurposeTrackingClicks, 0, t0.Add(100 * time.Hour), false},
		{"newsletter on its list", resonanz.PurposeNewsletter, 1, t0.Add(time.Minute), true},
		{"newsletter on another list", resonanz.PurposeNewsletter, 2, t0.Add(time.Minute), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tl.Granted(tc.purpose, tc.list, tc.at); got != tc.want {
				t.Errorf("Granted(%s, %d, %s) = %v, want %v", tc.purpose, tc.list, tc.at, got, tc.want)
			}
		})
	}
}

func TestCurrentConsent(t *testing.T) {
	at := func(m int) time.Time { return time.Date(2026, 5, 1, 8, m, 0, 0, time.UTC) }
	ledger := []resonanz.ConsentRecord{
		{ID: 1, Purpose: resonanz.PurposeNewsletter, ListID: 1, Granted: true, At: at(0)},
		{ID: 2, Purpose: resonanz.PurposeTrackingOpens, Granted: true, At: at(1)},
		{ID: 3, Purpose: resonanz.PurposeNewsletter, ListID: 2, Granted: true, At: at(2)},
		{ID: 4, Purpose: resonanz.PurposeNewsletter, ListID: 1, Granted: false, At: at(3)},
		{ID: 5, Purpose: resonanz.PurposeTrackingOpens, Granted: true, At: at(4)},
	}
	got := resonanz.CurrentConsent(ledger)
	want := []struct {
		purpose string
		list    int64
		granted bool
		record  int64
	}{
		{resonanz.PurposeNewsletter, 1, false, 4}, // the newest record wins
		{resonanz.PurposeTrackingOpens, 0, true, 5},
		{resonanz.PurposeNewsletter, 2, true, 3}, // per list
	}
	if len(got) != len(want) {
		t.Fatalf("got %d states, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		if g := got[i]; g.Purpose != w.purpose || g.ListID != w.list || g.Granted != w.granted || g.RecordID != w.record {
			t.Errorf("state %d = %+v, want %+v", i, g, w)
		}
	}
	if len(resonanz.CurrentConsent(nil)) != 0 {
		t.Error("an empty ledger has a state")
	}
}
