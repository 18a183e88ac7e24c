package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/resonanz/resonanz/backend/listener"
	"github.com/resonanz/resonanz/backend/resonanz"
	"github.com/resonanz/resonanz/backend/sqlite"
)

// newListener builds the recipient-facing listener over the app's store.
// trackRate limits tracking requests per client IP and second (0: the
// listener's default, negative: off, e.g. for load tests).
func (a *App) newListener(addr, publicURL string, trackRate float64, trusted []string, log *slog.Logger, opts ...func(*listener.Config)) (*listener.Server, error) {
	secret, err := a.listenerSetup.Key(context.Background())
	if err != nil {
		return nil, err
	}
	proxies, err := listener.TrustedProxies(trusted)
	if err != nil {
		return nil, err
	}
	cfg := listener.Config{Addr: addr, PublicURL: publicURL, Secret: secret, Log: log, TrackRate: trackRate, TrustedProxies: proxies}
	for _, o := range opts {
		o(&cfg)
	}
	if err := cfg.Validate(); err != nil {
		return nil, resonanz.E(resonanz.EINVALID, "error.listener.config", "The listener cannot start: {reason}", "reason", err)
	}
	// Hits go to the inbox beside the store (durable at the answer rate)
	// and are merged into the store in large transactions; Shutdown closes
	// it after the last hit, merging what is left.
	inbox, err := sqlite.OpenHitInbox(context.Background(), a.db, log)
	if err != nil {
		return nil, err
	}
	inbox.Start()
	return listener.New(cfg, listener.Deps{Hits: inbox, Links: a.mailingSvc, Images: a.mailingSvc,
		Subscriptions: a.portal, Profiles: a.portal, Surveys: a.portal, Signups: a.portal, Mailer: a.portal, Brands: a.portal}), nil
}

// listenerRun is the one listener the desk owns: started and stopped from
// Settings (or with the app), stopped gracefully on shutdown so that the
// batched hits are written.
type listenerRun struct {
	mu        sync.Mutex
	srv       *listener.Server
	done      chan struct{} // closed when Serve returned
	addr      string
	publicURL string
	started   time.Time
	err       string
	failed    atomic.Value // string: why Serve returned by itself
}

// StartListener starts the desk's listener with the stored settings; it
// is a no-op while one runs.
func (a *App) StartListener(ctx context.Context) (resonanz.ListenerStatus, error) {
	lr := &a.listen
	lr.mu.Lock()
	defer lr.mu.Unlock()
	if lr.srv != nil {
		return a.listenerStatusLocked(), nil
	}
	if a.db == nil {
		return a.listenerStatusLocked(), resonanz.E(resonanz.EINVALID, "error.cli.restoreBackupData", "Restore a backup first: the data file is damaged.")
	}
	ls, err := a.listenerSetup.Load(ctx)
	if err != nil {
		return a.listenerStatusLocked(), err
	}
	public := ls.PublicURL
	if public == "" {
		public = "http://" + ls.Addr
	}
	srv, err := a.newListener(ls.Addr, public, 0, ls.TrustedProxies, a.log)
	if err != nil {
		lr.err = resonanz.ErrorMessage(err)
		return a.listenerStatusLocked(), err
	}
	ln, err := net.Listen("tcp", ls.Addr)
	if err != nil {
		srv.Shutdown(ctx)
		e := resonanz.E(resonanz.ECONFLICT, "error.cli.listenAnotherProgram", "Cannot listen on {addr}: {reason}. Is another program (or another Resonanz) using the port? Pick another address.", "addr", ls.Addr, "reason", errors.Unwrap(err))
		lr.err = e.Error()
		return a.listenerStatusLocked(), e
	}
	lr.srv, lr.done, lr.addr, lr.publicURL, lr.started, lr.err = srv, make(chan struct{}), ln.Addr().String(), public, a.db.Now(), ""
	go func(srv *listener.Server, done chan struct{}) {
		// Not under lr.mu: StopListener holds it while waiting for done.
		if err := srv.Serve(context.Background(), ln); err != nil {
			a.log.Error("listener stopped", "err", err)
			lr.failed.Store(err.Error())
		}
		close(done)
	}(srv, lr.done)
	a.log.Info("listener started", "addr", lr.addr, "publicUrl", public)
	return a.listenerStatusLocked(), nil
}

// StopListener stops the desk's listener gracefully: running requests end,
// then every queued hit is written.
func (a *App) StopListener(ctx context.Context) (resonanz.ListenerStatus, error) {
	lr := &a.listen
	lr.mu.Lock()
	defer lr.mu.Unlock()
	if lr.srv == nil {
		return a.listenerStatusLocked(), nil
	}
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	err := lr.srv.Shutdown(sctx)
	<-lr.done
	st := lr.srv.Stats()
	lr.srv = nil
	if err != nil {
		lr.err = err.Error()
		return a.listenerStatusLocked(), fmt.Errorf("stop listener: %w", err)
	}
	a.log.Info("listener stopped", "hits", st.Recorded, "dropped", st.Dropped)
	return a.listenerStatusLocked(), nil
}

// ListenerStatus reports the desk's listener.
func (a *App) ListenerStatus() resonanz.ListenerStatus {
	a.listen.mu.Lock()
	defer a.listen.mu.Unlock()
	return a.listenerStatusLocked()
}

func (a *App) listenerStatusLocked() resonanz.ListenerStatus {
	lr := &a.listen
	if lr.srv != nil {
		select {
		case <-lr.done: // stopped by itself: write its hits, report why
			lr.srv.Shutdown(context.Background())
			lr.srv = nil
			lr.err, _ = lr.failed.Load().(string)
		default:
		}
	}
	st := resonanz.ListenerStatus{Error: lr.err}
	if lr.srv == nil {
		return st
	}
	s := lr.srv.Stats()
	st.Running, st.Addr, st.PublicURL, st.StartedAt = true, lr.addr, lr.publicURL, lr.started
	st.Hits, st.Queued, st.Dropped, st.Notices, st.NoticeErrors = s.Recorded, s.Queued, s.Dropped+s.Failed, s.NoticesSent, s.NoticeErrors
	return st
}

// autoStartListener starts the listener when the settings say so; a failure
// is logged and shown in Settings, it does not keep the desk from opening.
// Without a listener, it merges what a crashed one left in the hit inbox.
func (a *App) autoStartListener(ctx context.Context) {
	if a.db == nil { // recovery: nothing to serve from
		return
	}
	ls, err := a.listenerSetup.Load(ctx)
	if err == nil && ls.AutoStart {
		if _, err := a.StartListener(ctx); err != nil {
			a.log.Warn("listener did not start with the app", "err", err)
		}
	}
	if !a.ListenerStatus().Running {
		a.mergeLeftHits()
	}
}

// mergeLeftHits merges in the background what a listener that crashed or
// was killed left in the hit inbox (a running listener would adopt it), so
// its hits reach the reports without another listener run.
func (a *App) mergeLeftHits() {
	if !sqlite.LeftHits(a.db) {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	a.mu.Lock()
	a.leftHitsStop = cancel
	a.mu.Unlock()
	a.leftHits.Go(func() {
		defer cancel()
		n, err := sqlite.MergeLeftHits(ctx, a.db, a.log)
		if err != nil && ctx.Err() == nil {
			a.log.Error("merging the hits a listener left failed; they stay in the inbox", "err", err)
		}
		if n > 0 {
			a.log.Info("merged the hits a listener left", "hits", n)
		}
	})
}
