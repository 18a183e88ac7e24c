package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"github.com/resonanz/resonanz/backend/desktop"
	"github.com/resonanz/resonanz/backend/keyring"
	"github.com/resonanz/resonanz/backend/listener"
	"github.com/resonanz/resonanz/backend/mailbox"
	"github.com/resonanz/resonanz/backend/portal"
	"github.com/resonanz/resonanz/backend/relay"
	"github.com/resonanz/resonanz/backend/resonanz"
	"github.com/resonanz/resonanz/backend/send"
	"github.com/resonanz/resonanz/backend/smtp"
	"github.com/resonanz/resonanz/backend/sqlite"
)

// App is the composition root: it opens the store, builds the services and
// hands each bound façade exactly what it uses. It is the only place that
// imports every backend package.
type App struct {
	dataDir string
	log     *slog.Logger
	db      *sqlite.DB // nil in recovery (the data file is damaged)
	dbPath  string
	// backupDir manages <data>/backups; check is the start-up integrity
	// check (nil when it was skipped), damaged says why the store could not
	// be opened (recovery).
	// mu guards check and damaged, which the late check of a big file sets,
	// and leftHitsStop.
	backupDir *sqlite.BackupDir
	mu        sync.Mutex
	check     *resonanz.IntegrityInfo
	damaged   *resonanz.DamagedError
	events    desktop.Emitter
	// secrets keeps the SMTP password and the listener key outside the
	// database (OS keyring, else 0600 files).
	secrets *keyring.Store
	// smtpAccount is the stored mail server (settings and password),
	// mailboxAccount the stored mailbox; listenerSetup the listener's
	// settings, token key and URL builder.
	smtpAccount    smtp.Account
	mailboxAccount mailbox.Account
	listenerSetup  *listener.Setup

	// services, for the command line and the façades
	settingsSvc     *sqlite.SettingsService
	recipientSvc    *sqlite.RecipientService
	listSvc         *sqlite.ListService
	attrSvc         *sqlite.AttributeService
	consentSvc      *sqlite.ConsentService
	importSvc       *sqlite.ImportService
	mailingSvc      *sqlite.MailingService
	reactionSvc     *sqlite.ReactionService
	statsSvc        *sqlite.StatsService
	targetSvc       *sqlite.TargetGroupService
	subscriptionSvc *sqlite.SubscriptionService
	surveySvc       *sqlite.SurveyService
	templateSvc     *sqlite.TemplateService
	sendStore       *sqlite.SendStore
	sendSvc         *send.Service
	optInSvc        *sqlite.OptInService
	// portal holds the recipients' own use cases (the listener's pages,
	// confirmation mails).
	portal *portal.Service
	// listen is the listener the desk runs (Settings → Listener).
	listen listenerRun
	// leftHits merges, at start, what a crashed listener left in the hit
	// inbox when the desk runs no listener itself; Close stops it.
	leftHits     sync.WaitGroup
	leftHitsStop context.CancelFunc
	// mailboxRun is the desk's mailbox sync (Settings → Mailbox).
	mailboxRun mailboxRun
	// relays is the desk's side of the paired relays; autoPublish
	// publishes to them on change while the window or browser mode runs.
	relays      *relay.Relays
	autoPublish *relay.AutoPublisher
	// smtpOverride replaces the stored SMTP settings (command line flags).
	smtpOverride *smtp.Config
	// smtpConnections, when not 0, replaces the configured number of SMTP
	// connections (`send --smtp-connections`).
	smtpConnections int

	// bound façades
	settings   *desktop.Settings
	system     *desktop.System
	recipients *desktop.Recipients
	mailings   *desktop.Mailings
	analysis   *desktop.Analysis
	reactions  *desktop.Reactions
	mailbox    *desktop.Mailbox
	surveys    *desktop.Surveys
	templates  *desktop.Templates
	backups    *desktop.Backups
	relaysUI   *desktop.Relays
}

// Edge is what differs between the desktop window, browser mode and the
// command line: where events go, how files are named, the native window.
type Edge struct {
	Mode    string // "desktop", "browser" or "cli"
	Window  *desktop.Window
	Sources desktop.Sources
	Events  desktop.Emitter
}

