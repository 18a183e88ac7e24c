package main

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	mail "github.com/wneessen/go-mail"

	"github.com/resonanz/resonanz/backend/smtp"
	"github.com/resonanz/resonanz/backend/smtp/smtptest"
	"github.com/resonanz/resonanz/backend/sqlite"
)

// sinkClock records when a sink accepted its first and last message: the
// delivery phase, without the program's start, audience query and the
// crash-safety bookkeeping before the first message and after the last.
type sinkClock struct{ first, last atomic.Int64 }

func (c *sinkClock) accept(smtptest.Message) error {
	now := time.Now().UnixNano()
	c.first.CompareAndSwap(0, now)
	c.last.Store(now)
	return nil
}

func (c *sinkClock) reset() { c.first.Store(0); c.last.Store(0) }

func (c *sinkClock) phase() time.Duration { return time.Duration(c.last.Load() - c.first.Load()) }

// sendWorkload measures `resonanz send` of a personalized mailing to every
// recipient of a seeded store through a loopback SMTP sink, over the default
// number of SMTP connections, against bare go-mail sending one fixed
// message — a copy of the mailing as resonanz renders it, so both move the
// same bytes through the sink — as often over as many connections to the
// same sink; then the same through a sink that answers every command after
// 25 ms (a provider at internet distance), against the limit that round
// trip sets. The sink runs in this process, on the same two cores as the
// sender; processor time (sender and sink) is reported beside the rates.
func sendWorkload(ctx context.Context, cfg Config) ([]Result, error) {
	conns := smtp.DefaultMaxConnections
	n := cfg.Recipients
	seed := filepath.Join(cfg.WorkDir, "send-seed", sqlite.FileName)
	if err := seedStore(ctx, seed, n, 0); err != nil {
		return nil, err
	}
	if err := seedMailing(ctx, seed); err != nil {
		return nil, err
	}
	eml, err := testCopy(ctx, cfg, seed)
	if err != nil {
		return nil, err
	}
	var clock sinkClock
	srv, err := smtptest.NewServer(smtptest.Options{Sink: true, Accept: clock.accept})
	if err != nil {
		return nil, err
	}
	defer srv.Close()
	var times, phases, cpus, baselines, basePhases, baseCPUs []time.Duration
	var rss []int64
	for run := range cfg.Runs {
		clock.reset()
		self, child := ownCPU(), childrenCPU()
		elapsed, peak, err := sendOnce(ctx, cfg, seed, fmt.Sprintf("send-%d", run), srv, n, conns)
		if err != nil {
			return nil, err
		}
		cpu := ownCPU() - self + childrenCPU() - child
		times, phases, cpus, rss = append(times, elapsed), append(phases, clock.phase()), append(cpus, cpu), append(rss, peak)
		clock.reset()
		self = ownCPU()
		base, err := bareGoMail(ctx, srv, n, conns, eml)
		if err != nil {
			return nil, err
		}
		baselines, basePhases, baseCPUs = append(baselines, base), append(basePhases, clock.phase()), append(baseCPUs, ownCPU()-self)
	}
	rate := func(d time.Duration) float64 { return float64(n) / d.Seconds() }
	perMail := func(d time.Duration) float64 { return float64(d.Microseconds()) / float64(n) }
	e2e, phase, base, basePhase := rate(median(times)), rate(median(phases)), rate(median(baselines)), rate(median(basePhases))
	cpu, baseCPU := perMail(median(cpus)), perMail(median(baseCPUs))
	res := []Result{
		{Name: fmt.Sprintf("send mailing to %dk recipients, %d SMTP connections (loopback sink): delivery phase", n/1000, conns), Value: phase,
			Unit: "mails/s", Baseline: basePhase, Ratio: phase / basePhase, PeakRSS: median(rss),
			Target: fmt.Sprintf("≥ 0.9 of bare go-mail over %d connections", conns), Runs: cfg.Runs},
		{Name: fmt.Sprintf("send mailing to %dk recipients, %d SMTP connections (loopback sink): end to end", n/1000, conns), Value: e2e,
			Unit: "mails/s", Baseline: base, Ratio: e2e / base, Target: "≤ 150 MB", Runs: cfg.Runs},
		// Processor time, the sink's included on both sides (the whole
		// run of resonanz, start and bookkeeping included, against the
		// baseline's sends): on a shared machine the rates depend on what
		// else runs, the processor time much less.
		{Name: fmt.Sprintf("send mailing to %dk recipients, processor time per mail (resonanz and the sink) against bare go-mail's (go-mail and the sink)", n/1000),
			Value: cpu, Unit: "µs", Baseline: baseCPU, Ratio: baseCPU / cpu, Runs: cfg.Runs},
	}

	// At a distance: 25 ms per reply.
	const rtt = 25 * time.Millisecond
	far := min(n, 2000)
	if cfg.Recipients < 100_000 {
		far = min(n, 400)
	}
	farSeed := filepath.Join(cfg.WorkDir, "send-far-seed", sqlite.FileName)
	if err := seedStore(ctx, farSeed, far, 0); err != nil {
		return nil, err
	}
	if err := seedMailing(ctx, farSeed); err != nil {
		return nil, err
	}
	var farClock sinkClock
	slow, err := smtptest.NewServer(smtptest.Options{Sink: true, Delay: rtt, Accept: farClock.accept})
	if err != nil {
		return nil, err
	}
	defer slow.Close()
	var farPhases []time.Duration
	for run := range cfg.Runs {
		farClock.reset()
		if _, _, err := sendOnce(ctx, cfg, farSeed, fmt.Sprintf("send-far-%d", run), slow, far, conns); err != nil {
			return nil, err
		}
		farPhases = append(farPhases, farClock.phase())
	}
	// With PIPELINING a message costs two round trips (MAIL+RCPT+DATA,
	// then the body), on each connection at once.
	limit := float64(conns) / (2 * rtt.Seconds())
	farRate := float64(far-1) / median(farPhases).Seconds() // between the first and the last acceptance
	res = append(res, Result{
		Name:  fmt.Sprintf("send mailing to %d recipients, %d SMTP connections, sink answering after %s: delivery phase", far, conns, rtt),
		Value: farRate, Unit: "mails/s", Baseline: limit, Ratio: farRate / limit,
		Target: fmt.Sprintf("≥ 0.8 of the limit %d connections / (2 round trips × %s)", conns, rtt), Runs: cfg.Runs,
	})
	return res, nil
}

