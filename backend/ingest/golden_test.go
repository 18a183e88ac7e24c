package ingest_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/resonanz/resonanz/backend/ingest"
	"github.com/resonanz/resonanz/backend/resonanz"
)

// fixtures are the provider samples (FORMATS.md §12) with their provider and
// source kind as Detect must see them.
var fixtures = []struct {
	file, provider, kind string
	events               int
}{
	{"mailgun.json", resonanz.ProviderMailgun, ingest.SourceEventsAPI, 6},
	{"sendgrid.json", resonanz.ProviderSendGrid, ingest.SourceWebhook, 6},
	{"postmark.ndjson", resonanz.ProviderPostmark, ingest.SourceWebhook, 6},
	{"ses-firehose.ndjson", resonanz.ProviderSES, ingest.SourceFirehose, 5},
	{"ses-sns-notification.json", resonanz.ProviderSES, ingest.SourceSNS, 1},
	{"brevo.ndjson", resonanz.ProviderBrevo, ingest.SourceWebhook, 6},
	{"mailjet.json", resonanz.ProviderMailjet, ingest.SourceWebhook, 5},
	{"sparkpost.json", resonanz.ProviderSparkPost, ingest.SourceWebhook, 5},
	{"mandrill.json", resonanz.ProviderMandrill, ingest.SourceWebhook, 5},
	{"mandrill.form-body.txt", resonanz.ProviderMandrill, ingest.SourceWebhook, 5},
	{"mailchimp-email-activity.json", resonanz.ProviderMailchimp, ingest.SourceAPIReport, 4},
	{"generic.csv", resonanz.ProviderCSV, ingest.SourceCSV, 3},
}

// TestGolden decodes every fixture, auto-detected, and compares the
// normalized events with testdata/<name>.golden.json (go test -update).
func TestGolden(t *testing.T) {
	for _, f := range fixtures {
		t.Run(f.file, func(t *testing.T) {
			evs, rows := decodeAll(t, readFile(t, f.file), ingest.Auto, ingest.Options{})
			if len(rows) > 0 {
				t.Fatalf("row errors: %v", rows)
			}
			if len(evs) != f.events {
				t.Errorf("got %d events, want %d", len(evs), f.events)
			}
			for _, ev := range evs {
				if ev.Provider != f.provider {
					t.Errorf("provider %q, want %q", ev.Provider, f.provider)
				}
				if ev.DedupeKey == "" || ev.Email == "" || ev.OccurredAt.IsZero() {
					t.Errorf("incomplete event %+v", ev)
				}
			}
			// explicit provider gives the same events
			again, _ := decodeAll(t, readFile(t, f.file), f.provider, ingest.Options{})
			if len(again) != len(evs) {
				t.Errorf("explicit provider: %d events, auto: %d", len(again), len(evs))
			}
			golden(t, strings.TrimSuffix(f.file, filepath.Ext(f.file)), evs)
		})
	}
}

// TestDetect recognises every fixture with its source kind.
func TestDetect(t *testing.T) {
	for _, f := range fixtures {
		p, k, err := ingest.Detect(readFile(t, f.file))
		if err != nil || p != f.provider || k != f.kind {
			t.Errorf("%s: Detect = %q, %q, %v; want %q, %q", f.file, p, k, err, f.provider, f.kind)
		}
	}
}
