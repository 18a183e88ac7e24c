package ingest

import (
	"encoding/json"
	"fmt"

	"github.com/resonanz/resonanz/backend/resonanz"
)

type mailchimpEmail struct {
	CampaignID   string            `json:"campaign_id"`
	ListID       string            `json:"list_id"`
	EmailID      string            `json:"email_id"`
	EmailAddress string            `json:"email_address"`
	Activity     []json.RawMessage `json:"activity"`
}

type mailchimpActivity struct {
	Action    string          `json:"action"`
	Type      string          `json:"type"`
	Timestamp json.RawMessage `json:"timestamp"`
	URL       string          `json:"url"`
	IP        string          `json:"ip"`
}

var mailchimpTypes = map[string]resonanz.ReactionType{
	"open": resonanz.ReactionOpened, "click": resonanz.ReactionClicked, "bounce": resonanz.ReactionBounced,
}

// mapMailchimp maps one element of a report's emails array into one event
// per activity entry. The report has no event ids and no delivered events;
// the message is named by campaign_id:email_id.
func mapMailchimp(m *mapping, raw []byte) error {
	var e mailchimpEmail
	if err := m.decode(raw, &e); err != nil {
		return jsonError(err)
	}
	for i, a := range e.Activity {
		var act mailchimpActivity
		if err := m.decode(a, &act); err != nil {
			return within(fmt.Sprintf("field \"activity\": entry %d: ", i+1), jsonError(err))
		}
		ev := m.event(SourceAPIReport, a)
		ev.EventRaw, ev.EmailRaw, ev.URL, ev.CampaignID = act.Action, e.EmailAddress, act.URL, e.CampaignID
		if act.Action == "" {
			return resonanz.E(resonanz.EINVALID, "error.reactions.row.activityAction", "field \"activity\": entry {entry}: the action is missing", "entry", i+1)
		}
		var err error
		if ev.OccurredAt, ev.OccurredAtRaw, err = parseTime("activity.timestamp", act.Timestamp, unitSeconds); err != nil {
			return within(fmt.Sprintf("field \"activity\": entry %d: ", i+1), err)
		}
		ev.Type = mailchimpTypes[act.Action]
		if act.Action == "bounce" {
			ev.EventRaw += "+" + act.Type
			switch act.Type {
			case "hard":
				ev.BounceKind = resonanz.BounceHard
			case "soft":
				ev.BounceKind = resonanz.BounceSoft
			default:
				ev.BounceKind = resonanz.BounceUndetermined
			}
		}
		if e.CampaignID != "" || e.EmailID != "" {
			ev.ProviderMessageID = e.CampaignID + ":" + e.EmailID
		}
		if ev.Type == resonanz.ReactionOpened || ev.Type == resonanz.ReactionClicked {
			ev.ClientIP = act.IP
		}
		if e.ListID != "" {
			ev.Metadata = map[string]string{"list_id": e.ListID}
		}
		if err := m.emit(ev, "email_address"); err != nil {
			return err
		}
	}
	return nil
}
