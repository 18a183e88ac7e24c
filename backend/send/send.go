// Package send runs a mailing: it takes the queued people of the mailing's
// send ledger page by page, renders each mail (tracked links only with the
// person's consent), hands them to a Mailer, records every outcome, and can
// be paused, cancelled and resumed without mailing anyone twice.
package send

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/resonanz/resonanz/backend/render"
	"github.com/resonanz/resonanz/backend/resonanz"
)

// Store is the send ledger.
type Store interface {
	// Next returns up to n queued people after recipient id after, in id
	// order.
	Next(ctx context.Context, mailingID, after int64, n int) ([]resonanz.SendPending, error)
	// Record stores outcomes in one transaction.
	Record(ctx context.Context, mailingID int64, outcomes []resonanz.SendOutcome) error
	// Progress counts the ledger.
	Progress(ctx context.Context, mailingID int64) (resonanz.SendRun, error)
	// EnsureAsset registers an image of the mailing for the image proxy.
	EnsureAsset(ctx context.Context, mailingID int64, url string) (int64, error)
	// MarkInFlight marks queued people as handed to the mail server; Record
	// replaces the mark with the outcome (see resonanz.DeliveryInFlight).
	MarkInFlight(ctx context.Context, mailingID int64, recipientIDs []int64) error
}

// NotifyingMailer is a Mailer that reports each message's outcome as soon as
// it is known (smtp.Mailer implements it). The runner then commits every
// acceptance right away instead of after the whole batch, so a crash can
// leave at most the acceptances of the last moment unrecorded.
type NotifyingMailer interface {
	SendNotify(ctx context.Context, msgs []*resonanz.Message, notify func(i int, err error)) ([]error, error)
}

// Tracker builds the recipient-facing URLs (listener.URLs implements it).
type Tracker interface {
	Open(m, r int64) string
	Click(m, r, link int64) string
	Image(m, r, image int64) string
	Unsubscribe(m, r int64) string
	Profile(m, r int64) string
	Survey(m, r, surveyID int64) string
}

// ReturnAddresses build the addresses that lead back to the sender's
// mailbox (mailbox.Addresses implements it): the envelope sender, where
// bounces go, and the mailto: of List-Unsubscribe, each with a signed token
// per mailing and recipient. Empty strings mean "none configured".
type ReturnAddresses interface {
	ReturnPath(m, r int64) string
	UnsubscribeMailto(m, r int64) string
}

// Job is one run of a mailing.
type Job struct {
	Mailing  resonanz.Mailing
	Template *render.Template
	// LinkIDs maps a template link's index to its stored link id.
	LinkIDs map[int]int64
	// Surveys maps the slugs of the surveys the template links to their
	// ids; an unknown slug renders an empty URL (check beforehand).
	Surveys map[string]int64
	From    resonanz.SenderIdentity
	InGroup func(recipientID int64, group string) bool // nil: in no group
	Tracker Tracker                                    // nil: no tracking, List-Unsubscribe by mail only
	Return  ReturnAddresses                            // nil: bounces to the From address, mailto: the reply address
	Rate    float64                                    // messages per second, 0: unlimited (see newLimiter)
	// PerMinute and PerHour limit the messages in any minute or hour (0: no limit).
	PerMinute, PerHour int
	MaxError           float64 // share of a batch that may fail before pausing
}

// Runner sends jobs through a Mailer, recording outcomes in a Store.
type Runner struct {
	Store     Store
	Mailer    resonanz.Mailer
	BatchSize int
	Now       func() time.Time
	Sleep     func(ctx context.Context, d time.Duration) error
}

// ErrPaused is returned (wrapped with the reason) when a run pauses by
// itself: too many failures in a batch, or the server unreachable.
var ErrPaused = errors.New("send paused")

