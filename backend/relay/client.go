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
	"slices"
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
		return Pairing{}, resonanz.E(resonanz.EINVALID, "error.relay.relayPairingCode", "This is not a relay pairing code (it starts with \"{pairingPrefix}\").", "pairingPrefix", pairingPrefix)
	}
	if u, err := url.Parse(p.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return Pairing{}, resonanz.E(resonanz.EINVALID, "error.relay.pairingCodeNames", "The pairing code names no relay URL.")
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

// StatusError is a sync request the relay answered with an error status.
type StatusError struct {
	Op     string
	Code   int
	Status string
	Body   string
}

func (e *StatusError) Error() string { return fmt.Sprintf("relay %s: %s: %s", e.Op, e.Status, e.Body) }

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
		return fmt.Errorf("%w: %w", ErrUnreachable, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return &StatusError{Op: op, Code: resp.StatusCode, Status: resp.Status, Body: strings.TrimSpace(string(msg))}
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
// The desk's services journal an event themselves, in the transaction
// that applies it (resonanz.WithRelayApply); MarkApplied records the
// events whose apply changed nothing (already applied, the person gone).
type Journal interface {
	// Cursor returns the last sequence of relayID the desk applied.
	Cursor(ctx context.Context, relayID string) (int64, error)
	// Applied returns which of the event ids were applied before.
	Applied(ctx context.Context, ids []string) (map[string]bool, error)
	// MarkApplied records the events as applied and moves the relay's
	// cursor to the highest sequence among them, in one transaction.
	MarkApplied(ctx context.Context, relayID string, events []AppliedEvent) error
	// Failed records a failed attempt at an event, keeping its sealed
	// payload, and returns the number of failed attempts so far; once
	// they reach quarantineAt the event is quarantined (reported) and the
	// cursor moves past it.
	Failed(ctx context.Context, f resonanz.RelayFailure, sealed []byte, quarantineAt int) (attempts int, quarantined bool, err error)
	// Failures lists the failed and quarantined events.
	Failures(ctx context.Context) ([]resonanz.RelayFailure, error)
	// Failure returns one of them with its sealed payload.
	Failure(ctx context.Context, id string) (resonanz.RelayFailure, []byte, error)
}

// AppliedEvent is one applied event for the journal.
type AppliedEvent = resonanz.RelayEvent

// MaxAttempts is how many syncs try an event before it is quarantined (an
// event that can never be applied, e.g. one that cannot be opened, is
// quarantined at once). Until then a failing event stops the sync, so a
// passing fault (a full disk) skips nothing.
const MaxAttempts = 3

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
	// Failed counts events that failed this time and are tried again by
	// the next sync; Quarantined those put aside (see Journal.Failures).
	Failed      int   `json:"failed"`
	Quarantined int   `json:"quarantined"`
	Through     int64 `json:"through"`
}

// errPermanent marks a failure no retry of the same code can cure (the
// event cannot be opened or decoded, or its kind is unknown).
type errPermanent struct{ err error }

func (e errPermanent) Error() string { return e.err.Error() }
func (e errPermanent) Unwrap() error { return e.err }

// quarantineAt is after how many failed attempts err quarantines an event.
func quarantineAt(err error) int {
	if errors.As(err, new(errPermanent)) {
		return 1
	}
	return MaxAttempts
}

// failure describes a failed apply for the journal, with the catalogue
// text of its reason.
func failure(relayID string, e StoredEvent, err error) resonanz.RelayFailure {
	f := resonanz.RelayFailure{ID: e.ID, RelayID: relayID, Seq: e.Seq, Kind: e.Kind, At: e.At}
	var p errPermanent
	var re *resonanz.Error
	switch {
	case errors.As(err, &p):
		f.Key, f.Reason = "error.relay.event.unreadable", "The desk cannot open this event: it was sealed to another desk key or is damaged."
	case errors.As(err, &re) && re.Key != "":
		f.Key, f.Params, f.Reason = re.Key, re.Params, re.Message
	case errors.As(err, &re):
		f.Key, f.Params, f.Reason = "error.relay.event.refused", map[string]string{"reason": re.Message}, "The desk refused this event: "+re.Message
	default:
		f.Key, f.Reason = "error.relay.event.failed", "The desk could not apply this event (details are in the log)."
	}
	return f
}

// Collect pulls every event from the relay, applies each through d (in
// order, at the event's time; each apply journals its event in its own
// transaction) and acknowledges them. An event that fails stops the
// collect until it failed MaxAttempts times (or at once when it can never
// be applied); then it is quarantined and the collect goes on.
func Collect(ctx context.Context, c *Client, d Desk) (CollectResult, error) {
	relayID := c.Pairing.RelayID
	res := CollectResult{RelayID: relayID, Applied: map[string]int{}}
	cursor, err := d.Journal.Cursor(ctx, relayID)
	if err != nil {
		return res, err
	}
	res.Through = cursor
	// fail records a failed event; it returns nil when the event was
	// quarantined (go on), the error otherwise (stop).
	fail := func(e StoredEvent, err error) error {
		n, quarantined, jerr := d.Journal.Failed(ctx, failure(relayID, e, err), e.Sealed, quarantineAt(err))
		if jerr != nil {
			return errors.Join(err, jerr)
		}
		if quarantined {
			res.Quarantined++
			cursor, res.Through = max(cursor, e.Seq), max(res.Through, e.Seq)
			return nil
		}
		res.Failed++
		return fmt.Errorf("relay event %d (%s), attempt %d of %d: %w", e.Seq, e.Kind, n, MaxAttempts, err)
	}
	for {
		page, err := c.Events(ctx, cursor, 1000)
		if err != nil {
			return res, err
		}
		if page.RelayID != relayID {
			return res, fmt.Errorf("relay answered as %q, paired with %q", page.RelayID, relayID)
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
		// (which journals them) for the run; the journal then records the
		// run with the skipped events among it.
		var hits []resonanz.Hit
		var hitEvents []StoredEvent
		var run []AppliedEvent
		flush := func() error {
			if len(hitEvents) > 0 {
				evs := make([]AppliedEvent, len(hitEvents))
				for i, e := range hitEvents {
					evs[i] = AppliedEvent{Seq: e.Seq, ID: e.ID, Kind: e.Kind}
				}
				failed := map[string]bool{}
				if err := d.Hits.RecordHits(resonanz.WithRelayApply(ctx, resonanz.RelayApply{RelayID: relayID, Events: evs}), hits); err != nil {
					// Find the culprit: each batch on its own.
					for _, e := range hitEvents {
						if err := applyOne(ctx, relayID, d, e); err != nil {
							if err := fail(e, err); err != nil {
								return err
							}
							failed[e.ID] = true
						}
					}
				}
				for _, e := range hitEvents {
					if !failed[e.ID] {
						res.Applied[e.Kind]++
					}
				}
				if len(failed) > 0 {
					run = slices.DeleteFunc(run, func(a AppliedEvent) bool { return failed[a.ID] })
				}
			}
			if len(run) > 0 {
				if err := d.Journal.MarkApplied(ctx, relayID, run); err != nil {
					return err
				}
				cursor, res.Through = max(cursor, run[len(run)-1].Seq), max(res.Through, run[len(run)-1].Seq)
			}
			hits, hitEvents, run = hits[:0], hitEvents[:0], run[:0]
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
					if err := flush(); err != nil {
						return res, err
					}
					if err := fail(e, err); err != nil {
						return res, err
					}
					continue
				}
				hits = append(hits, p.Hits...)
				hitEvents = append(hitEvents, e)
				run = append(run, ae)
				continue
			}
			if err := flush(); err != nil {
				return res, err
			}
			if err := applyOne(ctx, relayID, d, e); err != nil {
				if err := fail(e, err); err != nil {
					return res, err
				}
				continue
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

// applyOne applies one event, journaling it in the apply's transaction.
func applyOne(ctx context.Context, relayID string, d Desk, e StoredEvent) error {
	ctx = resonanz.WithRelayApply(ctx, resonanz.RelayApply{RelayID: relayID, Events: []AppliedEvent{{Seq: e.Seq, ID: e.ID, Kind: e.Kind}}})
	return apply(ctx, d, e)
}

// Retry applies a failed or quarantined event again from the sealed copy
// the desk kept; on success it leaves the quarantine, otherwise its reason
// and attempts are updated and it stays.
func Retry(ctx context.Context, d Desk, id string) error {
	f, sealed, err := d.Journal.Failure(ctx, id)
	if err != nil {
		return err
	}
	e := StoredEvent{Seq: f.Seq, ID: f.ID, Kind: f.Kind, At: f.At, Sealed: sealed}
	if err := applyOne(ctx, f.RelayID, d, e); err != nil {
		if _, _, jerr := d.Journal.Failed(ctx, failure(f.RelayID, e, err), sealed, quarantineAt(err)); jerr != nil {
			return errors.Join(err, jerr)
		}
		return err
	}
	// MarkApplied takes it out of the quarantine (the apply journaled it,
	// or it changed nothing); the cursor is past it already.
	return d.Journal.MarkApplied(ctx, f.RelayID, []AppliedEvent{{Seq: f.Seq, ID: f.ID, Kind: f.Kind}})
}

// open decrypts an event's payload.
func open(d Desk, e StoredEvent) (Payload, error) {
	var p Payload
	plain, err := d.Key.Open(e.Sealed, eventAAD(e.ID, e.Kind))
	if err != nil {
		return p, errPermanent{fmt.Errorf("cannot open (sealed to another desk key?): %w", err)}
	}
	if err := json.Unmarshal(plain, &p); err != nil {
		return p, errPermanent{err}
	}
	return p, nil
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
			return errPermanent{errors.New("profile event without a profile")}
		}
		return gone(d.Profiles.UpdateProfile(ctx, p.RecipientID, *p.Profile, p.Client))
	case EventErasure:
		return gone(d.Profiles.RequestErasure(ctx, p.RecipientID, p.Client))
	case EventSurvey:
		if p.Survey == nil {
			return errPermanent{errors.New("survey event without answers")}
		}
		err := d.Surveys.SubmitSurvey(ctx, p.SurveyID, p.RecipientID, *p.Survey, p.Client)
		if c := resonanz.ErrorCode(err); c == resonanz.EFORBIDDEN || c == resonanz.EINVALID {
			return nil // closed or changed since: the desk's rule wins
		}
		return gone(err)
	case EventSignup:
		if p.Signup == nil {
			return errPermanent{errors.New("signup event without a form")}
		}
		r, err := d.Signups.Signup(ctx, *p.Signup, p.Client)
		if err == nil && r.Token != "" && p.Signup.Token == "" && d.Signed != nil {
			d.Signed(ctx, *p.Signup, r) // the relay did not mail it
		}
		if resonanz.ErrorCode(err) == resonanz.ECONFLICT {
			return nil // already confirmed on the list: the desk's rule wins
		}
		return gone(err)
	case EventConfirm:
		_, err := d.Signups.Confirm(ctx, p.Token, p.Client)
		if c := resonanz.ErrorCode(err); c == resonanz.EFORBIDDEN {
			return nil // expired at the event's time: the desk's rule wins
		}
		return gone(err)
	}
	return errPermanent{fmt.Errorf("unknown event kind %q", e.Kind)}
}
