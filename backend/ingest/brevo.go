package ingest

import (
	"bytes"
	"encoding/json"

	"github.com/resonanz/resonanz/backend/resonanz"
)

type brevoEvent struct {
	Event     string          `json:"event"`
	Email     string          `json:"email"`
	TsEpoch   json.RawMessage `json:"ts_epoch"`
	TsEvent   json.RawMessage `json:"ts_event"`
	Ts        json.RawMessage `json:"ts"`
	MessageID string          `json:"message-id"`
	Custom    json.RawMessage `json:"X-Mailin-custom"`
	Tags      []string        `json:"tags"`
	Tag       string          `json:"tag"`
	Link      string          `json:"link"`
	URL       string          `json:"URL"` // marketing webhooks
	CampID    idText          `json:"camp_id"`
	Reason    string          `json:"reason"`
	// sending_ip is Brevo's own MTA: deliberately not decoded.
}

var brevoTypes = map[string]resonanz.ReactionType{
	"request": resonanz.ReactionSent, "delivered": resonanz.ReactionDelivered,
	"hard_bounce": resonanz.ReactionBounced, "soft_bounce": resonanz.ReactionBounced,
	"invalid_email": resonanz.ReactionBounced, "blocked": resonanz.ReactionRejected,
	"deferred": resonanz.ReactionDeferred, "spam": resonanz.ReactionComplained,
	"complaint": resonanz.ReactionComplained, "error": resonanz.ReactionFailed,
	"opened": resonanz.ReactionOpened, "unique_opened": resonanz.ReactionOpened,
	"proxy_open": resonanz.ReactionOpened, "unique_proxy_open": resonanz.ReactionOpened,
	"click": resonanz.ReactionClicked, "unsubscribed": resonanz.ReactionUnsubscribed,
	"unsubscribe": resonanz.ReactionUnsubscribed,
}

// mapBrevo maps one transactional (or marketing) webhook object. The time is
// ts_epoch in milliseconds, else ts_event/ts in seconds; X-Mailin-custom is
// a JSON string decoded into Metadata; sending_ip is never a client IP.
// Brevo has no event id, so the dedupe key is synthetic.
func mapBrevo(m *mapping, raw []byte) error {
	var e brevoEvent
	if err := m.decode(raw, &e); err != nil {
		return jsonError(err)
	}
	ev := m.event(SourceWebhook, raw)
	ev.EventRaw, ev.EmailRaw, ev.URL = e.Event, e.Email, first(e.Link, e.URL)
	if e.Event == "" {
		return eventTypeMissing("event")
	}
	var err error
	switch {
	case len(e.TsEpoch) > 0 && string(e.TsEpoch) != "null":
		ev.OccurredAt, ev.OccurredAtRaw, err = parseTime("ts_epoch", e.TsEpoch, unitMillis)
	case len(e.TsEvent) > 0 && string(e.TsEvent) != "null":
		ev.OccurredAt, ev.OccurredAtRaw, err = parseTime("ts_event", e.TsEvent, unitSeconds)
	default:
		ev.OccurredAt, ev.OccurredAtRaw, err = parseTime("ts_epoch", e.Ts, unitSeconds)
	}
	if err != nil {
		return err
	}
	ev.Type = brevoTypes[e.Event]
	switch e.Event {
	case "hard_bounce", "invalid_email":
		ev.BounceKind = resonanz.BounceHard
	case "soft_bounce":
		ev.BounceKind = resonanz.BounceSoft
	case "blocked":
		ev.BounceKind = resonanz.BounceBlock
	case "unique_opened":
		ev.IsFirst = ptr(true)
	case "proxy_open":
		ev.MachineOpen, ev.MachineOpenSource = ptr(true), "brevo:proxy_open"
	case "unique_proxy_open":
		ev.IsFirst = ptr(true)
		ev.MachineOpen, ev.MachineOpenSource = ptr(true), "brevo:proxy_open"
	}
	ev.ProviderMessageID, ev.RFCMessageID = e.MessageID, e.MessageID
	ev.Tags = e.Tags
	if len(ev.Tags) == 0 && e.Tag != "" {
		if t := bytes.TrimSpace([]byte(e.Tag)); len(t) > 0 && t[0] == '[' { // "tag" may be a JSON-encoded array
			_ = json.Unmarshal(t, &ev.Tags)
		}
		if len(ev.Tags) == 0 {
			ev.Tags = []string{e.Tag}
		}
	}
	if md, err := metadataOf(e.Custom); err == nil {
		ev.Metadata = md
	} else if s := jsonText(e.Custom); s != "" {
		ev.Metadata = map[string]string{"X-Mailin-custom": s} // a plain header value, not JSON
	}
	ev.CampaignID = campaignFrom(m.opt, ev.Metadata, string(e.CampID))
	ev.SMTPResponse = trimSpace(e.Reason)
	return m.emit(ev, "email")
}

func trimSpace(s string) string { return string(bytes.TrimSpace([]byte(s))) }
