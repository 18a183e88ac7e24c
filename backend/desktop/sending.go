package desktop

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/resonanz/resonanz/backend/render"
	"github.com/resonanz/resonanz/backend/resonanz"
	"github.com/resonanz/resonanz/backend/send"
	"github.com/resonanz/resonanz/backend/smtp"
)

// SendStore is the send ledger the façade drives.
type SendStore interface {
	send.Store
	Audience(ctx context.Context, mailingID, groupID int64) (resonanz.Audience, error)
	Prepare(ctx context.Context, mailingID, groupID int64, domain string) (int, error)
	SetPaused(ctx context.Context, mailingID int64, paused bool) error
	// ClaimRun claims the mailing's run for this process until release
	// (another live run is a conflict); RunClaimed tells whether one holds
	// it.
	ClaimRun(ctx context.Context, mailingID int64) (release func(), err error)
	RunClaimed(ctx context.Context, mailingID int64) (bool, error)
}

// Sending is what sending needs beyond the mailing services; the
// composition root provides it.
type Sending struct {
	Store SendStore
	// Mailer connects to the configured SMTP server.
	Mailer func() (Mailer, error)
	// Tracker builds listener URLs; nil (and no error) when no public URL
	// is configured: then mails carry no tracking.
	Tracker func() (send.Tracker, error)
	// Preview builds test-flagged listener URLs for previews, test sends
	// and exports (nil, or nil and no error, when no public URL is set).
	Preview func() (send.Tracker, error)
}

// Mailer is a resonanz.Mailer that can be closed.
type Mailer interface {
	resonanz.Mailer
	Close() error
}

// job builds the send job of a mailing.
func (m *Mailings) job(ml resonanz.Mailing, tracker send.Tracker) (send.Job, error) {
	tpl, err := m.compile(ml)
	if err != nil {
		return send.Job{}, err
	}
	links, err := m.svc.Mailings.Links(m.ctx, ml.ID)
	if err != nil {
		return send.Job{}, err
	}
	ids := map[int]int64{}
	for _, l := range links {
		ids[l.Index] = l.ID
	}
	from, err := m.sender()
	if err != nil {
		return send.Job{}, err
	}
	members, err := m.groupMembers(tpl.Groups())
	if err != nil {
		return send.Job{}, err
	}
	surveys, err := m.surveyIDs(tpl)
	if err != nil {
		return send.Job{}, err
	}
	return send.Job{Mailing: ml, Template: tpl, LinkIDs: ids, From: from, Tracker: tracker, Surveys: surveys,
		InGroup: func(id int64, g string) bool { return members[g][id] }}, nil
}

// groupMembers evaluates the target groups a template's blocks use, once
// per send.
func (m *Mailings) groupMembers(names []string) (map[string]map[int64]bool, error) {
	out := map[string]map[int64]bool{}
	if len(names) == 0 {
		return out, nil
	}
	all, err := m.svc.Groups.TargetGroups(m.ctx)
	if err != nil {
		return nil, err
	}
	for _, g := range all {
		for _, n := range names {
			if n != g.Name {
				continue
			}
			set := map[int64]bool{}
			err := m.eachMatching(m.ctx, g.Rule, 1000, func(page []resonanz.Recipient) (bool, error) {
				for _, r := range page {
					set[r.ID] = true
				}
				return true, nil
			})
			if err != nil {
				return nil, err
			}
			out[g.Name] = set
		}
	}
	return out, nil
}

// sender returns the sender identity mails go out with; an address is
// required.
func (m *Mailings) sender() (resonanz.SenderIdentity, error) {
	from, err := m.svc.Settings.Sender(m.ctx)
	if err == nil && from.FromAddress == "" {
		err = resonanz.FieldError("fromAddress", "error.sender.fromAddress.required", "Enter the address your newsletter is sent from (Settings).")
	}
	return from, err
}

// eachMatching walks the people a rule selects in pages of size (by id),
// calling fn per page until it returns false or the people run out.
func (m *Mailings) eachMatching(ctx context.Context, rule resonanz.Condition, size int, fn func([]resonanz.Recipient) (bool, error)) error {
	for after := int64(0); ; {
		page, err := m.svc.Groups.Matching(ctx, rule, resonanz.RecipientFilter{AfterID: after, Limit: size, Sort: "createdAt"})
		if err != nil {
			return err
		}
		more, err := fn(page.Recipients)
		if err != nil || !more || len(page.Recipients) < size {
			return err
		}
		after = page.Recipients[len(page.Recipients)-1].ID
	}
}

