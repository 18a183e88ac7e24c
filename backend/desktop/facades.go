package desktop

import (
	"context"
	"encoding/base64"
	"slices"
	"sync"

	"github.com/resonanz/resonanz/backend/resonanz"
)

// Settings is the bound façade for the Settings screen.
type Settings struct {
	ctx  context.Context
	svc  resonanz.SettingsService
	mail MailServer
}

// NewSettings returns the Settings façade; ctx lives as long as the app.
// mail (nil in tests that do not need it) keeps the mail server settings.
func NewSettings(ctx context.Context, svc resonanz.SettingsService, mail MailServer) *Settings {
	return &Settings{ctx: ctx, svc: svc, mail: mail}
}

// GetSender returns the stored sender identity.
func (s *Settings) GetSender() (resonanz.SenderIdentity, error) { return s.svc.Sender(s.ctx) }

// SaveSender validates and stores the sender identity and returns what was stored.
func (s *Settings) SaveSender(in resonanz.SenderIdentity) (resonanz.SenderIdentity, error) {
	return s.svc.SetSender(s.ctx, in)
}

// SystemInfo describes the running program for the status bar and support.
type SystemInfo struct {
	Version       string `json:"version"`
	DataDir       string `json:"dataDir"`
	DBPath        string `json:"dbPath"`
	Mode          string `json:"mode"` // "desktop" or "browser"
	SchemaVersion int    `json:"schemaVersion"`
	// Damaged is the message about a damaged data file; the UI then shows
	// only the recovery screen. Empty when the file is sound.
	Damaged string `json:"damaged,omitempty"`
	// NewestBackup is the newest backup that passed its check (recovery).
	NewestBackup string `json:"newestBackup,omitempty"`
}

// System is the bound façade for program-wide information and the native
// file dialog.
type System struct {
	ctx    context.Context
	infoMu sync.Mutex // info changes once when a late integrity check finds damage
	info   SystemInfo
	window *Window // nil in browser mode
	audit  resonanz.AuditService

	shown, ready sync.Once
	onShown      func(StartTimings, bool)
	onReady      func(StartTimings)
}

// NewSystem returns the System façade reporting info; window is nil in
// browser mode.
func NewSystem(ctx context.Context, info SystemInfo, window *Window, audit resonanz.AuditService) *System {
	return &System{ctx: ctx, info: info, window: window, audit: audit}
}

// SaveTextFile asks where to save a file (desktop window only) and writes
// content there; it returns the path, or "" when the user cancelled.
func (s *System) SaveTextFile(name, content string) (string, error) {
	if s.window == nil {
		return "", resonanz.E(resonanz.EINVALID, "error.file.downloadFileInstead", "Download the file instead: there is no save dialog in browser mode.")
	}
	return s.window.SaveFile(name, []byte(content))
}

// SaveBase64File is SaveTextFile for binary content (a ZIP archive) that
// travels base64-encoded through the bridge.
func (s *System) SaveBase64File(name, content string) (string, error) {
	if s.window == nil {
		return "", resonanz.E(resonanz.EINVALID, "error.file.downloadFileInstead", "Download the file instead: there is no save dialog in browser mode.")
	}
	data, err := base64.StdEncoding.DecodeString(content)
	if err != nil {
		return "", resonanz.E(resonanz.EINVALID, "error.file.fileContentValid", "The file content is not valid base64.")
	}
	return s.window.SaveFile(name, data)
}

// AuditLog returns the newest admin actions, newest first (limit 1..1000).
func (s *System) AuditLog(limit int) ([]resonanz.AuditEntry, error) {
	if s.audit == nil { // recovery: no store
		return []resonanz.AuditEntry{}, nil
	}
	return s.audit.Recent(s.ctx, limit)
}

// PickCSVFile opens the native file dialog for a CSV file and returns its path
// ("" when cancelled). Browser mode uploads instead.
func (s *System) PickCSVFile(title string) (string, error) {
	if s.window == nil {
		return "", resonanz.E(resonanz.EINVALID, "error.file.uploadFileInstead", "Upload the file instead: there is no file dialog in browser mode.")
	}
	return s.window.OpenFile(title, "*.csv;*.txt;*.tsv")
}

// PickLogFile opens the native file dialog for a provider reaction log
// (JSON, NDJSON, a Mandrill form body or CSV) and returns its path ("" when
// cancelled). Browser mode uploads instead.
func (s *System) PickLogFile(title string) (string, error) {
	if s.window == nil {
		return "", resonanz.E(resonanz.EINVALID, "error.file.uploadFileInstead", "Upload the file instead: there is no file dialog in browser mode.")
	}
	return s.window.OpenFile(title, "*.json;*.ndjson;*.jsonl;*.txt;*.csv")
}

