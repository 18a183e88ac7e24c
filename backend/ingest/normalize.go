package ingest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math"
	"net/netip"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/resonanz/resonanz/backend/resonanz"
)

// mapping is the per-decoder state a provider mapper writes into.
type mapping struct {
	provider string
	opt      *Options
	fn       mapper
	u        unit
	out      []resonanz.ProviderEvent
	raw      json.RawMessage // copy of the current unit's event, shared by its fan-out
	warn     []resonanz.Text // warnings of the current unit (fields converted or left out)
}

// decode decodes raw into v leniently (see lenient); the warnings go with
// the events of the unit.
func (m *mapping) decode(raw []byte, v any) error {
	w, err := lenient(raw, v)
	m.warn = append(m.warn, w...)
	return err
}

func (m *mapping) reset(u unit) {
	m.u = u
	m.warn = nil
	clear(m.out)
	m.out = m.out[:0]
	m.raw = nil
}

// event starts a new normalized event; raw is the unwrapped original.
func (m *mapping) event(kind string, raw []byte) resonanz.ProviderEvent {
	if m.raw == nil || !bytes.Equal(m.raw, raw) {
		m.raw = append(json.RawMessage(nil), bytes.TrimSpace(raw)...)
	}
	ev := resonanz.ProviderEvent{Provider: m.provider, SourceKind: kind, Raw: m.raw, Line: m.u.line}
	if len(m.warn) > 0 {
		ev.Warnings = append([]resonanz.Text(nil), m.warn...)
	}
	return ev
}

// emit finishes ev (normalization shared by every provider) and queues it.
func (m *mapping) emit(ev resonanz.ProviderEvent, emailField string) error {
	if err := finish(&ev, m.opt, emailField); err != nil {
		return err
	}
	m.out = append(m.out, ev)
	return nil
}

// finish applies the rules of FORMATS.md §10 that do not depend on the
// provider: e-mail normalization, RFC Message-ID brackets, link kind, SMTP
// status, the labelled machine-open heuristic and the dedupe key.
func finish(ev *resonanz.ProviderEvent, opt *Options, emailField string) error {
	ev.EmailRaw = strings.TrimSpace(ev.EmailRaw)
	if ev.EmailRaw == "" {
		return resonanz.E(resonanz.EINVALID, "error.reactions.row.emailMissing", "field \"{field}\": the recipient e-mail address is missing", "field", emailField)
	}
	ev.Email = strings.ToLower(ev.EmailRaw)
	if at := strings.LastIndexByte(ev.Email, '@'); at <= 0 || at == len(ev.Email)-1 || strings.ContainsAny(ev.Email, " \t\r\n<>") {
		return resonanz.E(resonanz.EINVALID, "error.reactions.row.emailInvalid", "field \"{field}\": \"{value}\" is not an e-mail address", "field", emailField, "value", ev.EmailRaw)
	}
	if ev.OccurredAt.IsZero() {
		return resonanz.E(resonanz.EINVALID, "error.reactions.row.noTime", "the event time is missing")
	}
	ev.RFCMessageID = stripBrackets(ev.RFCMessageID)
	if ev.URL != "" || ev.LinkName != "" || ev.Type == resonanz.ReactionClicked {
		if ev.LinkKind == "" {
			ev.LinkKind = linkKind(ev.LinkName, ev.URL, opt.LinkParam)
		}
	}
	if ev.SMTPStatus == "" && ev.SMTPResponse != "" {
		ev.SMTPStatus = enhancedStatus(ev.SMTPResponse)
	}
	if ev.Type == resonanz.ReactionOpened && ev.MachineOpen == nil {
		machineHeuristic(ev)
	}
	if ev.Type == "" {
		ev.Type = resonanz.ReactionUnknown
	}
	if ev.CampaignID == "" {
		ev.CampaignID = campaignTag(ev.Tags)
	}
	if ev.DedupeKey == "" {
		ev.DedupeKey = dedupeKey(ev)
		if ev.ProviderEventID == "" {
			ev.LegacyDedupeKey = legacyDedupeKey(ev)
		}
	}
	return nil
}

