package ingest

import (
	"bytes"
	"encoding/json"
	"maps"
	"net/mail"
	"slices"
	"strings"

	"github.com/resonanz/resonanz/backend/resonanz"
)

type sesRecipient struct {
	EmailAddress   string `json:"emailAddress"`
	Status         string `json:"status"`
	DiagnosticCode string `json:"diagnosticCode"`
}

type sesRecord struct {
	EventType        string `json:"eventType"`
	NotificationType string `json:"notificationType"`
	Mail             struct {
		Timestamp     json.RawMessage `json:"timestamp"`
		MessageID     string          `json:"messageId"`
		Destination   []string        `json:"destination"`
		CommonHeaders struct {
			MessageID string   `json:"messageId"`
			To        []string `json:"to"`
		} `json:"commonHeaders"`
		Tags map[string][]string `json:"tags"`
	} `json:"mail"`
	Bounce *struct {
		BounceType        string          `json:"bounceType"`
		BounceSubType     string          `json:"bounceSubType"`
		BouncedRecipients []sesRecipient  `json:"bouncedRecipients"`
		Timestamp         json.RawMessage `json:"timestamp"`
		FeedbackID        string          `json:"feedbackId"`
	} `json:"bounce"`
	Complaint *struct {
		ComplainedRecipients []sesRecipient  `json:"complainedRecipients"`
		Timestamp            json.RawMessage `json:"timestamp"`
		FeedbackID           string          `json:"feedbackId"`
	} `json:"complaint"`
	Delivery *struct {
		Timestamp    json.RawMessage `json:"timestamp"`
		Recipients   []string        `json:"recipients"`
		SMTPResponse string          `json:"smtpResponse"`
	} `json:"delivery"`
	DeliveryDelay *struct {
		Timestamp         json.RawMessage `json:"timestamp"`
		DelayedRecipients []sesRecipient  `json:"delayedRecipients"`
	} `json:"deliveryDelay"`
	Open *struct {
		Timestamp json.RawMessage `json:"timestamp"`
		IPAddress string          `json:"ipAddress"`
		UserAgent string          `json:"userAgent"`
	} `json:"open"`
	Click *struct {
		Timestamp json.RawMessage     `json:"timestamp"`
		IPAddress string              `json:"ipAddress"`
		UserAgent string              `json:"userAgent"`
		Link      string              `json:"link"`
		LinkTags  map[string][]string `json:"linkTags"`
	} `json:"click"`
	Reject *struct {
		Reason string `json:"reason"`
	} `json:"reject"`
	Subscription *struct {
		Timestamp json.RawMessage `json:"timestamp"`
	} `json:"subscription"`
}

var sesTypes = map[string]resonanz.ReactionType{
	"Send": resonanz.ReactionSent, "Reject": resonanz.ReactionRejected, "Bounce": resonanz.ReactionBounced,
	"Complaint": resonanz.ReactionComplained, "Delivery": resonanz.ReactionDelivered,
	"Open": resonanz.ReactionOpened, "Click": resonanz.ReactionClicked,
	"Rendering Failure": resonanz.ReactionFailed, "DeliveryDelay": resonanz.ReactionDeferred,
	"Subscription": resonanz.ReactionUnsubscribed,
}

