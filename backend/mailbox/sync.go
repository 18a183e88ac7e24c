package mailbox

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-imap"
	"github.com/emersion/go-imap/client"

	"github.com/resonanz/resonanz/backend/resonanz"
)

// Config says how to reach the mailbox and what to read.
type Config struct {
	Host     string
	Port     int    // 0: 993 with tls, else 143
	Security string // resonanz.MailboxTLS, MailboxSTARTTLS or MailboxNone
	Username string
	Password string
	// Folders are read in this order (default INBOX).
	Folders []string
	// ProcessedFolder receives handled messages (created if missing); ""
	// leaves them where they are.
	ProcessedFolder string
	// MaxSize is how much of a message is fetched (default 1 MiB): the
	// report parts of a bounce come first, and a 50 MB message is not
	// worth loading whole.
	MaxSize int
	// Timeout bounds connecting and each command (default 60 s).
	Timeout time.Duration
	// TLS replaces the TLS configuration (tests with their own CA).
	TLS *tls.Config
}

// DefaultMaxSize is how much of a message a sync fetches at most: the
// report parts of a bounce come first.
const DefaultMaxSize = 1 << 20

func (c Config) addr() string {
	port := c.Port
	if port == 0 {
		port = 143
		if c.Security == resonanz.MailboxTLS {
			port = 993
		}
	}
	return net.JoinHostPort(c.Host, strconv.Itoa(port))
}

// Account names the mailbox in the sync state (user@host:port).
func (c Config) Account() string { return c.Username + "@" + c.addr() }