// dedupeKey is provider:provider_event_id, or else provider:sha256 of the
// event name and type, every message id the provider sends, the recipient,
// the time in ms and the URL (FORMATS.md §10): two distinct events (an open
// and a click in the same millisecond, two messages to one address) never
// fold into one.
func dedupeKey(ev *resonanz.ProviderEvent) string {
	if ev.ProviderEventID != "" {
		return ev.Provider + ":" + ev.ProviderEventID
	}
	var buf [20]byte
	h := sha256.New()
	for _, part := range append([]string{"v2", ev.EventRaw, string(ev.Type), ev.ProviderMessageID, ev.RFCMessageID}, ev.MessageIDs...) {
		h.Write([]byte(part))
		h.Write([]byte{0x1f})
	}
	h.Write([]byte(ev.Email))
	h.Write([]byte{0x1f})
	h.Write(strconv.AppendInt(buf[:0], ev.OccurredAt.UnixMilli(), 10))
	h.Write([]byte{0x1f})
	h.Write([]byte(ev.URL))
	var sum [sha256.Size]byte
	return ev.Provider + ":sha256:" + hex.EncodeToString(h.Sum(sum[:0]))
}

// legacyDedupeKey is the synthetic key of earlier versions (event name,
// provider message id, recipient, time, URL).
func legacyDedupeKey(ev *resonanz.ProviderEvent) string {
	var buf [20]byte
	h := sha256.New()
	h.Write([]byte(ev.EventRaw))
	h.Write([]byte{0x1f})
	h.Write([]byte(ev.ProviderMessageID))
	h.Write([]byte{0x1f})
	h.Write([]byte(ev.Email))
	h.Write([]byte{0x1f})
	h.Write(strconv.AppendInt(buf[:0], ev.OccurredAt.UnixMilli(), 10))
	h.Write([]byte{0x1f})
	h.Write([]byte(ev.URL))
	var sum [sha256.Size]byte
	return ev.Provider + ":sha256:" + hex.EncodeToString(h.Sum(sum[:0]))
}

// lenient decodes raw into v like json.Unmarshal, but a field of an
// unexpected type does not reject the event: a number or boolean where
// text was expected becomes its text, a single string where a list was
// expected becomes a list of one, anything else is left out, and each is
// reported as a warning. Required fields that end up missing are refused
// later, by name.
func lenient(raw []byte, v any) ([]resonanz.Text, error) {
	err := json.Unmarshal(raw, v)
	var warnings []resonanz.Text
	for range 16 {
		te, ok := err.(*json.UnmarshalTypeError)
		if !ok || te.Field == "" {
			return warnings, err
		}
		fixed, note, ok := repairField(raw, strings.Split(te.Field, "."), te.Type)
		if !ok {
			return warnings, err
		}
		warnings = append(warnings, repairNote(note, te.Field, goKind(te.Type.Kind().String()), te.Value))
		raw = fixed
		reflect.ValueOf(v).Elem().SetZero()
		err = json.Unmarshal(raw, v)
	}
	return warnings, err
}

// repairNote is the warning for a field repaired by repairField (note:
// text, list or out).
func repairNote(note, field, expected, found string) resonanz.Text {
	switch note {
	case "text":
		return resonanz.T("error.reactions.warning.readAsText", "field \"{field}\": expected a JSON {expected}, found a JSON {found}; read as text", "field", field, "expected", expected, "found", found)
	case "list":
		return resonanz.T("error.reactions.warning.readAsList", "field \"{field}\": expected a JSON {expected}, found a JSON {found}; read as a list of one", "field", field, "expected", expected, "found", found)
	}
	return resonanz.T("error.reactions.warning.leftOut", "field \"{field}\": expected a JSON {expected}, found a JSON {found}; left out", "field", field, "expected", expected, "found", found)
}

