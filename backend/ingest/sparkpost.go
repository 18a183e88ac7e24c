package ingest

import (
	"bytes"
	"encoding/json"
	"strconv"

	"github.com/resonanz/resonanz/backend/resonanz"
)

type sparkpostEvent struct {
	Type           string          `json:"type"`
	EventID        idText          `json:"event_id"`
	Timestamp      json.RawMessage `json:"timestamp"`
	MessageID      string          `json:"message_id"`
	TransmissionID idText          `json:"transmission_id"`
	CampaignID     string          `json:"campaign_id"`
	RcptTo         string          `json:"rcpt_to"`
	RawRcptTo      string          `json:"raw_rcpt_to"`
	RcptMeta       json.RawMessage `json:"rcpt_meta"`
	RcptTags       []string        `json:"rcpt_tags"`
	TargetLinkURL  string          `json:"target_link_url"`
	TargetLinkName string          `json:"target_link_name"`
	UserAgent      string          `json:"user_agent"`
	IPAddress      string          `json:"ip_address"`
	GeoIP          struct {
		Country, Region, City string
	} `json:"geo_ip"`
	BounceClass   idText          `json:"bounce_class"`
	RawReason     string          `json:"raw_reason"`
	Reason        string          `json:"reason"`
	InjectionTime json.RawMessage `json:"injection_time"`
}

var sparkpostTypes = map[string]resonanz.ReactionType{
	"injection": resonanz.ReactionSent, "delivery": resonanz.ReactionDelivered,
	"delay": resonanz.ReactionDeferred, "bounce": resonanz.ReactionBounced,
	"out_of_band": resonanz.ReactionBounced, "policy_rejection": resonanz.ReactionRejected,
	"generation_rejection": resonanz.ReactionRejected, "generation_failure": resonanz.ReactionFailed,
	"spam_complaint": resonanz.ReactionComplained, "open": resonanz.ReactionOpened,
	"initial_open": resonanz.ReactionOpened, "amp_open": resonanz.ReactionOpened,
	"amp_initial_open": resonanz.ReactionOpened, "click": resonanz.ReactionClicked,
	"amp_click": resonanz.ReactionClicked, "list_unsubscribe": resonanz.ReactionUnsubscribed,
	"link_unsubscribe": resonanz.ReactionUnsubscribed,
}

// sparkpostBounceKind maps SparkPost's bounce_class codes: 10, 25, 30, 90
// are hard, 50–59 blocks, 1 undetermined, the rest soft.
func sparkpostBounceKind(class string) string {
	n, err := strconv.Atoi(class)
	switch {
	case err != nil || n == 1:
		return resonanz.BounceUndetermined
	case n == 10 || n == 25 || n == 30 || n == 90:
		return resonanz.BounceHard
	case n >= 50 && n < 60:
		return resonanz.BounceBlock
	}
	return resonanz.BounceSoft
}

// mapSparkPost maps a webhook element {"msys":{"<class>":{...}}} (an empty
// msys is a ping and yields nothing) or a flat events-API result. ip_address
// is the client only on engagement events; on delivery events it is the
// remote MX.
func mapSparkPost(m *mapping, raw []byte) error {
	kind := SourceEventsAPI
	var env struct {
		Msys map[string]json.RawMessage `json:"msys"`
	}
	if bytes.Contains(raw, []byte(`"msys"`)) {
		if err := json.Unmarshal(raw, &env); err != nil {
			return jsonError(err)
		}
		if env.Msys != nil {
			if len(env.Msys) == 0 {
				return nil // ping
			}
			if len(env.Msys) > 1 {
				return resonanz.E(resonanz.EINVALID, "error.reactions.row.sparkpostClasses", "field \"msys\": expected one event class, found {count}", "count", len(env.Msys))
			}
			for _, inner := range env.Msys {
				raw = inner
			}
			kind = SourceWebhook
		}
	}
	var e sparkpostEvent
	if err := m.decode(raw, &e); err != nil {
		return jsonError(err)
	}
	ev := m.event(kind, raw)
	ev.EventRaw, ev.EmailRaw = e.Type, first(e.RawRcptTo, e.RcptTo)
	if e.Type == "" {
		return eventTypeMissing("type")
	}
	var err error
	if ev.OccurredAt, ev.OccurredAtRaw, err = parseTime("timestamp", e.Timestamp, unitSeconds); err != nil {
		return err
	}
	if len(e.InjectionTime) > 0 {
		if ev.SentAt, _, err = parseTime("injection_time", e.InjectionTime, unitSeconds); err != nil {
			return err
		}
	}
	ev.Type = sparkpostTypes[e.Type]
	ev.ProviderEventID = string(e.EventID)
	ev.ProviderMessageID = e.MessageID
	ev.Tags = e.RcptTags
	if ev.Metadata, err = metadataOf(e.RcptMeta); err != nil {
		return fieldUnreadable("rcpt_meta", err)
	}
	ev.CampaignID = campaignFrom(m.opt, ev.Metadata, e.CampaignID)
	if e.TransmissionID != "" {
		if ev.Metadata == nil {
			ev.Metadata = map[string]string{}
		}
		ev.Metadata["transmission_id"] = string(e.TransmissionID)
	}
	ev.URL, ev.LinkName = e.TargetLinkURL, e.TargetLinkName
	switch e.Type {
	case "initial_open", "amp_initial_open":
		ev.IsFirst = ptr(true)
	}
	switch ev.Type {
	case resonanz.ReactionOpened, resonanz.ReactionClicked, resonanz.ReactionUnsubscribed:
		ev.UserAgent, ev.ClientIP = e.UserAgent, e.IPAddress
		ev.GeoCountry, ev.GeoRegion, ev.GeoCity = e.GeoIP.Country, e.GeoIP.Region, e.GeoIP.City
	case resonanz.ReactionBounced:
		ev.BounceKind = sparkpostBounceKind(string(e.BounceClass))
	}
	ev.SMTPResponse = first(e.RawReason, e.Reason)
	return m.emit(ev, "raw_rcpt_to")
}