// Info returns version, data location, mode and schema version.
func (s *System) Info() (SystemInfo, error) {
	s.infoMu.Lock()
	defer s.infoMu.Unlock()
	return s.info, nil
}

// MarkDamaged records that the data file is damaged (message, and the newest
// good backup's name) and tells the UI. A function, not a method, so that it
// is not bound to the UI.
func MarkDamaged(s *System, events Emitter, message, newestBackup string) {
	s.infoMu.Lock()
	s.info.Damaged, s.info.NewestBackup = message, newestBackup
	s.infoMu.Unlock()
	if events != nil {
		events.Emit(resonanz.EventSystemDamaged, message)
	}
}

// StartTimings are the UI's own marks of its start, for the start-up
// breakdown: NavigationStart is when the page began loading (Unix
// milliseconds, the page's performance.timeOrigin); the others are
// milliseconds after it: Document when index.html had arrived (0 where the
// page keeps no navigation timing), Script when the first bundle began to
// run (after fetching and parsing it), Messages when the catalogue of the
// language it starts in was loaded, Mounted when the shell was mounted, Data
// when the first screen had its data, Painted when that was laid out and
// painted.
type StartTimings struct {
	NavigationStart float64 `json:"navigationStart"`
	Document        float64 `json:"document"`
	Script          float64 `json:"script"`
	Messages        float64 `json:"messages"`
	Mounted         float64 `json:"mounted"`
	Data            float64 `json:"data"`
	Painted         float64 `json:"painted"`
}

// FirstScreenPrerendered is called by the window's page once the first
// screen Go put into it (prerender) has painted, before the UI's bundle
// runs, with the marks the page has (navigation start, document, painted).
// The first call of it or FirstScreen runs the shown hook (start-up timing).
func (s *System) FirstScreenPrerendered(t StartTimings) error {
	s.shown.Do(func() {
		if s.onShown != nil {
			s.onShown(t, true)
		}
	})
	return nil
}

// FirstScreen is called by the UI once its first screen shows data (its
// own, in place of a prerendered one), with its start marks: it runs the
// shown hook unless FirstScreenPrerendered did, then, once, the ready hook.
func (s *System) FirstScreen(t StartTimings) error {
	s.shown.Do(func() {
		if s.onShown != nil {
			s.onShown(t, false)
		}
	})
	s.ready.Do(func() {
		if s.onReady != nil {
			s.onReady(t)
		}
	})
	return nil
}

// OnFirstScreen sets what runs when the first screen has painted (shown:
// prerendered says whether Go's prerendered screen or the UI's) and when
// the UI's own first screen shows data (ready; with no prerendered screen,
// right after shown). A function, not a method, so that it is not bound to
// the UI.
func OnFirstScreen(s *System, shown func(t StartTimings, prerendered bool), ready func(StartTimings)) {
	s.onShown, s.onReady = shown, ready
}

// MailServer keeps the SMTP and listener settings (the composition root
// implements it: the password lives in a secret file, not the database).
type MailServer interface {
	SMTP(ctx context.Context) (resonanz.SMTPSettings, error)
	SaveSMTP(ctx context.Context, s resonanz.SMTPSettings, password string, clearPassword bool) (resonanz.SMTPSettings, error)
	TestSMTP(ctx context.Context) error
	Listener(ctx context.Context) (resonanz.ListenerSettings, error)
	SaveListener(ctx context.Context, s resonanz.ListenerSettings) (resonanz.ListenerSettings, error)
	StartListener(ctx context.Context) (resonanz.ListenerStatus, error)
	StopListener(ctx context.Context) (resonanz.ListenerStatus, error)
	ListenerStatus(ctx context.Context) (resonanz.ListenerStatus, error)
	SignupForms(ctx context.Context) ([]resonanz.SignupForm, error)
}

// GetLanguage returns the UI language the user chose ("de" or "en"), ""
// when none was chosen yet. The window and browser mode share it.
func (s *Settings) GetLanguage() (string, error) {
	var lang string
	if _, err := s.svc.Value(s.ctx, resonanz.SettingLanguage, &lang); err != nil {
		return "", err
	}
	return lang, nil
}