// repairField converts or removes the value at path in the JSON object raw
// and says how (repairNote).
func repairField(raw []byte, path []string, want reflect.Type) ([]byte, string, bool) {
	var obj map[string]json.RawMessage
	if json.Unmarshal(raw, &obj) != nil {
		return nil, "", false
	}
	key, found := "", false
	for k := range obj { // encoding/json matches names case-insensitively
		if strings.EqualFold(k, path[0]) {
			key, found = k, true
			if k == path[0] {
				break
			}
		}
	}
	if !found {
		return nil, "", false
	}
	note := ""
	if len(path) > 1 {
		inner, n, ok := repairField(obj[key], path[1:], want)
		if !ok {
			return nil, "", false
		}
		obj[key], note = inner, n
	} else {
		val := bytes.TrimSpace(obj[key])
		switch {
		case want.Kind() == reflect.String && len(val) > 0 && (isDigit(val[0]) || val[0] == '-' || val[0] == 't' || val[0] == 'f'):
			obj[key], _ = json.Marshal(string(val))
			note = "text"
		case want.Kind() == reflect.Slice && want.Elem().Kind() == reflect.String && len(val) > 0 && val[0] == '"':
			obj[key] = append(append([]byte{'['}, val...), ']')
			note = "list"
		default:
			delete(obj, key)
			note = "out"
		}
	}
	out, err := json.Marshal(obj)
	return out, note, err == nil
}

func stripBrackets(s string) string {
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(s, "<")
	return strings.TrimSuffix(s, ">")
}

// enhancedStatus finds an RFC 3463 enhanced status code (e.g. 5.1.1) in an
// SMTP response.
func enhancedStatus(s string) string {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c != '2' && c != '4' && c != '5') || (i > 0 && isDigitOrDot(s[i-1])) || i+1 >= len(s) || s[i+1] != '.' {
			continue
		}
		j, dots := i+2, 1
		digits := 0
		for j < len(s) && (isDigit(s[j]) || s[j] == '.') {
			if s[j] == '.' {
				if digits == 0 {
					break
				}
				dots++
				digits = 0
			} else {
				digits++
			}
			j++
		}
		if dots == 2 && digits > 0 && digits <= 3 {
			return s[i:j]
		}
	}
	return ""
}

func isDigit(c byte) bool      { return c >= '0' && c <= '9' }
func isDigitOrDot(c byte) bool { return isDigit(c) || c == '.' }

// linkKind derives text/image from a link name given at send time, else
// from the LinkParam query value of the URL, by its dash/underscore-separated
// words: "image"/"img" → image, "text" → text; anything else is unknown.
func linkKind(name, rawURL, param string) string {
	if k := kindFromName(name); k != resonanz.LinkUnknown {
		return k
	}
	if rawURL != "" && param != "" {
		if i := strings.IndexByte(rawURL, '?'); i >= 0 {
			q := rawURL[i+1:]
			if j := strings.IndexByte(q, '#'); j >= 0 {
				q = q[:j]
			}
			if vals, err := url.ParseQuery(q); err == nil || len(vals) > 0 {
				if k := kindFromName(vals.Get(param)); k != resonanz.LinkUnknown {
					return k
				}
			}
		}
	}
	return resonanz.LinkUnknown
}

func kindFromName(name string) string {
	if name == "" {
		return resonanz.LinkUnknown
	}
	image, text := false, false
	for w := range strings.FieldsFuncSeq(strings.ToLower(name), func(r rune) bool {
		return r == '-' || r == '_' || r == '.' || r == ' ' || r == ':' || r == '/'
	}) {
		switch w {
		case "image", "img":
			image = true
		case "text":
			text = true
		}
	}
	switch {
	case image && !text:
		return resonanz.LinkImage
	case text && !image:
		return resonanz.LinkText
	}
	return resonanz.LinkUnknown
}

// appleNet is Apple's 17.0.0.0/8, where Mail Privacy Protection proxies
// fetch from.
var appleNet = netip.MustParsePrefix("17.0.0.0/8")

// Heuristic labels (machine_open_source) for opens the provider does not flag.
const (
	HeuristicAppleProxy = "heuristic:ua=Mozilla/5.0+apple-ip"
	HeuristicFastOpen   = "heuristic:open-within-10s-of-send"
)

