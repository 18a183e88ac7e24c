package relay

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/resonanz/resonanz/backend/listener"
	"github.com/resonanz/resonanz/backend/resonanz"
)

// The desk keeps its relay secrets in the secret store (never in the
// database, never on the relay).
const (
	pairingsSecret  = "relay.pairings"
	deskKeySecret   = "relay.desk-key"
	personKeySecret = "relay.person-key"
	// addressKeySecret keys the address entries (see SealAddress).
	addressKeySecret = "relay.address-key"
)

// stateSetting is the desk's record of its relays' syncs (a setting: it is
// not secret). Settings named relay.* do not set the publish flag.
const stateSetting = "relay.state"

// Listener modes: where the links in new mails point.
const (
	ModeLocal = "local" // the desk's own listener (behind a reverse proxy)
	ModeRelay = "relay" // a paired relay
)

// Secrets keeps the desk's secrets (the OS keyring, else 0600 files).
type Secrets interface {
	Secret(ctx context.Context, name string) ([]byte, error)
	SetSecret(ctx context.Context, name string, value []byte) error
}

// ChangeFlag tells whether published data changed since it was last asked,
// and clears itself when it answers yes (sqlite.RelayChanges).
type ChangeFlag interface {
	TakeChanged(ctx context.Context) (bool, error)
}

// DeskConfig is what the desk's side of the relays works with.
type DeskConfig struct {
	Secrets Secrets
	// ListenerKey returns (creating it the first time) the listener's token
	// secret, which the relay gets to verify the same tokens.
	ListenerKey func(ctx context.Context) ([]byte, error)
	// Settings holds the listener's public URL and the sync state.
	Settings resonanz.SettingsService
	// Apply are the services events are applied through (Key is filled in).
	Apply Desk
	// Source is what is published (PersonKey is filled in).
	Source Source
	// Changes is the publish flag (may be nil: no publish on change).
	Changes ChangeFlag
	Log     *slog.Logger
	// StatusTimeout bounds the reachability check of one relay.
	StatusTimeout time.Duration
}

// Relays is the desk's side of its relays: pairing, the choice between the
// local listener and a relay, syncs (collect, then publish) and their
// state. One sync runs at a time; others wait for it.
type Relays struct {
	cfg    DeskConfig
	keyMu  sync.Mutex // creating the desk's keys
	syncMu sync.Mutex // one sync at a time
	// published is told when a publication went out (the auto publisher
	// then drops a publish it had scheduled for older changes).
	published func(time.Time)

	runMu   sync.Mutex
	running *SyncProgress // the sync running now (nil: none)
}

// NewRelays returns the desk's side of the relays.
func NewRelays(cfg DeskConfig) *Relays {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.StatusTimeout == 0 {
		cfg.StatusTimeout = 5 * time.Second
	}
	return &Relays{cfg: cfg, published: func(time.Time) {}}
}

// Problem is a failure as the UI shows it: a catalogue key with its
// parameters, and the English message.
type Problem struct {
	Key     string            `json:"key"`
	Message string            `json:"message"`
	Params  map[string]string `json:"params,omitempty"`
}

func (p *Problem) err(code string) *resonanz.Error {
	return &resonanz.Error{Code: code, Key: p.Key, Message: p.Message, Params: p.Params}
}

// problemOf describes err, which happened talking to the relay at u.
func problemOf(u string, err error) *Problem {
	if err == nil {
		return nil
	}
	var re *resonanz.Error
	if errors.As(err, &re) && re.Key != "" {
		return &Problem{Key: re.Key, Message: re.Message, Params: re.Params}
	}
	var se *StatusError
	switch {
	case errors.Is(err, ErrUnreachable):
		// The innermost cause says it best ("connect: connection
		// refused", "i/o timeout", "no such host").
		reason := strings.TrimPrefix(err.Error(), ErrUnreachable.Error()+": ")
		var oe *net.OpError
		var de *net.DNSError
		var ne net.Error
		switch {
		case errors.As(err, &de):
			reason = de.Err + ": " + de.Name
		case errors.As(err, &oe) && oe.Err != nil:
			reason = oe.Err.Error()
		case errors.As(err, &ne) && ne.Timeout():
			reason = "timeout"
		}
		return &Problem{Key: "error.relay.unreachable", Params: map[string]string{"url": u, "reason": reason},
			Message: fmt.Sprintf("The relay at %s cannot be reached (%s). Is it running, and is the address right?", u, reason)}
	case errors.As(err, &se) && (se.Code == 401 || se.Code == 403):
		return &Problem{Key: "error.relay.refused", Params: map[string]string{"url": u},
			Message: fmt.Sprintf("The relay at %s refused the desk's signature: it was paired again since. Pair with a new code from `resonanz relay pair`.", u)}
	}
	return &Problem{Key: "error.relay.failed", Params: map[string]string{"url": u, "reason": err.Error()},
		Message: fmt.Sprintf("The sync with the relay at %s failed: %v", u, err)}
}

