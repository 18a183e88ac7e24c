package main

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/resonanz/resonanz/backend/bulk"
	"github.com/resonanz/resonanz/backend/mailbox"
	"github.com/resonanz/resonanz/backend/resonanz"
	"github.com/resonanz/resonanz/backend/send"
	"github.com/resonanz/resonanz/backend/sqlite"
)

// mailboxRun is the state of the desk's mailbox syncs: one at a time, the
// last result and the progress of the running one.
type mailboxRun struct {
	mu      sync.Mutex
	running bool
	status  resonanz.MailboxStatus
	loop    sync.Once
}

// mailboxOverride replaces parts of the stored settings for one command
// (resonanz mailbox sync --imap ...).
type mailboxOverride struct {
	Host     string
	Port     int
	User     string
	Security string
	Folder   string
}

// mailboxConfigFor returns the connection of the stored settings with the
// override applied.
func (a *App) mailboxConfigFor(ctx context.Context, o mailboxOverride) (mailbox.Config, resonanz.MailboxSettings, error) {
	s, err := a.mailboxAccount.Load(ctx)
	if err != nil {
		return mailbox.Config{}, s, err
	}
	if o.Host != "" {
		s.Host, s.Port = o.Host, o.Port
	}
	if o.User != "" {
		s.Username = o.User
	}
	if o.Security != "" {
		s.Security = o.Security
	}
	if o.Folder != "" {
		s.Folders = []string{o.Folder}
	}
	if s.Host == "" {
		return mailbox.Config{}, s, resonanz.FieldError("host", "error.mailbox.missing", "Set up the mailbox first (Settings → Mailbox), or give --imap HOST:PORT.")
	}
	pw, err := a.mailboxAccount.Password(ctx)
	if err != nil {
		return mailbox.Config{}, s, err
	}
	return mailbox.ConfigFrom(s, pw), s, nil
}

// mailTokens signs the tokens of the addresses that lead back, with a key
// derived from the listener's per-installation secret.
func (a *App) mailTokens(ctx context.Context) (*mailbox.Tokens, error) {
	secret, err := a.listenerSetup.Key(ctx)
	if err != nil {
		return nil, err
	}
	return mailbox.NewTokens(secret)
}

// mailboxAddresses are the addresses that lead back, from the settings.
func (a *App) mailboxAddresses(ctx context.Context, s resonanz.MailboxSettings) (mailbox.Addresses, error) {
	addr := mailbox.Addresses{Bounce: s.BounceAddress, Unsubscribe: s.UnsubscribeAddress, SubAddressing: s.SubAddressing}
	if addr.Bounce == "" && addr.Unsubscribe == "" {
		return addr, nil
	}
	tk, err := a.mailTokens(ctx)
	addr.Tokens = tk
	return addr, err
}

// returnAddresses is send.Services.Return: nil when no bounce or
// unsubscribe address is set.
func (a *App) returnAddresses(ctx context.Context) (send.ReturnAddresses, error) {
	s, err := a.mailboxAccount.Load(ctx)
	if err != nil {
		return nil, err
	}
	addr, err := a.mailboxAddresses(ctx, s)
	if err != nil || (addr.Bounce == "" && addr.Unsubscribe == "") {
		return nil, err
	}
	return addr, nil
}

// errMailboxBusy is returned when a sync is asked for while one runs.
var errMailboxBusy = resonanz.E(resonanz.ECONFLICT, "error.cli.mailboxSyncRunning", "A mailbox sync is running already.")

// syncMailbox runs one sync (one at a time per process) and keeps its
// result for the desk's status.
func (a *App) syncMailbox(ctx context.Context, o mailboxOverride, progress func(resonanz.MailboxProgress)) (resonanz.MailboxSyncResult, error) {
	run := &a.mailboxRun
	run.mu.Lock()
	if run.running {
		run.mu.Unlock()
		return resonanz.MailboxSyncResult{}, errMailboxBusy
	}
	run.running = true
	run.status.Running, run.status.Progress, run.status.Error = true, resonanz.MailboxProgress{}, ""
	run.mu.Unlock()
	res, err := a.syncMailboxOnce(ctx, o, func(p resonanz.MailboxProgress) {
		run.mu.Lock()
		run.status.Progress = p
		run.mu.Unlock()
		if progress != nil {
			progress(p)
		}
	})
	run.mu.Lock()
	run.running, run.status.Running, run.status.LastAt = false, false, time.Now().UTC()
	if err != nil {
		run.status.Error = resonanz.ErrorMessage(err)
	} else {
		r := res
		run.status.Last = &r
	}
	run.mu.Unlock()
	return res, err
}

