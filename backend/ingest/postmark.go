package ingest

import (
	"encoding/json"

	"github.com/resonanz/resonanz/backend/resonanz"
)

// Go's JSON decoding matches field names case-insensitively, so MessageID
// and MessageId (postmark.js) both land here.
type postmarkEvent struct {
	RecordType        string          `json:"RecordType"`
	ID                idText          `json:"ID"`
	Type              string          `json:"Type"`
	MessageID         string          `json:"MessageID"`
	Recipient         string          `json:"Recipient"`
	Email             string          `json:"Email"`
	Tag               string          `json:"Tag"`
	Metadata          json.RawMessage `json:"Metadata"`
	DeliveredAt       json.RawMessage `json:"DeliveredAt"`
	BouncedAt         json.RawMessage `json:"BouncedAt"`
	ReceivedAt        json.RawMessage `json:"ReceivedAt"`
	ChangedAt         json.RawMessage `json:"ChangedAt"`
	Details           string          `json:"Details"`
	OriginalLink      string          `json:"OriginalLink"`
	ClickLocation     string          `json:"ClickLocation"`
	UserAgent         string          `json:"UserAgent"`
	Platform          string          `json:"Platform"`
	FirstOpen         *bool           `json:"FirstOpen"`
	SuppressSending   *bool           `json:"SuppressSending"`
	SuppressionReason string          `json:"SuppressionReason"`
	Client            struct{ Name, Family string }
	OS                struct{ Name, Family string }
	Geo               struct{ IP, CountryISOCode, Country, RegionISOCode, Region, City string }
}

// postmarkBounce maps a Bounce record's Type to the event type and kind.
func postmarkBounce(t string) (resonanz.ReactionType, string) {
	switch t {
	case "HardBounce", "BadEmailAddress":
		return resonanz.ReactionBounced, resonanz.BounceHard
	case "SoftBounce", "Undeliverable":
		return resonanz.ReactionBounced, resonanz.BounceSoft
	case "Transient", "DnsError":
		return resonanz.ReactionDeferred, ""
	case "ManuallyDeactivated", "Blocked", "SMTPApiError", "DMARCPolicy":
		return resonanz.ReactionRejected, resonanz.BounceBlock
	case "SpamComplaint":
		return resonanz.ReactionComplained, ""
	}
	return resonanz.ReactionBounced, resonanz.BounceUndetermined
}

// mapPostmark maps one webhook object, discriminated by RecordType. Only
// Bounce and SpamComplaint carry an event id (ID); the others get a
// synthetic dedupe key.
func mapPostmark(m *mapping, raw []byte) error {
	var e postmarkEvent
	if err := m.decode(raw, &e); err != nil {
		return jsonError(err)
	}
	ev := m.event(SourceWebhook, raw)
	ev.EventRaw, ev.EmailRaw, ev.ProviderMessageID = e.RecordType, e.Recipient, e.MessageID
	var ts json.RawMessage
	field := ""
	switch e.RecordType {
	case "Delivery":
		ev.Type, ts, field = resonanz.ReactionDelivered, e.DeliveredAt, "DeliveredAt"
	case "Bounce", "SpamComplaint":
		ts, field = e.BouncedAt, "BouncedAt"
		ev.EmailRaw = e.Email
		if e.RecordType == "SpamComplaint" {
			ev.Type = resonanz.ReactionComplained
		} else {
			ev.Type, ev.BounceKind = postmarkBounce(e.Type)
			ev.EventRaw += "+" + e.Type
		}
		if e.ID != "" {
			ev.ProviderEventID = string(e.ID)
		}
	case "Open":
		ev.Type, ts, field = resonanz.ReactionOpened, e.ReceivedAt, "ReceivedAt"
		ev.IsFirst = e.FirstOpen
	case "Click":
		ev.Type, ts, field = resonanz.ReactionClicked, e.ReceivedAt, "ReceivedAt"
		ev.URL = e.OriginalLink
		switch e.ClickLocation {
		case "HTML":
			ev.MimePart = "html"
		case "Text":
			ev.MimePart = "text"
		}
	case "SubscriptionChange":
		ts, field = e.ChangedAt, "ChangedAt"
		ev.Type = resonanz.ReactionUnknown
		if e.SuppressSending != nil {
			switch {
			case !*e.SuppressSending:
				ev.Type = resonanz.ReactionResubscribed
			case e.SuppressionReason == "ManualSuppression":
				ev.Type = resonanz.ReactionUnsubscribed
			}
			ev.EventRaw += "+" + e.SuppressionReason
		}
	case "":
		return eventTypeMissing("RecordType")
	default:
		for _, t := range []json.RawMessage{e.ReceivedAt, e.DeliveredAt, e.BouncedAt, e.ChangedAt} {
			if len(t) > 0 {
				ts = t
				break
			}
		}
		field = "ReceivedAt"
	}
	if ev.EmailRaw == "" && e.Email != "" {
		ev.EmailRaw = e.Email
	}
	var err error
	if ev.OccurredAt, ev.OccurredAtRaw, err = parseTime(field, ts, unitSeconds); err != nil {
		return err
	}
	if e.Tag != "" {
		ev.Tags = []string{e.Tag}
	}
	if ev.Metadata, err = metadataOf(e.Metadata); err != nil {
		return fieldUnreadable("Metadata", err)
	}
	ev.CampaignID = campaignFrom(m.opt, ev.Metadata)
	ev.SMTPResponse = e.Details
	if ev.Type == resonanz.ReactionOpened || ev.Type == resonanz.ReactionClicked {
		ev.UserAgent, ev.ClientIP = e.UserAgent, e.Geo.IP
		ev.GeoCountry, ev.GeoRegion, ev.GeoCity = first(e.Geo.CountryISOCode, e.Geo.Country), first(e.Geo.RegionISOCode, e.Geo.Region), e.Geo.City
		ev.ClientName, ev.ClientOS, ev.DeviceType = first(e.Client.Family, e.Client.Name), first(e.OS.Family, e.OS.Name), e.Platform
	}
	return m.emit(ev, emailFieldPostmark(e.RecordType))
}

func emailFieldPostmark(rt string) string {
	if rt == "Bounce" || rt == "SpamComplaint" {
		return "Email"
	}
	return "Recipient"
}

// first returns the first non-empty string.
func first(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
