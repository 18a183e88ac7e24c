package relay

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/resonanz/resonanz/backend/listener"
	"github.com/resonanz/resonanz/backend/resonanz"
)

// Pairing is what `resonanz relay pair` shows and the desk stores: where
// the relay is and the secret its sync requests are signed with.
type Pairing struct {
	URL     string `json:"url"`
	RelayID string `json:"relayId"`
	Secret  []byte `json:"secret"`
}

const pairingPrefix = "resonanz-relay:1:"

// Code is the pairing as one line to copy.
func (p Pairing) Code() string {
	b, _ := json.Marshal(p)
	return pairingPrefix + b64.EncodeToString(b)
}

// ParsePairing reads a pairing code.
func ParsePairing(code string) (Pairing, error) {
	var p Pairing
	rest, ok := strings.CutPrefix(strings.TrimSpace(code), pairingPrefix)
	b, err := b64.DecodeString(rest)
	if !ok || err != nil || json.Unmarshal(b, &p) != nil || len(p.Secret) < 32 || p.RelayID == "" {
		return Pairing{}, resonanz.Errorf(resonanz.EINVALID, "This is not a relay pairing code (it starts with %q).", pairingPrefix)
	}
	if u, err := url.Parse(p.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return Pairing{}, resonanz.Errorf(resonanz.EINVALID, "The pairing code names no relay URL.")
	}
	return p, nil
}

// Client is the desk's side of the sync API.
type Client struct {
	Pairing Pairing
	HTTP    *http.Client
	Now     func() time.Time
}

// NewClient returns a client for the paired relay.
func NewClient(p Pairing) *Client {
	return &Client{Pairing: p, HTTP: &http.Client{Timeout: 60 * time.Second}, Now: time.Now}
}

// ErrUnreachable wraps every failure to reach the relay.
var ErrUnreachable = errors.New("relay unreachable")