// Audience counts who a mailing would go to (0: the whole list).
func (m *Mailings) Audience(mailingID, targetGroupID int64) (resonanz.Audience, error) {
	if m.send.Store == nil {
		return resonanz.Audience{}, errNoSending
	}
	return m.send.Store.Audience(m.ctx, mailingID, targetGroupID)
}

var errNoSending = resonanz.Errorf(resonanz.EINTERNAL, "Sending is not set up in this mode.")

// TestSendRequest sends a mailing as rendered for one recipient (0: a
// sample) to test addresses; links are preview links (not counted).
type TestSendRequest struct {
	Mailing     resonanz.Mailing `json:"mailing"`
	RecipientID int64            `json:"recipientId"`
	Addresses   []string         `json:"addresses"`
}

// TestSend sends the test mail and returns the addresses that accepted it.
func (m *Mailings) TestSend(req TestSendRequest) ([]string, error) {
	if len(req.Addresses) == 0 || len(req.Addresses) > 10 {
		return nil, resonanz.FieldError("addresses", "error.testSend.addresses", "Enter one to ten addresses for the test mail.")
	}
	for _, a := range req.Addresses {
		if !resonanz.ValidAddress(strings.TrimSpace(a)) {
			return nil, resonanz.FieldError("addresses", "error.testSend.address", fmt.Sprintf("%q is not a valid address.", a))
		}
	}
	msgs, err := m.renderFor(req.Mailing, req.RecipientID, true)
	if err != nil {
		return nil, err
	}
	mailer, err := m.send.Mailer()
	if err != nil {
		return nil, err
	}
	defer mailer.Close()
	batch := make([]*resonanz.Message, len(req.Addresses))
	for i, a := range req.Addresses {
		c := *msgs
		c.To, c.ToName, c.MessageID = strings.TrimSpace(a), "", ""
		c.Subject = "[Test] " + c.Subject
		batch[i] = &c
	}
	per, err := mailer.Send(m.ctx, batch)
	if err != nil {
		return nil, err
	}
	var ok []string
	var errs []string
	for i, e := range per {
		if e == nil {
			ok = append(ok, batch[i].To)
		} else {
			errs = append(errs, resonanz.ErrorMessage(e))
		}
	}
	if len(ok) == 0 {
		return nil, resonanz.Errorf(resonanz.EINVALID, "The test mail was not accepted: %s", strings.Join(errs, "; "))
	}
	return ok, nil
}

// renderFor renders the mailing for one recipient (0: the first, or a
// sample person) as a full message, links untracked, system links with
// test tokens (strict: a missing listener is an error). Target groups are
// asked for this one person only.
func (m *Mailings) renderFor(ml resonanz.Mailing, recipientID int64, strict bool) (*resonanz.Message, error) {
	tpl, err := m.compile(ml)
	if err != nil {
		return nil, err
	}
	from, err := m.sender()
	if err != nil {
		return nil, err
	}
	r, err := m.previewRecipient(recipientID)
	if err != nil {
		return nil, err
	}
	groups, err := m.groupsOf(tpl.Groups(), r.ID)
	if err != nil {
		return nil, err
	}
	opt, err := m.previewOptions(tpl, ml.ID, r.ID, strict)
	if err != nil {
		return nil, err
	}
	opt.InGroup = func(g string) bool { return groups[g] }
	res, err := tpl.Execute(&r, opt)
	var skip *render.SkipError
	if errors.As(err, &skip) {
		return nil, resonanz.Errorf(resonanz.EINVALID, "This recipient would be skipped: %s", skip.Reason)
	} else if err != nil {
		return nil, err
	}
	msg := res.Message(from, &r)
	msg.Date = time.Now()
	return msg, nil
}

// ExportEML returns the mailing as rendered for one recipient as an .eml
// file (name and content) that a mail client opens as a draft.
func (m *Mailings) ExportEML(mailingID, recipientID int64) (FileContent, error) {
	ml, err := m.svc.Mailings.Mailing(m.ctx, mailingID)
	if err != nil {
		return FileContent{}, err
	}
	msg, err := m.renderFor(ml, recipientID, false)
	if err != nil {
		return FileContent{}, err
	}
	var b bytes.Buffer
	if err := smtp.WriteMessage(&b, msg); err != nil {
		return FileContent{}, err
	}
	return FileContent{Name: smtp.EMLFileName(msg), Content: b.String()}, nil
}