// Pairings returns the relays the desk is paired with.
func (r *Relays) Pairings(ctx context.Context) ([]Pairing, error) {
	b, err := r.cfg.Secrets.Secret(ctx, pairingsSecret)
	if err != nil || len(b) == 0 {
		return nil, err
	}
	var ps []Pairing
	if err := json.Unmarshal(b, &ps); err != nil {
		return nil, fmt.Errorf("relay pairings: %w", err)
	}
	return ps, nil
}

func (r *Relays) savePairings(ctx context.Context, ps []Pairing) error {
	if ps == nil {
		ps = []Pairing{}
	}
	b, err := json.Marshal(ps)
	if err != nil {
		return err
	}
	return r.cfg.Secrets.SetSecret(ctx, pairingsSecret, b)
}

// secret returns the named secret, creating it with mk the first time
// (when mk is not nil).
func (r *Relays) secret(ctx context.Context, name string, mk func() ([]byte, error)) ([]byte, error) {
	r.keyMu.Lock()
	defer r.keyMu.Unlock()
	b, err := r.cfg.Secrets.Secret(ctx, name)
	if err != nil || len(b) > 0 || mk == nil {
		return b, err
	}
	if b, err = mk(); err != nil {
		return nil, err
	}
	return b, r.cfg.Secrets.SetSecret(ctx, name, b)
}

// PersonKey returns the key the person secrets in links derive from; nil
// while the desk was never paired.
func (r *Relays) PersonKey(ctx context.Context) ([]byte, error) {
	return r.secret(ctx, personKeySecret, nil)
}

// deskState is what the desk remembers of its relays' syncs.
type deskState struct {
	// LocalPublicURL is the local listener's public URL from before the
	// links were pointed at a relay (restored when the user goes back).
	LocalPublicURL string                `json:"localPublicUrl"`
	Relays         map[string]relayState `json:"relays"`
}

type relayState struct {
	LastSync    time.Time `json:"lastSync"`
	LastAttempt time.Time `json:"lastAttempt"`
	Problem     *Problem  `json:"problem,omitempty"`
}

func (r *Relays) state(ctx context.Context) (deskState, error) {
	var st deskState
	_, err := r.cfg.Settings.Value(ctx, stateSetting, &st)
	if st.Relays == nil {
		st.Relays = map[string]relayState{}
	}
	return st, err
}

func (r *Relays) listener(ctx context.Context) (resonanz.ListenerSettings, error) {
	var ls resonanz.ListenerSettings
	_, err := r.cfg.Settings.Value(ctx, resonanz.SettingListener, &ls)
	return ls, err
}

// pointLinks points the links in new mails at u (a relay's URL, or the
// local listener's), remembering the local listener's URL when it leaves.
func (r *Relays) pointLinks(ctx context.Context, u string, ps []Pairing) error {
	ls, err := r.listener(ctx)
	if err != nil {
		return err
	}
	if ls.PublicURL == u {
		return nil
	}
	if !isRelayURL(ls.PublicURL, ps) && ls.PublicURL != "" {
		st, err := r.state(ctx)
		if err != nil {
			return err
		}
		st.LocalPublicURL = ls.PublicURL
		if err := r.cfg.Settings.SetValue(ctx, stateSetting, st); err != nil {
			return err
		}
	}
	ls.PublicURL = u
	return r.cfg.Settings.SetValue(ctx, resonanz.SettingListener, ls)
}

func isRelayURL(u string, ps []Pairing) bool {
	for _, p := range ps {
		if u != "" && strings.TrimRight(p.URL, "/") == strings.TrimRight(u, "/") {
			return true
		}
	}
	return false
}

