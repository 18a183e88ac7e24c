package send

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/resonanz/resonanz/backend/render"
	"github.com/resonanz/resonanz/backend/resonanz"
)

// Ledger is the send ledger the Service drives: the runner's Store plus the
// one audience definition (who a mailing goes to) and the run's lifecycle.
type Ledger interface {
	Store
	// Audience counts who a mailing would go to (groupID 0: the whole list).
	Audience(ctx context.Context, mailingID, groupID int64) (resonanz.Audience, error)
	// AudiencePage returns up to limit people of that audience after
	// recipient id after, in id order.
	AudiencePage(ctx context.Context, mailingID, groupID, after int64, limit int) ([]resonanz.Recipient, error)
	// Prepare queues the audience for the mailing and marks it sending.
	Prepare(ctx context.Context, mailingID, groupID int64, domain string) (int, error)
	SetPaused(ctx context.Context, mailingID int64, paused bool) error
	// ClaimRun claims the mailing's run for this process until release
	// (another live run is a conflict); RunClaimed tells whether one holds
	// it.
	ClaimRun(ctx context.Context, mailingID int64) (release func(), err error)
	RunClaimed(ctx context.Context, mailingID int64) (bool, error)
}

// Mailer is a resonanz.Mailer that can be closed.
type Mailer interface {
	resonanz.Mailer
	Close() error
}

// Services are what the Service uses; the composition root provides them.
type Services struct {
	Mailings   resonanz.MailingService
	Recipients resonanz.RecipientService
	Attributes resonanz.AttributeService
	Groups     resonanz.TargetGroupService
	Settings   resonanz.SettingsService
	// Surveys resolves {{ survey_url "slug" }}; nil: no survey links.
	Surveys resonanz.SurveyService
	// Templates holds the layouts mailings choose; nil: every mailing uses
	// the default layout.
	Templates resonanz.TemplateService
	// Ledger is the send ledger; nil: sending is not set up in this mode.
	Ledger Ledger
	// Mailer connects to the configured SMTP server.
	Mailer func() (Mailer, error)
	// Tracker builds listener URLs; nil (and no error) when no public URL
	// is configured: then mails carry no tracking.
	Tracker func() (Tracker, error)
	// Preview builds test-flagged listener URLs for previews, test sends
	// and exports (nil, or nil and no error, when no public URL is set).
	Preview func() (Tracker, error)
	// Return builds the addresses that lead back to the sender's mailbox
	// (Settings → Mailbox); nil, or nil and no error, when none is set up.
	Return func() (ReturnAddresses, error)
	// BeforeStart runs before Start begins or resumes a send (the desk
	// collects its relays' unsubscribes there); an error keeps the send
	// from starting. force is SendRequest.WithoutRelay. nil: nothing to do.
	BeforeStart func(ctx context.Context, force bool) error
}

// Service is the home of the sending use cases: compile a mailing, preview
// it, send a test copy, count and export its audience, and start, pause,
// resume and report a send. The command line and the desk's façade both
// call it.
type Service struct {
	svc Services

	mu      sync.Mutex
	running map[int64]context.CancelFunc // sends running in the background
}

// NewService returns the sending service over svc.
func NewService(svc Services) *Service { return &Service{svc: svc} }

// ErrNoSending is returned when the mode has no send ledger.
var ErrNoSending = resonanz.E(resonanz.EINTERNAL, "error.send.sendingSetUp", "Sending is not set up in this mode.")

// Progress receives a run's counts after every batch; final is true once,
// for the last report of a run.
type Progress func(run resonanz.SendRun, final bool)

// Audience counts who a mailing would go to (targetGroupID 0: the whole
// list).
func (s *Service) Audience(ctx context.Context, mailingID, targetGroupID int64) (resonanz.Audience, error) {
	if s.svc.Ledger == nil {
		return resonanz.Audience{}, ErrNoSending
	}
	return s.svc.Ledger.Audience(ctx, mailingID, targetGroupID)
}