// sendOnce runs `resonanz send` on a copy of the seed and checks that
// everyone got the mailing.
func sendOnce(ctx context.Context, cfg Config, seed, dir string, srv *smtptest.Server, n, conns int) (time.Duration, int64, error) {
	data := filepath.Join(cfg.WorkDir, dir)
	if err := copyFile(filepath.Join(data, sqlite.FileName), seed); err != nil {
		return 0, 0, err
	}
	before := srv.Count()
	var res struct{ Sent, Queued int }
	elapsed, peak, err := runJSON(ctx, cfg.Bin, &res, "--data", data, "--json", "send", "Versand", "--smtp", srv.Addr,
		"--smtp-security", "none", "--smtp-connections", fmt.Sprint(conns))
	if err != nil {
		return 0, 0, err
	}
	if res.Sent != n || int(srv.Count()-before) != n {
		return 0, 0, fmt.Errorf("send: sent %d, sink got %d, want %d", res.Sent, srv.Count()-before, n)
	}
	return elapsed, peak, nil
}

// seedMailing adds the sender identity and a personalized mailing.
func seedMailing(ctx context.Context, path string) error {
	db, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		return err
	}
	defer db.Close()
	body := "{{ salutation }},\n\nunsere neuen Reisen für {{ first_name }}: [Zur Insel](https://reisen.example/insel){tags=\"Abenteuerreisen\"}\n\n" +
		"* Kreta im Mai\n* Island im Juli\n\nHerzliche Grüße\nIhr Reisebüro\n"
	for _, q := range []string{
		`INSERT INTO setting (name, value, updated_at) VALUES ('sender.from_name', 'Reisebüro Sonne', 0), ('sender.from_address', 'news@sonne.example', 0)`,
		`INSERT INTO mailing (name, subject, body, language, list_id, status, created_at, updated_at) VALUES ('Versand', 'Neue Reisen für {{ first_name }}', '` + body + `', 'de', 1, 'draft', 0, 0)`,
	} {
		if _, err := db.SQL().ExecContext(ctx, q); err != nil {
			return fmt.Errorf("seed mailing: %w", err)
		}
	}
	return nil
}

// testCopy returns the mailing's message as resonanz sends it: a test copy
// for the first seeded person, sent to a recording server.
func testCopy(ctx context.Context, cfg Config, seed string) (string, error) {
	data := filepath.Join(cfg.WorkDir, "send-test-copy")
	if err := copyFile(filepath.Join(data, sqlite.FileName), seed); err != nil {
		return "", err
	}
	srv, err := smtptest.NewServer(smtptest.Options{})
	if err != nil {
		return "", err
	}
	defer srv.Close()
	var res struct{ Sent []string }
	if _, _, err := runJSON(ctx, cfg.Bin, &res, "--data", data, "--json", "send", "Versand", "--test", "person@example.org",
		"--recipient", "person1@example.org", "--smtp", srv.Addr, "--smtp-security", "none"); err != nil {
		return "", err
	}
	msgs := srv.Messages()
	if len(msgs) != 1 {
		return "", fmt.Errorf("send test copy: the server got %d messages, want 1", len(msgs))
	}
	return string(msgs[0].Data), nil
}

// bareGoMail sends eml (parsed by go-mail, which encodes it again for every
// send) n times with go-mail over conns connections at once: the baseline
// of what the sink and go-mail cost alone for this message.
func bareGoMail(ctx context.Context, srv *smtptest.Server, n, conns int, eml string) (time.Duration, error) {
	var wg sync.WaitGroup
	errs := make([]error, conns)
	clients := make([]*mail.Client, conns)
	batches := make([][]*mail.Msg, conns)
	for w := range conns {
		c, err := mail.NewClient(srv.Host, mail.WithPort(srv.Port), mail.WithTLSPolicy(mail.NoTLS))
		if err != nil {
			return 0, err
		}
		clients[w] = c
		// One message per connection, sent as often as its share: a
		// connection sends one after the other.
		m, err := mail.EMLToMsgFromString(eml)
		if err != nil {
			return 0, fmt.Errorf("bare go-mail: %w", err)
		}
		for i := w; i < n; i += conns {
			batches[w] = append(batches[w], m)
		}
	}
	start := time.Now()
	for w := range conns {
		wg.Go(func() { errs[w] = clients[w].DialAndSendWithContext(ctx, batches[w]...) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return 0, err
		}
	}
	return time.Since(start), nil
}

// childrenCPU is the processor time of this process's waited-for children
// so far (user and system).
func childrenCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_CHILDREN, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