func (a *App) syncMailboxOnce(ctx context.Context, o mailboxOverride, progress func(resonanz.MailboxProgress)) (resonanz.MailboxSyncResult, error) {
	cfg, s, err := a.mailboxConfigFor(ctx, o)
	if err != nil {
		return resonanz.MailboxSyncResult{Errors: []resonanz.MailboxError{}}, err
	}
	addr, err := a.mailboxAddresses(ctx, s)
	if err != nil {
		return resonanz.MailboxSyncResult{Errors: []resonanz.MailboxError{}}, err
	}
	if addr.Tokens == nil {
		// Without configured addresses the sync still checks tokens of
		// mails sent before the addresses were removed.
		addr.Tokens, _ = a.mailTokens(ctx)
	}
	syncer := &mailbox.Syncer{Store: sqlite.NewMailboxStore(a.db), Addresses: addr, SoftBounceLimit: s.SoftBounceLimit}
	// A batch's messages and their parsed parts die with the batch: the
	// collector may run less often, as for an import.
	defer bulk.GC()()
	return syncer.Sync(ctx, cfg, progress)
}

// MailboxStatus reports the desk's last and running sync.
func (a *App) MailboxStatus() resonanz.MailboxStatus {
	a.mailboxRun.mu.Lock()
	defer a.mailboxRun.mu.Unlock()
	return a.mailboxRun.status
}

// startMailboxLoop syncs the mailbox while the desk runs: once shortly
// after the start (when set) and every IntervalMinutes. The settings are
// read again each minute, so a change applies without a restart.
func (a *App) startMailboxLoop(ctx context.Context, log *slog.Logger) {
	if a.db == nil {
		return // recovery: no store
	}
	a.mailboxRun.loop.Do(func() {
		go func() {
			var last time.Time                      // zero until the first tick
			tick := time.NewTimer(20 * time.Second) // not while the first screen loads
			defer tick.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-tick.C:
				}
				tick.Reset(time.Minute)
				s, err := a.mailboxAccount.Load(ctx)
				if err != nil || s.Host == "" {
					continue
				}
				interval := time.Duration(s.IntervalMinutes) * time.Minute
				due := (last.IsZero() && s.SyncOnStart) || (!last.IsZero() && interval > 0 && time.Since(last) >= interval)
				if last.IsZero() {
					last = time.Now() // the interval counts from the start
				}
				if !due {
					continue
				}
				last = time.Now()
				res, err := a.syncMailbox(ctx, mailboxOverride{}, func(p resonanz.MailboxProgress) {
					a.events.Emit(resonanz.EventMailboxProgress, p)
				})
				if err != nil && !errors.Is(err, errMailboxBusy) && ctx.Err() == nil {
					log.Warn("mailbox sync failed", "error", resonanz.ErrorMessage(err))
				} else if err == nil {
					a.events.Emit(resonanz.EventMailboxDone, res)
				}
			}
		}()
	})
}

// mailboxFacade implements desktop.MailboxService over the app.
type mailboxFacade struct{ a *App }

func (m mailboxFacade) Settings(ctx context.Context) (resonanz.MailboxSettings, error) {
	return m.a.mailboxAccount.Load(ctx)
}

func (m mailboxFacade) Save(ctx context.Context, s resonanz.MailboxSettings, password string, clear bool) (resonanz.MailboxSettings, error) {
	return m.a.mailboxAccount.Save(ctx, s, password, clear)
}

func (m mailboxFacade) Test(ctx context.Context) error {
	cfg, _, err := m.a.mailboxConfigFor(ctx, mailboxOverride{})
	if err != nil {
		return err
	}
	return mailbox.Test(ctx, cfg)
}

func (m mailboxFacade) Sync(ctx context.Context, progress func(resonanz.MailboxProgress)) (resonanz.MailboxSyncResult, error) {
	return m.a.syncMailbox(ctx, mailboxOverride{}, progress)
}

func (m mailboxFacade) Status(ctx context.Context) (resonanz.MailboxStatus, error) {
	return m.a.MailboxStatus(), nil
}

func (m mailboxFacade) Replies(ctx context.Context, limit int) ([]resonanz.MailboxMessage, error) {
	return sqlite.NewMailboxStore(m.a.db).Replies(ctx, limit)
}
