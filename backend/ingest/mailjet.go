package ingest

import (
	"encoding/json"

	"github.com/resonanz/resonanz/backend/resonanz"
)

type mailjetEvent struct {
	Event          string          `json:"event"`
	Time           json.RawMessage `json:"time"`
	MessageID      idText          `json:"MessageID"` // > 2^53: kept as its digits
	MessageGUID    string          `json:"Message_GUID"`
	MJMessageID    idText          `json:"mj_message_id"`
	Email          string          `json:"email"`
	CampaignID     idText          `json:"mj_campaign_id"`
	CustomCampaign string          `json:"customcampaign"`
	CustomID       string          `json:"CustomID"`
	Payload        json.RawMessage `json:"Payload"`
	URL            string          `json:"url"`
	IP             string          `json:"ip"`
	Geo            string          `json:"geo"`
	Agent          string          `json:"agent"`
	Blocked        bool            `json:"blocked"`
	HardBounce     bool            `json:"hard_bounce"`
	Error          string          `json:"error"`
	Comment        string          `json:"comment"`
	SMTPReply      string          `json:"smtp_reply"`
}

var mailjetTypes = map[string]resonanz.ReactionType{
	"sent": resonanz.ReactionDelivered, "open": resonanz.ReactionOpened, "click": resonanz.ReactionClicked,
	"bounce": resonanz.ReactionBounced, "blocked": resonanz.ReactionRejected,
	"spam": resonanz.ReactionComplained, "unsub": resonanz.ReactionUnsubscribed,
}

// mapMailjet maps one Event API object (v1 body, or an element of a v2
// array). MessageID is decoded as a json.Number so the 64-bit id keeps
// every digit; Payload is a JSON string decoded into Metadata.
func mapMailjet(m *mapping, raw []byte) error {
	var e mailjetEvent
	if err := m.decode(raw, &e); err != nil {
		return jsonError(err)
	}
	ev := m.event(SourceWebhook, raw)
	ev.EventRaw, ev.EmailRaw, ev.URL = e.Event, e.Email, e.URL
	if e.Event == "" {
		return eventTypeMissing("event")
	}
	var err error
	if ev.OccurredAt, ev.OccurredAtRaw, err = parseTime("time", e.Time, unitSeconds); err != nil {
		return err
	}
	ev.Type = mailjetTypes[e.Event]
	switch e.Event {
	case "bounce":
		switch {
		case e.HardBounce:
			ev.BounceKind = resonanz.BounceHard
		case e.Error == "greylisted":
			ev.Type = resonanz.ReactionDeferred
		default:
			ev.BounceKind = resonanz.BounceSoft
		}
	case "blocked":
		ev.BounceKind = resonanz.BounceBlock
	}
	ev.ProviderMessageID = string(e.MessageID)
	if e.MJMessageID != "" && string(e.MJMessageID) != ev.ProviderMessageID {
		ev.MessageIDs = append(ev.MessageIDs, string(e.MJMessageID))
	}
	if ev.ProviderMessageID == "" {
		ev.ProviderMessageID = e.MessageGUID
	}
	if e.CustomCampaign != "" {
		ev.Tags = []string{e.CustomCampaign}
	}
	if md, err := metadataOf(e.Payload); err == nil {
		ev.Metadata = md
	} else if s := jsonText(e.Payload); s != "" {
		ev.Metadata = map[string]string{"Payload": s}
	}
	if e.CustomID != "" {
		if ev.Metadata == nil {
			ev.Metadata = map[string]string{}
		}
		ev.Metadata["CustomID"] = e.CustomID
	}
	ev.CampaignID = campaignFrom(m.opt, ev.Metadata, e.CustomCampaign, string(e.CampaignID))
	ev.UserAgent, ev.ClientIP, ev.GeoCountry = e.Agent, e.IP, e.Geo
	ev.SMTPResponse = first(e.SMTPReply, e.Comment, e.Error)
	return m.emit(ev, "email")
}
