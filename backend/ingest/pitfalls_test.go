package ingest_test

import (
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/resonanz/resonanz/backend/ingest"
	"github.com/resonanz/resonanz/backend/resonanz"
)

func decode(t *testing.T, provider, input string) ([]resonanz.ProviderEvent, []resonanz.RowError) {
	t.Helper()
	return decodeAll(t, []byte(input), provider, ingest.Options{})
}

func one(t *testing.T, provider, input string) resonanz.ProviderEvent {
	t.Helper()
	evs, rows := decode(t, provider, input)
	if len(rows) > 0 || len(evs) != 1 {
		t.Fatalf("got %d events and row errors %v, want one event", len(evs), rows)
	}
	return evs[0]
}

// TestTimestampUnits covers FORMATS.md §13.1: every unit ends as UTC ms.
func TestTimestampUnits(t *testing.T) {
	const want = "2025-03-18T09:00:03.118Z"
	for _, tc := range []struct{ name, provider, input, want string }{
		{"mailgun float seconds", "mailgun", `{"id":"x","event":"delivered","recipient":"a@x.de","timestamp":1742288403.118254}`, want},
		{"mailgun float exponent", "mailgun", `{"id":"x","event":"delivered","recipient":"a@x.de","timestamp":1.742288403118254e9}`, want},
		{"sendgrid int seconds", "sendgrid", `[{"email":"a@x.de","event":"delivered","timestamp":1742288403}]`, "2025-03-18T09:00:03Z"},
		{"sparkpost string seconds", "sparkpost", `[{"msys":{"message_event":{"type":"delivery","raw_rcpt_to":"a@x.de","timestamp":"1742288403"}}}]`, "2025-03-18T09:00:03Z"},
		{"sparkpost api iso", "sparkpost", `{"results":[{"type":"delivery","raw_rcpt_to":"a@x.de","timestamp":"2025-03-18T09:00:03.118Z"}]}`, want},
		{"brevo epoch ms", "brevo", `{"event":"delivered","email":"a@x.de","ts_epoch":1742288403118,"ts":1742288403}`, want},
		{"postmark 7 digits offset", "postmark", `{"RecordType":"Delivery","Recipient":"a@x.de","MessageID":"m","DeliveredAt":"2025-03-18T10:00:03.1182540+01:00"}`, want},
		{"mailchimp offset", "mailchimp", `{"emails":[{"email_address":"a@x.de","activity":[{"action":"open","timestamp":"2025-03-18T05:00:03.118999-04:00"}]}]}`, want},
		{"csv unix ms", "csv", "email,event,timestamp\na@x.de,open,1742288403118\n", want},
		{"csv unix s", "csv", "email;event;timestamp\na@x.de;open;1742288403\n", "2025-03-18T09:00:03Z"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev := one(t, tc.provider, tc.input)
			if got := ev.OccurredAt.Format(time.RFC3339Nano); got != tc.want || ev.OccurredAt.Location() != time.UTC {
				t.Errorf("OccurredAt = %s (%v), want %s UTC", got, ev.OccurredAt.Location(), tc.want)
			}
			if ev.OccurredAtRaw == "" {
				t.Error("OccurredAtRaw is empty")
			}
		})
	}
}

// TestBigIntegerIDs: Mailjet MessageID > 2^53 keeps every digit (§13.2).
func TestBigIntegerIDs(t *testing.T) {
	ev := one(t, "mailjet", `[{"event":"open","time":1742290215,"MessageID":288230381234567891,"email":"a@x.de"}]`)
	if ev.ProviderMessageID != "288230381234567891" {
		t.Errorf("ProviderMessageID = %s", ev.ProviderMessageID)
	}
	if !strings.Contains(string(ev.Raw), "288230381234567891") {
		t.Errorf("Raw lost digits: %s", ev.Raw)
	}
}