// Connect pairs the desk with a relay from the code `resonanz relay pair`
// showed: it gives the relay the desk's public key and the listener secret,
// and points the links in new mails at the relay.
func (r *Relays) Connect(ctx context.Context, code string) (Pairing, error) {
	p, err := ParsePairing(code)
	if err != nil {
		var re *resonanz.Error
		if errors.As(err, &re) && re.Code == resonanz.EINVALID {
			// the desk's own, more helpful wording for any malformed code
			re.Key, re.Field, re.Params = "error.relay.code", "code", nil
		}
		return p, err
	}
	kb, err := r.secret(ctx, deskKeySecret, func() ([]byte, error) {
		k, err := NewDeskKey()
		if err != nil {
			return nil, err
		}
		return k.Bytes(), nil
	})
	if err != nil {
		return p, err
	}
	key, err := ParseDeskKey(kb)
	if err != nil {
		return p, err
	}
	if _, err := r.secret(ctx, personKeySecret, random32); err != nil {
		return p, err
	}
	secret, err := r.cfg.ListenerKey(ctx)
	if err != nil {
		return p, err
	}
	if err := NewClient(p).SetKeys(ctx, Keys{DeskPublicKey: key.Public(), ListenerSecret: secret}); err != nil {
		pr := problemOf(p.URL, err)
		if pr.Key == "error.relay.failed" {
			pr = &Problem{Key: "error.relay.pairRefused", Params: map[string]string{"url": p.URL, "reason": err.Error()},
				Message: fmt.Sprintf("The relay at %s did not accept the pairing: %v", p.URL, err)}
		}
		return p, pr.err(resonanz.ECONFLICT)
	}
	ps, err := r.Pairings(ctx)
	if err != nil {
		return p, err
	}
	out := []Pairing{p}
	for _, q := range ps {
		if q.RelayID != p.RelayID {
			out = append(out, q)
		}
	}
	if err := r.pointLinks(ctx, p.URL, ps); err != nil {
		return p, err
	}
	return p, r.savePairings(ctx, out)
}

// Unpair forgets a relay. When the links in new mails pointed at it, they
// point at the next paired relay, else back at the local listener.
func (r *Relays) Unpair(ctx context.Context, relayID string) error {
	ps, err := r.Pairings(ctx)
	if err != nil {
		return err
	}
	var gone *Pairing
	var rest []Pairing
	for i := range ps {
		if ps[i].RelayID == relayID {
			gone = &ps[i]
		} else {
			rest = append(rest, ps[i])
		}
	}
	if gone == nil {
		return &resonanz.Error{Code: resonanz.ENOTFOUND, Key: "error.relay.notPaired", Params: map[string]string{"id": relayID},
			Message: fmt.Sprintf("The desk is not paired with relay %s.", relayID)}
	}
	ls, err := r.listener(ctx)
	if err != nil {
		return err
	}
	if isRelayURL(ls.PublicURL, []Pairing{*gone}) {
		if len(rest) > 0 {
			err = r.pointLinks(ctx, rest[0].URL, ps)
		} else {
			err = r.setMode(ctx, ModeLocal, ps)
		}
		if err != nil {
			return err
		}
	}
	st, err := r.state(ctx)
	if err != nil {
		return err
	}
	delete(st.Relays, relayID)
	if err := r.cfg.Settings.SetValue(ctx, stateSetting, st); err != nil {
		return err
	}
	return r.savePairings(ctx, rest)
}

// SetMode points the links in new mails at the local listener (its URL
// from before the relay, to be checked in the listener settings) or at
// the first paired relay. Relays stay paired in local mode and are still
// synced: links in mails sent before keep working.
func (r *Relays) SetMode(ctx context.Context, mode string) error {
	ps, err := r.Pairings(ctx)
	if err != nil {
		return err
	}
	return r.setMode(ctx, mode, ps)
}

func (r *Relays) setMode(ctx context.Context, mode string, ps []Pairing) error {
	switch mode {
	case ModeRelay:
		if len(ps) == 0 {
			return &resonanz.Error{Code: resonanz.EINVALID, Key: "error.relay.nonePaired", Field: "code",
				Message: "No relay is paired yet: paste the pairing code `resonanz relay pair` showed."}
		}
		return r.pointLinks(ctx, ps[0].URL, ps)
	case ModeLocal:
		ls, err := r.listener(ctx)
		if err != nil || !isRelayURL(ls.PublicURL, ps) {
			return err
		}
		st, err := r.state(ctx)
		if err != nil {
			return err
		}
		ls.PublicURL = st.LocalPublicURL
		return r.cfg.Settings.SetValue(ctx, resonanz.SettingListener, ls)
	}
	return resonanz.FieldError("mode", "error.relay.mode", fmt.Sprintf("Unknown listener mode %q (local or relay).", mode))
}

