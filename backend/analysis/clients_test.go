package analysis_test

import (
	"testing"

	"github.com/resonanz/resonanz/backend/analysis"
	"github.com/resonanz/resonanz/backend/resonanz"
)

// TestClassify is a table of user agents as mail clients send them when
// they load the open pixel (Gmail, Yahoo, Apple Mail, Outlook and
// Thunderbird as published by providers and in fixtures/providers). GMX,
// WEB.DE and T-Online are recognised by their product token; their rows are
// constructed around it, not captured.
func TestClassify(t *testing.T) {
	for _, tc := range []struct{ name, ua, key, client, device string }{
		{"Gmail image proxy", "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)", "gmail", "Gmail", "proxy"},
		{"Yahoo Mail proxy", "YahooMailProxy; https://help.yahoo.com/kb/yahoo-mail-proxy-SLN28749.html", "yahoo", "Yahoo Mail", "proxy"},
		{"Apple Mail with Mail Privacy Protection", "Mozilla/5.0", "apple_mail_mpp", "Apple Mail (privacy protection)", "proxy"},
		{"Apple Mail macOS without MPP", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko)", "apple_mail", "Apple Mail", "desktop"},
		{"Apple Mail iPhone without MPP", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148", "apple_mail", "Apple Mail", "mobile"},
		{"Apple Mail iPad", "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148", "apple_mail", "Apple Mail", "tablet"},
		{"Outlook Windows (Word engine)", "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17928; Pro)", "outlook_desktop", "Outlook (Windows)", "desktop"},
		{"Outlook 2010 (MSOffice token)", "Mozilla/4.0 (compatible; ms-office; MSOffice 14)", "outlook_desktop", "Outlook (Windows)", "desktop"},
		{"Outlook macOS", "MacOutlook/16.79.23111718 (Intelx64 Mac OS X 14.1.1 (Build 23B81))", "outlook_mac", "Outlook (macOS)", "desktop"},
		{"new Outlook for Windows", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0 OneOutlook/1.2024.611.100", "outlook_new", "Outlook (new, Windows)", "desktop"},
		{"Outlook iOS", "Outlook-iOS/709.2226530.prod.iphone (3.24.1)", "outlook_ios", "Outlook (iOS)", "mobile"},
		{"Outlook Android", "Outlook-Android/2.0", "outlook_android", "Outlook (Android)", "mobile"},
		{"Thunderbird", "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Thunderbird/128.8.0", "thunderbird", "Thunderbird", "desktop"},
		{"Thunderbird Windows", "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:115.0) Gecko/20100101 Thunderbird/115.12.2", "thunderbird", "Thunderbird", "desktop"},
		{"GMX webmail", "Mozilla/5.0 (compatible; GMX Mail image proxy)", "gmx", "GMX", "webmail"},
		{"WEB.DE webmail", "Mozilla/5.0 (compatible; WEB.DE Mail image proxy)", "webde", "WEB.DE", "webmail"},
		{"T-Online", "Mozilla/5.0 (compatible; T-Online Mail)", "tonline", "T-Online", "webmail"},
		{"webmail in Chrome (Outlook on the web, ...)", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36", "browser", "Chrome (Windows)", "desktop"},
		{"Safari is not Apple Mail", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15", "browser", "Safari (MacOS)", "desktop"},
		{"empty", "", "unknown", "Unknown", "unknown"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := analysis.Classify(tc.ua)
			if got != (analysis.Client{Key: tc.key, Name: tc.client, Device: tc.device}) {
				t.Errorf("Classify(%q) = %+v; want %s, %q, %s", tc.ua, got, tc.key, tc.client, tc.device)
			}
		})
	}
}

func TestClients(t *testing.T) {
	got := analysis.Clients([]resonanz.AgentCount{
		{UserAgent: "Mozilla/5.0 Thunderbird/115.0", Count: 2},
		{UserAgent: "Mozilla/5.0 (X11; Linux x86_64) Thunderbird/128.0", Count: 3},
		{UserAgent: "Mozilla/5.0", Count: 4},
	})
	if len(got) != 2 || got[0].Client != "Thunderbird" || got[0].Key != "thunderbird" || got[0].Count != 5 || got[1].Count != 4 || got[1].Key != "apple_mail_mpp" {
		t.Errorf("Clients = %+v", got)
	}
}
