package ingest

import (
	"encoding/json"

	"github.com/resonanz/resonanz/backend/resonanz"
)

// mandrillEvent deliberately leaves out msg.opens, msg.clicks and
// msg.smtp_events: they repeat the whole history on every event, and only
// the top-level event counts.
type mandrillEvent struct {
	Event     string          `json:"event"`
	Type      string          `json:"type"` // sync events
	ID        string          `json:"_id"`
	Ts        json.RawMessage `json:"ts"`
	URL       string          `json:"url"`
	IP        string          `json:"ip"`
	UserAgent string          `json:"user_agent"`
	UAParsed  *struct {
		UAFamily string `json:"ua_family"`
		OSFamily string `json:"os_family"`
		Mobile   bool   `json:"mobile"`
	} `json:"user_agent_parsed"`
	Location *struct {
		CountryShort string `json:"country_short"`
		Country      string `json:"country"`
		Region       string `json:"region"`
		City         string `json:"city"`
	} `json:"location"`
	Msg *struct {
		Ts         json.RawMessage `json:"ts"`
		ID         string          `json:"_id"`
		Email      string          `json:"email"`
		Tags       []string        `json:"tags"`
		Metadata   json.RawMessage `json:"metadata"`
		Diag       string          `json:"diag"`
		BounceDesc string          `json:"bounce_description"`
	} `json:"msg"`
}

var mandrillTypes = map[string]resonanz.ReactionType{
	"send": resonanz.ReactionSent, "deferral": resonanz.ReactionDeferred,
	"hard_bounce": resonanz.ReactionBounced, "soft_bounce": resonanz.ReactionBounced,
	"delivered": resonanz.ReactionDelivered, "open": resonanz.ReactionOpened,
	"click": resonanz.ReactionClicked, "spam": resonanz.ReactionComplained,
	"unsub": resonanz.ReactionUnsubscribed, "reject": resonanz.ReactionRejected,
}

// mapMandrill maps one element of the mandrill_events array. _id is the
// message id, not an event id, so the dedupe key is synthetic.
func mapMandrill(m *mapping, raw []byte) error {
	var e mandrillEvent
	if err := m.decode(raw, &e); err != nil {
		return jsonError(err)
	}
	if e.Event == "" && e.Type != "" {
		return resonanz.E(resonanz.EINVALID, "error.reactions.row.mandrillSync", "field \"type\": Mandrill sync event \"{type}\" (allow/deny list change) is not a message event", "type", e.Type)
	}
	if e.Event == "" {
		return eventTypeMissing("event")
	}
	if e.Msg == nil {
		return resonanz.E(resonanz.EINVALID, "error.reactions.row.mandrillMsg", "field \"msg\": the message object is missing")
	}
	ev := m.event(SourceWebhook, raw)
	ev.EventRaw, ev.EmailRaw, ev.URL = e.Event, e.Msg.Email, e.URL
	var err error
	if ev.OccurredAt, ev.OccurredAtRaw, err = parseTime("ts", e.Ts, unitSeconds); err != nil {
		return err
	}
	if len(e.Msg.Ts) > 0 && string(e.Msg.Ts) != "null" {
		if ev.SentAt, _, err = parseTime("msg.ts", e.Msg.Ts, unitSeconds); err != nil {
			return err
		}
	}
	ev.Type = mandrillTypes[e.Event]
	switch e.Event {
	case "hard_bounce":
		ev.BounceKind = resonanz.BounceHard
	case "soft_bounce":
		ev.BounceKind = resonanz.BounceSoft
	}
	ev.ProviderMessageID = first(e.ID, e.Msg.ID)
	ev.Tags = e.Msg.Tags
	if ev.Metadata, err = metadataOf(e.Msg.Metadata); err != nil {
		return fieldUnreadable("msg.metadata", err)
	}
	ev.CampaignID = campaignFrom(m.opt, ev.Metadata)
	ev.UserAgent, ev.ClientIP = e.UserAgent, e.IP
	if e.UAParsed != nil {
		ev.ClientName, ev.ClientOS = e.UAParsed.UAFamily, e.UAParsed.OSFamily
		if e.UAParsed.Mobile {
			ev.DeviceType = "mobile"
		}
	}
	if l := e.Location; l != nil {
		ev.GeoCountry, ev.GeoRegion, ev.GeoCity = first(l.CountryShort, l.Country), l.Region, l.City
	}
	if ev.Type == resonanz.ReactionBounced || ev.Type == resonanz.ReactionDeferred || ev.Type == resonanz.ReactionRejected {
		ev.SMTPResponse = e.Msg.Diag
	}
	return m.emit(ev, "msg.email")
}
