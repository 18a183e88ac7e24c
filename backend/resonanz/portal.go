package resonanz

// ProfileUpdate is a submitted profile form.
type ProfileUpdate struct {
	FirstName string
	LastName  string
	Gender    Gender
	Title     string
	Language  string
	Lists     []ListChange    // only lists whose state changed
	Consents  []ConsentChange // only purposes whose state changed
	// MailingID is the mailing whose mail linked to the profile page (0:
	// none); an unsubscribe there counts for that mailing's report.
	MailingID int64
}

// ListChange subscribes to or unsubscribes from one list.
type ListChange struct {
	ListID    int64
	Subscribe bool
	Wording   string // exactly as shown next to the checkbox
}

// ConsentChange grants or withdraws one purpose.
type ConsentChange struct {
	Purpose string // PurposeTrackingOpens, ...
	Granted bool
	Wording string // exactly as shown next to the checkbox
}

// Signup is a submitted signup form.
type Signup struct {
	ListID    int64
	Email     string
	FirstName string
	LastName  string
	Language  string // the page's language ("de" or "en")
	Wording   string // the newsletter wording shown
	// Consents are the tracking checkboxes that were ticked, each with its
	// own wording; they are granted only at confirmation.
	Consents []PendingConsent
	// Token, when set, is the confirmation token a relay already mailed:
	// the request is recorded under it, and no other mail goes out.
	Token string `json:",omitempty"`
}