func (c Config) folders() []string {
	var out []string
	for _, f := range c.Folders {
		if f = strings.TrimSpace(f); f != "" && f != c.ProcessedFolder && !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	if len(out) == 0 {
		out = []string{"INBOX"}
	}
	return out
}

// Validate checks the settings a connection needs.
func (c Config) Validate() error {
	switch {
	case strings.TrimSpace(c.Host) == "" || strings.ContainsAny(c.Host, " /\r\n"):
		return resonanz.FieldError("host", "error.mailbox.host", "Enter the host name of your IMAP server (like imap.example.org).")
	case c.Port < 0 || c.Port > 65535:
		return resonanz.FieldError("port", "error.mailbox.port", "The port must be between 1 and 65535 (usually 993 for TLS, 143 for STARTTLS).")
	case c.Security != resonanz.MailboxTLS && c.Security != resonanz.MailboxSTARTTLS && c.Security != resonanz.MailboxNone:
		return resonanz.FieldError("security", "error.mailbox.security", "Choose the connection security: TLS, STARTTLS or none.")
	case strings.TrimSpace(c.Username) == "" || strings.ContainsAny(c.Username, "\r\n"):
		return resonanz.FieldError("username", "error.mailbox.username", "Enter the user name of the mailbox.")
	}
	for _, f := range append(slices.Clone(c.Folders), c.ProcessedFolder) {
		if strings.ContainsAny(f, "\r\n*%") {
			return resonanz.FieldError("folders", "error.mailbox.folderName", "A folder name must not contain line breaks, * or %.")
		}
	}
	return nil
}

func (c Config) timeout() time.Duration {
	if c.Timeout > 0 {
		return c.Timeout
	}
	return 60 * time.Second
}

// Connect dials the server, secures the connection and logs in. Its
// errors are user-facing: they say whether host/port, the security mode
// or the login is wrong.
func Connect(ctx context.Context, cfg Config) (*client.Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	addr := cfg.addr()
	d := &net.Dialer{Timeout: cfg.timeout()}
	tlsCfg := cfg.TLS
	if tlsCfg == nil {
		tlsCfg = &tls.Config{ServerName: cfg.Host, MinVersion: tls.VersionTLS12}
	}
	type result struct {
		c   *client.Client
		err error
	}
	done := make(chan result, 1)
	go func() {
		var c *client.Client
		var err error
		if cfg.Security == resonanz.MailboxTLS {
			c, err = client.DialWithDialerTLS(d, addr, tlsCfg)
		} else {
			c, err = client.DialWithDialer(d, addr)
		}
		done <- result{c, err}
	}()
	var c *client.Client
	select {
	case <-ctx.Done():
		go func() {
			if r := <-done; r.c != nil {
				r.c.Terminate()
			}
		}()
		return nil, ctx.Err()
	case r := <-done:
		if r.err != nil {
			return nil, connectError(cfg, addr, r.err)
		}
		c = r.c
	}
	c.Timeout = cfg.timeout()
	c.ErrorLog = quiet // errors reach the caller; the client's own log would go to stderr
	if cfg.Security == resonanz.MailboxSTARTTLS {
		ok, err := c.SupportStartTLS()
		if err == nil && !ok {
			c.Terminate()
			return nil, paramError("security", "error.mailbox.nostarttls",
				"The IMAP server at "+addr+" does not offer STARTTLS. Choose TLS (usually port 993).", "addr", addr)
		}
		if err == nil {
			err = c.StartTLS(tlsCfg)
		}
		if err != nil {
			c.Terminate()
			return nil, paramError("security", "error.mailbox.tls",
				"The secure connection to "+addr+" failed ("+short(err)+"). Check the security setting and port.", "addr", addr, "reason", short(err))
		}
	}
	if err := c.Login(cfg.Username, cfg.Password); err != nil {
		c.Terminate()
		var netErr net.Error
		if errors.As(err, &netErr) || errors.Is(err, io.EOF) {
			return nil, connectError(cfg, addr, err)
		}
		return nil, paramError("password", "error.mailbox.login",
			"The IMAP server refused the login for "+cfg.Username+" ("+short(err)+"). Check user name and password.", "user", cfg.Username, "reason", short(err))
	}
	return c, nil
}

func connectError(cfg Config, addr string, err error) error {
	var recErr tls.RecordHeaderError
	var certErr *tls.CertificateVerificationError
	msg := short(err)
	switch {
	case errors.As(err, &recErr) || strings.Contains(msg, "tls:") || strings.Contains(msg, "first record"):
		return paramError("security", "error.mailbox.tls",
			"The secure connection to "+addr+" failed ("+msg+"). Check the security setting and port (TLS usually 993, STARTTLS 143).", "addr", addr, "reason", msg)
	case errors.As(err, &certErr) || strings.Contains(msg, "x509"):
		return paramError("security", "error.mailbox.certificate",
			"The certificate of "+addr+" is not valid for "+cfg.Host+" ("+msg+").", "addr", addr, "reason", msg)
	}
	return paramError("host", "error.mailbox.connect",
		"Cannot reach the IMAP server at "+addr+" ("+msg+"). Check host and port.", "addr", addr, "reason", msg)
}

// paramError is a field error whose catalogue text names the server
// address, the folder or the server's reason.
func paramError(field, key, message string, kv ...string) *resonanz.Error {
	e := resonanz.FieldError(field, key, message)
	e.Params = map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		e.Params[kv[i]] = kv[i+1]
	}
	return e
}

func short(err error) string {
	s := err.Error()
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}

var quiet = log.New(io.Discard, "", 0)

// Test connects, logs in and checks that the folders exist.
func Test(ctx context.Context, cfg Config) error {
	c, err := Connect(ctx, cfg)
	if err != nil {
		return err
	}
	defer c.Logout()
	for _, f := range cfg.folders() {
		if _, err := c.Select(f, true); err != nil {
			return paramError("folders", "error.mailbox.folder", "The folder "+strconv.Quote(f)+" cannot be opened ("+short(err)+").", "folder", f, "reason", short(err))
		}
	}
	return nil
}