// TestDoubleEncoded covers §13.3 beyond the golden files.
func TestDoubleEncoded(t *testing.T) {
	ev := one(t, "brevo", `{"event":"click","email":"a@x.de","ts_epoch":1742288403118,"X-Mailin-custom":"{\"campaign_id\":\"c-1\",\"n\":3}"}`)
	if ev.CampaignID != "c-1" || ev.Metadata["n"] != "3" {
		t.Errorf("Brevo metadata %v campaign %q", ev.Metadata, ev.CampaignID)
	}
	ev = one(t, "brevo", `{"event":"click","email":"a@x.de","ts_epoch":1742288403118,"X-Mailin-custom":"plain header value"}`)
	if ev.Metadata["X-Mailin-custom"] != "plain header value" {
		t.Errorf("non-JSON X-Mailin-custom: %v", ev.Metadata)
	}
	ev = one(t, "mailjet", `{"event":"open","time":1742290215,"MessageID":1,"email":"a@x.de","Payload":"{\"campaign_id\":\"c-2\"}"}`)
	if ev.CampaignID != "c-2" {
		t.Errorf("Mailjet Payload campaign %q", ev.CampaignID)
	}
	_, rows := decode(t, "ses", `{"Type":"Notification","MessageId":"m","TopicArn":"t","Message":"not json"}`)
	if len(rows) != 1 || !strings.Contains(rows[0].Reason, `"Message"`) {
		t.Errorf("SNS with non-JSON Message: %v", rows)
	}
}

// TestClientIPNeverSendingIP covers §13.4.
func TestClientIPNeverSendingIP(t *testing.T) {
	for _, tc := range []struct{ name, provider, input, want string }{
		{"sendgrid delivered", "sendgrid", `[{"email":"a@x.de","event":"delivered","timestamp":1,"ip":"198.51.100.1"}]`, ""},
		{"sendgrid deferred", "sendgrid", `[{"email":"a@x.de","event":"deferred","timestamp":1,"ip":"198.51.100.1"}]`, ""},
		{"sendgrid bounce", "sendgrid", `[{"email":"a@x.de","event":"bounce","timestamp":1,"ip":"198.51.100.1"}]`, ""},
		{"sendgrid open", "sendgrid", `[{"email":"a@x.de","event":"open","timestamp":1,"ip":"203.0.113.9"}]`, "203.0.113.9"},
		{"brevo sending_ip", "brevo", `{"event":"unique_opened","email":"a@x.de","ts_epoch":1000,"sending_ip":"198.51.100.1"}`, ""},
		{"sparkpost delivery ip_address", "sparkpost", `[{"msys":{"message_event":{"type":"delivery","raw_rcpt_to":"a@x.de","timestamp":"1","ip_address":"192.0.2.25"}}}]`, ""},
		{"csv delivered ip", "csv", "email,event,timestamp,ip\na@x.de,delivered,1,198.51.100.1\n", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if ev := one(t, tc.provider, tc.input); ev.ClientIP != tc.want {
				t.Errorf("ClientIP = %q, want %q", ev.ClientIP, tc.want)
			}
		})
	}
}

const sesOpen2 = `{"eventType":"Open","mail":{"timestamp":"2025-03-18T09:00:00.512Z","messageId":"m1","destination":["A@x.de","b@x.de"]},"open":{"ipAddress":"203.0.113.45","timestamp":"2025-03-18T09:30:15.044Z","userAgent":"UA"}}`

