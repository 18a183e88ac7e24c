package desktop

import (
	"context"
	"time"

	"github.com/resonanz/resonanz/backend/resonanz"
)

// MailboxService is what the Mailbox façade needs; the composition root
// implements it (the password lives in the secret store, not the database).
type MailboxService interface {
	Settings(ctx context.Context) (resonanz.MailboxSettings, error)
	Save(ctx context.Context, s resonanz.MailboxSettings, password string, clearPassword bool) (resonanz.MailboxSettings, error)
	// Test connects and logs in; its errors name the field to fix (host,
	// security, password, folders).
	Test(ctx context.Context) error
	// Sync reads the mailbox once; a second call while one runs is
	// refused (ECONFLICT).
	Sync(ctx context.Context, progress func(resonanz.MailboxProgress)) (resonanz.MailboxSyncResult, error)
	Status(ctx context.Context) (resonanz.MailboxStatus, error)
	Replies(ctx context.Context, limit int) ([]resonanz.MailboxMessage, error)
}

// Mailbox is the bound façade of Settings → Mailbox and the replies list.
type Mailbox struct {
	ctx    context.Context
	svc    MailboxService
	events Emitter
}

// NewMailbox returns the façade.
func NewMailbox(ctx context.Context, svc MailboxService, events Emitter) *Mailbox {
	return &Mailbox{ctx: ctx, svc: svc, events: events}
}

// GetSettings returns the mailbox settings (never the password).
func (m *Mailbox) GetSettings() (resonanz.MailboxSettings, error) { return m.svc.Settings(m.ctx) }

// SaveMailboxRequest carries the settings and, when it changes, the password.
type SaveMailboxRequest struct {
	Settings resonanz.MailboxSettings `json:"settings"`
	// Password replaces the stored one when not empty.
	Password string `json:"password"`
	// ClearPassword removes the stored password.
	ClearPassword bool `json:"clearPassword"`
}

// SaveSettings validates and stores the mailbox settings.
func (m *Mailbox) SaveSettings(req SaveMailboxRequest) (resonanz.MailboxSettings, error) {
	return m.svc.Save(m.ctx, req.Settings, req.Password, req.ClearPassword)
}

// TestConnection connects to the IMAP server, logs in and opens the
// folders; the error says what is wrong.
func (m *Mailbox) TestConnection() (bool, error) {
	if err := m.svc.Test(m.ctx); err != nil {
		return false, err
	}
	return true, nil
}

// Sync reads the mailbox now; progress goes out as resonanz.EventMailboxProgress.
func (m *Mailbox) Sync() (resonanz.MailboxSyncResult, error) {
	emit := Throttle(m.events, resonanz.EventMailboxProgress, 100*time.Millisecond)
	return m.svc.Sync(m.ctx, func(p resonanz.MailboxProgress) { emit(p, p.Done == p.Total) })
}

// Status reports the running or last sync.
func (m *Mailbox) Status() (resonanz.MailboxStatus, error) { return m.svc.Status(m.ctx) }

// Replies lists the replies the syncs kept for the user (newest first).
func (m *Mailbox) Replies(limit int) ([]resonanz.MailboxMessage, error) {
	return m.svc.Replies(m.ctx, limit)
}
