package analysis_test

import (
	"testing"

	"github.com/resonanz/resonanz/backend/analysis"
	"github.com/resonanz/resonanz/backend/resonanz"
)

func TestClassify(t *testing.T) {
	for _, tc := range []struct{ ua, client, device string }{
		{"Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)", "Gmail", "webmail"},
		{"Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Thunderbird/128.3.0", "Thunderbird", "desktop"},
		{"Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17928; Pro)", "Outlook", "desktop"},
		{"Mozilla/5.0", "Apple Mail (privacy proxy)", "proxy"},
		{"Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148", "Apple Mail", "mobile"},
		{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36", "Chrome (Windows)", "desktop"},
		{"", "Unknown", "unknown"},
	} {
		client, device := analysis.Classify(tc.ua)
		if client != tc.client || device != tc.device {
			t.Errorf("Classify(%q) = %q, %q; want %q, %q", tc.ua, client, device, tc.client, tc.device)
		}
	}
}

func TestClients(t *testing.T) {
	got := analysis.Clients([]resonanz.AgentCount{
		{UserAgent: "Mozilla/5.0 Thunderbird/115.0", Count: 2},
		{UserAgent: "Mozilla/5.0 (X11; Linux x86_64) Thunderbird/128.0", Count: 3},
		{UserAgent: "Mozilla/5.0", Count: 4},
	})
	if len(got) != 2 || got[0].Client != "Thunderbird" || got[0].Count != 5 || got[1].Count != 4 {
		t.Errorf("Clients = %+v", got)
	}
}