// Start prepares (first time) and runs the send of a mailing in the
// background until it ends, pauses or ctx ends; Pause stops it and Start
// resumes it. progress (may be nil) gets the counts.
func (s *Service) Start(ctx context.Context, req resonanz.SendRequest, progress Progress) (resonanz.SendRun, error) {
	if s.svc.Ledger == nil {
		return resonanz.SendRun{}, ErrNoSending
	}
	if s.svc.BeforeStart != nil {
		if err := s.svc.BeforeStart(ctx, req.WithoutRelay); err != nil {
			return resonanz.SendRun{}, err
		}
	}
	ml, err := s.svc.Mailings.Mailing(ctx, req.MailingID)
	if err != nil {
		return resonanz.SendRun{}, err
	}
	s.mu.Lock()
	if _, busy := s.running[ml.ID]; busy {
		s.mu.Unlock()
		return resonanz.SendRun{}, resonanz.E(resonanz.ECONFLICT, "error.send.mailingBeingSent2", "This mailing is being sent already.")
	}
	ctx, cancel := context.WithCancel(ctx)
	if s.running == nil {
		s.running = map[int64]context.CancelFunc{}
	}
	s.running[ml.ID] = cancel
	s.mu.Unlock()
	release := func() {
		s.mu.Lock()
		delete(s.running, ml.ID)
		s.mu.Unlock()
		cancel()
	}
	run, wait, err := s.startRun(ctx, ml, req, progress)
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

// Run runs a send of a mailing to the end (or a pause) in the caller's
// goroutine: the command line uses it.
func (s *Service) Run(ctx context.Context, req resonanz.SendRequest, progress Progress) (resonanz.SendRun, error) {
	if s.svc.Ledger == nil {
		return resonanz.SendRun{}, ErrNoSending
	}
	ml, err := s.svc.Mailings.Mailing(ctx, req.MailingID)
	if err != nil {
		return resonanz.SendRun{}, err
	}
	_, wait, err := s.startRun(ctx, ml, req, progress)
	if err != nil {
		return resonanz.SendRun{}, err
	}
	return wait()
}

// startRun checks and prepares a run and returns a function that runs it.
func (s *Service) startRun(ctx context.Context, ml resonanz.Mailing, req resonanz.SendRequest, progress Progress) (resonanz.SendRun, func() (resonanz.SendRun, error), error) {
	if progress == nil {
		progress = func(resonanz.SendRun, bool) {}
	}
	var tracker Tracker
	if s.svc.Tracker != nil {
		var err error
		if tracker, err = s.svc.Tracker(); err != nil {
			return resonanz.SendRun{}, nil, err
		}
	}
	job, err := s.job(ctx, ml, tracker)
	if err != nil {
		return resonanz.SendRun{}, nil, err
	}
	if tracker == nil && len(job.Template.SystemLinks()) > 0 {
		return resonanz.SendRun{}, nil, errNoListener()
	}
	if s.svc.Return != nil {
		if job.Return, err = s.svc.Return(); err != nil {
			return resonanz.SendRun{}, nil, err
		}
	}
	if req.RatePerSecond < 0 || req.RatePerMinute < 0 || req.RatePerHour < 0 {
		return resonanz.SendRun{}, nil, resonanz.E(resonanz.EINVALID, "error.send.sendingLimitNegative", "A sending limit cannot be negative.")
	}
	job.Rate, job.PerMinute, job.PerHour, job.MaxError = req.RatePerSecond, req.RatePerMinute, req.RatePerHour, req.ErrorThreshold
	mailer, err := s.svc.Mailer()
	if err != nil {
		return resonanz.SendRun{}, nil, err
	}
	// One run per mailing across processes: two would both send the queued
	// people.
	ledger := s.svc.Ledger
	release, err := ledger.ClaimRun(ctx, ml.ID)
	if err != nil {
		mailer.Close()
		return resonanz.SendRun{}, nil, err
	}
	if ml.Status == resonanz.MailingPaused {
		err = ledger.SetPaused(ctx, ml.ID, false)
	} else if ml.Status != resonanz.MailingSending {
		_, err = ledger.Prepare(ctx, ml.ID, req.TargetGroupID, messageDomain(job.From.FromAddress))
	}
	if err != nil {
		release()
		mailer.Close()
		return resonanz.SendRun{}, nil, err
	}
	run, err := ledger.Progress(ctx, ml.ID)
	if err != nil {
		release()
		mailer.Close()
		return run, nil, err
	}
	return run, func() (resonanz.SendRun, error) {
		defer release()
		defer mailer.Close()
		runner := &Runner{Store: ledger, Mailer: mailer, BatchSize: 500}
		run, err := runner.Run(ctx, job, func(r resonanz.SendRun) { progress(r, false) })
		if errors.Is(err, ErrPaused) || (err == nil && run.Queued > 0) {
			ledger.SetPaused(context.WithoutCancel(ctx), ml.ID, true)
			run.Status = resonanz.RunPaused
			err = nil
		}
		progress(run, true)
		return run, err
	}, nil
}

// Pause stops a send running in the background after its current batch;
// it reports whether one ran.
func (s *Service) Pause(mailingID int64) bool {
	s.mu.Lock()
	cancel, ok := s.running[mailingID]
	s.mu.Unlock()
	if ok {
		cancel()
	}
	return ok
}

// Busy returns "the running send" while a send runs in the background, ""
// otherwise; a restore waits for it.
func (s *Service) Busy() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.running) > 0 {
		return "the running send"
	}
	return ""
}

