package ingest

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/resonanz/resonanz/backend/resonanz"
)

// CSV fields a column can map to (CSVOptions.Columns values).
const (
	CSVEmail        = "email"
	CSVEvent        = "event"
	CSVTimestamp    = "timestamp"
	CSVURL          = "url"
	CSVMessageID    = "message_id"
	CSVRFCMessageID = "rfc_message_id"
	CSVUserAgent    = "user_agent"
	CSVIP           = "ip"
	CSVEventID      = "event_id"
	CSVCampaignID   = "campaign_id"
	CSVLinkName     = "link_name"
	CSVBounceKind   = "bounce_kind"
)

// CSVFields lists the normalized fields a CSV column can map to.
var CSVFields = []string{CSVEmail, CSVEvent, CSVTimestamp, CSVURL, CSVMessageID, CSVRFCMessageID,
	CSVUserAgent, CSVIP, CSVEventID, CSVCampaignID, CSVLinkName, CSVBounceKind}

// csvAliases maps common header names (lowercased) to fields when no
// mapping is given.
var csvAliases = map[string]string{
	"email": CSVEmail, "e-mail": CSVEmail, "email address": CSVEmail, "recipient": CSVEmail, "e-mail-adresse": CSVEmail,
	"event": CSVEvent, "event_type": CSVEvent, "type": CSVEvent, "action": CSVEvent,
	"timestamp": CSVTimestamp, "time": CSVTimestamp, "date": CSVTimestamp, "occurred_at": CSVTimestamp,
	"url": CSVURL, "link": CSVURL, "message_id": CSVMessageID, "message": CSVMessageID, "message id": CSVMessageID, "message-id": CSVMessageID, "rfc_message_id": CSVRFCMessageID,
	"user_agent": CSVUserAgent, "useragent": CSVUserAgent, "user agent": CSVUserAgent, "ip": CSVIP, "client_ip": CSVIP,
	"event_id": CSVEventID, "campaign_id": CSVCampaignID, "campaign": CSVCampaignID, "link_name": CSVLinkName,
	"bounce_kind": CSVBounceKind,
}

// CSVOptions describe a generic CSV reaction log.
type CSVOptions struct {
	// Columns maps a header (as written in the file) to one of CSVFields.
	// Nil maps headers that equal a field name or a common alias. Columns
	// not mapped go to Metadata.
	Columns map[string]string
	// Delimiter is ',', ';' or '\t'; 0 sniffs it from the header line.
	Delimiter rune
}

// csvTypes maps event names found in CSV exports to event types: the
// normalized names themselves plus the providers' own names.
var csvTypes = map[string]resonanz.ReactionType{
	"sent": resonanz.ReactionSent, "send": resonanz.ReactionSent, "processed": resonanz.ReactionSent,
	"delivered": resonanz.ReactionDelivered, "delivery": resonanz.ReactionDelivered,
	"deferred": resonanz.ReactionDeferred, "deferral": resonanz.ReactionDeferred,
	"bounced": resonanz.ReactionBounced, "bounce": resonanz.ReactionBounced,
	"hard_bounce": resonanz.ReactionBounced, "soft_bounce": resonanz.ReactionBounced,
	"rejected": resonanz.ReactionRejected, "dropped": resonanz.ReactionRejected, "blocked": resonanz.ReactionRejected,
	"opened": resonanz.ReactionOpened, "open": resonanz.ReactionOpened, "unique_opened": resonanz.ReactionOpened,
	"clicked": resonanz.ReactionClicked, "click": resonanz.ReactionClicked,
	"unsubscribed": resonanz.ReactionUnsubscribed, "unsubscribe": resonanz.ReactionUnsubscribed, "unsub": resonanz.ReactionUnsubscribed,
	"resubscribed": resonanz.ReactionResubscribed,
	"complained":   resonanz.ReactionComplained, "spam": resonanz.ReactionComplained, "spamreport": resonanz.ReactionComplained, "complaint": resonanz.ReactionComplained,
	"failed": resonanz.ReactionFailed, "error": resonanz.ReactionFailed,
}