// Run sends to every queued person of the job's mailing until none is left,
// ctx is cancelled (pause: the ledger keeps the rest queued) or the error
// threshold is crossed. progress is called after every batch.
func (rn *Runner) Run(ctx context.Context, job Job, progress func(resonanz.SendRun)) (resonanz.SendRun, error) {
	now, sleep := rn.Now, rn.Sleep
	if now == nil {
		now = time.Now
	}
	if sleep == nil {
		sleep = sleepCtx
	}
	size := max(rn.BatchSize, 1)
	if job.MaxError <= 0 {
		job.MaxError = 0.2
	}
	m := job.Mailing
	assets := map[string]int64{}
	var after int64
	limit := newLimiter(job.Rate, job.PerMinute, job.PerHour)
	var lastProgress time.Time
	// prepare takes the next batch from the ledger and renders it.
	prepare := func() preparedBatch {
		if err := ctx.Err(); err != nil {
			return preparedBatch{stop: true}
		}
		n, err := limit.take(ctx, size, now, sleep)
		if err != nil {
			return preparedBatch{stop: true}
		}
		batch, err := rn.Store.Next(ctx, m.ID, after, n)
		if err != nil {
			return preparedBatch{err: err}
		}
		if len(batch) == 0 {
			return preparedBatch{stop: true}
		}
		after = batch[len(batch)-1].Recipient.ID
		b := preparedBatch{
			outcomes: make([]resonanz.SendOutcome, 0, len(batch)),
			msgs:     make([]*resonanz.Message, 0, len(batch)),
			idx:      make([]int, 0, len(batch)),
		}
		for i := range batch {
			p := &batch[i]
			o := resonanz.SendOutcome{RecipientID: p.Recipient.ID, At: now()}
			if !p.Eligible {
				o.Status, o.Error = resonanz.DeliverySkipped, "No longer subscribed, or suppressed."
				b.outcomes = append(b.outcomes, o)
				continue
			}
			msg, err := rn.render(ctx, job, p, assets)
			var skip *render.SkipError
			if errors.As(err, &skip) {
				o.Status, o.Error = resonanz.DeliverySkipped, skip.Reason
				b.outcomes = append(b.outcomes, o)
				continue
			} else if err != nil {
				return preparedBatch{err: err}
			}
			b.outcomes = append(b.outcomes, o)
			b.msgs = append(b.msgs, msg)
			b.idx = append(b.idx, len(b.outcomes)-1)
		}
		return b
	}
	next, marked := prepare, func() {}
	if len(limit.windows) == 0 {
		// Without sending limits the next batch is read and rendered
		// while this one is on its way, so the connections do not wait
		// for it. (With limits, how many may go next depends on when
		// this batch's messages were taken.) It is marked in flight only
		// when it is handed to the mailer.
		ahead := make(chan preparedBatch)
		resume := make(chan struct{}, 1)
		done, finished := make(chan struct{}), make(chan struct{})
		defer func() { close(done); <-finished }() // no ledger read after Run returned
		go func() {
			defer close(finished)
			for {
				b := prepare()
				select {
				case ahead <- b:
				case <-done:
					return
				}
				if b.stop || b.err != nil {
					return
				}
				// Read on once the batch handed over is marked in flight:
				// both write the ledger, and one would wait for the other.
				select {
				case <-resume:
				case <-done:
					return
				}
			}
		}()
		next = func() preparedBatch { return <-ahead }
		marked = func() { resume <- struct{}{} }
	}
	for {
		b := next()
		if b.err != nil && ctx.Err() == nil {
			return resonanz.SendRun{}, b.err
		}
		// A pause that lands while the next batch is read (the read then
		// fails with the cancellation) is a pause like any other.
		if b.stop || ctx.Err() != nil {
			// A batch read ahead and not sent stays queued, unmarked.
			return rn.progress(m.ID, progress, "")
		}
		outcomes, msgs, idx := b.outcomes, b.msgs, b.idx
		var err error
		if len(msgs) == 0 {
			marked()
		}
		failed := 0
		var recorded []bool // per message: its acceptance is committed already
		if len(msgs) > 0 {
			ids := make([]int64, len(idx))
			for j, oi := range idx {
				ids[j] = outcomes[oi].RecipientID
			}
			// The mark is on disk before the first byte goes to the server:
			// a row that keeps it after a crash is one whose fate is unknown.
			if err := rn.Store.MarkInFlight(context.WithoutCancel(ctx), m.ID, ids); err != nil {
				return resonanz.SendRun{}, err
			}
			marked()
			var perMsg []error
			perMsg, recorded, err = rn.send(ctx, m.ID, msgs, ids, now)
			limit.sent(now(), len(msgs))
			if err != nil && ctx.Err() == nil && perMsg == nil {
				// Nothing was sent: the rows stay queued (and lose the mark).
				for _, oi := range idx {
					outcomes[oi].Error = err.Error()
				}
				rn.Store.Record(context.WithoutCancel(ctx), m.ID, outcomes)
				run, _ := rn.progress(m.ID, progress, "The mail server failed: "+err.Error())
				return run, fmt.Errorf("%w: %v", ErrPaused, err)
			}
			for j, oi := range idx {
				var e error
				if j < len(perMsg) {
					e = perMsg[j]
				} else {
					e = err
				}
				switch {
				case e == nil:
					outcomes[oi].Status = resonanz.DeliverySent
				case resonanz.IsPermanentFailure(e):
					outcomes[oi].Status, outcomes[oi].Error = resonanz.DeliveryFailed, e.Error()
					failed++
				default:
					// Temporary: stays queued for the next run.
					outcomes[oi].Error = e.Error()
					failed++
				}
			}
		}
		// Record even when ctx was cancelled meanwhile: what the server took
		// must be in the ledger, or a resumed run would send it again.
		rest := outcomes
		if recorded != nil {
			rest = make([]resonanz.SendOutcome, 0, len(outcomes))
			done := make(map[int]bool, len(idx))
			for j, oi := range idx {
				done[oi] = recorded[j]
			}
			for oi, o := range outcomes {
				if !done[oi] {
					rest = append(rest, o)
				}
			}
		}
		if err := rn.Store.Record(context.WithoutCancel(ctx), m.ID, rest); err != nil {
			return resonanz.SendRun{}, err
		}
		if len(msgs) > 0 && float64(failed)/float64(len(msgs)) > job.MaxError && failed >= 3 {
			reason := fmt.Sprintf("%d of %d messages of the last batch failed; check the server and the addresses, then resume.", failed, len(msgs))
			run, _ := rn.progress(m.ID, progress, reason)
			return run, fmt.Errorf("%w: %s", ErrPaused, reason)
		}
		// Counting the ledger reads every row of the mailing: after a
		// batch it is done at most every ProgressEvery (it was a fifth of
		// a 100k run's CPU when done after each of its 200 batches). Every
		// return above reports the final counts.
		if t := now(); t.Sub(lastProgress) >= ProgressEvery {
			lastProgress = t
			if _, err := rn.progress(m.ID, progress, ""); err != nil {
				return resonanz.SendRun{}, err
			}
		}
	}
}