// FileContent is a file for the frontend to save or download.
type FileContent struct {
	Name    string `json:"name"`
	Content string `json:"content"`
	// Encoding is "base64" for binary content (ZIP archives), else empty.
	Encoding string `json:"encoding,omitempty"`
}

// sendRuns tracks running sends so they can be paused.
type sendRuns struct {
	mu      sync.Mutex
	running map[int64]context.CancelFunc
}

// StartSend prepares (first time) and runs the send of a mailing in the
// background; progress arrives as "send:progress:<mailingId>" events and
// the run can be paused with PauseSend and resumed with StartSend.
func (m *Mailings) StartSend(req resonanz.SendRequest) (resonanz.SendRun, error) {
	if m.send.Store == nil {
		return resonanz.SendRun{}, errNoSending
	}
	ml, err := m.svc.Mailings.Mailing(m.ctx, req.MailingID)
	if err != nil {
		return resonanz.SendRun{}, err
	}
	m.runs.mu.Lock()
	if _, busy := m.runs.running[ml.ID]; busy {
		m.runs.mu.Unlock()
		return resonanz.SendRun{}, resonanz.Errorf(resonanz.ECONFLICT, "This mailing is being sent already.")
	}
	ctx, cancel := context.WithCancel(m.ctx)
	if m.runs.running == nil {
		m.runs.running = map[int64]context.CancelFunc{}
	}
	m.runs.running[ml.ID] = cancel
	m.runs.mu.Unlock()
	release := func() {
		m.runs.mu.Lock()
		delete(m.runs.running, ml.ID)
		m.runs.mu.Unlock()
		cancel()
	}
	run, wait, err := m.startRun(ctx, ml, req)
	if err != nil {
		release()
		return run, err
	}
	go func() {
		defer release()
		wait()
	}()
	return run, nil
}

// SendNow runs a send of m's mailing to the end (or a pause) in the
// caller's goroutine: the command line uses it. (A function, not a method:
// every method of a façade is bound to the frontend.)
func SendNow(ctx context.Context, m *Mailings, req resonanz.SendRequest) (resonanz.SendRun, error) {
	ml, err := m.svc.Mailings.Mailing(ctx, req.MailingID)
	if err != nil {
		return resonanz.SendRun{}, err
	}
	_, wait, err := m.startRun(ctx, ml, req)
	if err != nil {
		return resonanz.SendRun{}, err
	}
	return wait()
}

// startRun checks and prepares a run and returns a function that runs it.
func (m *Mailings) startRun(ctx context.Context, ml resonanz.Mailing, req resonanz.SendRequest) (resonanz.SendRun, func() (resonanz.SendRun, error), error) {
	var tracker send.Tracker
	if m.send.Tracker != nil {
		var err error
		if tracker, err = m.send.Tracker(); err != nil {
			return resonanz.SendRun{}, nil, err
		}
	}
	job, err := m.job(ml, tracker)
	if err != nil {
		return resonanz.SendRun{}, nil, err
	}
	if tracker == nil && len(job.Template.SystemLinks()) > 0 {
		return resonanz.SendRun{}, nil, errNoListener()
	}
	if req.RatePerSecond < 0 || req.RatePerMinute < 0 || req.RatePerHour < 0 {
		return resonanz.SendRun{}, nil, resonanz.Errorf(resonanz.EINVALID, "A sending limit cannot be negative.")
	}
	job.Rate, job.PerMinute, job.PerHour, job.MaxError = req.RatePerSecond, req.RatePerMinute, req.RatePerHour, req.ErrorThreshold
	mailer, err := m.send.Mailer()
	if err != nil {
		return resonanz.SendRun{}, nil, err
	}
	// One run per mailing across processes: two would both send the queued
	// people.
	release, err := m.send.Store.ClaimRun(ctx, ml.ID)
	if err != nil {
		mailer.Close()
		return resonanz.SendRun{}, nil, err
	}
	if ml.Status == resonanz.MailingPaused {
		err = m.send.Store.SetPaused(ctx, ml.ID, false)
	} else if ml.Status != resonanz.MailingSending {
		_, err = m.send.Store.Prepare(ctx, ml.ID, req.TargetGroupID, messageDomain(job.From.FromAddress))
	}
	if err != nil {
		release()
		mailer.Close()
		return resonanz.SendRun{}, nil, err
	}
	run, err := m.send.Store.Progress(ctx, ml.ID)
	if err != nil {
		release()
		mailer.Close()
		return run, nil, err
	}
	emit := Throttle(m.events, fmt.Sprintf("send:progress:%d", ml.ID), 100*time.Millisecond)
	return run, func() (resonanz.SendRun, error) {
		defer release()
		defer mailer.Close()
		runner := &send.Runner{Store: m.send.Store, Mailer: mailer, BatchSize: 500}
		run, err := runner.Run(ctx, job, func(r resonanz.SendRun) { emit(r, false) })
		if errors.Is(err, send.ErrPaused) || (err == nil && run.Queued > 0) {
			m.send.Store.SetPaused(context.WithoutCancel(ctx), ml.ID, true)
			run.Status = resonanz.RunPaused
			err = nil
		}
		emit(run, true)
		return run, err
	}, nil
}