// Status returns the send ledger's counts of a mailing; a run that the
// ledger says is sending but that no process runs is reported paused.
func (s *Service) Status(ctx context.Context, mailingID int64) (resonanz.SendRun, error) {
	if s.svc.Ledger == nil {
		return resonanz.SendRun{}, ErrNoSending
	}
	run, err := s.svc.Ledger.Progress(ctx, mailingID)
	if err != nil || run.Status != resonanz.RunSending {
		return run, err
	}
	// "Sending" in the ledger, but no run here or in another process: the
	// program that ran it ended without pausing it (a crash, a kill).
	s.mu.Lock()
	_, here := s.running[mailingID]
	s.mu.Unlock()
	if here {
		return run, nil
	}
	if claimed, err := s.svc.Ledger.RunClaimed(ctx, mailingID); err != nil || claimed {
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

// job builds the send job of a mailing.
func (s *Service) job(ctx context.Context, ml resonanz.Mailing, tracker Tracker) (Job, error) {
	tpl, err := s.Compile(ctx, ml)
	if err != nil {
		return Job{}, err
	}
	links, err := s.svc.Mailings.Links(ctx, ml.ID)
	if err != nil {
		return Job{}, err
	}
	ids := map[int]int64{}
	for _, l := range links {
		ids[l.Index] = l.ID
	}
	from, err := s.sender(ctx)
	if err != nil {
		return Job{}, err
	}
	members, err := s.groupMembers(ctx, tpl.Groups())
	if err != nil {
		return Job{}, err
	}
	surveys, err := s.SurveyIDs(ctx, tpl)
	if err != nil {
		return Job{}, err
	}
	return Job{Mailing: ml, Template: tpl, LinkIDs: ids, From: from, Tracker: tracker, Surveys: surveys,
		InGroup: func(id int64, g string) bool { return members[g][id] }}, nil
}

// groupMembers evaluates the target groups a template's blocks use, once
// per send.
func (s *Service) groupMembers(ctx context.Context, names []string) (map[string]map[int64]bool, error) {
	out := map[string]map[int64]bool{}
	if len(names) == 0 {
		return out, nil
	}
	all, err := s.svc.Groups.TargetGroups(ctx)
	if err != nil {
		return nil, err
	}
	for _, g := range all {
		for _, n := range names {
			if n != g.Name {
				continue
			}
			set := map[int64]bool{}
			for after := int64(0); ; {
				page, err := s.svc.Groups.Matching(ctx, g.Rule, resonanz.RecipientFilter{AfterID: after, Limit: 1000, Sort: "createdAt"})
				if err != nil {
					return nil, err
				}
				for _, r := range page.Recipients {
					set[r.ID] = true
				}
				if len(page.Recipients) < 1000 {
					break
				}
				after = page.Recipients[len(page.Recipients)-1].ID
			}
			out[g.Name] = set
		}
	}
	return out, nil
}

// sender returns the sender identity mails go out with; an address is
// required.
func (s *Service) sender(ctx context.Context) (resonanz.SenderIdentity, error) {
	from, err := s.svc.Settings.Sender(ctx)
	if err == nil && from.FromAddress == "" {
		err = resonanz.FieldError("fromAddress", "error.sender.fromAddress.required", "Enter the address your newsletter is sent from (Settings).")
	}
	return from, err
}

// TestSend sends the mailing as rendered for one recipient (0: a sample)
// to one to ten test addresses, links as preview links (not counted), and
// returns the addresses that accepted it.
func (s *Service) TestSend(ctx context.Context, ml resonanz.Mailing, recipientID int64, addresses []string) ([]string, error) {
	if len(addresses) == 0 || len(addresses) > 10 {
		return nil, resonanz.FieldError("addresses", "error.testSend.addresses", "Enter one to ten addresses for the test mail.")
	}
	for _, a := range addresses {
		if !resonanz.ValidAddress(strings.TrimSpace(a)) {
			e := resonanz.FieldError("addresses", "error.testSend.address", fmt.Sprintf("%q is not a valid address.", a))
			e.Params = map[string]string{"address": a}
			return nil, e
		}
	}
	msg, err := s.renderFor(ctx, ml, recipientID, true)
	if err != nil {
		return nil, err
	}
	mailer, err := s.svc.Mailer()
	if err != nil {
		return nil, err
	}
	defer mailer.Close()
	batch := make([]*resonanz.Message, len(addresses))
	for i, a := range addresses {
		c := *msg
		c.To, c.ToName, c.MessageID = strings.TrimSpace(a), "", ""
		c.Subject = "[Test] " + c.Subject
		batch[i] = &c
	}
	per, err := mailer.Send(ctx, batch)
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
		return nil, resonanz.E(resonanz.EINVALID, "error.send.testMailWas", "The test mail was not accepted: {reasons}", "reasons", strings.Join(errs, "; "))
	}
	return ok, nil
}

// renderFor renders the mailing for one recipient (0: the first, or a
// sample person) as a full message, links untracked, system links with
// test tokens (strict: a missing listener is an error). Target groups are
// asked for this one person only.
func (s *Service) renderFor(ctx context.Context, ml resonanz.Mailing, recipientID int64, strict bool) (*resonanz.Message, error) {
	tpl, err := s.Compile(ctx, ml)
	if err != nil {
		return nil, err
	}
	from, err := s.sender(ctx)
	if err != nil {
		return nil, err
	}
	r, err := s.previewRecipient(ctx, recipientID)
	if err != nil {
		return nil, err
	}
	opt, err := s.PreviewOptions(ctx, tpl, ml.ID, r.ID, strict)
	if err != nil {
		return nil, err
	}
	res, err := tpl.Execute(&r, opt)
	var skip *render.SkipError
	if errors.As(err, &skip) {
		return nil, resonanz.E(resonanz.EINVALID, "error.send.recipientWouldSkipped", "This recipient would be skipped: {reason}", "reason", skip.Reason)
	} else if err != nil {
		return nil, err
	}
	msg := res.Message(from, &r)
	msg.Date = time.Now()
	return msg, nil
}