// preparedBatch is a batch read from the ledger and rendered: outcomes for
// everyone in it (the skipped ones final), the messages of the others and
// the index of each message's outcome. stop: nothing left, or ctx ended.
type preparedBatch struct {
	outcomes []resonanz.SendOutcome
	msgs     []*resonanz.Message
	idx      []int
	err      error
	stop     bool
}

// ProgressEvery is the least time between two progress reports of a run.
const ProgressEvery = 500 * time.Millisecond

// CommitEvery is the least time between two group commits of acceptances:
// an acceptance waits at most this long (plus the commit) before it is on
// disk, the window in which a crash makes it go out again. Each commit
// costs about as much processor time as sending a message, whatever its
// size; at thousands of acceptances per second this bounds them to a
// hundred commits per second.
const CommitEvery = 10 * time.Millisecond

// send hands msgs (for the people ids) to the mailer. With a
// NotifyingMailer every acceptance is committed to the ledger by a group
// commit while the batch is still being sent; recorded[j] says msgs[j]'s is.
func (rn *Runner) send(ctx context.Context, mailingID int64, msgs []*resonanz.Message, ids []int64, now func() time.Time) (perMsg []error, recorded []bool, err error) {
	nm, ok := rn.Mailer.(NotifyingMailer)
	if !ok {
		perMsg, err = rn.Mailer.Send(ctx, msgs)
		return perMsg, nil, err
	}
	recorded = make([]bool, len(msgs))
	accepted := make(chan int, len(msgs)) // never blocks a sending goroutine
	committed := make(chan struct{})
	go func() {
		defer close(committed)
		var failed bool
		var last time.Time // of the last commit
		for j := range accepted {
			group := []int{j}
			// Everything accepted until CommitEvery has passed since the
			// last commit goes into the same transaction: one commit per
			// acceptance cost more processor time than the message itself.
			wait := time.NewTimer(CommitEvery - time.Since(last))
		gather:
			for {
				select {
				case k, ok := <-accepted:
					if !ok {
						break gather // the batch is done: commit now
					}
					group = append(group, k)
				case <-wait.C:
					break gather
				}
			}
			wait.Stop()
			last = time.Now()
			if failed {
				continue // the batch's Record writes them
			}
			at := now()
			outs := make([]resonanz.SendOutcome, len(group))
			for x, k := range group {
				outs[x] = resonanz.SendOutcome{RecipientID: ids[k], Status: resonanz.DeliverySent, At: at}
			}
			if err := rn.Store.Record(context.WithoutCancel(ctx), mailingID, outs); err != nil {
				failed = true
				continue
			}
			for _, k := range group {
				recorded[k] = true
			}
		}
	}()
	perMsg, err = nm.SendNotify(ctx, msgs, func(i int, e error) {
		if e == nil {
			accepted <- i
		}
	})
	close(accepted)
	<-committed
	return perMsg, recorded, err
}

