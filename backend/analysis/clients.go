// Package analysis holds the pure parts of reaction analysis that need a
// third-party library: classifying user agents into mail clients and device
// classes (github.com/medama-io/go-useragent for browsers, operating systems
// and devices; a short list of mail-client product tokens on top, because
// mail clients are not browsers).
package analysis

import (
	"cmp"
	"slices"
	"strings"

	useragent "github.com/medama-io/go-useragent"

	"github.com/resonanz/resonanz/backend/resonanz"
)

// mailClients are product tokens of mail clients and the image proxies of
// webmail services, checked in order (case-insensitive substring).
var mailClients = []struct {
	token, client, device string
}{
	{"googleimageproxy", "Gmail", "webmail"},
	{"ggpht.com", "Gmail", "webmail"},
	{"yahoomailproxy", "Yahoo Mail", "webmail"},
	{"outlook-ios", "Outlook (iOS)", "mobile"},
	{"outlook-android", "Outlook (Android)", "mobile"},
	{"microsoft outlook", "Outlook", "desktop"},
	{"ms-office", "Outlook", "desktop"},
	{"msoffice", "Outlook", "desktop"},
	{"thunderbird", "Thunderbird", "desktop"},
	{"windows live mail", "Windows Live Mail", "desktop"},
	{"airmail", "Airmail", "desktop"},
	{"spark", "Spark", "mobile"},
	{"gmx", "GMX", "webmail"},
	{"web.de", "WEB.DE", "webmail"},
}

// Classify names the mail client and device class of one user agent.
func Classify(ua string) (client, device string) {
	lower := strings.ToLower(ua)
	for _, m := range mailClients {
		if strings.Contains(lower, m.token) {
			return m.client, m.device
		}
	}
	if strings.TrimSpace(ua) == "Mozilla/5.0" {
		return "Apple Mail (privacy proxy)", "proxy"
	}
	p := useragent.NewParser().Parse(ua)
	device = strings.ToLower(string(p.Device()))
	switch device {
	case "desktop", "mobile", "tablet":
	case "bot":
		device = "proxy"
	default:
		device = "unknown"
	}
	browser, os := string(p.Browser()), string(p.OS())
	switch {
	case (os == "macOS" || os == "iOS") && strings.Contains(ua, "AppleWebKit") && !strings.Contains(ua, "Safari/"):
		// WebKit without the Safari product token on Apple systems is
		// Apple Mail (the parser calls it Safari).
		return "Apple Mail", device
	case browser != "" && os != "":
		return browser + " (" + os + ")", device
	case browser != "":
		return browser, device
	case os != "":
		return os, device
	}
	return "Unknown", device
}

// Clients classifies user agents and adds up their counts per client and
// device, most used first.
func Clients(agents []resonanz.AgentCount) []resonanz.ClientShare {
	type key struct{ client, device string }
	sums := map[key]int{}
	for _, a := range agents {
		c, d := Classify(a.UserAgent)
		sums[key{c, d}] += a.Count
	}
	out := make([]resonanz.ClientShare, 0, len(sums))
	for k, n := range sums {
		out = append(out, resonanz.ClientShare{Client: k.client, Device: k.device, Count: n})
	}
	slices.SortFunc(out, func(a, b resonanz.ClientShare) int {
		return cmp.Or(b.Count-a.Count, strings.Compare(a.Client, b.Client), strings.Compare(a.Device, b.Device))
	})
	return out
}
