package ingest_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

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