// Syncer reads new messages of the mailbox, classifies them, applies what
// they mean and remembers what it read, both through Store (the effects go
// through the same reaction import as provider logs, one import run per
// sync).
//
// Idempotent and resumable: per batch it first applies the effects and
// records the messages in one transaction (the reaction store
// de-duplicates events by the message's key, the records by the message's
// key), then moves the handled ones to the processed folder, and only then
// advances the folder's last UID. A crash at any point repeats at most the
// last batch, and nothing in it is applied twice: a batch whose
// transaction committed is read again, found processed and only moved.
type Syncer struct {
	Store     resonanz.MailboxStore
	Addresses Addresses
	// SoftBounceLimit: see resonanz.MailboxSettings.
	SoftBounceLimit int
	// BatchSize is the number of messages per fetch and transaction
	// (default 500).
	BatchSize int
	// AfterBatch, when set, is called after each batch is done (tests
	// kill the process here).
	AfterBatch func(folder string, lastUID uint32)
	// afterApply, when set, is called after a batch's transaction and
	// before its move; an error stops the sync there (tests of a crash
	// between the two).
	afterApply func(folder string) error
}

// Sync reads every folder once. It stops early when ctx is cancelled
// (Cancelled in the result; what was done is kept).
func (s *Syncer) Sync(ctx context.Context, cfg Config, progress func(resonanz.MailboxProgress)) (resonanz.MailboxSyncResult, error) {
	res := resonanz.MailboxSyncResult{Errors: []resonanz.MailboxError{}}
	c, err := Connect(ctx, cfg)
	if err != nil {
		return res, err
	}
	stop := context.AfterFunc(ctx, func() { c.Terminate() })
	defer func() {
		if stop() {
			c.Logout()
		}
	}()
	if cfg.ProcessedFolder != "" {
		if err := ensureFolder(c, cfg.ProcessedFolder); err != nil {
			return res, paramError("processedFolder", "error.mailbox.processedFolder",
				"The folder "+strconv.Quote(cfg.ProcessedFolder)+" cannot be created ("+short(err)+").", "folder", cfg.ProcessedFolder, "reason", short(err))
		}
	}
	run := s.Store.BeginSync(resonanz.ReactionImport{FileName: "IMAP " + cfg.Account(), Provider: resonanz.ProviderMailbox, SoftBounceLimit: s.SoftBounceLimit})
	for _, f := range cfg.folders() {
		if err := s.syncFolder(ctx, c, run, cfg, f, &res, progress); err != nil {
			if ctx.Err() != nil {
				res.Cancelled = true
				return res, run.Finish("cancelled")
			}
			run.Finish("failed")
			return res, err
		}
	}
	return res, run.Finish("done")
}

func ensureFolder(c *client.Client, name string) error {
	ch := make(chan *imap.MailboxInfo, 10)
	done := make(chan error, 1)
	go func() { done <- c.List("", name, ch) }()
	found := false
	for m := range ch {
		if m.Name == name {
			found = true
		}
	}
	if err := <-done; err != nil {
		return err
	}
	if found {
		return nil
	}
	return c.Create(name)
}

// fetched is one fetched message on its way through a batch.
type fetched struct {
	uid     uint32
	key     string
	raw     []byte
	date    time.Time // the Date header, else INTERNALDATE
	dateRaw string
	verdict Verdict
	err     *resonanz.Error // why the message cannot be read
}