// RelayInfo is one paired relay as Settings → Listener shows it.
type RelayInfo struct {
	ID  string `json:"id"`
	URL string `json:"url"`
	// Links is true when the links in new mails point at this relay.
	Links bool `json:"links"`
	// LastSync is the end of the last complete sync (nil: never).
	LastSync *time.Time `json:"lastSync,omitempty"`
	// LastProblem is why the last sync failed (nil when it succeeded).
	LastProblem *Problem `json:"lastProblem,omitempty"`
	// Reachable is the answer of the status check just now; Problem says
	// why not.
	Reachable bool     `json:"reachable"`
	Problem   *Problem `json:"problem,omitempty"`
	// Pending counts the events waiting on the relay for the next sync.
	Pending int `json:"pending"`
}

// Desk returns the services events are applied through, with the desk's
// key (an error when the desk was never paired).
func (r *Relays) Desk(ctx context.Context) (Desk, error) {
	kb, err := r.secret(ctx, deskKeySecret, nil)
	if err != nil {
		return Desk{}, err
	}
	key, err := ParseDeskKey(kb)
	if err != nil {
		return Desk{}, err
	}
	d := r.cfg.Apply
	d.Key = key
	return d, nil
}

// Overview is Settings → Listener's view of local listener and relays.
type Overview struct {
	Mode string `json:"mode"`
	// LinksURL is where the links in new mails point.
	LinksURL string `json:"linksUrl"`
	// LocalPublicURL is the local listener's remembered public URL.
	LocalPublicURL string      `json:"localPublicUrl"`
	Relays         []RelayInfo `json:"relays"`
	// Sync is the sync running now (nil: none).
	Sync *SyncProgress `json:"sync,omitempty"`
}

// Overview returns the mode, the paired relays and their state; each relay
// is asked for its status (concurrently, bounded by StatusTimeout).
func (r *Relays) Overview(ctx context.Context) (Overview, error) {
	out := Overview{Mode: ModeLocal, Relays: []RelayInfo{}}
	ps, err := r.Pairings(ctx)
	if err != nil {
		return out, err
	}
	ls, err := r.listener(ctx)
	if err != nil {
		return out, err
	}
	st, err := r.state(ctx)
	if err != nil {
		return out, err
	}
	out.LinksURL, out.LocalPublicURL = ls.PublicURL, st.LocalPublicURL
	if isRelayURL(ls.PublicURL, ps) {
		out.Mode = ModeRelay
	} else {
		out.LocalPublicURL = ls.PublicURL
	}
	out.Relays = make([]RelayInfo, len(ps))
	var wg sync.WaitGroup
	for i, p := range ps {
		info := RelayInfo{ID: p.RelayID, URL: p.URL, Links: isRelayURL(ls.PublicURL, []Pairing{p})}
		if s, ok := st.Relays[p.RelayID]; ok {
			if !s.LastSync.IsZero() {
				t := s.LastSync
				info.LastSync = &t
			}
			info.LastProblem = s.Problem
		}
		out.Relays[i] = info
		wg.Add(1)
		go func(i int, p Pairing) {
			defer wg.Done()
			cctx, cancel := context.WithTimeout(ctx, r.cfg.StatusTimeout)
			defer cancel()
			status, err := NewClient(p).Status(cctx)
			if err == nil && status.RelayID != p.RelayID {
				err = &resonanz.Error{Code: resonanz.ECONFLICT, Key: "error.relay.otherRelay",
					Params:  map[string]string{"url": p.URL, "id": status.RelayID, "paired": p.RelayID},
					Message: fmt.Sprintf("At %s answers relay %s, not the paired relay %s: pair again.", p.URL, status.RelayID, p.RelayID)}
			}
			if err != nil {
				out.Relays[i].Problem = problemOf(p.URL, err)
				return
			}
			out.Relays[i].Reachable = true
			for _, n := range status.Pending {
				out.Relays[i].Pending += n
			}
		}(i, p)
	}
	wg.Wait()
	r.runMu.Lock()
	if r.running != nil {
		cp := *r.running
		out.Sync = &cp
	}
	r.runMu.Unlock()
	return out, nil
}