// SaveLanguage stores the UI language the user chose.
func (s *Settings) SaveLanguage(lang string) (string, error) {
	if !slices.Contains(resonanz.Languages, lang) {
		return "", &resonanz.Error{Code: resonanz.EINVALID, Field: "language", Key: "error.language.invalid",
			Params: map[string]string{"language": lang}, Message: "The language " + lang + " is not available (de or en)."}
	}
	return lang, s.svc.SetValue(s.ctx, resonanz.SettingLanguage, lang)
}

// GetSMTP returns the mail server settings (never the password).
func (s *Settings) GetSMTP() (resonanz.SMTPSettings, error) { return s.mail.SMTP(s.ctx) }

// SaveSMTPRequest carries the settings and, when it changes, the password.
type SaveSMTPRequest struct {
	Settings resonanz.SMTPSettings `json:"settings"`
	// Password replaces the stored one when not empty.
	Password string `json:"password"`
	// ClearPassword removes the stored password.
	ClearPassword bool `json:"clearPassword"`
}

// SaveSMTP validates and stores the mail server settings.
func (s *Settings) SaveSMTP(req SaveSMTPRequest) (resonanz.SMTPSettings, error) {
	return s.mail.SaveSMTP(s.ctx, req.Settings, req.Password, req.ClearPassword)
}

// TestSMTP connects to the mail server (TLS, login) and reports a clear
// error when that fails.
func (s *Settings) TestSMTP() (bool, error) { return true, s.mail.TestSMTP(s.ctx) }

// GetListener returns where recipients reach the listener.
func (s *Settings) GetListener() (resonanz.ListenerSettings, error) { return s.mail.Listener(s.ctx) }

// SaveListener stores the listener's public URL.
func (s *Settings) SaveListener(in resonanz.ListenerSettings) (resonanz.ListenerSettings, error) {
	return s.mail.SaveListener(s.ctx, in)
}

// ListenerStatus reports whether the desk's listener runs, where, and what
// it has recorded since it started.
func (s *Settings) ListenerStatus() (resonanz.ListenerStatus, error) {
	return s.mail.ListenerStatus(s.ctx)
}

// StartListener starts the listener with the stored settings (address,
// public URL); a port in use is a clear error, also kept in the status.
func (s *Settings) StartListener() (resonanz.ListenerStatus, error) {
	return s.mail.StartListener(s.ctx)
}

// StopListener stops the listener gracefully: queued hits are written first.
func (s *Settings) StopListener() (resonanz.ListenerStatus, error) { return s.mail.StopListener(s.ctx) }

// SignupForms returns each list's public signup form URL and an HTML
// snippet for the sender's website (needs the listener's public URL).
func (s *Settings) SignupForms() ([]resonanz.SignupForm, error) { return s.mail.SignupForms(s.ctx) }

// GetBranding returns the business's name, colours and logo hash that the
// recipient pages show.
func (s *Settings) GetBranding() (resonanz.Branding, error) {
	return resonanz.BrandingStore{Settings: s.svc}.Branding(s.ctx)
}

// SaveBranding validates and stores the name and colours (readable
// contrast) and returns what was stored; the logo is kept.
func (s *Settings) SaveBranding(in resonanz.Branding) (resonanz.Branding, error) {
	return resonanz.BrandingStore{Settings: s.svc}.SetBranding(s.ctx, in)
}

// SaveLogo checks an uploaded PNG or JPEG (at most 1 MB, 2000 × 2000
// pixels), stores it re-encoded and returns the branding naming it.
func (s *Settings) SaveLogo(data []byte) (resonanz.Branding, error) {
	if len(data) == 0 {
		return resonanz.Branding{}, resonanz.FieldError("logo", "error.branding.logo.empty", "The file is empty.")
	}
	return resonanz.BrandingStore{Settings: s.svc}.SetLogo(s.ctx, data)
}

// RemoveLogo removes the logo.
func (s *Settings) RemoveLogo() (resonanz.Branding, error) {
	return resonanz.BrandingStore{Settings: s.svc}.SetLogo(s.ctx, nil)
}

// GetLogo returns the stored logo as a data URL for the preview in
// Settings ("" without a logo).
func (s *Settings) GetLogo() (string, error) {
	l, err := resonanz.BrandingStore{Settings: s.svc}.Logo(s.ctx)
	if resonanz.ErrorCode(err) == resonanz.ENOTFOUND {
		return "", nil
	} else if err != nil {
		return "", err
	}
	return "data:" + l.Type + ";base64," + base64.StdEncoding.EncodeToString(l.Data), nil
}