// PauseSend stops a running send after its current batch.
func (m *Mailings) PauseSend(mailingID int64) (bool, error) {
	m.runs.mu.Lock()
	cancel, ok := m.runs.running[mailingID]
	m.runs.mu.Unlock()
	if ok {
		cancel()
	}
	return ok, nil
}

// SendStatus returns the send ledger's counts of a mailing.
func (m *Mailings) SendStatus(mailingID int64) (resonanz.SendRun, error) {
	if m.send.Store == nil {
		return resonanz.SendRun{}, errNoSending
	}
	run, err := m.send.Store.Progress(m.ctx, mailingID)
	if err != nil || run.Status != resonanz.RunSending {
		return run, err
	}
	// "Sending" in the ledger, but no run here or in another process: the
	// program that ran it ended without pausing it (a crash, a kill).
	m.runs.mu.Lock()
	_, here := m.runs.running[mailingID]
	m.runs.mu.Unlock()
	if here {
		return run, nil
	}
	if claimed, err := m.send.Store.RunClaimed(m.ctx, mailingID); err != nil || claimed {
		return run, err
	}
	run.Status = resonanz.RunPaused
	run.PausedReason = "The last run stopped before its end (the program was closed or crashed); resume to send to the rest. Nobody recorded as sent gets it again."
	return run, nil
}

func messageDomain(from string) string {
	if _, d, ok := strings.Cut(from, "@"); ok && d != "" {
		return strings.ToLower(d)
	}
	return "resonanz.invalid"
}

// MaxMboxExport bounds the mails ExportMbox returns to the frontend.
const MaxMboxExport = 5000

// ExportMbox renders the mailing for its audience (the list's members with a
// newsletter consent for it, within the target group when given) into one
// .mbox file for offline review in a mail client; links stay untracked.
func (m *Mailings) ExportMbox(mailingID, targetGroupID int64) (FileContent, error) {
	name, b, err := m.exportAudience(mailingID, targetGroupID, WriteMbox)
	if err != nil {
		return FileContent{}, err
	}
	return FileContent{Name: name + ".mbox", Content: b.String()}, nil
}

// ExportEMLZip renders the mailing for its audience (as ExportMbox, at most
// MaxMboxExport people) into a ZIP archive of .eml files, one per person;
// the content is base64 (Encoding "base64").
func (m *Mailings) ExportEMLZip(mailingID, targetGroupID int64) (FileContent, error) {
	name, b, err := m.exportAudience(mailingID, targetGroupID, WriteEMLZip)
	if err != nil {
		return FileContent{}, err
	}
	return FileContent{Name: name + "-eml.zip", Content: base64.StdEncoding.EncodeToString(b.Bytes()), Encoding: "base64"}, nil
}

// exportAudience writes the stored mailing for its audience (at most
// MaxMboxExport people) with write and returns a file name base for it.
func (m *Mailings) exportAudience(mailingID, targetGroupID int64, write func(context.Context, *Mailings, io.Writer, resonanz.Mailing, int64, int) (int, error)) (string, *bytes.Buffer, error) {
	ml, err := m.svc.Mailings.Mailing(m.ctx, mailingID)
	if err != nil {
		return "", nil, err
	}
	var b bytes.Buffer
	if _, err := write(m.ctx, m, &b, ml, targetGroupID, MaxMboxExport); err != nil {
		return "", nil, err
	}
	return safeFileName(ml.Name), &b, nil
}

