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
// webmail services, checked in order (case-insensitive substring). Key is
// the stable name the desk translates (analysis.client.<key>).
var mailClients = []struct {
	token string
	c     Client
}{
	{"googleimageproxy", Client{"gmail", "Gmail", "proxy"}},
	{"ggpht.com", Client{"gmail", "Gmail", "proxy"}},
	{"yahoomailproxy", Client{"yahoo", "Yahoo Mail", "proxy"}},
	{"outlook-ios", Client{"outlook_ios", "Outlook (iOS)", "mobile"}},
	{"outlook-android", Client{"outlook_android", "Outlook (Android)", "mobile"}},
	{"macoutlook", Client{"outlook_mac", "Outlook (macOS)", "desktop"}},
	{"oneoutlook", Client{"outlook_new", "Outlook (new, Windows)", "desktop"}},
	{"microsoft outlook", Client{"outlook_desktop", "Outlook (Windows)", "desktop"}},
	{"ms-office", Client{"outlook_desktop", "Outlook (Windows)", "desktop"}},
	{"msoffice", Client{"outlook_desktop", "Outlook (Windows)", "desktop"}},
	{"thunderbird", Client{"thunderbird", "Thunderbird", "desktop"}},
	{"windows live mail", Client{"windows_live_mail", "Windows Live Mail", "desktop"}},
	{"airmail", Client{"airmail", "Airmail", "desktop"}},
	{"sparkdesktop", Client{"spark", "Spark", "desktop"}},
	{"spark/", Client{"spark", "Spark", "mobile"}},
	{"gmx", Client{"gmx", "GMX", "webmail"}},
	{"web.de", Client{"webde", "WEB.DE", "webmail"}},
	{"t-online", Client{"tonline", "T-Online", "webmail"}},
	{"telekom", Client{"tonline", "T-Online", "webmail"}},
}

// Client is the mail client (or browser) and device class of a user agent.
// Key names known mail clients ("apple_mail", "outlook_desktop", ...),
// "browser" for a browser (Name then says which, e.g. "Chrome (Windows)"),
// or "unknown".
type Client struct {
	Key    string
	Name   string
	Device string // desktop, mobile, tablet, webmail, proxy, unknown
}

// Classify names the mail client and device class of one user agent.
// Outlook on the web and other webmail read in a browser load images with
// the browser's user agent and appear as that browser, unless the service
// fetches them through its own proxy (Gmail, Yahoo).
func Classify(ua string) Client {
	lower := strings.ToLower(ua)
	for _, m := range mailClients {
		if strings.Contains(lower, m.token) {
			return m.c
		}
	}
	if strings.TrimSpace(ua) == "Mozilla/5.0" {
		// Apple's Mail Privacy Protection fetches every image through its
		// proxy with this bare user agent, whether or not the mail is read.
		return Client{"apple_mail_mpp", "Apple Mail (privacy protection)", "proxy"}
	}
	p := useragent.NewParser().Parse(ua)
	device := strings.ToLower(string(p.Device()))
	switch device {
	case "desktop", "mobile", "tablet":
	case "bot":
		device = "proxy"
	default:
		device = "unknown"
	}
	browser, os := string(p.Browser()), string(p.OS())
	appleOS := os == "macOS" || os == "iOS" || strings.Contains(ua, "Macintosh") || strings.Contains(ua, "iPhone") || strings.Contains(ua, "iPad")
	switch {
	case appleOS && strings.Contains(ua, "AppleWebKit") && !strings.Contains(ua, "Safari/") && !strings.Contains(ua, "Chrome/"):
		// WebKit without the Safari product token on Apple systems is
		// Apple Mail (the parser calls it Safari).
		if device == "unknown" {
			device = "desktop"
		}
		return Client{"apple_mail", "Apple Mail", device}
	case browser != "" && os != "":
		return Client{"browser", browser + " (" + os + ")", device}
	case browser != "":
		return Client{"browser", browser, device}
	case os != "":
		return Client{"browser", os, device}
	}
	return Client{"unknown", "Unknown", device}
}

// Clients classifies user agents and adds up their counts per client and
// device, most used first.
func Clients(agents []resonanz.AgentCount) []resonanz.ClientShare {
	sums := map[Client]int{}
	for _, a := range agents {
		sums[Classify(a.UserAgent)] += a.Count
	}
	out := make([]resonanz.ClientShare, 0, len(sums))
	for c, n := range sums {
		out = append(out, resonanz.ClientShare{Key: c.Key, Client: c.Name, Device: c.Device, Count: n})
	}
	slices.SortFunc(out, func(a, b resonanz.ClientShare) int {
		return cmp.Or(b.Count-a.Count, strings.Compare(a.Client, b.Client), strings.Compare(a.Device, b.Device))
	})
	return out
}
