package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/emersion/go-imap"
	"github.com/emersion/go-imap/client"

	"github.com/resonanz/resonanz/backend/mailbox"
	"github.com/resonanz/resonanz/backend/mailbox/dovecottest"
	"github.com/resonanz/resonanz/backend/sqlite"
)

// mailboxWorkload measures `resonanz mailbox sync` of up to 10 000
// messages (bounces, auto-replies, replies) from a local Dovecot against a
// plain fetch of the same messages with the same IMAP client (go-imap, the
// same batches and fetch items): the sync's own cost is classification,
// matching and the store. Nothing is moved (no processed folder), so every
// run reads the same mailbox.
func mailboxWorkload(ctx context.Context, cfg Config) ([]Result, error) {
	n := min(10_000, cfg.Recipients)
	srv, err := dovecottest.Start()
	if err != nil {
		return nil, fmt.Errorf("mailbox: %w", err)
	}
	defer srv.Close()
	seed := filepath.Join(cfg.WorkDir, "mailbox-seed", sqlite.FileName)
	if err := seedStore(ctx, seed, n, 0); err != nil {
		return nil, err
	}
	db, err := sqlite.Open(ctx, seed, sqlite.Options{})
	if err != nil {
		return nil, err
	}
	_, err = db.SQL().ExecContext(ctx, `INSERT INTO delivery (mailing_id, recipient_id, message_id, status, at)
		SELECT 1, id, 'm1.r' || id || '@sonne.example', 'sent', 0 FROM recipient`)
	db.Close()
	if err != nil {
		return nil, fmt.Errorf("mailbox: seed deliveries: %w", err)
	}
	for i := 1; i <= n; i++ {
		if err := srv.Deliver(benchMessage(i)); err != nil {
			return nil, err
		}
	}
	os.Setenv("RESONANZ_IMAP_PASSWORD", srv.Password)
	os.Setenv("RESONANZ_KEYRING", "off")
	// Dovecot indexes a new Maildir on the first SELECT: once, before any
	// measurement.
	if _, err := plainFetch(srv); err != nil {
		return nil, err
	}
	var times, idles, baselines, cpus, baseCPUs []time.Duration
	var rss []int64
	for run := range cfg.Runs {
		data := filepath.Join(cfg.WorkDir, fmt.Sprintf("mailbox-%d", run))
		if err := copyFile(filepath.Join(data, sqlite.FileName), seed); err != nil {
			return nil, err
		}
		var res struct {
			Read        int `json:"read"`
			BouncesHard int `json:"bounces_hard"`
			Unmatched   int `json:"unmatched"`
		}
		srvBefore, err := srv.CPU()
		if err != nil {
			return nil, err
		}
		cmd := exec.CommandContext(ctx, cfg.Bin, "--data", data, "--json", "mailbox", "sync",
			"--imap", srv.Addr(), "--imap-security", "none", "--imap-user", srv.User)
		out, elapsed, peak, err := output(cmd)
		if err == nil {
			err = json.Unmarshal(out, &res)
		}
		if err != nil {
			return nil, fmt.Errorf("mailbox sync: %w: %s", err, out)
		}
		srvAfter, err := srvCPUSettled(srv)
		if err != nil {
			return nil, err
		}
		cpus = append(cpus, cmd.ProcessState.UserTime()+cmd.ProcessState.SystemTime()+srvAfter-srvBefore)
		if res.Read != n || res.Unmatched != 0 || res.BouncesHard == 0 {
			return nil, fmt.Errorf("mailbox sync: read %d of %d, %d hard bounces, %d unmatched", res.Read, n, res.BouncesHard, res.Unmatched)
		}
		times, rss = append(times, elapsed), append(rss, peak)
		// The same command again, with nothing new to read: what a sync
		// costs before and after its messages (process start, the store's
		// check and migrations, login, search), reported beside it.
		idle, _, err := runJSON(ctx, cfg.Bin, &res, "--data", data, "--json", "mailbox", "sync",
			"--imap", srv.Addr(), "--imap-security", "none", "--imap-user", srv.User)
		if err != nil {
			return nil, err
		}
		if res.Read != 0 {
			return nil, fmt.Errorf("mailbox sync again: read %d, want 0", res.Read)
		}
		idles = append(idles, idle)
		srvBefore, err = srv.CPU()
		if err != nil {
			return nil, err
		}
		self := ownCPU()
		base, err := plainFetch(srv)
		if err != nil {
			return nil, err
		}
		self = ownCPU() - self
		srvAfter, err = srvCPUSettled(srv)
		if err != nil {
			return nil, err
		}
		baselines, baseCPUs = append(baselines, base), append(baseCPUs, self+srvAfter-srvBefore)
	}
	t, b, idle := median(times).Seconds(), median(baselines).Seconds(), median(idles).Seconds()
	return []Result{{
		Name: fmt.Sprintf("mailbox sync of %d messages (local Dovecot)", n), Value: float64(n) / t, Unit: "messages/s",
		Baseline: float64(n) / b, Ratio: b / t, PeakRSS: median(rss), Target: "little beyond the fetch", Runs: cfg.Runs,
	}, {
		Name: "mailbox sync with nothing new (process start, store check, login, search)", Value: idle, Unit: "s", Runs: cfg.Runs,
	}, {
		// Processor time, Dovecot's included on both sides: on a machine
		// shared with other work the wall clock of either side depends on
		// what else runs, their processor time much less.
		Name:  "mailbox sync, processor time (the process and Dovecot) against the plain fetch's (the client and Dovecot)",
		Value: median(cpus).Seconds(), Unit: "s", Baseline: median(baseCPUs).Seconds(),
		Ratio: median(baseCPUs).Seconds() / median(cpus).Seconds(), Runs: cfg.Runs,
	}}, nil
}