// WriteMbox writes the mailing as rendered for each person of its audience
// (at most limit, 0: all) to w as mboxrd and returns how many it wrote;
// people a required placeholder skips are left out.
func WriteMbox(ctx context.Context, m *Mailings, w io.Writer, ml resonanz.Mailing, targetGroupID int64, limit int) (int, error) {
	return eachRendered(ctx, m, ml, targetGroupID, limit, func(msgs []*resonanz.Message) error {
		return smtp.WriteMbox(w, msgs...)
	})
}

// WriteEMLZip writes the mailing as rendered for each person of its audience
// (at most limit, 0: all) to w as a ZIP archive of .eml files, one per
// person, named by position and address (00001_anna_at_example.org.eml:
// no directories, no dot files, see smtp.EMLFileName), and returns how
// many it wrote.
func WriteEMLZip(ctx context.Context, m *Mailings, w io.Writer, ml resonanz.Mailing, targetGroupID int64, limit int) (int, error) {
	z := zip.NewWriter(w)
	i := 0
	n, err := eachRendered(ctx, m, ml, targetGroupID, limit, func(msgs []*resonanz.Message) error {
		for _, msg := range msgs {
			i++
			name := fmt.Sprintf("%05d_%s", i, smtp.EMLFileName(msg))
			f, err := z.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: msg.Date})
			if err != nil {
				return err
			}
			if err := smtp.WriteMessage(f, msg); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return n, err
	}
	return n, z.Close()
}

// eachRendered renders the mailing for each person of its audience (the
// list's members with a newsletter consent for it, within the target group
// when given; at most limit, 0: all), untracked, and hands the messages to
// emit page by page; people a required placeholder skips are left out. It
// returns how many messages it emitted.
func eachRendered(ctx context.Context, m *Mailings, ml resonanz.Mailing, targetGroupID int64, limit int, emit func([]*resonanz.Message) error) (int, error) {
	if ml.ListID == 0 {
		return 0, resonanz.FieldError("listId", "error.mailing.list.required", "Choose the list this mailing goes to.")
	}
	var preview send.Tracker
	if m.send.Preview != nil {
		var err error
		if preview, err = m.send.Preview(); err != nil {
			return 0, err
		}
	}
	job, err := m.job(ml, preview)
	if err != nil {
		return 0, err
	}
	rule := resonanz.Condition{Kind: resonanz.CondGroup, Match: "all", Conditions: []resonanz.Condition{
		{Kind: resonanz.CondList, ListID: ml.ListID},
		{Kind: resonanz.CondConsent, Purpose: resonanz.PurposeNewsletter, ListID: ml.ListID},
	}}
	if targetGroupID != 0 {
		rule.Conditions = append(rule.Conditions, resonanz.Condition{Kind: resonanz.CondTargetGroup, TargetGroupID: targetGroupID})
	}
	n := 0
	err = m.eachMatching(ctx, rule, 500, func(page []resonanz.Recipient) (bool, error) {
		msgs := make([]*resonanz.Message, 0, len(page))
		for i := range page {
			r := &page[i]
			if limit > 0 && n+len(msgs) >= limit {
				break
			}
			res, err := job.Template.Execute(r, render.Options{InGroup: func(g string) bool { return job.InGroup(r.ID, g) },
				SystemURL: send.SystemURLs(job.Tracker, ml.ID, r.ID, job.Surveys)})
			var skip *render.SkipError
			if errors.As(err, &skip) {
				continue
			} else if err != nil {
				return false, err
			}
			msg := res.Message(job.From, r)
			msg.Date = time.Now()
			msgs = append(msgs, msg)
		}
		if err := emit(msgs); err != nil {
			return false, err
		}
		n += len(msgs)
		return limit <= 0 || n < limit, nil
	})
	return n, err
}

// safeFileName keeps letters, digits, dot, dash and underscore.
func safeFileName(s string) string {
	out := []rune{}
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_' || r == '.' {
			out = append(out, r)
		} else if len(out) > 0 && out[len(out)-1] != '_' {
			out = append(out, '_')
		}
	}
	if len(out) == 0 || out[0] == '.' {
		return "mailing"
	}
	return string(out)
}

// SendsRunning reports "a send" while m sends a mailing in the background,
// "" otherwise; a restore waits for it (Backups.Busy). A function, not a
// method: every method of a façade is bound to the frontend.
func SendsRunning(m *Mailings) string {
	m.runs.mu.Lock()
	defer m.runs.mu.Unlock()
	if len(m.runs.running) > 0 {
		return "the running send"
	}
	return ""
}
