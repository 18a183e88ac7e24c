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

// Rates are shares in [0, 1] over the report's Base (see MailingStats).
// Openers and clickers are people by the shared definition (Reach.Best:
// exact personal uniques, or the estimate over all reactions when larger).
type Rates struct {
	Open            float64 `json:"open"`              // openers (machine-only openers not counted) / base
	OpenInclMachine float64 `json:"open_incl_machine"` // openers with machine opens / base (the other number)
	Click           float64 `json:"click"`             // clickers / base
	ClickToOpen     float64 `json:"click_to_open"`     // clickers / openers
	Bounce          float64 `json:"bounce"`            // bounced / (base + bounced): the mails attempted
	Unsubscribe     float64 `json:"unsubscribe"`       // unsubscribes / base
	Complaint       float64 `json:"complaint"`         // complaints / base
}

// Kinds of a report's base.
const (
	// BaseSent: mails Resonanz sent (accepted by the mail server) minus
	// the people known to have bounced; used whenever Resonanz sent the
	// mailing, so a partial provider log never shrinks it.
	BaseSent = "sent"
	// BaseDelivered: delivered events of a mailing known only from
	// provider logs.
	BaseDelivered = "delivered"
	// BaseMixed: the totals over mailings of both kinds (the sum of their
	// bases).
	BaseMixed = "mixed"
)

// Base is the one denominator of every rate of a report.
type Base struct {
	Kind  string `json:"kind"`
	Count int    `json:"count"`
}

// Reach is how many distinct people reacted in one way, by the shared
// definition of opened and clicked (DefinitionOpened).
type Reach struct {
	// People are counted exactly: recipients with a personal reaction
	// (stored with tracking consent). Target groups count the same people.
	People int `json:"people"`
	// Estimate approximates the distinct people including anonymous
	// reactions (no consent), from a DistinctSketch; 0 when none was fed
	// (reactions recorded before the sketches existed).
	Estimate int `json:"estimate"`
}

// Best is the count a rate uses: the estimate over everyone, or the exact
// personal count when that is larger (the estimate is approximate).
func (r Reach) Best() int { return max(r.People, r.Estimate) }

// DefinitionOpened documents the one definition of "opened" shared by
// reports, target groups and the recipient detail: at least one open not
// flagged as a machine open (Apple Mail Privacy Protection and other
// prefetching proxies load the pixel without a person reading). A click
// does not count as an open. "Clicked" is at least one click on a link of
// the mailing. Reports show the number with machine opens beside.
const DefinitionOpened = "at least one open not flagged as a machine open"

// Trackable is how many of a mailing's recipients held a tracking consent
// (opens or clicks) when their mail was sent.
type Trackable struct {
	Count int `json:"count"`
	Of    int `json:"of"`
}

// Unsubscribe channels of a report (the ledger source of the withdrawal;
// provider logs are counted under UnsubscribeProvider).
const (
	UnsubscribeLink     = SourceUnsubscribeLink
	UnsubscribeOneClick = SourceOneClick
	UnsubscribeProfile  = SourceProfilePage
	UnsubscribeMail     = SourceMailUnsubscribe
	UnsubscribeProvider = "provider"
)

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
// totals over all mailings: the sums of their figures and bases, plus
// bounces and complaints no mailing matched). Its JSON form is what
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
	// UnsubscribeChannels splits Unsubscribes by channel (Unsubscribe*).
	UnsubscribeChannels map[string]int `json:"unsubscribe_channels"`
	Complaints          int            `json:"complaints"`
	// Base is the denominator of every rate.
	Base Base `json:"base"`
	// Openers and Clickers are the distinct people (exact and estimated).
	Openers  Reach `json:"openers"`
	Clickers Reach `json:"clickers"`
	// OpenersInclMachine counts the people with any personal open, machine
	// opens included (the number beside the definition's).
	OpenersInclMachine int `json:"openers_incl_machine"`
	// Trackable is nil when unknown (a mailing not sent by Resonanz).
	Trackable *Trackable `json:"trackable,omitempty"`
	Rates     Rates      `json:"rates"`
	// Links are the mailing's links by clicks (empty for totals).
	Links []LinkStats `json:"links"`
}

