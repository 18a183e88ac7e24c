package resonanz

import (
	"context"
	"time"
)

// Count is how often a reaction happened: Total includes anonymous counts
// (no tracking consent, or erased people) and machine opens; Unique counts
// the people among the personal rows; Machine counts flagged machine opens
// (personal and anonymous); Anonymous is the part of Total without a person.
type Count struct {
	Total     int `json:"total"`
	Unique    int `json:"unique"`
	Machine   int `json:"machine"`
	Anonymous int `json:"anonymous"`
}

// Human is Total without machine opens.
func (c Count) Human() int { return c.Total - c.Machine }

// Add adds o to c.
func (c Count) Add(o Count) Count {
	return Count{Total: c.Total + o.Total, Unique: c.Unique + o.Unique, Machine: c.Machine + o.Machine, Anonymous: c.Anonymous + o.Anonymous}
}

// Rates are shares in [0, 1], computed from unique personal counts over the
// mails delivered (or sent, when no delivery events are known).
type Rates struct {
	Open        float64 `json:"open"`          // unique openers / delivered
	OpenHuman   float64 `json:"open_human"`    // unique openers without machine-only openers / delivered
	Click       float64 `json:"click"`         // unique clickers / delivered
	ClickToOpen float64 `json:"click_to_open"` // unique clickers / unique openers
	Bounce      float64 `json:"bounce"`        // bounced / sent
	Unsubscribe float64 `json:"unsubscribe"`   // unsubscribes / delivered
}

// LinkStats are the results of one link of a mailing.
type LinkStats struct {
	LinkID     int64    `json:"link_id"`
	URL        string   `json:"url"`
	Name       string   `json:"name"`
	Kind       string   `json:"kind"` // LinkText, LinkImage or LinkUnknown
	Tags       []string `json:"tags"`
	Clicks     Count    `json:"clicks"`
	ImageLoads Count    `json:"image_loads"`
}

// MailingStats is the report of one mailing (or, with MailingID 0, the
// totals over all reactions, imported ones included). Its JSON form is what
// `resonanz stats --json` prints; the README documents it.
type MailingStats struct {
	MailingID    int64     `json:"mailing_id"`
	Name         string    `json:"name"`
	SentAt       time.Time `json:"sent_at,omitzero"`
	Sent         int       `json:"sent"`
	Delivered    int       `json:"delivered"`
	Deferred     int       `json:"deferred"`
	BouncedHard  int       `json:"bounced_hard"`
	BouncedSoft  int       `json:"bounced_soft"`
	Bounced      int       `json:"bounced"` // all bounces, also of unknown kind
	Rejected     int       `json:"rejected"`
	Opens        Count     `json:"opens"`
	Clicks       Count     `json:"clicks"`
	ImageLoads   Count     `json:"image_loads"`
	Unsubscribes int       `json:"unsubscribes"`
	Complaints   int       `json:"complaints"`
	Rates        Rates     `json:"rates"`
	// Links are the mailing's links by clicks (empty for totals).
	Links []LinkStats `json:"links"`
}

// ComputeRates fills s.Rates from the counts. humanOpeners is the number of
// unique openers with at least one open not flagged as a machine open.
func (s *MailingStats) ComputeRates(humanOpeners int) {
	base := s.Delivered
	if base == 0 {
		base = s.Sent - s.Bounced
	}
	share := func(n, of int) float64 {
		if of <= 0 {
			return 0
		}
		return min(float64(n)/float64(of), 1)
	}
	s.Rates = Rates{
		Open:        share(s.Opens.Unique, base),
		OpenHuman:   share(humanOpeners, base),
		Click:       share(s.Clicks.Unique, base),
		ClickToOpen: share(s.Clicks.Unique, s.Opens.Unique),
		Bounce:      share(s.Bounced, max(s.Sent, s.Delivered+s.Bounced)), // logs without "sent" events
		Unsubscribe: share(s.Unsubscribes, base),
	}
}

// TimePoint is one bucket of a reaction time series.
type TimePoint struct {
	At     time.Time `json:"at"`
	Opens  int       `json:"opens"`
	Clicks int       `json:"clicks"`
}

// ClientShare is how many personal opens and clicks came from one mail
// client or device class (from the user agent).
type ClientShare struct {
	Client string `json:"client"`
	Device string `json:"device"` // desktop, mobile, tablet, webmail, proxy, unknown
	Count  int    `json:"count"`
}

// MailingTimeline is the time view of a mailing's reactions.
type MailingTimeline struct {
	// Hourly counts since the first reaction (at most 14 days), including
	// anonymous counts.
	Hourly []TimePoint `json:"hourly"`
	// Heatmap[weekday][hour] counts opens and clicks (weekday 0 = Monday,
	// hours in UTC; the UI shifts them to local time).
	Heatmap [7][24]int `json:"heatmap"`
	// Clients are the mail clients of personal reactions, most used first,
	// classified from Agents (see package analysis).
	Clients []ClientShare `json:"clients"`
	// Agents are the raw user agents of personal reactions with their counts.
	Agents []AgentCount `json:"-"`
}

// AgentCount is how many reactions came with one user agent string.
type AgentCount struct {
	UserAgent string
	Count     int
}

// StatsService answers the analysis screens and `resonanz stats`.
type StatsService interface {
	// MailingStats returns the report of a mailing; id 0 returns totals
	// over all reactions.
	MailingStats(ctx context.Context, id int64) (MailingStats, error)
	// AllMailingStats returns the report of every mailing, newest first (the
	// side-by-side comparison).
	AllMailingStats(ctx context.Context) ([]MailingStats, error)
	MailingTimeline(ctx context.Context, id int64) (MailingTimeline, error)
}