func (s *Syncer) syncFolder(ctx context.Context, c *client.Client, run resonanz.MailboxRun, cfg Config, folder string, res *resonanz.MailboxSyncResult, progress func(resonanz.MailboxProgress)) error {
	mbox, err := c.Select(folder, false)
	if err != nil {
		return paramError("folders", "error.mailbox.folder", "The folder "+strconv.Quote(folder)+" cannot be opened ("+short(err)+").", "folder", folder, "reason", short(err))
	}
	account := cfg.Account()
	validity, last, err := s.Store.Folder(ctx, account, folder)
	if err != nil {
		return err
	}
	if validity != mbox.UidValidity {
		// A new UIDVALIDITY means the UIDs were reassigned: read the folder
		// again; the processed keys keep anything from applying twice.
		last = 0
	}
	if mbox.Messages == 0 {
		return s.Store.SetFolder(ctx, account, folder, mbox.UidValidity, last)
	}
	crit := imap.NewSearchCriteria()
	crit.Uid = new(imap.SeqSet)
	crit.Uid.AddRange(last+1, 0)
	uids, err := c.UidSearch(crit)
	if err != nil {
		return fmt.Errorf("mailbox: search %s: %w", folder, err)
	}
	uids = slices.DeleteFunc(uids, func(u uint32) bool { return u <= last })
	slices.Sort(uids)
	total := len(uids)
	if progress != nil {
		progress(resonanz.MailboxProgress{Folder: folder, Total: total})
	}
	size := s.BatchSize
	if size <= 0 {
		size = 500
	}
	maxSize := cfg.MaxSize
	if maxSize <= 0 {
		maxSize = DefaultMaxSize
	}
	// While the store applies one batch, the next is fetched: one IMAP
	// command at a time still (the move of a batch waits for the fetch).
	type fetchResult struct {
		msgs []*fetched
		err  error
	}
	if len(uids) == 0 {
		return s.Store.SetFolder(ctx, account, folder, mbox.UidValidity, last)
	}
	batchAt := func(start int) []uint32 { return uids[start:min(start+size, len(uids))] }
	msgs, err := fetch(c, batchAt(0), maxSize, s.Addresses)
	if err != nil {
		return fmt.Errorf("mailbox: fetch %s: %w", folder, err)
	}
	for start := 0; start < len(uids); start += size {
		if err := ctx.Err(); err != nil {
			return err
		}
		batch := batchAt(start)
		var pending chan fetchResult
		if next := start + size; next < len(uids) {
			pending = make(chan fetchResult, 1)
			go func() {
				m, err := fetch(c, batchAt(next), maxSize, s.Addresses)
				pending <- fetchResult{m, err}
			}()
		}
		move, err := s.apply(ctx, run, folder, msgs, res)
		var following fetchResult
		if pending != nil {
			following = <-pending
		}
		if err != nil {
			return err
		}
		if following.err != nil {
			return fmt.Errorf("mailbox: fetch %s: %w", folder, following.err)
		}
		if s.afterApply != nil {
			if err := s.afterApply(folder); err != nil {
				return err
			}
		}
		if cfg.ProcessedFolder != "" && len(move) > 0 {
			set := new(imap.SeqSet)
			set.AddNum(move...)
			if err := c.UidMove(set, cfg.ProcessedFolder); err != nil {
				return fmt.Errorf("mailbox: move to %s: %w", cfg.ProcessedFolder, err)
			}
		}
		top := batch[len(batch)-1]
		if err := s.Store.SetFolder(ctx, account, folder, mbox.UidValidity, top); err != nil {
			return err
		}
		if progress != nil {
			progress(resonanz.MailboxProgress{Folder: folder, Done: start + len(batch), Total: total})
		}
		if s.AfterBatch != nil {
			s.AfterBatch(folder, top)
		}
		msgs = following.msgs
	}
	return nil
}