// sniffDelimiter picks the most frequent of , ; and tab outside quotes in
// the header line (0 when none occurs).
func sniffDelimiter(line []byte) rune {
	counts := map[rune]int{',': 0, ';': 0, '\t': 0}
	inQ := false
	for _, c := range line {
		switch {
		case c == '"':
			inQ = !inQ
		case !inQ && (c == ',' || c == ';' || c == '\t'):
			counts[rune(c)]++
		}
	}
	best := rune(0)
	for _, d := range []rune{',', ';', '\t'} {
		if counts[d] > 0 && (best == 0 || counts[d] > counts[best]) {
			best = d
		}
	}
	return best
}

type csvSource struct {
	r       *csv.Reader
	opt     *Options
	header  []string
	field   []string // per column: the mapped field, or ""
	rowJSON bytes.Buffer
}

func newCSVSource(br *bufio.Reader, opt *Options) (*csvSource, error) {
	prefix, _ := br.Peek(64 << 10)
	if bytes.HasPrefix(prefix, []byte("\xEF\xBB\xBF")) {
		_, _ = br.Discard(3)
		prefix = prefix[3:]
	}
	line, _, _ := bytes.Cut(prefix, []byte("\n"))
	delim := opt.CSV.Delimiter
	if delim == 0 {
		delim = sniffDelimiter(line)
	}
	if delim == 0 {
		delim = ','
	}
	if delim != ',' && delim != ';' && delim != '\t' {
		return nil, resonanz.E(resonanz.EINVALID, "error.reactions.csvDelimiterMust", "The CSV delimiter must be a comma, a semicolon or a tab.")
	}
	r := csv.NewReader(br)
	r.Comma, r.FieldsPerRecord, r.ReuseRecord = delim, -1, true
	header, err := r.Read()
	if err == io.EOF {
		return nil, resonanz.E(resonanz.EINVALID, "error.reactions.csvFileEmpty", "The CSV file is empty.")
	} else if err != nil {
		return nil, resonanz.E(resonanz.EINVALID, "error.reactions.csvHeaderRead", "The CSV header cannot be read: {reason}.", "reason", err)
	}
	s := &csvSource{r: r, opt: opt, header: slices.Clone(header), field: make([]string, len(header))}
	for i, h := range s.header {
		h = strings.TrimSpace(h)
		s.header[i] = h
		if opt.CSV.Columns != nil {
			f, ok := opt.CSV.Columns[h]
			if !ok {
				continue
			}
			if !slices.Contains(CSVFields, f) {
				return nil, resonanz.E(resonanz.EINVALID, "error.reactions.columnMappedWhich", "Column \"{column}\" is mapped to \"{value}\", which is not a field; use one of {fields}.", "column", h, "value", f, "fields", strings.Join(CSVFields, ", "))
			}
			s.field[i] = f
		} else {
			s.field[i] = csvAliases[strings.ToLower(h)]
		}
	}
	if opt.CSV.Columns != nil {
		for h := range opt.CSV.Columns {
			if !slices.Contains(s.header, h) {
				return nil, resonanz.E(resonanz.EINVALID, "error.reactions.mappingNamesColumn", "The mapping names column \"{h}\", which the CSV header does not have.", "h", h)
			}
		}
	}
	for _, need := range []string{CSVEmail, CSVEvent, CSVTimestamp} {
		if n := count(s.field, need); n == 0 {
			return nil, resonanz.E(resonanz.EINVALID, "error.reactions.csvColumnMapped", "No CSV column is mapped to \"{need}\"; map one of the columns {reasons}.", "need", need, "reasons", strings.Join(s.header, ", "))
		} else if n > 1 {
			return nil, resonanz.E(resonanz.EINVALID, "error.reactions.severalCsvColumns", "Several CSV columns are mapped to \"{need}\"; map only one.", "need", need)
		}
	}
	return s, nil
}

func count(l []string, v string) int {
	n := 0
	for _, x := range l {
		if x == v {
			n++
		}
	}
	return n
}