// discard drops events (command line).
type discard struct{}

func (discard) Emit(string, any) {}

// NewApp opens the store in dataDir and wires the services for the edge.
func NewApp(ctx context.Context, dataDir string, edge Edge, log *slog.Logger) (*App, error) {
	if edge.Events == nil {
		edge.Events = discard{}
	}
	if edge.Sources == nil {
		edge.Sources = desktop.PickedFiles{}
	}
	dataDir, err := filepath.Abs(dataDir)
	if err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	dbPath := filepath.Join(dataDir, sqlite.FileName)
	backupDir := sqlite.NewBackupDir(nil, filepath.Join(dataDir, sqlite.BackupDirName))
	check, err := startupCheck(ctx, dbPath, edge.Mode == "desktop")
	if err != nil {
		return nil, err
	}
	if check != nil && !check.OK {
		return nil, &resonanz.DamagedError{Path: dbPath, Problems: check.Problems, Newest: backupDir.NewestGood(ctx)}
	}
	db, err := sqlite.Open(ctx, dbPath, sqlite.Options{})
	if err != nil {
		return nil, damagedError(ctx, err, dbPath, backupDir)
	}
	schema, err := db.SchemaVersion(ctx)
	if err != nil {
		db.Close()
		return nil, damagedError(ctx, err, dbPath, backupDir)
	}
	backupDir = sqlite.NewBackupDir(db, backupDir.Dir())
	a := &App{dataDir: dataDir, log: log, db: db, dbPath: dbPath, backupDir: backupDir, check: check, events: edge.Events,
		secrets:     keyring.New(dataDir, keyring.Options{Disabled: keyring.DisabledByEnv()}),
		settingsSvc: sqlite.NewSettingsService(db), recipientSvc: sqlite.NewRecipientService(db),
		listSvc: sqlite.NewListService(db), attrSvc: sqlite.NewAttributeService(db),
		consentSvc: sqlite.NewConsentService(db), importSvc: sqlite.NewImportService(db),
		mailingSvc: sqlite.NewMailingService(db), reactionSvc: sqlite.NewReactionService(db), statsSvc: sqlite.NewStatsService(db),
		targetSvc: sqlite.NewTargetGroupService(db), subscriptionSvc: sqlite.NewSubscriptionService(db),
		sendStore: sqlite.NewSendStore(db), surveySvc: sqlite.NewSurveyService(db), optInSvc: sqlite.NewOptInService(db),
		templateSvc: sqlite.NewTemplateService(db),
	}
	a.smtpAccount = smtp.Account{Settings: a.settingsSvc, Secrets: a.secrets}
	a.mailboxAccount = mailbox.Account{Settings: a.settingsSvc, Secrets: a.secrets}
	a.listenerSetup = &listener.Setup{Settings: a.settingsSvc, Secrets: a.secrets, PersonLinks: a.relayPersonLinks}
	a.portal = portal.New(portal.Services{Store: sqlite.NewPortalService(db), Subscriptions: a.subscriptionSvc,
		Recipients: a.recipientSvc, Lists: a.listSvc, OptIns: a.optInSvc, Surveys: a.surveySvc, Settings: a.settingsSvc, Mailings: a.mailingSvc,
		Mailer: func(ctx context.Context) (portal.Mailer, error) { return a.smtpMailer(ctx, a.smtpOverride) },
		URLs:   a.listenerSetup.RequireURLs, Now: db.Now,
	})
	a.relays = a.relayService()
	a.autoPublish = a.relays.AutoPublisher()
	a.settings = desktop.NewSettings(ctx, a.settingsSvc, mailServer{a})
	a.recipients = desktop.NewRecipients(ctx, desktop.RecipientServices{
		Recipients: a.recipientSvc, Lists: a.listSvc, Attributes: a.attrSvc, Consent: a.consentSvc, Imports: a.importSvc,
		Confirmations: a.portal, Settings: a.settingsSvc,
	}, edge.Sources, edge.Events)
	a.sendSvc = a.sendService(ctx)
	a.mailings = desktop.NewMailings(ctx, desktop.MailingServices{
		Mailings: a.mailingSvc, Recipients: a.recipientSvc, Attributes: a.attrSvc,
	}, a.sendSvc, edge.Events)
	a.templates = desktop.NewTemplates(ctx, a.templateSvc, a.mailings)
	a.analysis = desktop.NewAnalysis(ctx, a.statsSvc, a.targetSvc)
	a.reactions = desktop.NewReactions(ctx, a.reactionSvc, edge.Sources, edge.Events)
	a.mailbox = desktop.NewMailbox(ctx, mailboxFacade{a}, edge.Events)
	a.surveys = desktop.NewSurveys(ctx, a.surveySvc, a.attrSvc)
	a.system = desktop.NewSystem(ctx, desktop.SystemInfo{
		Version: resonanz.Version, DataDir: dataDir, DBPath: db.Path(), Mode: edge.Mode, SchemaVersion: schema,
	}, edge.Window, sqlite.NewAuditService(db))
	a.backups = desktop.NewBackups(ctx, backupService{a}, edge.Window, edge.Sources, edge.Events)
	a.backups.Busy = func() string { return a.sendSvc.Busy() }
	a.relaysUI = desktop.NewRelays(ctx, a.relays, a.autoPublish, edge.Events)
	return a, nil
}