// machineHeuristic applies FORMATS.md §10's rule to an unflagged open: the
// bare user agent "Mozilla/5.0" from an Apple-owned IP, or an open within
// seconds of sending. It only ever marks true; otherwise machine_open stays
// unknown (nil).
func machineHeuristic(ev *resonanz.ProviderEvent) {
	if ev.UserAgent == "Mozilla/5.0" {
		if ip, err := netip.ParseAddr(ev.ClientIP); err == nil && appleNet.Contains(ip.Unmap()) {
			ev.MachineOpen, ev.MachineOpenSource = ptr(true), HeuristicAppleProxy
			return
		}
	}
	if !ev.SentAt.IsZero() {
		if d := ev.OccurredAt.Sub(ev.SentAt); d >= 0 && d <= 10*time.Second {
			ev.MachineOpen, ev.MachineOpenSource = ptr(true), HeuristicFastOpen
		}
	}
}

func ptr[T any](v T) *T { return &v }

// tsUnit says how a bare number is to be read as a time.
type tsUnit int

const (
	unitAuto    tsUnit = iota // seconds, or milliseconds from 1e11 up
	unitSeconds               // Unix seconds, fraction allowed
	unitMillis                // Unix milliseconds
)

// maxMillis is 9999-12-31T23:59:59.999Z.
const maxMillis = 253402300799999

// parseTime reads a JSON number or string (Unix time in unit, or ISO 8601
// with any fraction and offset) as UTC with millisecond precision. It
// returns the value as received for occurred_at_raw.
func parseTime(field string, raw json.RawMessage, u tsUnit) (time.Time, string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return time.Time{}, "", timeError(field, &timeErr{kind: "empty"})
	}
	s := string(raw)
	if raw[0] == '"' {
		if err := json.Unmarshal(raw, &s); err != nil {
			return time.Time{}, "", resonanz.E(resonanz.EINVALID, "error.reactions.row.badString", "field \"{field}\": not a valid string", "field", field)
		}
	}
	t, err := parseTimeString(s, u)
	if err != nil {
		return time.Time{}, s, timeError(field, err)
	}
	return t, s, nil
}

// parseTimeString is parseTime for a string already unquoted.
func parseTimeString(s string, u tsUnit) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, &timeErr{kind: "empty"}
	}
	if isDigit(s[0]) && !strings.ContainsAny(s, "-:T") {
		return parseEpoch(s, u)
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999Z0700", "2006-01-02 15:04:05.999999999Z07:00", "2006-01-02 15:04:05.999999999Z0700"} {
		if t, err := time.Parse(layout, s); err == nil {
			if ms := t.UnixMilli(); ms < 0 || ms > maxMillis {
				return time.Time{}, &timeErr{kind: "range", value: s}
			}
			return t.UTC().Truncate(time.Millisecond), nil
		}
	}
	return time.Time{}, &timeErr{kind: "format", value: s}
}

// parseEpoch parses a decimal Unix time exactly (no float rounding for
// "1742288403.118254"): fractions below a millisecond are truncated.
func parseEpoch(s string, u tsUnit) (time.Time, error) {
	bad := func() (time.Time, error) { return time.Time{}, &timeErr{kind: "unix", value: s} } // built only on failure: this runs for every event
	var ms int64
	if strings.ContainsAny(s, "eE") {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || f < 0 || math.IsInf(f, 0) || f > maxMillis {
			return bad()
		}
		// By magnitude, whatever the provider documents: 1e11 seconds is the
		// year 5138, 1e11 milliseconds 1973.
		if f >= 1e11 {
			ms = int64(f)
		} else {
			ms = int64(math.Floor(f * 1000))
		}
	} else {
		ip, frac, _ := strings.Cut(s, ".")
		n, err := strconv.ParseInt(ip, 10, 64)
		if err != nil || n < 0 {
			return bad()
		}
		for i := 0; i < len(frac); i++ {
			if !isDigit(frac[i]) {
				return bad()
			}
		}
		if n >= 1e11 {
			ms = n
		} else {
			if n > maxMillis/1000 {
				return time.Time{}, &timeErr{kind: "range", value: s}
			}
			ms = n * 1000
			for i, mul := 0, int64(100); i < 3 && i < len(frac); i, mul = i+1, mul/10 {
				ms += int64(frac[i]-'0') * mul
			}
		}
	}
	if ms < 0 || ms > maxMillis {
		return time.Time{}, &timeErr{kind: "range", value: s}
	}
	return time.UnixMilli(ms).UTC(), nil
}

