package ingest

import (
	"bytes"

	"github.com/resonanz/resonanz/backend/resonanz"
)

// sendgridKnown are the SendGrid event fields that are not custom args
// (after anymail's list); every other top-level key is a custom argument
// and goes to Metadata.
var sendgridKnown = map[string]bool{
	"tls": true, "cert_err": true, "attempt": true, "send_at": true, "sg_content_type": true,
	"sg_template_id": true, "sg_template_name": true, "pool": true, "newsletter": true, "post_type": true,
	"singlesend_id": true, "singlesend_name": true, "template_id": true, "template_version_id": true,
	"template_hash": true, "mc_stats": true, "phase_id": true, "sg_user_id": true, "asm_group_id": true,
	"marketing_campaign_version": true, "marketing_campaign_split_id": true, "ip_pool_name": true,
	"ip_pool_id": true, "sg_machine_open": true, "bounce_classification": true, "url_offset": true,
}

var sendgridTypes = map[string]resonanz.ReactionType{
	"processed": resonanz.ReactionSent, "dropped": resonanz.ReactionRejected,
	"delivered": resonanz.ReactionDelivered, "deferred": resonanz.ReactionDeferred,
	"bounce": resonanz.ReactionBounced, "open": resonanz.ReactionOpened, "click": resonanz.ReactionClicked,
	"spamreport": resonanz.ReactionComplained, "unsubscribe": resonanz.ReactionUnsubscribed,
	"group_unsubscribe": resonanz.ReactionUnsubscribed, "group_resubscribe": resonanz.ReactionResubscribed,
}

// sendgridClass maps bounce_classification to a bounce kind.
var sendgridClass = map[string]string{
	"Invalid Address": resonanz.BounceHard, "Mailbox Unavailable": resonanz.BounceSoft,
	"Technical": resonanz.BounceSoft, "Content": resonanz.BounceBlock, "Reputation": resonanz.BounceBlock,
	"Frequency or Volume": resonanz.BounceBlock, "Unclassified": resonanz.BounceUndetermined,
}

// mapSendGrid maps one Event Webhook object. It walks the fields once
// without a map (the hot path of big imports); unknown top-level keys are
// custom args. The ip field is the client only on engagement events: on
// delivery events it is SendGrid's sending IP and is dropped.
func mapSendGrid(m *mapping, raw []byte) error {
	ev := m.event(SourceWebhook, raw)
	var (
		typ, class, status string
		ts, category       []byte
		ip                 string
		md                 map[string]string
		err                error
	)
	ferr := eachField(raw, func(k, v []byte) error {
		switch string(k) {
		case "email":
			ev.EmailRaw, err = str("email", v)
		case "event":
			ev.EventRaw, err = str("event", v)
		case "timestamp":
			ts = v
		case "type":
			typ, err = str("type", v)
		case "sg_event_id":
			ev.ProviderEventID, err = scalarText("sg_event_id", v)
		case "sg_message_id":
			ev.ProviderMessageID, err = str("sg_message_id", v)
		case "smtp-id":
			ev.RFCMessageID, err = str("smtp-id", v)
		case "category":
			category = v
		case "url":
			ev.URL, err = str("url", v)
		case "url_offset":
			if len(v) > 0 && v[0] == '{' {
				if eachField(v, func(k, v []byte) error {
					var err error
					switch string(k) {
					case "index":
						ev.LinkName, err = scalarText("url_offset.index", v)
					case "type":
						ev.MimePart, err = str("url_offset.type", v)
					}
					return err
				}) != nil {
					return resonanz.E(resonanz.EINVALID, "error.reactions.row.urlOffset", "field \"url_offset\": expected an object with index and type")
				}
			}
		case "useragent":
			ev.UserAgent, err = str("useragent", v)
		case "ip":
			ip, err = str("ip", v)
		case "sg_machine_open":
			switch string(v) {
			case "true", "false":
				ev.MachineOpen, ev.MachineOpenSource = ptr(v[0] == 't'), "sendgrid:sg_machine_open"
			case "null":
			default:
				return wrongKind("sg_machine_open", "boolean", kindOf(v))
			}
		case "reason":
			var s string
			s, err = str("reason", v)
			if s != "" {
				ev.SMTPResponse = s
			}
		case "response":
			var s string
			s, err = str("response", v)
			if s != "" && ev.SMTPResponse == "" {
				ev.SMTPResponse = s
			}
		case "status":
			status, err = scalarText("status", v)
		case "bounce_classification":
			class, err = str("bounce_classification", v)
		case "marketing_campaign_id":
			if ev.CampaignID == "" {
				ev.CampaignID, err = scalarText("marketing_campaign_id", v)
			}
		case "marketing_campaign_name":
		default:
			if sendgridKnown[string(k)] {
				return nil
			}
			if md == nil {
				md = make(map[string]string, 4)
			}
			md[string(k)] = valueText(v)
		}
		return err
	})
	if ferr != nil {
		return ferr
	}
	if ev.EventRaw == "" {
		return eventTypeMissing("event")
	}
	if ev.OccurredAt, ev.OccurredAtRaw, err = parseTime("timestamp", ts, unitSeconds); err != nil {
		return err
	}
	if ev.Tags, err = stringList(category); err != nil {
		// An optional field: the event is kept without its categories.
		ev.Tags = nil
		ev.Warnings = append(ev.Warnings, resonanz.T("error.reactions.warning.categoryLeftOut", "field \"category\": not a string or a list of strings; left out"))
	}
	ev.Type = sendgridTypes[ev.EventRaw]
	switch ev.Type {
	case resonanz.ReactionOpened, resonanz.ReactionClicked, resonanz.ReactionUnsubscribed, resonanz.ReactionResubscribed, resonanz.ReactionComplained:
		ev.ClientIP = ip
	}
	if ev.EventRaw == "bounce" {
		if typ != "" {
			ev.EventRaw += "+" + typ
		}
		if typ == "blocked" {
			ev.Type, ev.BounceKind = resonanz.ReactionRejected, resonanz.BounceBlock
		} else if k, ok := sendgridClass[class]; ok {
			ev.BounceKind = k
		} else {
			ev.BounceKind = bounceKindFromStatus(status)
		}
	}
	ev.SMTPStatus = status
	ev.Metadata = md
	ev.CampaignID = campaignFrom(m.opt, md, ev.CampaignID)
	return m.emit(ev, "email")
}

// valueText is a raw JSON value as text: strings unquoted, other values as
// written.
func valueText(v []byte) string {
	if len(v) > 0 && v[0] == '"' {
		if s, err := str("", v); err == nil {
			return s
		}
	}
	if bytes.Equal(v, []byte("null")) {
		return ""
	}
	if len(v) > 0 && (v[0] == '{' || v[0] == '[') {
		return jsonText(v)
	}
	return string(v)
}
