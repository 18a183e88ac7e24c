package relay

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// AutoPublisher publishes to the paired relays when published data
// changed: it polls the change flag, waits until the changes have been
// quiet for Quiet (or MaxDelay after the first one, so a steady stream of
// changes is still published), and then syncs in the background. A burst
// of changes becomes one publication; a change made while a publication
// runs is published by the next one. A failed publication is retried
// after Retry. Nothing here blocks the caller of a change.
type AutoPublisher struct {
	// Changed reports (and clears) the change flag.
	Changed func(ctx context.Context) (bool, error)
	// Active reports whether any relay is paired (no polling otherwise).
	Active func(ctx context.Context) bool
	// Publish collects and publishes (Relays.Sync with publish).
	Publish func(ctx context.Context) error
	// Problem describes a failed publication for the status.
	Problem func(err error) *Problem
	Log     *slog.Logger

	Poll, Quiet, MaxDelay, Retry time.Duration
	Now                          func() time.Time

	kick chan struct{}
	once sync.Once

	mu     sync.Mutex
	status AutoStatus
	first  time.Time // first change not yet published (zero: none)
	last   time.Time // the latest change seen
}

// AutoStatus is the state of publish on change, for Settings → Listener.
type AutoStatus struct {
	// Pending is true while changes wait for the quiet period.
	Pending bool `json:"pending"`
	Running bool `json:"running"`
	// LastAt is when the last publication on change ended (nil: none yet).
	LastAt *time.Time `json:"lastAt,omitempty"`
	// Problem is why the last one failed (nil: it succeeded).
	Problem *Problem `json:"problem,omitempty"`
	// Count is the number of publications on change since the start.
	Count int `json:"count"`
}

func (p *AutoPublisher) init() {
	p.once.Do(func() {
		p.kick = make(chan struct{}, 1)
		if p.Poll == 0 {
			p.Poll = time.Second
		}
		if p.Quiet == 0 {
			p.Quiet = 3 * time.Second
		}
		if p.MaxDelay == 0 {
			p.MaxDelay = 30 * time.Second
		}
		if p.Retry == 0 {
			p.Retry = time.Minute
		}
		if p.Now == nil {
			p.Now = time.Now
		}
		if p.Log == nil {
			p.Log = slog.New(slog.DiscardHandler)
		}
		if p.Active == nil {
			p.Active = func(context.Context) bool { return true }
		}
	})
}

// Status returns the state of publish on change.
func (p *AutoPublisher) Status() AutoStatus {
	p.init()
	p.mu.Lock()
	defer p.mu.Unlock()
	st := p.status
	st.Pending = !p.first.IsZero()
	return st
}

// Schedule asks for a publication as if data had changed just now (after
// a pairing, for instance).
func (p *AutoPublisher) Schedule() {
	p.init()
	p.mu.Lock()
	p.note(p.Now().Add(-p.Quiet)) // due at the next step
	p.mu.Unlock()
	select {
	case p.kick <- struct{}{}:
	default:
	}
}

// Published tells the publisher that a publication (a manual sync, the one
// before a send) read the data at started: changes seen before then need
// no publication of their own.
func (p *AutoPublisher) Published(started time.Time) {
	p.init()
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.first.IsZero() && p.last.Before(started) {
		p.first, p.last = time.Time{}, time.Time{}
	}
}

func (p *AutoPublisher) note(now time.Time) {
	if p.first.IsZero() {
		p.first = now
	}
	p.last = now
}

// Run polls and publishes until ctx is done.
func (p *AutoPublisher) Run(ctx context.Context) {
	p.init()
	t := time.NewTicker(p.Poll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-p.kick:
		}
		p.step(ctx)
	}
}

// step is one poll: take the flag, and publish when the changes are due.
func (p *AutoPublisher) step(ctx context.Context) {
	if !p.Active(ctx) {
		return
	}
	changed, err := p.Changed(ctx)
	if err != nil {
		p.Log.Error("relay: publish on change: reading the change flag", "err", err)
		return
	}
	now := p.Now()
	p.mu.Lock()
	if changed {
		p.note(now)
	}
	due := !p.first.IsZero() && (now.Sub(p.last) >= p.Quiet || now.Sub(p.first) >= p.MaxDelay)
	if due {
		p.first, p.last = time.Time{}, time.Time{}
		p.status.Running = true
	}
	p.mu.Unlock()
	if !due {
		return
	}
	err = p.Publish(ctx)
	end := p.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.status.Running = false
	p.status.Count++
	p.status.LastAt = &end
	p.status.Problem = nil
	if err != nil && ctx.Err() == nil {
		p.Log.Warn("relay: publish on change failed; retrying later", "err", err)
		if p.Problem != nil {
			p.status.Problem = p.Problem(err)
		}
		// Try again after Retry (unless newer changes come first).
		if p.first.IsZero() {
			retry := end.Add(p.Retry - p.Quiet)
			p.first, p.last = retry, retry
		}
	}
}