// stringList reads a JSON string or array of strings (SendGrid category).
func stringList(raw json.RawMessage) ([]string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, err
		}
		if s == "" {
			return nil, nil
		}
		return []string{s}, nil
	}
	bad := errors.New("not a string or a list of strings")
	if raw[0] != '[' {
		return nil, bad
	}
	// walk the array without reflection: this is on the SendGrid hot path
	var l []string
	i := skipWS(raw, 1)
	for i < len(raw) && raw[i] != ']' {
		if raw[i] != '"' {
			return nil, bad
		}
		end, err := skipString(raw, i)
		if err != nil {
			return nil, bad
		}
		s, err := str("", raw[i:end])
		if err != nil {
			return nil, bad
		}
		l = append(l, s)
		i = skipWS(raw, end)
		if i < len(raw) && raw[i] == ',' {
			i = skipWS(raw, i+1)
		} else if i >= len(raw) || raw[i] != ']' {
			return nil, bad
		}
	}
	return l, nil
}

// metadataOf turns a JSON object of custom variables into strings: strings
// stay, other values keep their JSON text. A JSON string holding an object
// (double-encoded, e.g. Brevo X-Mailin-custom) is decoded first.
func metadataOf(raw json.RawMessage) (map[string]string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, err
		}
		raw = bytes.TrimSpace([]byte(s))
		if len(raw) == 0 {
			return nil, nil
		}
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return nil, errors.New("not a JSON object")
	}
	if len(obj) == 0 {
		return nil, nil
	}
	md := make(map[string]string, len(obj))
	for k, v := range obj {
		md[k] = jsonText(v)
	}
	return md, nil
}

// jsonText is a JSON value as text: strings unquoted, others compact JSON.
func jsonText(v json.RawMessage) string {
	v = bytes.TrimSpace(v)
	if len(v) > 0 && v[0] == '"' {
		var s string
		if json.Unmarshal(v, &s) == nil {
			return s
		}
	}
	if string(v) == "null" {
		return ""
	}
	var b bytes.Buffer
	if json.Compact(&b, v) == nil {
		return b.String()
	}
	return string(v)
}

// campaignTag is the campaign named by an event's tags when the provider
// has no campaign field of its own (SendGrid category, Postmark Tag,
// Mailgun, Brevo and Mandrill tags, SES message tags): the first tag.
// Providers tag a message with its campaign first; Resonanz's own metadata
// never arrives as a tag.
func campaignTag(tags []string) string {
	for _, t := range tags {
		if t = strings.TrimSpace(t); t != "" && len(t) <= 200 {
			return t
		}
	}
	return ""
}

// campaignFrom looks the configured campaign keys up in md, else native.
func campaignFrom(opt *Options, md map[string]string, native ...string) string {
	for _, k := range opt.campaignKeys() {
		if v := md[k]; v != "" {
			return v
		}
	}
	for _, v := range native {
		if v != "" {
			return v
		}
	}
	return ""
}

// bouncedKind maps an SMTP status (5.x.x / 4.x.x) to a bounce kind.
func bounceKindFromStatus(status string) string {
	switch {
	case strings.HasPrefix(status, "5"):
		return resonanz.BounceHard
	case strings.HasPrefix(status, "4"):
		return resonanz.BounceSoft
	}
	return resonanz.BounceUndetermined
}

// goKind names a Go kind in JSON words for error messages.
func goKind(k string) string {
	switch k {
	case "string":
		return "string"
	case "slice", "array":
		return "array"
	case "struct", "map":
		return "object"
	case "bool":
		return "boolean"
	case "ptr", "interface":
		return "value"
	}
	return "number"
}

// idText is an id sent as a JSON number or string; it keeps every digit
// (Mailjet's 64-bit MessageID does not fit a float64).
type idText string

// UnmarshalJSON implements json.Unmarshaler.
func (t *idText) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0 || string(b) == "null":
		*t = ""
	case b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*t = idText(s)
	case b[0] == '-' || isDigit(b[0]):
		*t = idText(b)
	default:
		return &json.UnmarshalTypeError{Value: strings.TrimPrefix(kindOf(b), "a"), Type: reflect.TypeFor[string]()}
	}
	return nil
}