// srvCPUSettled reads Dovecot's processor time once the session's process
// has had a moment to exit (its time then moves to the master's).
func srvCPUSettled(srv *dovecottest.Server) (time.Duration, error) {
	time.Sleep(100 * time.Millisecond)
	return srv.CPU()
}

// ownCPU is this process's processor time so far (user and system).
func ownCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchMessage is message i: 7 of 10 hard-bounce DSNs, one delayed DSN,
// one out-of-office reply and one reply, each about recipient i.
func benchMessage(i int) []byte {
	rcpt := fmt.Sprintf("person%d@example.org", i)
	orig := fmt.Sprintf("m1.r%d@sonne.example", i)
	switch i % 10 {
	case 8:
		return fmt.Appendf(nil, "From: %s\nTo: news@sonne.example\nSubject: Abwesenheitsnotiz: Neue Reisen\nDate: Mon, 7 Dec 2026 10:00:00 +0100\n"+
			"Message-ID: <ooo-%d@example.org>\nAuto-Submitted: auto-replied\nIn-Reply-To: <%s>\n\nIch bin bis zum 4. Januar nicht im Büro.\n", rcpt, i, orig)
	case 9:
		return fmt.Appendf(nil, "From: Anna Müller <%s>\nTo: news@sonne.example\nSubject: Re: Neue Reisen\nDate: Mon, 7 Dec 2026 11:00:00 +0100\n"+
			"Message-ID: <re-%d@example.org>\nIn-Reply-To: <%s>\nContent-Type: text/plain; charset=utf-8\n\nGibt es noch Plätze für Kreta?\n", rcpt, i, orig)
	}
	action, status := "failed", "5.1.1"
	if i%10 == 7 {
		action, status = "delayed", "4.4.1"
	}
	return fmt.Appendf(nil, `Return-Path: <>
From: MAILER-DAEMON@mail.sonne.example (Mail Delivery System)
To: bounce@sonne.example
Subject: Undelivered Mail Returned to Sender
Date: Mon, 7 Dec 2026 09:00:00 +0100
Message-ID: <dsn-%[1]d@mail.sonne.example>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B%[1]d"

--B%[1]d
Content-Type: text/plain

This is the mail system at host mail.sonne.example.

<%[2]s>: host mx.example.org[192.0.2.1] said: 550 5.1.1 User unknown

--B%[1]d
Content-Type: message/delivery-status

Reporting-MTA: dns; mail.sonne.example

Final-Recipient: rfc822; %[2]s
Action: %[4]s
Status: %[5]s
Diagnostic-Code: smtp; 550 %[5]s <%[2]s>: User unknown

--B%[1]d
Content-Type: text/rfc822-headers

From: news@sonne.example
To: %[2]s
Subject: Neue Reisen
Message-ID: <%[3]s>
X-Resonanz-Mailing: 1

--B%[1]d--
`, i, rcpt, orig, action, status)
}

// plainFetch reads every message of the inbox the way a sync does (same
// client, batches and fetch items) and does nothing with them.
func plainFetch(srv *dovecottest.Server) (time.Duration, error) {
	start := time.Now()
	c, err := client.Dial(srv.Addr())
	if err != nil {
		return 0, err
	}
	defer c.Logout()
	if err := c.Login(srv.User, srv.Password); err != nil {
		return 0, err
	}
	if _, err := c.Select("INBOX", false); err != nil {
		return 0, err
	}
	crit := imap.NewSearchCriteria()
	crit.Uid = new(imap.SeqSet)
	crit.Uid.AddRange(1, 0)
	uids, err := c.UidSearch(crit)
	if err != nil {
		return 0, err
	}
	section := &imap.BodySectionName{Peek: true, Partial: []int{0, mailbox.DefaultMaxSize}}
	items := []imap.FetchItem{imap.FetchUid, imap.FetchInternalDate, section.FetchItem()}
	var bytes int64
	for startAt := 0; startAt < len(uids); startAt += 500 {
		set := new(imap.SeqSet)
		set.AddNum(uids[startAt:min(startAt+500, len(uids))]...)
		ch := make(chan *imap.Message, 64)
		done := make(chan error, 1)
		go func() { done <- c.UidFetch(set, items, ch) }()
		for m := range ch {
			for _, lit := range m.Body {
				if lit != nil {
					k, _ := io.Copy(io.Discard, lit)
					bytes += k
				}
			}
		}
		if err := <-done; err != nil {
			return 0, err
		}
	}
	if bytes == 0 {
		return 0, fmt.Errorf("plain fetch: nothing read")
	}
	return time.Since(start), nil
}