// SyncProgress is where a running sync is.
type SyncProgress struct {
	RelayID string `json:"relayId"`
	// Phase is "collect" (events from the relay) or "publish" (the desk's
	// data to the relay).
	Phase string `json:"phase"`
	Done  int    `json:"done"`
	Total int    `json:"total"`
}

// SyncResult is one relay's sync.
type SyncResult struct {
	RelayID   string         `json:"relayId"`
	URL       string         `json:"url"`
	Collected CollectResult  `json:"collected"`
	Published *PublishResult `json:"published,omitempty"`
	Error     string         `json:"error,omitempty"`
	Problem   *Problem       `json:"problem,omitempty"`
}

// countingJournal counts the events collect takes up, a page at a time
// (collect progress).
type countingJournal struct {
	Journal
	add func(int)
}

func (j countingJournal) Applied(ctx context.Context, ids []string) (map[string]bool, error) {
	m, err := j.Journal.Applied(ctx, ids)
	if err == nil {
		j.add(len(ids))
	}
	return m, err
}

// countingProfiles counts the profiles read for a publication.
type countingProfiles struct {
	listener.Profiles
	add func(int)
}

func (p countingProfiles) Profile(ctx context.Context, id int64) (listener.ProfileView, error) {
	v, err := p.Profiles.Profile(ctx, id)
	p.add(1)
	return v, err
}

// Sync collects every paired relay's events (applying them like the local
// listener would) and then, with publish, publishes the desk's data to
// each relay that could be collected. progress (may be nil) hears where it
// is. It returns an error when a relay could not be synced; the results
// say which.
func (r *Relays) Sync(ctx context.Context, publish bool, progress func(SyncProgress)) ([]SyncResult, error) {
	ps, err := r.Pairings(ctx)
	if err != nil {
		return nil, err
	}
	if len(ps) == 0 {
		return nil, &resonanz.Error{Code: resonanz.EINVALID, Key: "error.relay.nonePaired",
			Message: "No relay is paired: run `resonanz relay connect CODE` with the code from `resonanz relay pair`, or paste it in Settings → Listener."}
	}
	r.syncMu.Lock()
	defer r.syncMu.Unlock()
	report := func(p SyncProgress) {
		r.runMu.Lock()
		r.running = &p
		r.runMu.Unlock()
		if progress != nil {
			progress(p)
		}
	}
	defer func() {
		r.runMu.Lock()
		r.running = nil
		r.runMu.Unlock()
	}()
	apply, err := r.Desk(ctx)
	if err != nil {
		return nil, err
	}
	personKey, err := r.PersonKey(ctx)
	if err != nil {
		return nil, err
	}
	started := time.Now()
	out := make([]SyncResult, len(ps))
	ok := make([]bool, len(ps))
	for i, p := range ps {
		c := NewClient(p)
		out[i] = SyncResult{RelayID: p.RelayID, URL: p.URL}
		prog := SyncProgress{RelayID: p.RelayID, Phase: "collect"}
		if st, err := c.Status(ctx); err == nil {
			for _, n := range st.Pending {
				prog.Total += n
			}
		}
		report(prog)
		desk := apply
		desk.Journal = countingJournal{Journal: desk.Journal, add: func(n int) {
			prog.Done += n
			prog.Total = max(prog.Total, prog.Done)
			report(prog)
		}}
		out[i].Collected, err = Collect(ctx, c, desk)
		if err != nil {
			out[i].Error, out[i].Problem = err.Error(), problemOf(p.URL, err)
			continue
		}
		ok[i] = true
	}
	if publish {
		// Clear the flag before reading: a change made while the
		// publication is read sets it again and is published next time.
		if r.cfg.Changes != nil {
			if _, err := r.cfg.Changes.TakeChanged(ctx); err != nil {
				return out, err
			}
		}
		total := 0
		if page, err := r.cfg.Source.Recipients.FindRecipients(ctx, resonanz.RecipientFilter{Limit: 1}); err == nil {
			total = page.Total
		}
		for i, p := range ps {
			if !ok[i] {
				continue
			}
			prog := SyncProgress{RelayID: p.RelayID, Phase: "publish", Total: total}
			report(prog)
			src := r.cfg.Source
			src.PersonKey = personKey
			if src.AddressKey, err = r.secret(ctx, addressKeySecret, random32); err != nil {
				return out, err
			}
			src.Profiles = countingProfiles{Profiles: src.Profiles, add: func(n int) {
				prog.Done += n
				if prog.Done%50 == 0 || prog.Done == prog.Total {
					report(prog)
				}
			}}
			pub, err := PublishAll(ctx, NewClient(p), src, out[i].Collected.Through)
			out[i].Published = &pub
			if err != nil {
				ok[i] = false
				out[i].Error, out[i].Problem = err.Error(), problemOf(p.URL, err)
			}
		}
	}
	if err := r.record(ctx, out, ok); err != nil {
		r.cfg.Log.Error("relay: recording the sync state", "err", err)
	}
	if publish {
		all := true
		for _, b := range ok {
			all = all && b
		}
		if all {
			r.published(started)
		}
	}
	var errs []error
	for i, res := range out {
		if !ok[i] {
			errs = append(errs, fmt.Errorf("relay %s (%s): %s", res.RelayID, res.URL, res.Error))
		}
	}
	if len(errs) > 0 {
		var first *Problem
		for i := range out {
			if !ok[i] {
				first = out[i].Problem
				break
			}
		}
		e := first.err(resonanz.ECONFLICT)
		e.Message = errors.Join(errs...).Error()
		return out, e
	}
	return out, nil
}