// next reads one CSV row into an event: line numbers are the file's.
func (s *csvSource) next() (resonanz.ProviderEvent, error) {
	rec, err := s.r.Read()
	if err == io.EOF {
		return resonanz.ProviderEvent{}, io.EOF
	}
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return resonanz.ProviderEvent{}, rowError(unit{line: pe.StartLine}, resonanz.E(resonanz.EINVALID, "error.reactions.row.csvUnreadable", "the CSV row cannot be read: {detail}", "detail", pe.Err))
		}
		return resonanz.ProviderEvent{}, fmt.Errorf("ingest: read csv: %w", err)
	}
	line, _ := s.r.FieldPos(0)
	if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
		return s.next() // blank line
	}
	ev := resonanz.ProviderEvent{Provider: resonanz.ProviderCSV, SourceKind: SourceCSV, Line: line}
	s.rowJSON.Reset()
	s.rowJSON.WriteByte('{')
	var tsRaw string
	for i, v := range rec {
		if i >= len(s.header) {
			return ev, rowError(unit{line: line}, resonanz.E(resonanz.EINVALID, "error.reactions.row.csvFields", "the row has {fields} fields, the header only {header}", "fields", len(rec), "header", len(s.header)))
		}
		if i > 0 {
			s.rowJSON.WriteByte(',')
		}
		k, _ := json.Marshal(s.header[i])
		val, _ := json.Marshal(v)
		s.rowJSON.Write(k)
		s.rowJSON.WriteByte(':')
		s.rowJSON.Write(val)
		v = strings.TrimSpace(v)
		switch s.field[i] {
		case CSVEmail:
			ev.EmailRaw = v
		case CSVEvent:
			ev.EventRaw = v
		case CSVTimestamp:
			tsRaw = v
		case CSVURL:
			ev.URL = v
		case CSVMessageID:
			ev.ProviderMessageID = v
		case CSVRFCMessageID:
			ev.RFCMessageID = v
		case CSVUserAgent:
			ev.UserAgent = v
		case CSVIP:
			ev.ClientIP = v
		case CSVEventID:
			ev.ProviderEventID = v
		case CSVCampaignID:
			ev.CampaignID = v
		case CSVLinkName:
			ev.LinkName = v
		case CSVBounceKind:
			ev.BounceKind = strings.ToLower(v)
		default:
			if v != "" {
				if ev.Metadata == nil {
					ev.Metadata = map[string]string{}
				}
				ev.Metadata[s.header[i]] = v
			}
		}
	}
	s.rowJSON.WriteByte('}')
	ev.Raw = append(json.RawMessage(nil), s.rowJSON.Bytes()...)
	if ev.EventRaw == "" {
		return ev, rowError(unit{line: line}, resonanz.E(resonanz.EINVALID, "error.reactions.row.csvEventEmpty", "column \"{column}\": the event name is empty", "column", s.headerOf(CSVEvent)))
	}
	t, err := parseTimeString(tsRaw, unitAuto)
	if err != nil {
		return ev, rowError(unit{line: line}, columnTimeError(s.headerOf(CSVTimestamp), err))
	}
	ev.OccurredAt, ev.OccurredAtRaw = t, tsRaw
	ev.Type = csvTypes[strings.ToLower(ev.EventRaw)]
	switch strings.ToLower(ev.EventRaw) {
	case "hard_bounce":
		ev.BounceKind = resonanz.BounceHard
	case "soft_bounce":
		ev.BounceKind = resonanz.BounceSoft
	}
	if ev.Type != resonanz.ReactionOpened && ev.Type != resonanz.ReactionClicked && ev.Type != resonanz.ReactionUnsubscribed {
		ev.ClientIP = "" // on delivery rows an ip column is the sending MTA's
	}
	if ev.CampaignID == "" {
		ev.CampaignID = campaignFrom(s.opt, ev.Metadata)
	}
	if err := finish(&ev, s.opt, s.headerOf(CSVEmail)); err != nil {
		return ev, rowError(unit{line: line}, err)
	}
	return ev, nil
}

func (s *csvSource) headerOf(field string) string {
	if i := slices.Index(s.field, field); i >= 0 {
		return s.header[i]
	}
	return field
}