func (c *Client) do(ctx context.Context, method, op, query string, in, out any) error {
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return err
		}
	}
	u := strings.TrimRight(c.Pairing.URL, "/") + SyncPath + op
	if query != "" {
		u += "?" + query
	}
	req, err := http.NewRequestWithContext(ctx, method, u, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	Sign(req, c.Pairing.Secret, body, c.Now())
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrUnreachable, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("relay %s: %s: %s", op, resp.Status, strings.TrimSpace(string(msg)))
	}
	if out == nil {
		return nil
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

// SetKeys gives the relay the desk's public key and the listener secret.
func (c *Client) SetKeys(ctx context.Context, k Keys) error {
	return c.do(ctx, http.MethodPost, "keys", "", k, nil)
}

// Publish sends one part of a publication.
func (c *Client) Publish(ctx context.Context, p Publication) error {
	return c.do(ctx, http.MethodPost, "publish", "", p, nil)
}

// Events pulls up to limit events after seq.
func (c *Client) Events(ctx context.Context, after int64, limit int) (EventsPage, error) {
	var page EventsPage
	err := c.do(ctx, http.MethodGet, "events", fmt.Sprintf("after=%d&limit=%d", after, limit), nil, &page)
	return page, err
}

// Ack lets the relay delete the events up to seq.
func (c *Client) Ack(ctx context.Context, through int64) error {
	return c.do(ctx, http.MethodPost, "ack", "", map[string]int64{"through": through}, nil)
}

// Status asks the relay for its id and pending events.
func (c *Client) Status(ctx context.Context) (Status, error) {
	var st Status
	err := c.do(ctx, http.MethodGet, "status", "", nil, &st)
	return st, err
}

// Journal is the desk's record of applied events (sqlite.RelayJournal).
type Journal interface {
	// Cursor returns the last sequence of relayID the desk applied.
	Cursor(ctx context.Context, relayID string) (int64, error)
	// Applied returns which of the event ids were applied before.
	Applied(ctx context.Context, ids []string) (map[string]bool, error)
	// MarkApplied records the events as applied and moves the relay's
	// cursor to the highest sequence among them, in one transaction.
	MarkApplied(ctx context.Context, relayID string, events []AppliedEvent) error
}

// AppliedEvent is one applied event for the journal.
type AppliedEvent = resonanz.RelayEvent

// Desk are the desk's services the events are applied through: the same
// ones the local listener uses.
type Desk struct {
	Key           DeskKey
	Journal       Journal
	Hits          resonanz.HitRecorder
	Subscriptions listener.Subscriptions
	Profiles      listener.Profiles
	Surveys       listener.Surveys
	Signups       listener.Signups
	// Signed is called for a signup that needs a confirmation mail (the
	// desk mails it like its listener would); may be nil.
	Signed func(ctx context.Context, s listener.Signup, r listener.SignupResult)
}

// CollectResult counts what a collect did.
type CollectResult struct {
	RelayID string         `json:"relayId"`
	Applied map[string]int `json:"applied"`
	Skipped int            `json:"skipped"` // already applied (by id)
	Through int64          `json:"through"`
}

// Collect pulls every event from the relay, applies each through d (in
// order, at the event's time) and acknowledges them; it stops at the first
// event that cannot be applied (nothing after it is acknowledged).
func Collect(ctx context.Context, c *Client, d Desk) (CollectResult, error) {
	res := CollectResult{RelayID: c.Pairing.RelayID, Applied: map[string]int{}}
	cursor, err := d.Journal.Cursor(ctx, c.Pairing.RelayID)
	if err != nil {
		return res, err
	}
	res.Through = cursor
	for {
		page, err := c.Events(ctx, cursor, 1000)
		if err != nil {
			return res, err
		}
		if page.RelayID != c.Pairing.RelayID {
			return res, fmt.Errorf("relay answered as %q, paired with %q", page.RelayID, c.Pairing.RelayID)
		}
		if len(page.Events) == 0 {
			break
		}
		ids := make([]string, len(page.Events))
		for i, e := range page.Events {
			ids[i] = e.ID
		}
		done, err := d.Journal.Applied(ctx, ids)
		if err != nil {
			return res, err
		}
		// Consecutive hit batches are applied together: one RecordHits
		// and one journal transaction for the run.
		var hits []resonanz.Hit
		var run []AppliedEvent
		flush := func() error {
			if len(run) == 0 {
				return nil
			}
			if len(hits) > 0 {
				if err := d.Hits.RecordHits(ctx, hits); err != nil {
					return fmt.Errorf("relay events %d–%d (hits): %w", run[0].Seq, run[len(run)-1].Seq, err)
				}
			}
			if err := d.Journal.MarkApplied(ctx, c.Pairing.RelayID, run); err != nil {
				return err
			}
			cursor, res.Through = run[len(run)-1].Seq, run[len(run)-1].Seq
			hits, run = hits[:0], run[:0]
			return nil
		}
		for _, e := range page.Events {
			ae := AppliedEvent{Seq: e.Seq, ID: e.ID, Kind: e.Kind}
			if done[e.ID] {
				res.Skipped++
				run = append(run, ae)
				continue
			}
			if e.Kind == EventHits {
				p, err := open(d, e)
				if err != nil {
					return res, fmt.Errorf("relay event %d (%s): %w", e.Seq, e.Kind, err)
				}
				hits = append(hits, p.Hits...)
				run = append(run, ae)
				res.Applied[e.Kind]++
				continue
			}
			if err := flush(); err != nil {
				return res, err
			}
			if err := apply(ctx, d, e); err != nil {
				return res, fmt.Errorf("relay event %d (%s): %w", e.Seq, e.Kind, err)
			}
			res.Applied[e.Kind]++
			run = append(run, ae)
			if err := flush(); err != nil {
				return res, err
			}
		}
		if err := flush(); err != nil {
			return res, err
		}
		if err := c.Ack(ctx, cursor); err != nil {
			return res, err
		}
	}
	// Events acknowledged before a restore of an older backup are gone
	// from the relay; acknowledging the cursor again is harmless.
	return res, c.Ack(ctx, cursor)
}

// open decrypts an event's payload.
func open(d Desk, e StoredEvent) (Payload, error) {
	var p Payload
	plain, err := d.Key.Open(e.Sealed, eventAAD(e.ID, e.Kind))
	if err != nil {
		return p, fmt.Errorf("cannot open (sealed to another desk key?): %w", err)
	}
	return p, json.Unmarshal(plain, &p)
}

func apply(ctx context.Context, d Desk, e StoredEvent) error {
	p, err := open(d, e)
	if err != nil {
		return err
	}
	ctx = resonanz.WithEventTime(ctx, p.At)
	gone := func(err error) error {
		// The person was erased on the desk meanwhile: nothing to apply.
		if resonanz.ErrorCode(err) == resonanz.ENOTFOUND {
			return nil
		}
		return err
	}
	switch e.Kind {
	case EventHits:
		return d.Hits.RecordHits(ctx, p.Hits)
	case EventUnsubscribe:
		return gone(d.Subscriptions.Unsubscribe(ctx, p.RecipientID, p.MailingID, p.OneClick, p.Client))
	case EventProfile:
		if p.Profile == nil {
			return errors.New("profile event without a profile")
		}
		return gone(d.Profiles.UpdateProfile(ctx, p.RecipientID, *p.Profile, p.Client))
	case EventErasure:
		return gone(d.Profiles.RequestErasure(ctx, p.RecipientID, p.Client))
	case EventSurvey:
		if p.Survey == nil {
			return errors.New("survey event without answers")
		}
		err := d.Surveys.SubmitSurvey(ctx, p.SurveyID, p.RecipientID, *p.Survey, p.Client)
		if c := resonanz.ErrorCode(err); c == resonanz.EFORBIDDEN || c == resonanz.EINVALID {
			return nil // closed or changed since: the desk's rule wins
		}
		return gone(err)
	case EventSignup:
		if p.Signup == nil {
			return errors.New("signup event without a form")
		}
		r, err := d.Signups.Signup(ctx, *p.Signup, p.Client)
		if err == nil && r.Token != "" && d.Signed != nil {
			d.Signed(ctx, *p.Signup, r)
		}
		return gone(err)
	case EventConfirm:
		_, err := d.Signups.Confirm(ctx, p.Token, p.Client)
		if c := resonanz.ErrorCode(err); c == resonanz.EFORBIDDEN {
			return nil // expired at the event's time: the desk's rule wins
		}
		return gone(err)
	}
	return fmt.Errorf("unknown event kind %q", e.Kind)
}
