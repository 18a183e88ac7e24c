package listener

import "strings"

// machineAgents are user-agent fragments of scanners and scripts that fetch
// images without a person opening the mail. Matched case-sensitively, as the
// agents send them.
//
// The Gmail and Yahoo image proxies are not among them: they fetch an image
// when a person opens the mail (and cache it, so later opens of the same
// mail are not seen). Counting them as machines would mean that no Gmail
// or Yahoo reader is ever counted as having opened; the client chart still
// shows them as proxies (analysis.Client).
var machineAgents = []struct{ fragment, source string }{
	{"Mimecast", "mimecast"},
	{"Barracuda", "barracuda"},
	{"Proofpoint", "proofpoint"},
	{"BingPreview", "bing_preview"},
	{"HeadlessChrome", "headless"},
	{"python-requests", "script"},
	{"Go-http-client", "script"},
	{"curl/", "script"},
	{"Wget/", "script"},
}

// MachineOpen reports whether a pixel or image request looks like a
// prefetch by a machine rather than a person opening the mail, and names
// the source. Such opens are flagged, not dropped (reports decide). The
// heuristics live here alone so that they are easy to review and extend:
//   - Apple Mail Privacy Protection fetches with the user agent exactly
//     "Mozilla/5.0" (no platform or engine tokens);
//   - mail-security scanners and scripts name themselves (the Gmail and
//     Yahoo image proxies fetch on a person's open and are not flagged);
//   - an empty user agent is no mail client.
func MachineOpen(userAgent string) (bool, string) {
	ua := strings.TrimSpace(userAgent)
	if ua == "" {
		return true, "no_user_agent"
	}
	if ua == "Mozilla/5.0" {
		return true, "apple_mpp"
	}
	for _, m := range machineAgents {
		if strings.Contains(ua, m.fragment) {
			return true, m.source
		}
	}
	return false, ""
}