// fetch reads the messages of one batch (at most maxSize bytes of each)
// and classifies them as they arrive: the MIME parsing, the sync's own
// CPU cost beside the fetch, overlaps with the server's answer (go-imap
// reads the next messages meanwhile) and with the store of the batch
// before. One goroutine classifies: a pool handing each message over cost
// more in wake-ups than it gained.
func fetch(c *client.Client, uids []uint32, maxSize int, addr Addresses) ([]*fetched, error) {
	set := new(imap.SeqSet)
	set.AddNum(uids...)
	section := &imap.BodySectionName{Peek: true, Partial: []int{0, maxSize}}
	items := []imap.FetchItem{imap.FetchUid, imap.FetchInternalDate, section.FetchItem()}
	ch := make(chan *imap.Message, 64)
	done := make(chan error, 1)
	go func() { done <- c.UidFetch(set, items, ch) }()
	byUID := map[uint32]*fetched{}
	for m := range ch {
		msg := &fetched{uid: m.Uid, date: m.InternalDate.UTC()}
		for _, lit := range m.Body {
			switch b := lit.(type) {
			case nil:
			case *bytes.Buffer: // what go-imap reads a literal into: no copy
				msg.raw = b.Bytes()
			default:
				msg.raw, _ = io.ReadAll(lit)
			}
		}
		if byUID[m.Uid] == nil {
			byUID[m.Uid] = msg
			classifyOne(msg, addr)
		}
		msg.raw = nil // classified: up to 1 MiB less to keep until the batch is stored
	}
	if err := <-done; err != nil {
		return nil, err
	}
	out := make([]*fetched, 0, len(uids))
	for _, u := range uids {
		if m := byUID[u]; m != nil { // gone since the search: nothing to do
			out = append(out, m)
		}
	}
	return out, nil
}

// apply stores one classified batch (no IMAP: the next batch is
// fetched meanwhile); it returns the UIDs to move to the processed folder.
func (s *Syncer) apply(ctx context.Context, run resonanz.MailboxRun, folder string, msgs []*fetched, res *resonanz.MailboxSyncResult) ([]uint32, error) {
	keys := make([]string, 0, len(msgs))
	for _, m := range msgs {
		keys = append(keys, m.key)
	}
	seen, err := s.Store.Processed(ctx, keys)
	if err != nil {
		return nil, err
	}
	// Who the new messages are about: one lookup for the whole batch.
	fresh := make([]bool, len(msgs))
	var lookups []resonanz.MailboxLookup
	for i, m := range msgs {
		if m.err != nil || seen[m.key] {
			continue
		}
		seen[m.key] = true // the same message twice in one batch
		fresh[i] = true
		lookups = append(lookups, lookupsOf(&m.verdict)...)
	}
	matches, err := s.Store.ResolveAll(ctx, lookups)
	if err != nil {
		return nil, err
	}
	var events []resonanz.ProviderEvent
	var records []resonanz.MailboxMessage
	var move []uint32
	for i, m := range msgs {
		res.Read++
		if m.err != nil {
			res.Errors = append(res.Errors, resonanz.MailboxError{Folder: folder, UID: m.uid, Reason: m.err.Message, Key: m.err.Key, Params: m.err.Params})
			records = append(records, resonanz.MailboxMessage{Key: m.key, Kind: "error", Outcome: "error", Reason: m.err.Message, Date: m.date, Folder: folder, UID: m.uid})
			continue
		}
		v := &m.verdict
		if !fresh[i] {
			res.Skipped++
			if v.Kind != KindReply {
				move = append(move, m.uid)
			}
			continue
		}
		found := matches[:len(lookupsOf(v))]
		matches = matches[len(found):]
		rec, evs := s.outcome(m, folder, found, res)
		events = append(events, evs...)
		records = append(records, rec)
		if v.Kind != KindReply {
			move = append(move, m.uid)
		}
	}
	if err := run.Apply(ctx, events, records); err != nil {
		return nil, err
	}
	return move, nil
}

// lookupsOf names who a message may be about, in the order outcome reads
// the matches.
func lookupsOf(v *Verdict) []resonanz.MailboxLookup {
	switch v.Kind {
	case KindBounce:
		out := make([]resonanz.MailboxLookup, len(v.Failures))
		for i, f := range v.Failures {
			out[i] = resonanz.MailboxLookup{MessageID: v.OriginalMessageID, Email: f.Email}
			if len(v.Failures) == 1 {
				out[i].RecipientID = v.RecipientID
			}
		}
		return out
	case KindComplaint, KindUnsubscribe:
		if v.TokenError != "" {
			return nil
		}
		return []resonanz.MailboxLookup{{RecipientID: v.RecipientID, MessageID: v.OriginalMessageID, Email: v.Email}}
	case KindReply:
		return []resonanz.MailboxLookup{{MessageID: v.OriginalMessageID, Email: v.From}}
	}
	return nil
}