func (rn *Runner) progress(mailingID int64, progress func(resonanz.SendRun), reason string) (resonanz.SendRun, error) {
	run, err := rn.Store.Progress(context.Background(), mailingID)
	if err != nil {
		return run, err
	}
	run.PausedReason = reason
	if progress != nil {
		progress(run)
	}
	return run, nil
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// render builds one person's message.
func (rn *Runner) render(ctx context.Context, job Job, p *resonanz.SendPending, assets map[string]int64) (*resonanz.Message, error) {
	m, r := job.Mailing, &p.Recipient
	opt := render.Options{}
	if job.InGroup != nil {
		opt.InGroup = func(g string) bool { return job.InGroup(r.ID, g) }
	}
	var assetErr error
	if job.Tracker != nil {
		opt.SystemURL = SystemURLs(job.Tracker, m.ID, r.ID, job.Surveys)
		if p.TrackClicks {
			opt.RewriteLink = func(l resonanz.LinkMeta, url string) string {
				id, ok := job.LinkIDs[l.Index]
				// Personalized URLs (placeholders) go out directly: the
				// redirect only knows the stored, unpersonalized URL.
				if !ok || strings.Contains(l.URL, "{{") || strings.HasPrefix(url, "mailto:") {
					return url
				}
				return job.Tracker.Click(m.ID, r.ID, id)
			}
		}
		if p.TrackOpens {
			opt.OpenPixelURL = job.Tracker.Open(m.ID, r.ID)
			opt.RewriteImage = func(url string) string {
				id, ok := assets[url]
				if !ok {
					var err error
					if id, err = rn.Store.EnsureAsset(ctx, m.ID, url); err != nil {
						assetErr = err
						return url
					}
					assets[url] = id
				}
				return job.Tracker.Image(m.ID, r.ID, id)
			}
		}
	}
	res, err := job.Template.Execute(r, opt)
	if err != nil {
		return nil, err
	}
	if assetErr != nil {
		return nil, assetErr
	}
	msg := res.Message(job.From, r)
	msg.MessageID = p.MessageID
	if msg.Headers == nil {
		msg.Headers = map[string]string{}
	}
	id := strconv.FormatInt(m.ID, 10)
	msg.Headers[resonanz.HeaderMailing] = id
	// Providers hand these custom variables back in their logs, so imported
	// reactions match the mailing directly.
	msg.Headers["X-Mailgun-Variables"] = `{"resonanz_mailing":"` + id + `"}`
	msg.Headers["X-SMTPAPI"] = `{"unique_args":{"resonanz_mailing":"` + id + `"}}`
	unsub := []string{}
	if job.Tracker != nil {
		unsub = append(unsub, "<"+job.Tracker.Unsubscribe(m.ID, r.ID)+">")
		msg.Headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
	}
	mailto := ""
	if job.Return != nil {
		msg.ReturnPath = job.Return.ReturnPath(m.ID, r.ID)
		mailto = job.Return.UnsubscribeMailto(m.ID, r.ID)
	}
	if addr := job.From.ReplyTo; mailto == "" && (addr != "" || job.From.FromAddress != "") {
		if addr == "" {
			addr = job.From.FromAddress
		}
		mailto = "mailto:" + addr + "?subject=unsubscribe"
	}
	if mailto != "" {
		unsub = append(unsub, "<"+mailto+">")
	}
	if len(unsub) > 0 {
		msg.Headers["List-Unsubscribe"] = strings.Join(unsub, ", ")
	}
	return msg, nil
}

// SystemURLs returns the render.Options.SystemURL func for recipient r of
// mailing m (0: an unsaved mailing): signed listener URLs from t, survey
// slugs resolved through surveys. It returns nil (no system links: empty
// URLs, no footer) when t is nil or r is not a stored recipient (a sample
// person in a preview).
func SystemURLs(t Tracker, m, r int64, surveys map[string]int64) func(kind, slug string) string {
	if t == nil || r <= 0 || m < 0 {
		return nil
	}
	return func(kind, slug string) string {
		switch kind {
		case render.SystemProfile:
			return t.Profile(m, r)
		case render.SystemUnsubscribe:
			return t.Unsubscribe(m, r)
		case render.SystemSurvey:
			if id := surveys[slug]; id > 0 {
				return t.Survey(m, r, id)
			}
		}
		return ""
	}
}
