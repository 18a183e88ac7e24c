package resonanz

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
// several recipients. It returns the zero Text when the event is
// attributable; the importer then looks for its mailing and asks
// DecideEvent. The reason is a catalogue text (the quarantine stores its
// key and params, the desk shows it in the user's language).
func Unattributable(ev *ProviderEvent, recipientKnown bool) Text {
	if !recipientKnown {
		if ev.Email == "" {
			return T("reason.quarantine.noAddress", "The event names no e-mail address.")
		}
		return T("reason.quarantine.unknownAddress", "No recipient has the address \"{email}\".", "email", ev.Email)
	}
	if TrackingPurpose(ev.Type) != "" && ev.RecipientAmbiguous {
		return T("reason.quarantine.ambiguous", "The event names several recipients; it cannot be attributed to one person.")
	}
	return Text{}
}

// DecideEvent is the second step for an attributable event: mailingID is
// the mailing it was matched or filed under (0: none), granted whether the
// person's consent for the event's tracking purpose (TrackingPurpose) held
// when it happened. Protective events (bounces, complaints, unsubscribes)
// apply to the person even without a mailing or consent; any other event
// without a mailing is quarantined; a tracking event without consent is
// counted anonymously. The reason is set for EventQuarantined.
func DecideEvent(ev *ProviderEvent, mailingID int64, granted bool) (EventAction, Text) {
	protective := ev.Type == ReactionBounced || ev.Type == ReactionComplained || ev.Type == ReactionUnsubscribed
	if mailingID == 0 && !protective {
		return EventQuarantined, noMailingReason(ev)
	}
	if TrackingPurpose(ev.Type) != "" && !granted {
		return EventAnonymous, Text{}
	}
	return EventPersonal, Text{}
}

func noMailingReason(ev *ProviderEvent) Text {
	switch {
	case ev.CampaignID != "":
		return T("reason.quarantine.noMailingCampaign", "No mailing matches campaign \"{campaign}\"; pick the mailing for this import.", "campaign", ev.CampaignID)
	case ev.RFCMessageID != "":
		return T("reason.quarantine.noMailingMessage", "No mailing sent the message \"{messageId}\"; pick the mailing for this import.", "messageId", ev.RFCMessageID)
	}
	return T("reason.quarantine.noMailing", "The event names no mailing; pick the mailing for this import.")
}