// outcome is what a new message means: its record and its events; found
// are the matches of its lookups.
func (s *Syncer) outcome(m *fetched, folder string, found []resonanz.MailboxMatch, res *resonanz.MailboxSyncResult) (resonanz.MailboxMessage, []resonanz.ProviderEvent) {
	v := &m.verdict
	rec := resonanz.MailboxMessage{Key: m.key, Kind: string(v.Kind), Outcome: "applied", Date: m.date,
		From: v.From, FromName: v.FromName, Subject: v.Subject, MailingID: v.MailingID, Folder: folder, UID: m.uid}
	unmatched := func(reason *resonanz.Error) {
		rec.Outcome, rec.Reason = "unmatched", reason.Message
		res.Unmatched++
	}
	base := resonanz.ProviderEvent{
		Provider: resonanz.ProviderMailbox, SourceKind: "imap", ProviderEventID: m.key,
		OccurredAt: m.date.Truncate(time.Millisecond), OccurredAtRaw: m.dateRaw,
		RFCMessageID: v.OriginalMessageID, EventRaw: v.Format,
		Metadata: map[string]string{"from": v.From, "message_id": v.MessageID, "folder": folder},
	}
	if v.MailingID != 0 {
		base.Metadata[resonanz.HeaderMailing] = strconv.FormatInt(v.MailingID, 10)
	}
	var events []resonanz.ProviderEvent
	switch v.Kind {
	case KindBounce:
		for i, f := range v.Failures {
			who := found[i]
			if who.RecipientID == 0 {
				continue
			}
			ev := withMailing(base, who.MailingID)
			ev.Type, ev.Email, ev.EmailRaw = resonanz.ReactionBounced, who.Email, f.Email
			ev.BounceKind, ev.SMTPStatus, ev.SMTPResponse = resonanz.BounceSoft, f.Status, f.Diagnostic
			if f.Hard {
				ev.BounceKind = resonanz.BounceHard
				res.BouncesHard++
			} else {
				res.BouncesSoft++
			}
			ev.DedupeKey = "mailbox:" + m.key + ":" + strings.ToLower(who.Email)
			events = append(events, ev)
			rec.RecipientID = who.RecipientID
		}
		if len(events) == 0 {
			unmatched(noRecipient(v))
		}
	case KindComplaint, KindUnsubscribe:
		if v.TokenError != "" {
			unmatched(tokenReason(v.TokenError))
			break
		}
		who := found[0]
		if who.RecipientID == 0 {
			unmatched(noRecipient(v))
			break
		}
		ev := withMailing(base, who.MailingID)
		ev.Email, ev.EmailRaw = who.Email, v.Email
		ev.DedupeKey = "mailbox:" + m.key + ":" + strings.ToLower(who.Email)
		if v.Kind == KindComplaint {
			ev.Type = resonanz.ReactionComplained
			setWording(ev.Metadata, resonanz.T("ledger.wording.mailboxComplaint", "Spam complaint (ARF feedback report, {feedbackType}).", "feedbackType", orDash(v.FeedbackType)))
			res.Complaints++
		} else {
			ev.Type = resonanz.ReactionUnsubscribed
			setWording(ev.Metadata, resonanz.T("ledger.wording.mailUnsubscribe", "Unsubscribed by a mail to the unsubscribe address (List-Unsubscribe: mailto:{address}).", "address", s.Addresses.Unsubscribe))
			res.Unsubscribes++
		}
		events = append(events, ev)
		rec.RecipientID = who.RecipientID
	case KindAutoReply:
		rec.Outcome = "kept"
		res.AutoReplies++
	case KindReply:
		rec.Outcome = "kept"
		res.Replies++
		rec.RecipientID = found[0].RecipientID
		if rec.MailingID == 0 {
			rec.MailingID = found[0].MailingID
		}
	}
	return rec, events
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func withMailing(ev resonanz.ProviderEvent, mailing int64) resonanz.ProviderEvent {
	ev.Metadata = maps(ev.Metadata)
	if mailing != 0 && ev.Metadata[resonanz.HeaderMailing] == "" {
		ev.Metadata[resonanz.HeaderMailing] = strconv.FormatInt(mailing, 10)
	}
	return ev
}

func maps(m map[string]string) map[string]string {
	out := make(map[string]string, len(m)+2)
	for k, v := range m {
		out[k] = v
	}
	return out
}

// why is a reason a message changed nothing or could not be read: its
// catalogue key and params for the desk, and the English text for the
// message's record and the command line.
func why(key, message string, kv ...string) *resonanz.Error {
	return paramError("", key, message, kv...)
}

// tokenReason says why an unsubscribe mail's token changes nothing.
func tokenReason(tokenError string) *resonanz.Error {
	if tokenError == "forged" {
		return why("error.mailbox.token.forged", "The unsubscribe token of the mail is forged; nothing was changed.")
	}
	return why("error.mailbox.token.missing", "The mail carries no unsubscribe token of Resonanz; nothing was changed.")
}

// noRecipient says that the message names nobody Resonanz knows.
func noRecipient(v *Verdict) *resonanz.Error {
	var names []string
	for _, f := range v.Failures {
		if f.Email != "" {
			names = append(names, f.Email)
		}
	}
	if v.Email != "" {
		names = append(names, v.Email)
	}
	switch len(names) {
	case 0:
		return why("error.mailbox.noRecipient", "The report names no recipient Resonanz knows.")
	case 1:
		return why("error.mailbox.unknownAddress", "No recipient has the address "+names[0]+".", "address", names[0])
	}
	list := strings.Join(names, ", ")
	return why("error.mailbox.unknownAddresses", "No recipient has one of the addresses "+list+".", "addresses", list)
}

func classifyOne(m *fetched, addr Addresses) {
	defer func() {
		if r := recover(); r != nil { // a parser bug must not stop the sync
			m.err = why("error.mailbox.message.unreadable", fmt.Sprintf("The message could not be read (%v).", r), "reason", fmt.Sprint(r))
		}
	}()
	v, err := Classify(bytes.NewReader(m.raw), addr)
	if err != nil {
		sum := sha256.Sum256(m.raw)
		m.key = "sha:" + hex.EncodeToString(sum[:16])
		m.err = why("error.mailbox.message.noHeader", "The message has no readable header.")
		return
	}
	m.verdict = v
	if v.MessageID != "" && len(v.MessageID) < 400 {
		m.key = "mid:" + v.MessageID
	} else {
		sum := sha256.Sum256(m.raw[:min(len(m.raw), 64<<10)])
		m.key = "sha:" + hex.EncodeToString(sum[:16])
	}
	if !v.Date.IsZero() {
		m.date = v.Date
	}
	m.dateRaw = v.DateRaw
	if m.dateRaw == "" {
		m.dateRaw = m.date.Format(time.RFC1123Z)
	}
}

// setWording puts the ledger wording of a complaint or unsubscribe mail
// into the event's metadata: the English text, its catalogue key and
// params (JSON), which the reaction import stores with the withdrawal.
func setWording(meta map[string]string, t resonanz.Text) {
	meta["wording"], meta["wording_key"] = t.Message, t.Key
	if b, err := json.Marshal(t.Params); err == nil && len(t.Params) > 0 {
		meta["wording_params"] = string(b)
	}
}
