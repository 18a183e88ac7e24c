package ingest_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"testing"

	"github.com/resonanz/resonanz/backend/ingest"
	"github.com/resonanz/resonanz/backend/resonanz"
)

// fuzzDecode decodes data as provider and checks the invariants: no panic,
// every event is complete and marshals (Raw is valid JSON), row errors have
// a line and a reason, and the decoder ends.
func fuzzDecode(t *testing.T, provider string, data []byte) {
	d, err := ingest.NewDecoder(bytes.NewReader(data), provider, ingest.Options{MaxEventBytes: 64 << 10})
	if err != nil {
		return
	}
	for range 100000 {
		ev, err := d.Next()
		var re *resonanz.RowError
		switch {
		case err == io.EOF:
			return
		case errors.As(err, &re):
			if re.Line <= 0 || re.Reason == "" {
				t.Fatalf("row error without line or reason: %+v", re)
			}
			continue
		case err != nil:
			if _, err := d.Next(); err != io.EOF {
				t.Fatalf("Next after a fatal error = %v", err)
			}
			return
		}
		if ev.Email == "" || ev.DedupeKey == "" || ev.OccurredAt.IsZero() || ev.Type == "" || ev.Line <= 0 {
			t.Fatalf("incomplete event %+v", ev)
		}
		if _, err := json.Marshal(ev); err != nil {
			t.Fatalf("event does not marshal: %v (raw %q)", err, ev.Raw)
		}
	}
	t.Fatal("the decoder does not end")
}

func seed(f *testing.F, files ...string) {
	for _, name := range files {
		f.Add(readFile(f, name))
	}
	f.Add([]byte(`[{"email":"a@x.de","event":"open","timestamp":1},{"a":[[[[]]]]},7]`))
	f.Add([]byte("{\"a\":1}\n[1,2]\n{"))
}

// FuzzDecodeArray fuzzes the JSON array / document path (SendGrid, Mailjet
// v2, SparkPost, Mandrill arrays, Mailgun and Mailchimp wrappers).
func FuzzDecodeArray(f *testing.F) {
	seed(f, "sendgrid.json", "mailjet.json", "sparkpost.json", "mandrill.json", "mailgun.json", "mailchimp-email-activity.json")
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, p := range []string{"sendgrid", "mailjet", "sparkpost", "mandrill", "mailgun", "mailchimp"} {
			fuzzDecode(t, p, data)
		}
	})
}

// FuzzDecodeNDJSON fuzzes the line path (Postmark, Brevo, SES Firehose and
// SNS envelopes).
func FuzzDecodeNDJSON(f *testing.F) {
	seed(f, "postmark.ndjson", "brevo.ndjson", "ses-firehose.ndjson", "ses-sns-notification.json")
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, p := range []string{"postmark", "brevo", "ses"} {
			fuzzDecode(t, p, data)
		}
	})
}

// FuzzDecodeForm fuzzes Mandrill's url-encoded form body.
func FuzzDecodeForm(f *testing.F) {
	seed(f, "mandrill.form-body.txt")
	f.Add([]byte("mandrill_events=%5B%7B%22a%22%3A1%7D%5D&x=%zz"))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzDecode(t, "mandrill", data) })
}

// FuzzDecodeCSV fuzzes the generic CSV reader.
func FuzzDecodeCSV(f *testing.F) {
	seed(f, "generic.csv")
	f.Fuzz(func(t *testing.T, data []byte) { fuzzDecode(t, "csv", data) })
}

// FuzzDetect: Detect never panics and either names a provider or explains.
func FuzzDetect(f *testing.F) {
	seed(f, "sendgrid.json", "postmark.ndjson", "mandrill.form-body.txt", "generic.csv", "ses-sns-notification.json")
	f.Fuzz(func(t *testing.T, data []byte) {
		p, _, err := ingest.Detect(data)
		if (p == "") == (err == nil) {
			t.Fatalf("Detect = %q, %v", p, err)
		}
		fuzzDecode(t, ingest.Auto, data)
	})
}