// share is n/of in [0, 1] (0 when of is 0).
func share(n, of int) float64 {
	if of <= 0 || n <= 0 {
		return 0
	}
	return min(float64(n)/float64(of), 1)
}

// ComputeRates fills s.Rates from the counts and s.Base.
func (s *MailingStats) ComputeRates() {
	base := s.Base.Count
	openers, clickers := s.Openers.Best(), s.Clickers.Best()
	s.Rates = Rates{
		Open:            share(openers, base),
		OpenInclMachine: share(max(openers, s.OpenersInclMachine), base),
		Click:           share(clickers, base),
		ClickToOpen:     share(clickers, openers),
		Bounce:          share(s.Bounced, base+s.Bounced),
		Unsubscribe:     share(s.Unsubscribes, base),
		Complaint:       share(s.Complaints, base),
	}
}

// Add adds the figures of another mailing's report to totals t (bases
// included; the kind becomes BaseMixed when they differ).
func (t *MailingStats) Add(o MailingStats) {
	t.Sent += o.Sent
	t.Delivered += o.Delivered
	t.Deferred += o.Deferred
	t.BouncedHard += o.BouncedHard
	t.BouncedSoft += o.BouncedSoft
	t.Bounced += o.Bounced
	t.Rejected += o.Rejected
	t.Opens = t.Opens.Add(o.Opens)
	t.Clicks = t.Clicks.Add(o.Clicks)
	t.ImageLoads = t.ImageLoads.Add(o.ImageLoads)
	t.Unsubscribes += o.Unsubscribes
	t.Complaints += o.Complaints
	if t.UnsubscribeChannels == nil {
		t.UnsubscribeChannels = map[string]int{}
	}
	for k, v := range o.UnsubscribeChannels {
		t.UnsubscribeChannels[k] += v
	}
	switch {
	case o.Base.Count == 0 && o.Base.Kind == "":
	case t.Base.Kind == "":
		t.Base.Kind = o.Base.Kind
	case t.Base.Kind != o.Base.Kind:
		t.Base.Kind = BaseMixed
	}
	t.Base.Count += o.Base.Count
	t.Openers.People += o.Openers.People
	t.Openers.Estimate += o.Openers.Best()
	t.Clickers.People += o.Clickers.People
	t.Clickers.Estimate += o.Clickers.Best()
	t.OpenersInclMachine += o.OpenersInclMachine
	if o.Trackable != nil {
		if t.Trackable == nil {
			t.Trackable = &Trackable{}
		}
		t.Trackable.Count += o.Trackable.Count
		t.Trackable.Of += o.Trackable.Of
	}
}

// TimePoint is one bucket of a reaction time series.
type TimePoint struct {
	At     time.Time `json:"at"`
	Opens  int       `json:"opens"`
	Clicks int       `json:"clicks"`
}

// ClientShare is how many personal opens and clicks (requests, not people)
// came from one mail client or device class (from the user agent).
type ClientShare struct {
	// Key is the stable name of a known mail client (the desk translates
	// it), "browser" or "unknown"; Client is the name to show otherwise.
	Key    string `json:"key"`
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
	// MailingFigures returns the headline figures of every mailing (the
	// mailing list), computed with a fixed number of queries whatever the
	// number of mailings; each equals what MailingStats reports.
	MailingFigures(ctx context.Context) ([]MailingFigures, error)
}

// MailingFigures are a mailing's headline figures for the mailing list:
// as many as MailingStats reports, without links, channels or estimates of
// anything else.
type MailingFigures struct {
	MailingID int64 `json:"mailingId"`
	// Sent is MailingStats.Sent; Base the denominator of the rates.
	Sent int `json:"sent"`
	Base int `json:"base"`
	// Openers and Clickers are the people counted by the rates
	// (Reach.Best).
	Openers   int     `json:"openers"`
	Clickers  int     `json:"clickers"`
	OpenRate  float64 `json:"openRate"`
	ClickRate float64 `json:"clickRate"`
}