// mapSES maps an SNS notification (whose Message is the SES record as a
// JSON string) or a bare record (Firehose line). It fans out to one event
// per recipient; Open/Click name only mail.destination, so with several
// addresses each row is marked RecipientAmbiguous.
func mapSES(m *mapping, raw []byte) error {
	var env struct {
		Type      string          `json:"Type"`
		MessageID string          `json:"MessageId"`
		Message   *string         `json:"Message"`
		Timestamp json.RawMessage `json:"Timestamp"`
	}
	if err := json.Unmarshal(raw, &env); err != nil {
		return jsonError(err)
	}
	kind, eventID := SourceFirehose, ""
	if env.Type != "" && env.Message != nil {
		if env.Type != "Notification" {
			return resonanz.E(resonanz.EINVALID, "error.reactions.row.snsNotEvent", "field \"Type\": SNS {type} message is not an event (confirm the subscription through its SubscribeURL)", "type", env.Type)
		}
		kind, eventID = SourceSNS, env.MessageID
		raw = []byte(*env.Message)
		if d := nesting(raw); d > m.opt.MaxDepth {
			return resonanz.E(resonanz.EINVALID, "error.reactions.row.snsTooDeep", "field \"Message\": nested {depth} levels deep, more than the limit of {max}", "depth", d, "max", m.opt.MaxDepth)
		}
		if !json.Valid(raw) {
			return resonanz.E(resonanz.EINVALID, "error.reactions.row.snsNotRecord", "field \"Message\": the SNS message is not a JSON SES event record")
		}
	}
	var r sesRecord
	if err := m.decode(raw, &r); err != nil {
		if kind == SourceSNS {
			return within(`field "Message": `, jsonError(err))
		}
		return jsonError(err)
	}
	name := first(r.EventType, r.NotificationType)
	if name == "" {
		return eventTypeMissing("eventType")
	}
	base := m.event(kind, raw)
	base.EventRaw, base.Type = name, sesTypes[name]
	base.ProviderMessageID, base.RFCMessageID = r.Mail.MessageID, r.Mail.CommonHeaders.MessageID
	var err error
	if len(r.Mail.Timestamp) > 0 {
		if base.SentAt, _, err = parseTime("mail.timestamp", r.Mail.Timestamp, unitSeconds); err != nil {
			return err
		}
	}
	base.Metadata = map[string]string{}
	for _, k := range slices.Sorted(maps.Keys(r.Mail.Tags)) {
		vals := r.Mail.Tags[k]
		base.Metadata[k] = strings.Join(vals, ",")
		if !strings.HasPrefix(k, "ses:") {
			base.Tags = append(base.Tags, vals...)
		}
	}
	if len(base.Metadata) == 0 {
		base.Metadata = nil
	}
	base.CampaignID = campaignFrom(m.opt, base.Metadata)

	var rcpts []sesRecipient
	ts, tsField := r.Mail.Timestamp, "mail.timestamp"
	emailField := "mail.destination"
	dest := func() {
		for _, d := range r.Mail.Destination {
			rcpts = append(rcpts, sesRecipient{EmailAddress: d})
		}
	}
	switch {
	case r.Bounce != nil && name == "Bounce":
		rcpts, ts, tsField = r.Bounce.BouncedRecipients, r.Bounce.Timestamp, "bounce.timestamp"
		emailField = "bounce.bouncedRecipients.emailAddress"
		base.EventRaw += "+" + r.Bounce.BounceType
		switch r.Bounce.BounceType {
		case "Permanent":
			base.BounceKind = resonanz.BounceHard
		case "Transient":
			base.BounceKind = resonanz.BounceSoft
		default:
			base.BounceKind = resonanz.BounceUndetermined
		}
		if r.Bounce.FeedbackID != "" && eventID == "" {
			eventID = r.Bounce.FeedbackID
		}
	case r.Complaint != nil && name == "Complaint":
		rcpts, ts, tsField = r.Complaint.ComplainedRecipients, r.Complaint.Timestamp, "complaint.timestamp"
		emailField = "complaint.complainedRecipients.emailAddress"
		if r.Complaint.FeedbackID != "" && eventID == "" {
			eventID = r.Complaint.FeedbackID
		}
	case r.Delivery != nil && name == "Delivery":
		for _, d := range r.Delivery.Recipients {
			rcpts = append(rcpts, sesRecipient{EmailAddress: d})
		}
		ts, tsField, emailField = r.Delivery.Timestamp, "delivery.timestamp", "delivery.recipients"
		base.SMTPResponse = r.Delivery.SMTPResponse
	case r.DeliveryDelay != nil && name == "DeliveryDelay":
		rcpts, ts, tsField = r.DeliveryDelay.DelayedRecipients, r.DeliveryDelay.Timestamp, "deliveryDelay.timestamp"
		emailField = "deliveryDelay.delayedRecipients.emailAddress"
	case r.Open != nil && name == "Open":
		dest()
		ts, tsField = r.Open.Timestamp, "open.timestamp"
		base.ClientIP, base.UserAgent = r.Open.IPAddress, r.Open.UserAgent
	case r.Click != nil && name == "Click":
		dest()
		ts, tsField = r.Click.Timestamp, "click.timestamp"
		base.ClientIP, base.UserAgent, base.URL = r.Click.IPAddress, r.Click.UserAgent, r.Click.Link
		if v := r.Click.LinkTags["link_name"]; len(v) > 0 {
			base.LinkName = v[0]
		}
		if v := r.Click.LinkTags["link_kind"]; len(v) > 0 && (v[0] == resonanz.LinkText || v[0] == resonanz.LinkImage) {
			base.LinkKind = v[0]
		}
	case r.Subscription != nil && name == "Subscription":
		dest()
		ts, tsField = r.Subscription.Timestamp, "subscription.timestamp"
	default:
		if r.Reject != nil {
			base.SMTPResponse = r.Reject.Reason
		}
		dest()
	}
	if t := bytes.TrimSpace(ts); len(t) == 0 || string(t) == "null" {
		// No event time: the SNS envelope's Timestamp, else the mail's.
		switch {
		case len(env.Timestamp) > 0 && string(env.Timestamp) != "null":
			base.Warnings = append(base.Warnings, resonanz.T("error.reactions.warning.snsTimestamp", "field \"{field}\": the event time is missing; the SNS Timestamp is used", "field", tsField))
			ts, tsField = env.Timestamp, "Timestamp"
		case len(r.Mail.Timestamp) > 0 && tsField != "mail.timestamp":
			base.Warnings = append(base.Warnings, resonanz.T("error.reactions.warning.mailTimestamp", "field \"{field}\": the event time is missing; mail.timestamp is used", "field", tsField))
			ts, tsField = r.Mail.Timestamp, "mail.timestamp"
		}
	}
	if base.OccurredAt, base.OccurredAtRaw, err = parseTime(tsField, ts, unitSeconds); err != nil {
		return err
	}
	if len(rcpts) == 0 && len(r.Mail.CommonHeaders.To) > 0 {
		// No recipient in the record: the message's To header.
		for _, to := range r.Mail.CommonHeaders.To {
			if addr, err := mail.ParseAddress(to); err == nil {
				rcpts = append(rcpts, sesRecipient{EmailAddress: addr.Address})
			}
		}
		if len(rcpts) > 0 {
			base.Warnings = append(base.Warnings, resonanz.T("error.reactions.warning.toHeader", "field \"{field}\": no recipient; the To header is used", "field", emailField))
			emailField = "mail.commonHeaders.to"
		}
	}
	if len(rcpts) == 0 {
		return resonanz.E(resonanz.EINVALID, "error.reactions.row.noRecipient", "field \"{field}\": the record names no recipient", "field", emailField)
	}
	ambiguous := len(rcpts) > 1 && (name == "Open" || name == "Click")
	for _, rc := range rcpts {
		ev := base
		ev.EmailRaw, ev.RecipientAmbiguous = rc.EmailAddress, ambiguous
		if rc.Status != "" {
			ev.SMTPStatus = rc.Status
		}
		if rc.DiagnosticCode != "" {
			ev.SMTPResponse = rc.DiagnosticCode
		}
		ev.ProviderEventID = eventID
		if eventID != "" && len(rcpts) > 1 {
			// one provider event, several rows: the key names the recipient
			ev.DedupeKey = resonanz.ProviderSES + ":" + eventID + ":" + strings.ToLower(strings.TrimSpace(rc.EmailAddress))
		}
		if err := m.emit(ev, emailField); err != nil {
			return err
		}
	}
	return nil
}