// TestSESFanOut covers §13.5: one row per destination, marked ambiguous.
func TestSESFanOut(t *testing.T) {
	evs, _ := decode(t, "ses", sesOpen2+"\n")
	if len(evs) != 2 || evs[0].Email != "a@x.de" || evs[1].Email != "b@x.de" || !evs[0].RecipientAmbiguous || !evs[1].RecipientAmbiguous {
		t.Fatalf("fan-out: %+v", evs)
	}
	if evs[0].DedupeKey == evs[1].DedupeKey {
		t.Error("fan-out rows share a dedupe key")
	}
	quoted := strings.ReplaceAll(strings.ReplaceAll(sesOpen2, `\`, `\\`), `"`, `\"`)
	evs, _ = decode(t, "ses", `{"Type":"Notification","MessageId":"sns-1","TopicArn":"t","Message":"`+quoted+`"}`)
	if len(evs) != 2 || evs[0].DedupeKey != "ses:sns-1:a@x.de" || evs[1].DedupeKey != "ses:sns-1:b@x.de" || evs[0].ProviderEventID != "sns-1" {
		t.Fatalf("SNS fan-out keys: %+v", evs)
	}
	single := one(t, "ses", strings.Replace(sesOpen2, `"A@x.de","b@x.de"`, `"a@x.de"`, 1))
	if single.RecipientAmbiguous {
		t.Error("one destination is not ambiguous")
	}
}

// TestMandrillHistory covers §13.6: the repeated msg.clicks history of a
// click event yields one event, not three.
func TestMandrillHistory(t *testing.T) {
	evs, _ := decode(t, "mandrill", `[{"event":"click","_id":"m","ts":1742290300,"url":"https://x/?utm_content=a-image","msg":{"ts":1742288400,"email":"a@x.de",
		"opens":[{"ts":1742290215}],"clicks":[{"ts":1742290242,"url":"u1"},{"ts":1742290300,"url":"u2"}]}}]`)
	if len(evs) != 1 || evs[0].Type != resonanz.ReactionClicked || evs[0].LinkKind != resonanz.LinkImage {
		t.Fatalf("got %+v", evs)
	}
}

// TestDedupeKey covers §13.7 and §10.
func TestDedupeKey(t *testing.T) {
	mg := func(ts string) string {
		return one(t, "mailgun", `{"id":"abc","event":"opened","recipient":"a@x.de","timestamp":`+ts+`}`).DedupeKey
	}
	if a, b := mg("1742288403.1"), mg("1742290000"); a != b || a != "mailgun:2025-03-18:abc" {
		t.Errorf("same day: %s vs %s", a, b)
	}
	if a, b := mg("1742288403.1"), mg("1742374803.1"); a == b {
		t.Errorf("Mailgun id on another day must not collide: %s", a)
	}
	wh := one(t, "mailgun", `{"signature":{"token":"tok","timestamp":"1","signature":"s"},"event-data":{"event":"opened","recipient":"a@x.de","timestamp":1742288403}}`)
	if wh.SourceKind != ingest.SourceWebhook || wh.DedupeKey != "mailgun:tok" {
		t.Errorf("webhook without id: %s %s", wh.SourceKind, wh.DedupeKey)
	}
	// synthetic keys differ by URL and by time, and ignore recipient case
	base := `{"event":"click","email":"%s","ts_epoch":%s,"link":"%s"}`
	key := func(email, ts, link string) string {
		return one(t, "brevo", strings.NewReplacer("%s1", email).Replace(sprintf(base, email, ts, link))).DedupeKey
	}
	k1 := key("a@x.de", "1000", "u1")
	if k1 != key("A@X.de", "1000", "u1") || k1 == key("a@x.de", "1000", "u2") || k1 == key("a@x.de", "1001", "u1") || !strings.HasPrefix(k1, "brevo:sha256:") {
		t.Error("synthetic dedupe keys are wrong")
	}
}

func sprintf(format string, args ...string) string {
	for _, a := range args {
		format = strings.Replace(format, "%s", a, 1)
	}
	return format
}

// TestLinkKind covers §13.8.
func TestLinkKind(t *testing.T) {
	for _, tc := range []struct{ name, input, want string }{
		{"utm image", `"target_link_url":"https://x/?utm_content=hero-banner-image"`, "image"},
		{"utm text", `"target_link_url":"https://x/?a=1&utm_content=text-cta#f"`, "text"},
		{"utm other", `"target_link_url":"https://x/?utm_content=footer"`, "unknown"},
		{"no param", `"target_link_url":"https://x/spring-image"`, "unknown"},
		{"name wins", `"target_link_url":"https://x/?utm_content=hero-image","target_link_name":"text-cta"`, "text"},
		{"name underscore", `"target_link_url":"https://x/","target_link_name":"logo_img"`, "image"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev := one(t, "sparkpost", `[{"msys":{"track_event":{"type":"click","raw_rcpt_to":"a@x.de","timestamp":"1",`+tc.input+`}}}]`)
			if ev.LinkKind != tc.want {
				t.Errorf("LinkKind = %q, want %q", ev.LinkKind, tc.want)
			}
		})
	}
}

// TestMachineOpen covers §13.10: provider flags, and the labelled heuristic
// only where the rule says so.
func TestMachineOpen(t *testing.T) {
	sesOpen := func(ua, ip, at string) resonanz.ProviderEvent {
		return one(t, "ses", `{"eventType":"Open","mail":{"timestamp":"2025-03-18T09:00:00.000Z","messageId":"m","destination":["a@x.de"]},"open":{"ipAddress":"`+ip+`","timestamp":"`+at+`","userAgent":"`+ua+`"}}`)
	}
	for _, tc := range []struct {
		name   string
		ev     resonanz.ProviderEvent
		want   *bool
		source string
	}{
		{"apple proxy", sesOpen("Mozilla/5.0", "17.58.1.2", "2025-03-18T10:00:00Z"), ptr(true), ingest.HeuristicAppleProxy},
		{"bare UA elsewhere", sesOpen("Mozilla/5.0", "203.0.113.1", "2025-03-18T10:00:00Z"), nil, ""},
		{"fast open", sesOpen("UA", "203.0.113.1", "2025-03-18T09:00:04Z"), ptr(true), ingest.HeuristicFastOpen},
		{"human", sesOpen("UA", "203.0.113.1", "2025-03-18T10:00:00Z"), nil, ""},
		{"sendgrid flag", one(t, "sendgrid", `[{"email":"a@x.de","event":"open","timestamp":1,"sg_machine_open":true}]`), ptr(true), "sendgrid:sg_machine_open"},
		{"sendgrid false flag beats heuristic", one(t, "sendgrid", `[{"email":"a@x.de","event":"open","timestamp":1,"sg_machine_open":false,"useragent":"Mozilla/5.0","ip":"17.0.0.1"}]`), ptr(false), "sendgrid:sg_machine_open"},
		{"mailgun bot", one(t, "mailgun", `{"id":"i","event":"opened","recipient":"a@x.de","timestamp":1,"client-info":{"bot":"gmail"}}`), ptr(true), "mailgun:client-info.bot=gmail"},
		{"brevo proxy_open", one(t, "brevo", `{"event":"proxy_open","email":"a@x.de","ts_epoch":1000}`), ptr(true), "brevo:proxy_open"},
		{"brevo opened", one(t, "brevo", `{"event":"opened","email":"a@x.de","ts_epoch":1000}`), nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.ev.MachineOpen
			if (got == nil) != (tc.want == nil) || (got != nil && *got != *tc.want) || tc.ev.MachineOpenSource != tc.source {
				t.Errorf("MachineOpen = %v %q, want %v %q", deref(got), tc.ev.MachineOpenSource, deref(tc.want), tc.source)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

func deref(b *bool) any {
	if b == nil {
		return nil
	}
	return *b
}

// TestEventTypes covers the §11 mapping and unknown names.
func TestEventTypes(t *testing.T) {
	for _, tc := range []struct {
		name, provider, input string
		want                  resonanz.ReactionType
		bounce                string
	}{
		{"sendgrid blocked", "sendgrid", `[{"email":"a@x.de","event":"bounce","type":"blocked","timestamp":1}]`, resonanz.ReactionRejected, resonanz.BounceBlock},
		{"sendgrid dropped", "sendgrid", `[{"email":"a@x.de","event":"dropped","timestamp":1}]`, resonanz.ReactionRejected, ""},
		{"sendgrid unknown", "sendgrid", `[{"email":"a@x.de","event":"brand_new","timestamp":1}]`, resonanz.ReactionUnknown, ""},
		{"mailgun temporary", "mailgun", `{"id":"i","event":"failed","severity":"temporary","recipient":"a@x.de","timestamp":1}`, resonanz.ReactionDeferred, ""},
		{"mailgun suppressed", "mailgun", `{"id":"i","event":"failed","severity":"permanent","reason":"suppress-bounce","recipient":"a@x.de","timestamp":1}`, resonanz.ReactionRejected, ""},
		{"postmark soft", "postmark", `{"RecordType":"Bounce","Type":"SoftBounce","Email":"a@x.de","BouncedAt":"2025-03-18T09:00:00Z"}`, resonanz.ReactionBounced, resonanz.BounceSoft},
		{"postmark transient", "postmark", `{"RecordType":"Bounce","Type":"Transient","Email":"a@x.de","BouncedAt":"2025-03-18T09:00:00Z"}`, resonanz.ReactionDeferred, ""},
		{"postmark resubscribe", "postmark", `{"RecordType":"SubscriptionChange","Recipient":"a@x.de","ChangedAt":"2025-03-18T09:00:00Z","SuppressSending":false}`, resonanz.ReactionResubscribed, ""},
		{"ses transient", "ses", `{"eventType":"Bounce","mail":{"messageId":"m","destination":["a@x.de"]},"bounce":{"bounceType":"Transient","bouncedRecipients":[{"emailAddress":"a@x.de"}],"timestamp":"2025-03-18T09:00:00Z"}}`, resonanz.ReactionBounced, resonanz.BounceSoft},
		{"ses complaint", "ses", `{"notificationType":"Complaint","mail":{"messageId":"m","destination":["a@x.de"]},"complaint":{"complainedRecipients":[{"emailAddress":"a@x.de"}],"timestamp":"2025-03-18T09:00:00Z","feedbackId":"f"}}`, resonanz.ReactionComplained, ""},
		{"mailjet greylisted", "mailjet", `{"event":"bounce","time":1,"email":"a@x.de","hard_bounce":false,"error":"greylisted"}`, resonanz.ReactionDeferred, ""},
		{"mailjet blocked", "mailjet", `{"event":"blocked","time":1,"email":"a@x.de"}`, resonanz.ReactionRejected, resonanz.BounceBlock},
		{"sparkpost block class", "sparkpost", `[{"msys":{"message_event":{"type":"bounce","bounce_class":"51","raw_rcpt_to":"a@x.de","timestamp":"1"}}}]`, resonanz.ReactionBounced, resonanz.BounceBlock},
		{"mandrill soft", "mandrill", `[{"event":"soft_bounce","_id":"m","ts":1,"msg":{"email":"a@x.de"}}]`, resonanz.ReactionBounced, resonanz.BounceSoft},
		{"brevo invalid", "brevo", `{"event":"invalid_email","email":"a@x.de","ts_epoch":1000}`, resonanz.ReactionBounced, resonanz.BounceHard},
		{"brevo error", "brevo", `{"event":"error","email":"a@x.de","ts_epoch":1000}`, resonanz.ReactionFailed, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev := one(t, tc.provider, tc.input)
			if ev.Type != tc.want || ev.BounceKind != tc.bounce {
				t.Errorf("Type, BounceKind = %q, %q; want %q, %q", ev.Type, ev.BounceKind, tc.want, tc.bounce)
			}
		})
	}
}

// TestNormalizedFields: e-mail trimmed and lowercased with the raw kept,
// Message-ID without <>.
func TestNormalizedFields(t *testing.T) {
	ev := one(t, "sendgrid", `[{"email":"  Alice@Example.COM ","event":"delivered","timestamp":1,"smtp-id":"<id@host>"}]`)
	if ev.Email != "alice@example.com" || ev.EmailRaw != "Alice@Example.COM" || ev.RFCMessageID != "id@host" {
		t.Errorf("got %q %q %q", ev.Email, ev.EmailRaw, ev.RFCMessageID)
	}
	ev = one(t, "sendgrid", `[{"email":"a@x.de","event":"open","timestamp":1,"category":"single","plan":"gold","n":5}]`)
	if len(ev.Tags) != 1 || ev.Tags[0] != "single" || ev.Metadata["plan"] != "gold" || ev.Metadata["n"] != "5" {
		t.Errorf("category string / custom args: %v %v", ev.Tags, ev.Metadata)
	}
}

// TestMalformed: a bad event is a RowError naming where and which field;
// the rest still decodes.
func TestMalformed(t *testing.T) {
	deep := strings.Repeat("[", 100000) + strings.Repeat("]", 100000)
	for _, tc := range []struct {
		name, provider, input string
		opt                   ingest.Options
		events                int
		rows                  []string // "line: substring of reason"
	}{
		{"sendgrid array", "sendgrid", `[{"email":"a@x.de","event":"open","timestamp":1},{"email":"a@x.de","event":"open"},42,{"email":"a@x.de","event":"open","timestamp":"soon"},{"email":"nope","event":"open","timestamp":1},{"email":"a@x.de","event":"open","timestamp":2}]`,
			ingest.Options{}, 2, []string{`2: array element 2: field "timestamp"`, `3: array element 3: the event is not a JSON object`, `4: array element 4: field "timestamp": "soon"`, `5: array element 5: field "email": "nope" is not an e-mail address`}},
		{"sendgrid type error", "sendgrid", `[{"email":["a@x.de"],"event":"open","timestamp":1},{"email":"a@x.de","event":"open","timestamp":1}]`,
			ingest.Options{}, 1, []string{`1: array element 1: field "email": expected a JSON string`}},
		{"postmark ndjson", "postmark", "{\"RecordType\":\"Open\",\"Recipient\":\"a@x.de\",\"ReceivedAt\":\"2025-03-18T09:00:00Z\"}\n{\"RecordType\":\"Open\",\n\n{\"RecordType\":\"Open\",\"ReceivedAt\":\"2025-03-18T09:00:00Z\"}\n{\"RecordType\":\"Open\",\"Recipient\":\"a@x.de\",\"ReceivedAt\":\"2025-03-18T09:00:00Z\"}\n",
			ingest.Options{}, 2, []string{`2: the line is not valid JSON`, `4: field "Recipient": the recipient e-mail address is missing`}},
		// An optional field of the wrong type is left out with a warning (TestLenient).
		{"mailjet wrong type", "mailjet", `[{"event":"open","time":1,"email":"a@x.de","MessageID":{"a":1}},{"event":"open","time":1,"email":"a@x.de"}]`,
			ingest.Options{}, 2, nil},
		{"nesting bomb in array", "sendgrid", `[{"email":"a@x.de","event":"open","timestamp":1,"x":` + deep + `},{"email":"a@x.de","event":"open","timestamp":1}]`,
			ingest.Options{MaxEventBytes: 1 << 20}, 1, []string{`1: array element 1: the event is nested 100001 levels deep`}},
		{"nesting bomb in ndjson", "brevo", `{"event":"open","email":"a@x.de","ts_epoch":1,"x":` + deep + "}\n" + `{"event":"opened","email":"a@x.de","ts_epoch":1}` + "\n",
			ingest.Options{}, 1, []string{`1: the event is nested 100001 levels deep`}},
		{"oversize event", "sendgrid", `[{"email":"a@x.de","event":"open","timestamp":1,"pad":"` + strings.Repeat("x", 5000) + `"},{"email":"a@x.de","event":"open","timestamp":1}]`,
			ingest.Options{MaxEventBytes: 1000}, 1, []string{`1: array element 1: the event is larger than 1000 bytes`}},
		{"long ndjson line", "brevo", `{"event":"opened","email":"a@x.de","ts_epoch":1,"pad":"` + strings.Repeat("x", 5000) + "\"}\n" + `{"event":"opened","email":"a@x.de","ts_epoch":1}`,
			ingest.Options{MaxEventBytes: 1000}, 1, []string{`1: the line is longer than 1000 bytes`}},
		{"mailchimp activity", "mailchimp", `{"emails":[{"email_address":"a@x.de","activity":[{"action":"open"}]},{"email_address":"b@x.de","activity":[{"action":"open","timestamp":"2025-03-18T09:00:00Z"}]}]}`,
			ingest.Options{}, 1, []string{`1: field "activity": entry 1: field "activity.timestamp"`}},
		{"csv", "csv", "email,event,timestamp\na@x.de,open,yesterday\n\"b@x.de,open,1\nc@x.de,open,1\n",
			ingest.Options{}, 0, []string{`2: column "timestamp": "yesterday"`, `3: the CSV row cannot be read`}},
		{"csv bad address", "csv", "email,event,timestamp\nnope,open,1\n,open,2\n",
			ingest.Options{}, 0, []string{`2: field "email": "nope" is not an e-mail address`, `3: field "email": the recipient e-mail address is missing`}},
		{"sns confirmation", "ses", `{"Type":"SubscriptionConfirmation","MessageId":"m","TopicArn":"t","Message":"You have chosen"}`,
			ingest.Options{}, 0, []string{`1: field "Type": SNS SubscriptionConfirmation message is not an event`}},
		{"sparkpost ping", "sparkpost", `[{"msys":{}}]`, ingest.Options{}, 0, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			evs, rows := decodeAll(t, []byte(tc.input), tc.provider, tc.opt)
			if len(evs) != tc.events {
				t.Errorf("got %d events, want %d", len(evs), tc.events)
			}
			if len(rows) != len(tc.rows) {
				t.Fatalf("row errors %v, want %d", rows, len(tc.rows))
			}
			for i, want := range tc.rows {
				if got := rows[i].Error(); !strings.Contains("line "+got, "line "+want) {
					t.Errorf("row error %d = %q, want it to contain %q", i, got, want)
				}
				// The desk shows the reason from the catalogues.
				if k := rows[i].Key; !strings.HasPrefix(k, "error.reactions.row.") || len(rows[i].Params) == 0 && strings.Contains(rows[i].Reason, `"`) {
					t.Errorf("row error %d has key %q params %v, want a catalogue key with the values as params", i, k, rows[i].Params)
				}
			}
		})
	}
}

// TestFatal: a stream that cannot be read further ends with a non-row error.
func TestFatal(t *testing.T) {
	d, err := ingest.NewDecoder(strings.NewReader(`[{"email":"a@x.de","event":"open","timestamp":1}, {"email":`), "sendgrid", ingest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Next(); err != nil {
		t.Fatal(err)
	}
	_, err = d.Next()
	var re *resonanz.RowError
	if err == nil || err == io.EOF || errors.As(err, &re) || resonanz.ErrorCode(err) != resonanz.EINVALID {
		t.Errorf("truncated array: %v", err)
	}
	if _, err := d.Next(); err != io.EOF {
		t.Errorf("after a fatal error Next = %v, want io.EOF", err)
	}
}

// TestDetectRejects: junk, unknown and ambiguous input are errors that say
// what was seen; an explicit provider that does not fit is refused.
func TestDetectRejects(t *testing.T) {
	for _, tc := range []struct{ name, input, want string }{
		{"empty", "  \n", "empty"},
		{"junk", "hello world", `"hello world"`},
		{"unknown json", `{"foo":1,"bar":2}`, `"foo", "bar"`},
		{"ambiguous", `[{"sg_event_id":"x","RecordType":"Open","MessageID":"m"}]`, "sendgrid, postmark"},
		{"csv without email", "a,b,c\n1,2,3\n", "neither JSON"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := ingest.Detect([]byte(tc.input))
			if err == nil || !strings.Contains(resonanz.ErrorMessage(err), tc.want) {
				t.Errorf("Detect error = %v, want it to mention %s", err, tc.want)
			}
			if _, err := ingest.NewDecoder(strings.NewReader(tc.input), ingest.Auto, ingest.Options{}); err == nil {
				t.Error("NewDecoder(auto) accepted it")
			}
		})
	}
	_, err := ingest.NewDecoder(strings.NewReader(string(readFile(t, "postmark.ndjson"))), "sendgrid", ingest.Options{})
	if err == nil || !strings.Contains(resonanz.ErrorMessage(err), "looks like a postmark log") {
		t.Errorf("wrong explicit provider: %v", err)
	}
	if _, err := ingest.NewDecoder(strings.NewReader("[]"), "nope", ingest.Options{}); resonanz.ErrorCode(err) != resonanz.EINVALID {
		t.Errorf("unknown provider: %v", err)
	}
}

// TestShapes: the container variants of each provider.
func TestShapes(t *testing.T) {
	pretty := "{\n  \"signature\": {\"token\": \"t\", \"timestamp\": \"1\", \"signature\": \"s\"},\n  \"event-data\": {\"id\": \"i\", \"event\": \"opened\", \"recipient\": \"a@x.de\", \"timestamp\": 1742288403}\n}\n"
	for _, tc := range []struct {
		name, provider, input string
		events                int
	}{
		{"mailgun pretty webhook", "mailgun", pretty, 1},
		{"mailgun webhook ndjson", "mailgun", strings.ReplaceAll(pretty, "\n", "") + "\n" + strings.ReplaceAll(pretty, "\n", "") + "\n", 2},
		{"mailgun pages ndjson", "mailgun", `{"items":[{"id":"1","event":"opened","recipient":"a@x.de","timestamp":1}],"paging":{}}` + "\n" + `{"paging":{},"items":[{"id":"2","event":"opened","recipient":"a@x.de","timestamp":1},{"id":"3","event":"opened","recipient":"a@x.de","timestamp":1}]}`, 3},
		{"mailgun page, items last", "mailgun", "{\n\"paging\": {\"next\": \"x\"},\n\"items\": [{\"id\":\"1\",\"event\":\"opened\",\"recipient\":\"a@x.de\",\"timestamp\":1}]\n}", 1},
		{"sendgrid concatenated arrays", "sendgrid", `[{"email":"a@x.de","event":"open","timestamp":1}]` + "\n" + `[{"email":"a@x.de","event":"open","timestamp":2}]`, 2},
		{"postmark array", "postmark", `[{"RecordType":"Open","Recipient":"a@x.de","ReceivedAt":"2025-03-18T09:00:00Z"},{"RecordType":"Open","Recipient":"b@x.de","ReceivedAt":"2025-03-18T09:00:00Z"}]`, 2},
		{"mailjet v1", "mailjet", `{"event":"open","time":1,"email":"a@x.de"}`, 1},
		{"brevo array", "brevo", `[{"event":"opened","email":"a@x.de","ts_epoch":1},{"event":"opened","email":"a@x.de","ts_epoch":1}]`, 2},
		{"sparkpost events api", "sparkpost", "{\n\"results\": [{\"type\":\"open\",\"raw_rcpt_to\":\"a@x.de\",\"timestamp\":\"2025-03-18T09:00:00.000Z\"}],\n\"total_count\": 1}", 1},
		{"mandrill two form bodies", "mandrill", "mandrill_events=%5B%7B%22event%22%3A%22open%22%2C%22ts%22%3A1%2C%22msg%22%3A%7B%22email%22%3A%22a%40x.de%22%7D%7D%5D\nmandrill_events=%5B%7B%22event%22%3A%22open%22%2C%22ts%22%3A2%2C%22msg%22%3A%7B%22email%22%3A%22a%40x.de%22%7D%7D%5D\n", 2},
		{"mandrill other field first", "mandrill", "foo=bar&mandrill_events=%5B%7B%22event%22%3A%22open%22%2C%22ts%22%3A1%2C%22msg%22%3A%7B%22email%22%3A%22a%40x.de%22%7D%7D%5D", 1},
		{"bom", "sendgrid", "\xEF\xBB\xBF" + `[{"email":"a@x.de","event":"open","timestamp":1}]`, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			evs, rows := decodeAll(t, []byte(tc.input), tc.provider, ingest.Options{})
			if len(evs) != tc.events || len(rows) > 0 {
				t.Errorf("got %d events, rows %v; want %d events", len(evs), rows, tc.events)
			}
		})
	}
}
