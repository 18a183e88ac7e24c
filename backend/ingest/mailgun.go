package ingest

import (
	"encoding/json"

	"github.com/resonanz/resonanz/backend/resonanz"
)

type mailgunEvent struct {
	ID        string          `json:"id"`
	Event     string          `json:"event"`
	Severity  string          `json:"severity"`
	Reason    string          `json:"reason"`
	Timestamp json.RawMessage `json:"timestamp"`
	Recipient string          `json:"recipient"`
	Tags      []string        `json:"tags"`
	Campaigns []struct {
		ID string `json:"id"`
	} `json:"campaigns"`
	UserVariables json.RawMessage `json:"user-variables"`
	URL           string          `json:"url"`
	IP            string          `json:"ip"`
	Geolocation   struct {
		Country, Region, City string
	} `json:"geolocation"`
	ClientInfo struct {
		ClientName string  `json:"client-name"`
		ClientOS   string  `json:"client-os"`
		DeviceType string  `json:"device-type"`
		UserAgent  string  `json:"user-agent"`
		Bot        *string `json:"bot"`
	} `json:"client-info"`
	Message struct {
		Headers struct {
			MessageID string `json:"message-id"`
		} `json:"headers"`
	} `json:"message"`
	DeliveryStatus struct {
		Message     string `json:"message"`
		Description string `json:"description"`
	} `json:"delivery-status"`
}

var mailgunTypes = map[string]resonanz.ReactionType{
	"accepted": resonanz.ReactionSent, "rejected": resonanz.ReactionRejected,
	"delivered": resonanz.ReactionDelivered, "opened": resonanz.ReactionOpened,
	"clicked": resonanz.ReactionClicked, "unsubscribed": resonanz.ReactionUnsubscribed,
	"complained": resonanz.ReactionComplained,
}

// mapMailgun maps an events-API item or a webhook body {signature,
// event-data}. Mailgun ids are unique only within a day, so the dedupe key
// carries the event's UTC day; a webhook event without id falls back to the
// signature token.
func mapMailgun(m *mapping, raw []byte) error {
	var env struct {
		Signature *struct {
			Token string `json:"token"`
		} `json:"signature"`
		EventData json.RawMessage `json:"event-data"`
	}
	if err := json.Unmarshal(raw, &env); err != nil {
		return jsonError(err)
	}
	kind, token := SourceEventsAPI, ""
	if len(env.EventData) > 0 && string(env.EventData) != "null" {
		kind, raw = SourceWebhook, env.EventData
		if env.Signature != nil {
			token = env.Signature.Token
		}
	}
	var e mailgunEvent
	if err := m.decode(raw, &e); err != nil {
		return jsonError(err)
	}
	ev := m.event(kind, raw)
	ev.EventRaw, ev.EmailRaw, ev.Tags, ev.URL = e.Event, e.Recipient, e.Tags, e.URL
	if e.Event == "" {
		return eventTypeMissing("event")
	}
	var err error
	if ev.OccurredAt, ev.OccurredAtRaw, err = parseTime("timestamp", e.Timestamp, unitSeconds); err != nil {
		return err
	}
	ev.Type = mailgunTypes[e.Event]
	if e.Event == "failed" {
		ev.EventRaw += "+" + e.Severity
		switch e.Severity {
		case "permanent":
			ev.Type, ev.BounceKind = resonanz.ReactionBounced, resonanz.BounceHard
			if len(e.Reason) > 9 && e.Reason[:9] == "suppress-" { // dropped by Mailgun, never sent
				ev.Type, ev.BounceKind = resonanz.ReactionRejected, ""
			}
		case "temporary":
			ev.Type = resonanz.ReactionDeferred
		}
	}
	ev.ProviderMessageID = e.Message.Headers.MessageID
	ev.RFCMessageID = e.Message.Headers.MessageID
	if ev.Metadata, err = metadataOf(e.UserVariables); err != nil {
		return fieldUnreadable("user-variables", err)
	}
	native := ""
	if len(e.Campaigns) > 0 {
		native = e.Campaigns[0].ID
	}
	ev.CampaignID = campaignFrom(m.opt, ev.Metadata, native)
	ev.GeoCountry, ev.GeoRegion, ev.GeoCity = e.Geolocation.Country, e.Geolocation.Region, e.Geolocation.City
	ci := e.ClientInfo
	ev.UserAgent, ev.ClientName, ev.ClientOS, ev.DeviceType = ci.UserAgent, ci.ClientName, ci.ClientOS, ci.DeviceType
	switch ev.Type {
	case resonanz.ReactionOpened, resonanz.ReactionClicked, resonanz.ReactionUnsubscribed, resonanz.ReactionComplained:
		ev.ClientIP = e.IP
	}
	if ev.Type == resonanz.ReactionOpened && ci.Bot != nil {
		ev.MachineOpen = ptr(*ci.Bot != "")
		ev.MachineOpenSource = "mailgun:client-info.bot"
		if *ci.Bot != "" {
			ev.MachineOpenSource += "=" + *ci.Bot
		}
	}
	ev.SMTPResponse = e.DeliveryStatus.Message
	if ev.SMTPResponse == "" {
		ev.SMTPResponse = e.DeliveryStatus.Description
	}
	switch {
	case e.ID != "":
		ev.ProviderEventID = e.ID
		ev.DedupeKey = resonanz.ProviderMailgun + ":" + ev.OccurredAt.Format("2006-01-02") + ":" + e.ID
	case token != "":
		ev.ProviderEventID = token
	}
	return m.emit(ev, "recipient")
}

// jsonError turns a decoding error into a reason naming the field.
func jsonError(err error) error {
	if te, ok := err.(*json.UnmarshalTypeError); ok {
		if te.Field != "" {
			return wrongKind(te.Field, goKind(te.Type.Kind().String()), te.Value)
		}
		return errNotObject
	}
	if se, ok := err.(*json.SyntaxError); ok {
		return resonanz.E(resonanz.EINVALID, "error.reactions.row.invalidJson", "the event cannot be read: invalid JSON at byte {offset} ({detail})", "offset", se.Offset, "detail", se.Error())
	}
	return keyed(err)
}
