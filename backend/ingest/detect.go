package ingest

import (
	"bytes"
	"slices"
	"strings"

	"github.com/resonanz/resonanz/backend/resonanz"
)

// mappers maps each JSON provider to its event mapper.
var mappers = map[string]mapper{
	resonanz.ProviderMailgun:   mapMailgun,
	resonanz.ProviderSendGrid:  mapSendGrid,
	resonanz.ProviderPostmark:  mapPostmark,
	resonanz.ProviderSES:       mapSES,
	resonanz.ProviderBrevo:     mapBrevo,
	resonanz.ProviderMailjet:   mapMailjet,
	resonanz.ProviderSparkPost: mapSparkPost,
	resonanz.ProviderMandrill:  mapMandrill,
	resonanz.ProviderMailchimp: mapMailchimp,
}

// signature is one provider's fingerprint: every key in all must occur in
// the prefix (as a quoted JSON key), and kind names the source kind.
type signature struct {
	provider, kind string
	all            []string
}

// signatures are checked in order; the first match of each provider counts.
var signatures = []signature{
	{resonanz.ProviderMailgun, SourceWebhook, []string{`"event-data"`, `"signature"`}},
	{resonanz.ProviderMailgun, SourceEventsAPI, []string{`"items"`, `"recipient-domain"`}},
	{resonanz.ProviderMailgun, SourceEventsAPI, []string{`"items"`, `"log-level"`}},
	{resonanz.ProviderSendGrid, SourceWebhook, []string{`"sg_event_id"`}},
	{resonanz.ProviderSendGrid, SourceWebhook, []string{`"sg_message_id"`}},
	{resonanz.ProviderPostmark, SourceWebhook, []string{`"RecordType"`, `"MessageID"`}},
	{resonanz.ProviderPostmark, SourceWebhook, []string{`"RecordType"`, `"MessageId"`}},
	{resonanz.ProviderSES, SourceSNS, []string{`"TopicArn"`, `"Message"`}},
	{resonanz.ProviderSES, SourceFirehose, []string{`"eventType"`, `"mail"`, `"destination"`}},
	{resonanz.ProviderSES, SourceFirehose, []string{`"notificationType"`, `"mail"`, `"destination"`}},
	{resonanz.ProviderBrevo, SourceWebhook, []string{`"ts_epoch"`, `"event"`}},
	{resonanz.ProviderBrevo, SourceWebhook, []string{`"X-Mailin-custom"`}},
	{resonanz.ProviderMailjet, SourceWebhook, []string{`"Message_GUID"`}},
	{resonanz.ProviderMailjet, SourceWebhook, []string{`"mj_campaign_id"`}},
	{resonanz.ProviderSparkPost, SourceWebhook, []string{`"msys"`}},
	{resonanz.ProviderSparkPost, SourceEventsAPI, []string{`"results"`, `"raw_rcpt_to"`}},
	{resonanz.ProviderMandrill, SourceWebhook, []string{`"msg"`, `"_id"`, `"ts"`}},
	{resonanz.ProviderMailchimp, SourceAPIReport, []string{`"emails"`, `"email_address"`, `"activity"`}},
}

// Detect guesses the provider and source kind of a log from its first bytes
// (64 KiB is plenty). It returns an EINVALID error that says what it saw when
// nothing matches, or names the candidates when several providers do: an
// ambiguous or unknown file is never guessed at.
func Detect(prefix []byte) (provider, sourceKind string, err error) {
	p := prefix[skipBOMAndSpace(prefix):]
	if len(p) == 0 {
		return "", "", resonanz.E(resonanz.EINVALID, "error.import.csv.empty", "The file is empty.")
	}
	if bytes.HasPrefix(p, []byte(formField+"=")) || bytes.Contains(p, []byte("&"+formField+"=")) {
		return resonanz.ProviderMandrill, SourceWebhook, nil
	}
	if p[0] != '{' && p[0] != '[' {
		if looksLikeCSV(p) {
			return resonanz.ProviderCSV, SourceCSV, nil
		}
		return "", "", resonanz.E(resonanz.EINVALID, "error.reactions.fileNeitherJson", "The file is neither JSON, NDJSON, a Mandrill form body nor a CSV file with a header: it starts with {start}.", "start", quotePrefix(p))
	}
	var found []signature
	for _, s := range signatures {
		if slices.ContainsFunc(found, func(f signature) bool { return f.provider == s.provider }) {
			continue
		}
		ok := true
		for _, k := range s.all {
			if !containsKey(p, k) {
				ok = false
				break
			}
		}
		if ok {
			found = append(found, s)
		}
	}
	switch len(found) {
	case 1:
		return found[0].provider, found[0].kind, nil
	case 0:
		return "", "", resonanz.E(resonanz.EINVALID, "error.reactions.jsonDoesMatch", "The JSON does not match any known provider format (its keys include {keys}); choose the provider explicitly.", "keys", sampleKeys(p))
	}
	names := make([]string, len(found))
	for i, f := range found {
		names[i] = f.provider
	}
	return "", "", resonanz.E(resonanz.EINVALID, "error.reactions.fileMatchesSeveral", "The file matches several provider formats ({reasons}); choose the provider explicitly.", "reasons", strings.Join(names, ", "))
}

// containsKey reports whether key (quoted) occurs as an object key: followed
// by optional spaces and a colon.
func containsKey(p []byte, key string) bool {
	k := []byte(key)
	for off := 0; ; {
		i := bytes.Index(p[off:], k)
		if i < 0 {
			return false
		}
		j := off + i + len(k)
		for j < len(p) && isSpace(p[j]) {
			j++
		}
		if j < len(p) && p[j] == ':' {
			return true
		}
		off += i + 1
	}
}

// sampleKeys lists up to six distinct keys of the prefix for error messages.
func sampleKeys(p []byte) string {
	var keys []string
	for i := 0; i < len(p) && len(keys) < 6; i++ {
		if p[i] != '"' {
			continue
		}
		end, err := skipString(p, i)
		if err != nil {
			break
		}
		j := skipWS(p, end)
		if j < len(p) && p[j] == ':' {
			k := string(p[i:end])
			if !slices.Contains(keys, k) {
				keys = append(keys, k)
			}
		}
		i = end - 1
	}
	if len(keys) == 0 {
		return "none"
	}
	return strings.Join(keys, ", ")
}

// looksLikeCSV: a first line with a delimiter and a column that names an
// e-mail address.
func looksLikeCSV(p []byte) bool {
	line, _, _ := bytes.Cut(p, []byte("\n"))
	l := strings.ToLower(string(line))
	if sniffDelimiter(line) == 0 {
		return false
	}
	return strings.Contains(l, "email") || strings.Contains(l, "e-mail") || strings.Contains(l, "recipient")
}
