package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRun_ProviderCampaigns is the scenario of issue 15: a SendGrid log of
// a campaign (category herbst-2026; 500 delivered, 100 distinct openers,
// 100 clickers, nobody with a tracking consent) is imported without
// --mailing, a Postmark log with the same Tag (25 more openers) joins it,
// and the report shows an open rate of 25 % over the 500 delivered.
func TestRun_ProviderCampaigns(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	var csv strings.Builder
	csv.WriteString("E-Mail;Vorname\r\n")
	for i := range 500 {
		fmt.Fprintf(&csv, "kunde%03d@example.org;K%d\r\n", i, i)
	}
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	if code, _, stderr := runCLI(t, "--data", data, "import", "recipients", write("kunden.csv", csv.String()), "--list", "Kunden"); code != 0 {
		t.Fatalf("import recipients: exit %d %s", code, stderr)
	}

	// SendGrid's shapes (fixtures/providers/sendgrid.json), category as the
	// campaign, no campaign_id field.
	var sg []map[string]any
	ts := int64(1790000000)
	for i := range 500 {
		email := fmt.Sprintf("kunde%03d@example.org", i)
		base := func(ev string, n int) map[string]any {
			return map[string]any{"email": email, "timestamp": ts + int64(n), "event": ev, "category": []string{"herbst-2026", "newsletter"},
				"sg_event_id": fmt.Sprintf("%s-%d", ev, i*10+n), "sg_message_id": fmt.Sprintf("msg%03d.recvd-1", i)}
		}
		sg = append(sg, base("delivered", 0))
		if i%5 == 0 { // 100 openers, one of them twice
			o := base("open", 1)
			o["sg_machine_open"] = false
			o["useragent"] = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Microsoft Outlook 16.0.17928; Pro"
			sg = append(sg, o)
			c := base("click", 2)
			c["url"] = "https://reisen.example/herbst?utm_content=text-cta"
			sg = append(sg, c)
		}
	}
	sg = append(sg, map[string]any{"email": "kunde000@example.org", "timestamp": ts + 99, "event": "open", "sg_machine_open": false,
		"category": "herbst-2026", "sg_event_id": "open-again", "sg_message_id": "msg000.recvd-1"})
	body, _ := json.Marshal(sg)
	sgPath := write("sendgrid.json", string(body))

	type result struct {
		Imported, Unmatched, Anonymized int
		Campaigns                       []struct {
			ID        string `json:"id"`
			MailingID int64  `json:"mailing_id"`
			Created   bool   `json:"created"`
			Events    int    `json:"events"`
		} `json:"campaigns"`
	}
	importLog := func(path string) result {
		t.Helper()
		code, stdout, stderr := runCLI(t, "--data", data, "--json", "import", "reactions", path)
		if code != 0 {
			t.Fatalf("import %s: exit %d %s", path, code, stderr)
		}
		var r result
		if err := json.Unmarshal([]byte(stdout), &r); err != nil {
			t.Fatalf("%q: %v", stdout, err)
		}
		return r
	}
	r := importLog(sgPath)
	if r.Unmatched != 0 || r.Imported != 701 || len(r.Campaigns) != 1 || r.Campaigns[0].ID != "herbst-2026" || !r.Campaigns[0].Created || r.Campaigns[0].Events != 701 {
		t.Fatalf("sendgrid import = %+v", r)
	}

	// Postmark (fixtures/providers/postmark.ndjson): Tag names the campaign.
	var pm strings.Builder
	for i := range 25 {
		fmt.Fprintf(&pm, `{"RecordType":"Open","MessageStream":"broadcast","FirstOpen":true,"Recipient":"kunde%03d@example.org","MessageID":"pm-%d","ReceivedAt":"2026-09-21T10:%02d:00Z","Tag":"herbst-2026","UserAgent":"Mozilla/5.0"}`+"\n", i*5+1, i, i)
	}
	r2 := importLog(write("postmark.ndjson", pm.String()))
	if r2.Unmatched != 0 || len(r2.Campaigns) != 1 || r2.Campaigns[0].Created || r2.Campaigns[0].MailingID != r.Campaigns[0].MailingID || r2.Campaigns[0].Events != 25 {
		t.Fatalf("postmark import = %+v, want it to join mailing %d", r2, r.Campaigns[0].MailingID)
	}

	code, stdout, stderr := runCLI(t, "--data", data, "--json", "stats", "herbst-2026")
	if code != 0 {
		t.Fatalf("stats: exit %d %s", code, stderr)
	}
	var st struct {
		Delivered int `json:"delivered"`
		Opens     struct{ Total, Anonymous int }
		Clicks    struct{ Total int }
		Base      struct {
			Kind  string `json:"kind"`
			Count int    `json:"count"`
		} `json:"base"`
		Openers struct{ People, Estimate int } `json:"openers"`
		Rates   struct {
			Open  float64 `json:"open"`
			Click float64 `json:"click"`
		} `json:"rates"`
	}
	if err := json.Unmarshal([]byte(stdout), &st); err != nil {
		t.Fatal(err)
	}
	if st.Delivered != 500 || st.Base.Kind != "delivered" || st.Base.Count != 500 || st.Opens.Total != 126 || st.Opens.Anonymous != 126 || st.Clicks.Total != 100 {
		t.Errorf("report = %s", stdout)
	}
	// Within the estimate's documented bound (±3 %): the sketch key is random
	// per database, so two of the 125 people may share a register.
	if st.Openers.People != 0 || st.Openers.Estimate < 121 || st.Openers.Estimate > 129 || st.Rates.Open < 0.242 || st.Rates.Open > 0.258 || st.Rates.Click < 0.194 || st.Rates.Click > 0.206 {
		t.Errorf("openers %+v rates %+v, want ≈125 openers, open rate ≈ 25 %%, click rate ≈ 20 %%", st.Openers, st.Rates)
	}
}
