package ingest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/resonanz/resonanz/backend/ingest"
	"github.com/resonanz/resonanz/backend/resonanz"
)

// TestCampaignFromTags: providers without a campaign field of their own
// name the campaign in their tags; the first tag is the campaign (issue 15).
func TestCampaignFromTags(t *testing.T) {
	for _, tc := range []struct{ name, provider, input, want string }{
		{"sendgrid category list", "sendgrid", `[{"email":"a@x.de","event":"open","timestamp":1742288403,"category":["herbst-2026","newsletter"]}]`, "herbst-2026"},
		{"sendgrid category string", "sendgrid", `[{"email":"a@x.de","event":"open","timestamp":1742288403,"category":"herbst-2026"}]`, "herbst-2026"},
		{"sendgrid marketing campaign wins", "sendgrid", `[{"email":"a@x.de","event":"open","timestamp":1742288403,"category":"x","marketing_campaign_id":"42"}]`, "42"},
		{"postmark Tag", "postmark", `{"RecordType":"Open","Recipient":"a@x.de","MessageID":"m","ReceivedAt":"2025-03-18T09:00:03Z","Tag":"herbst-2026"}`, "herbst-2026"},
		{"postmark metadata wins", "postmark", `{"RecordType":"Open","Recipient":"a@x.de","MessageID":"m","ReceivedAt":"2025-03-18T09:00:03Z","Tag":"x","Metadata":{"campaign_id":"herbst-2026"}}`, "herbst-2026"},
		{"mailgun tags", "mailgun", `{"id":"e1","event":"opened","recipient":"a@x.de","timestamp":1742288403.1,"tags":["herbst-2026"]}`, "herbst-2026"},
		{"brevo tag", "brevo", `{"event":"opened","email":"a@x.de","ts_epoch":1742288403118,"tag":"herbst-2026"}`, "herbst-2026"},
		{"mandrill tags", "mandrill", `[{"event":"open","ts":1742288403,"_id":"m1","msg":{"email":"a@x.de","tags":["herbst-2026"]}}]`, "herbst-2026"},
		{"sparkpost campaign_id", "sparkpost", `[{"msys":{"track_event":{"type":"open","raw_rcpt_to":"a@x.de","timestamp":"1742288403","campaign_id":"herbst-2026"}}}]`, "herbst-2026"},
		{"mailjet campaign", "mailjet", `[{"event":"open","time":1742290215,"MessageID":1,"email":"a@x.de","customcampaign":"herbst-2026"}]`, "herbst-2026"},
		{"mailchimp campaign id", "mailchimp", `{"emails":[{"campaign_id":"herbst-2026","email_address":"a@x.de","activity":[{"action":"open","timestamp":"2025-03-18T05:00:03-04:00"}]}]}`, "herbst-2026"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if ev := one(t, tc.provider, tc.input); ev.CampaignID != tc.want {
				t.Errorf("CampaignID = %q, want %q (tags %v)", ev.CampaignID, tc.want, ev.Tags)
			}
		})
	}
}

// knownCampaigns answers CampaignMailings; the rest of the importer is not
// used by Preview.
type knownCampaigns struct {
	resonanz.ReactionImporter
	m map[string]resonanz.Mailing
}

func (k knownCampaigns) CampaignMailings(_ context.Context, ids []string) (map[string]resonanz.Mailing, error) {
	out := map[string]resonanz.Mailing{}
	for _, id := range ids {
		if m, ok := k.m[id]; ok {
			out[id] = m
		}
	}
	return out, nil
}

func TestPreview(t *testing.T) {
	log := `[{"email":"a@x.de","event":"delivered","timestamp":1742288403,"category":"herbst-2026"},
		{"email":"a@x.de","event":"open","timestamp":1742288405,"category":["herbst-2026"]},
		{"email":"b@x.de","event":"open","timestamp":1742288405,"category":"winter"},
		{"email":"c@x.de","event":"open","timestamp":1742288405},
		{"event":"open","timestamp":1742288405}]`
	imp := knownCampaigns{m: map[string]resonanz.Mailing{"winter": {ID: 7, Name: "Winterreisen"}}}
	got, err := ingest.Preview(context.Background(), strings.NewReader(log), "sendgrid", ingest.Options{}, imp)
	if err != nil {
		t.Fatal(err)
	}
	want := resonanz.ReactionPreview{Provider: "sendgrid", Events: 4, WithoutCampaign: 1, Campaigns: []resonanz.CampaignPreview{
		{ID: "herbst-2026", Events: 2}, {ID: "winter", Events: 1, MailingID: 7, MailingName: "Winterreisen"}}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("preview = %+v, want %+v", got, want)
	}
}