// markDamaged tells the window (or browser) that the late integrity check
// found the data file damaged.
func (a *App) markDamaged(d *resonanz.DamagedError) {
	desktop.MarkDamaged(a.system, a.events, d.Message(), backupName(d.Newest))
}

// openOrRecover composes the app for a window or browser edge. A damaged
// data file gives the recovery app instead (the edge shows the problem and
// the newest good backup), after logging msg with the details.
func openOrRecover(ctx context.Context, dataDir string, edge Edge, log *slog.Logger, msg string) (*App, error) {
	a, err := NewApp(ctx, dataDir, edge, log)
	var damaged *resonanz.DamagedError
	if errors.As(err, &damaged) {
		log.Error(msg, "path", damaged.Path, "problems", damaged.Problems, "newest_backup", damaged.Newest)
		return NewRecoveryApp(ctx, dataDir, edge, log, damaged)
	}
	return a, err
}

// NewRecoveryApp is the app when the data file is damaged: only the system
// information (which carries the message) and the Backups façade (to restore
// a backup) are bound, so the window still comes up and says what happened.
func NewRecoveryApp(ctx context.Context, dataDir string, edge Edge, log *slog.Logger, damaged *resonanz.DamagedError) (*App, error) {
	if edge.Events == nil {
		edge.Events = discard{}
	}
	if edge.Sources == nil {
		edge.Sources = desktop.PickedFiles{}
	}
	dataDir, err := filepath.Abs(dataDir)
	if err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	dbPath := filepath.Join(dataDir, sqlite.FileName)
	a := &App{dataDir: dataDir, log: log, dbPath: dbPath, damaged: damaged, events: edge.Events,
		backupDir: sqlite.NewBackupDir(nil, filepath.Join(dataDir, sqlite.BackupDirName))}
	a.system = desktop.NewSystem(ctx, desktop.SystemInfo{
		Version: resonanz.Version, DataDir: dataDir, DBPath: dbPath, Mode: edge.Mode,
		Damaged: damaged.Message(), NewestBackup: backupName(damaged.Newest),
	}, edge.Window, nil)
	a.backups = desktop.NewBackups(ctx, backupService{a}, edge.Window, edge.Sources, edge.Events)
	return a, nil
}

// Bindings returns the façades bound to the window and served by the bridge.
func (a *App) Bindings() []any {
	if a.db == nil {
		return []any{a.system, a.backups}
	}
	return []any{a.settings, a.system, a.recipients, a.mailings, a.analysis, a.reactions, a.mailbox, a.surveys, a.templates, a.backups, a.relaysUI}
}

// Errors returns the edge's error formatter.
func (a *App) Errors() desktop.ErrorFormatter {
	return desktop.ErrorFormatter{Log: a.log, Translate: func(err error) error {
		return damagedError(context.Background(), err, a.dbPath, a.backupDir)
	}}
}

