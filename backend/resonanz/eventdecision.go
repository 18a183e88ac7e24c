package resonanz

import "strconv"

// The reaction import decides per provider event, in two steps, what
// happens to it. These functions are that decision, free of the store:
// the importer finds the facts (the recipient, the mailing, the consent)
// and asks them.

// EventAction is what the reaction import does with an event whose
// recipient is known.
type EventAction int

// Event actions.
const (
	// EventPersonal stores the reaction for the person (and applies a
	// bounce's, complaint's or unsubscribe's protective effect).
	EventPersonal EventAction = iota
	// EventAnonymous counts a tracking reaction for the mailing without
	// the person: their consent for it did not hold when it happened.
	EventAnonymous
	// EventQuarantined keeps the event for review with a reason.
	EventQuarantined
)

// Unattributable returns why an event cannot be attributed to one known
// person, the first step of the import's decision: no recipient has its
// address (recipientKnown false), or it is a tracking event that names
// several recipients. It returns "" when the event is attributable; the
// importer then looks for its mailing and asks DecideEvent.
func Unattributable(ev *ProviderEvent, recipientKnown bool) string {
	if !recipientKnown {
		return "No recipient has the address " + quoteOrNone(ev.Email) + "."
	}
	if TrackingPurpose(ev.Type) != "" && ev.RecipientAmbiguous {
		return "The event names several recipients; it cannot be attributed to one person."
	}
	return ""
}

// DecideEvent is the second step for an attributable event: mailingID is
// the mailing it was matched or filed under (0: none), granted whether the
// person's consent for the event's tracking purpose (TrackingPurpose) held
// when it happened. Protective events (bounces, complaints, unsubscribes)
// apply to the person even without a mailing or consent; any other event
// without a mailing is quarantined; a tracking event without consent is
// counted anonymously. The reason is set for EventQuarantined.
func DecideEvent(ev *ProviderEvent, mailingID int64, granted bool) (EventAction, string) {
	protective := ev.Type == ReactionBounced || ev.Type == ReactionComplained || ev.Type == ReactionUnsubscribed
	if mailingID == 0 && !protective {
		return EventQuarantined, noMailingReason(ev)
	}
	if TrackingPurpose(ev.Type) != "" && !granted {
		return EventAnonymous, ""
	}
	return EventPersonal, ""
}

func noMailingReason(ev *ProviderEvent) string {
	switch {
	case ev.CampaignID != "":
		return "No mailing matches campaign " + strconv.Quote(ev.CampaignID) + "; pick the mailing for this import."
	case ev.RFCMessageID != "":
		return "No mailing sent the message " + strconv.Quote(ev.RFCMessageID) + "; pick the mailing for this import."
	}
	return "The event names no mailing; pick the mailing for this import."
}

func quoteOrNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return strconv.Quote(s)
}