// record keeps each relay's last sync and problem.
func (r *Relays) record(ctx context.Context, out []SyncResult, ok []bool) error {
	st, err := r.state(ctx)
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	for i, res := range out {
		s := st.Relays[res.RelayID]
		s.LastAttempt = now
		if ok[i] {
			s.LastSync, s.Problem = now, nil
		} else {
			s.Problem = res.Problem
		}
		st.Relays[res.RelayID] = s
	}
	return r.cfg.Settings.SetValue(ctx, stateSetting, st)
}

// BeforeSend collects the paired relays' events and publishes before a
// send. When a relay cannot be synced the send does not start, unless the
// user says so (force; warn hears why): its unsubscribes would be missed.
func (r *Relays) BeforeSend(ctx context.Context, force bool, warn io.Writer) error {
	ps, err := r.Pairings(ctx)
	if err != nil || len(ps) == 0 {
		return err
	}
	if _, err := r.Sync(ctx, true, nil); err != nil {
		if force {
			fmt.Fprintf(warn, "resonanz: sending without the relay's latest events: %s\n", resonanz.ErrorMessage(err))
			return nil
		}
		msg := resonanz.ErrorMessage(err)
		u := ps[0].URL
		var re *resonanz.Error
		if errors.As(err, &re) && re.Params["url"] != "" {
			u = re.Params["url"]
		}
		return &resonanz.Error{Code: resonanz.ECONFLICT, Key: "error.relay.beforeSend", Params: map[string]string{"url": u},
			Message: fmt.Sprintf("The relay could not be synced before the send, so unsubscribes made there may be missing: %s. The send did not start; start it anyway with --without-relay.", msg)}
	}
	return nil
}

func random32() ([]byte, error) {
	b := make([]byte, 32)
	_, err := rand.Read(b)
	return b, err
}

// AutoPublisher returns the publisher that syncs the paired relays when
// published data changed (the flag in DeskConfig.Changes); run it with Run
// while the desk is open.
func (r *Relays) AutoPublisher() *AutoPublisher {
	p := &AutoPublisher{
		Changed: r.cfg.Changes.TakeChanged,
		Active: func(ctx context.Context) bool {
			ps, err := r.Pairings(ctx)
			return err == nil && len(ps) > 0
		},
		Publish: func(ctx context.Context) error {
			_, err := r.Sync(ctx, true, nil)
			return err
		},
		Problem: func(err error) *Problem { return problemOf("", err) },
		Log:     r.cfg.Log,
	}
	r.published = p.Published
	return p
}

// Failures lists the relay events the desk could not apply: quarantined,
// or tried again by the next sync; each with its reason (a catalogue key).
func (r *Relays) Failures(ctx context.Context) ([]resonanz.RelayFailure, error) {
	return r.cfg.Apply.Journal.Failures(ctx)
}

// Retry applies a failed or quarantined event again from the sealed copy
// the desk kept (see Retry).
func (r *Relays) Retry(ctx context.Context, id string) error {
	d, err := r.Desk(ctx)
	if err != nil {
		return err
	}
	return Retry(ctx, d, id)
}