// Close stops the listener (writing its queued hits) and closes the store.
func (a *App) Close() error {
	if a.db == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	_, lerr := a.StopListener(ctx)
	a.mu.Lock()
	if a.leftHitsStop != nil {
		a.leftHitsStop() // what is not merged yet stays in the inbox
	}
	a.mu.Unlock()
	a.leftHits.Wait()
	return errors.Join(lerr, a.db.Close())
}

// defaultDataDir is where the store lives unless --data or RESONANZ_DATA say
// otherwise: the per-user data directory of the platform.
func defaultDataDir() (string, error) {
	switch runtime.GOOS {
	case "linux", "freebsd", "openbsd", "netbsd":
		if d := os.Getenv("XDG_DATA_HOME"); filepath.IsAbs(d) {
			return filepath.Join(d, "resonanz"), nil
		}
		home, err := os.UserHomeDir()
		if err != nil {
			return "", err
		}
		return filepath.Join(home, ".local", "share", "resonanz"), nil
	default: // macOS: ~/Library/Application Support, Windows: %AppData%
		d, err := os.UserConfigDir()
		if err != nil {
			return "", err
		}
		return filepath.Join(d, "Resonanz"), nil
	}
}

// ServeInfo is what `resonanz serve` prints once it listens.
type ServeInfo struct {
	URL   string `json:"url"`
	Addr  string `json:"addr"`
	Token string `json:"token"`
	// Damaged is the message about a damaged data file (the browser shows
	// the recovery screen); empty when the file is sound.
	Damaged string `json:"damaged,omitempty"`
}

// serveReadHeaderTimeout cuts off browser-mode clients that trickle their
// headers (slowloris); a variable for the test.
var serveReadHeaderTimeout = 10 * time.Second

// runServe serves the desk UI and the bound façades to a browser on addr until
// ctx is done. ready is called once the listener is up.
func runServe(ctx context.Context, dataDir, addr string, assets fs.FS, log *slog.Logger, ready func(ServeInfo)) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return resonanz.E(resonanz.EINVALID, "error.cli.addressHostPort", "The address \"{addr}\" is not host:port (for example 127.0.0.1:8484).", "addr", addr)
	}
	uploads, err := desktop.NewUploads(filepath.Join(dataDir, "uploads"))
	if err != nil {
		return err
	}
	events := desktop.NewEventHub()
	edge := Edge{Mode: "browser", Sources: uploads, Events: events}
	// With a damaged data file the browser shows the recovery screen; the
	// terminal says it too.
	a, err := openOrRecover(ctx, dataDir, edge, log, "data file damaged: the browser shows how to restore a backup")
	if err != nil {
		return err
	}
	defer a.Close()
	stop := a.startDailyBackups(ctx, nil, 0)
	defer stop()
	a.autoStartListener(ctx)
	a.startMailboxLoop(ctx, log)
	if a.autoPublish != nil { // nil in recovery
		go a.autoPublish.Run(ctx)
	}

	var allowed []string
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		log.Warn("serving beyond loopback: anyone who can reach this address and knows the token can use the desk", "addr", addr)
		allowed = []string{"*"}
	}
	token := desktop.NewToken()
	bridge, err := desktop.NewBridge(desktop.BridgeConfig{
		Bindings: a.Bindings(), Assets: assets, Token: token, AllowedHosts: allowed, Errors: a.Errors(), Log: log,
		Events: events, Uploads: uploads, Downloads: desktop.BackupDownloads{Svc: backupService{a}},
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return resonanz.E(resonanz.ECONFLICT, "error.cli.listenPickAnother", "Cannot listen on {addr}: {reason}. Pick another address with --addr.", "addr", addr, "reason", errors.Unwrap(err))
	}
	srv := &http.Server{
		Handler:           bridge,
		ReadHeaderTimeout: serveReadHeaderTimeout,
		ReadTimeout:       time.Minute,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	bound := ln.Addr().String()
	info := ServeInfo{URL: "http://" + bound + "/?token=" + token, Addr: bound, Token: token}
	if _, d := a.health(); d != nil {
		info.Damaged = d.Message()
	}
	ready(info)

	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("serve: shutdown: %w", err)
	}
	return nil
}

// newLogger logs to w as text; secrets never reach it (see README).
func newLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo}))
}