// TestLenient: real payloads put a list where a string was expected, a
// number where text was expected; the event is kept, the field converted
// or left out, and a warning says which (issue 15).
func TestLenient(t *testing.T) {
	for _, tc := range []struct{ name, provider, input, check, warning string }{
		{"postmark Tag as number", "postmark", `{"RecordType":"Open","Recipient":"a@x.de","MessageID":"m","ReceivedAt":"2025-03-18T09:00:03Z","Tag":2026}`, "campaign 2026", `field "Tag": expected a JSON string, found a JSON number; read as text`},
		{"mandrill tags as string", "mandrill", `[{"event":"open","ts":1742288403,"_id":"m1","msg":{"email":"a@x.de","tags":"herbst-2026"}}]`, "campaign herbst-2026", `read as a list of one`},
		{"mailgun tags as object", "mailgun", `{"id":"e1","event":"opened","recipient":"a@x.de","timestamp":1742288403.1,"tags":{"a":1}}`, "campaign ", `field "tags"`},
		{"sendgrid category as number", "sendgrid", `[{"email":"a@x.de","event":"open","timestamp":1742288403,"category":7}]`, "campaign ", `field "category"`},
		{"brevo tags as number", "brevo", `{"event":"opened","email":"a@x.de","ts_epoch":1742288403118,"tags":5}`, "campaign ", `field "tags"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev := one(t, tc.provider, tc.input)
			if got := "campaign " + ev.CampaignID; got != tc.check {
				t.Errorf("%s, want %s", got, tc.check)
			}
			if len(ev.Warnings) != 1 || !strings.Contains(ev.Warnings[0].Message, tc.warning) || ev.Warnings[0].Key == "" {
				t.Errorf("warnings = %q, want one containing %q", ev.Warnings, tc.warning)
			}
		})
	}
}

// TestTimeMagnitude: seconds and milliseconds are told apart by size, even
// where a provider documents the other unit.
func TestTimeMagnitude(t *testing.T) {
	const want = "2025-03-18T09:00:03Z"
	for _, tc := range []struct{ name, provider, input string }{
		{"sendgrid in ms", "sendgrid", `[{"email":"a@x.de","event":"open","timestamp":1742288403000}]`},
		{"brevo ts_epoch in s", "brevo", `{"event":"opened","email":"a@x.de","ts_epoch":1742288403}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := one(t, tc.provider, tc.input).OccurredAt.Format(time.RFC3339Nano); got != want {
				t.Errorf("OccurredAt = %s, want %s", got, want)
			}
		})
	}
}

// TestSESFallbacks: an event without its own time takes the SNS envelope's
// Timestamp; a record without a recipient takes the To header.
func TestSESFallbacks(t *testing.T) {
	rec := `{"eventType":"Open","mail":{"timestamp":"2025-03-18T08:00:00.000Z","messageId":"m1","destination":[],"commonHeaders":{"messageId":"<x@y>","to":["Anna <anna@example.org>"]}},"open":{"ipAddress":"203.0.113.1","userAgent":"Mozilla/5.0"}}`
	msg, _ := json.Marshal(rec)
	sns := `{"Type":"Notification","MessageId":"sns-1","Timestamp":"2025-03-18T09:00:03.000Z","Message":` + string(msg) + `}`
	ev := one(t, "ses", sns)
	if ev.OccurredAt.Format(time.RFC3339) != "2025-03-18T09:00:03Z" || ev.Email != "anna@example.org" {
		t.Errorf("event at %s for %q, want the SNS Timestamp and the To address", ev.OccurredAt, ev.Email)
	}
	if len(ev.Warnings) != 2 {
		t.Errorf("warnings = %q, want two (time and recipient)", ev.Warnings)
	}
}

// TestDedupeKeyDistinct: events that differ only in type or in a second
// message id keep distinct keys.
func TestDedupeKeyDistinct(t *testing.T) {
	evs, rows := decode(t, "mailjet", `[{"event":"open","time":1742290215,"email":"a@x.de","mj_message_id":"1"},
		{"event":"open","time":1742290215,"email":"a@x.de","mj_message_id":"2"}]`)
	if len(rows) != 0 || len(evs) != 2 || evs[0].DedupeKey == evs[1].DedupeKey {
		t.Fatalf("events %+v rows %v: two messages' opens folded into one key", evs, rows)
	}
	a := one(t, "postmark", `{"RecordType":"Open","Recipient":"a@x.de","MessageID":"m","ReceivedAt":"2025-03-18T09:00:03Z"}`)
	b := one(t, "postmark", `{"RecordType":"Click","Recipient":"a@x.de","MessageID":"m","ReceivedAt":"2025-03-18T09:00:03Z"}`)
	if a.DedupeKey == b.DedupeKey {
		t.Error("an open and a click at the same time share a key")
	}
}
