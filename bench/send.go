package main

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	mail "github.com/wneessen/go-mail"

	"github.com/resonanz/resonanz/backend/smtp/smtptest"
	"github.com/resonanz/resonanz/backend/sqlite"
)

// sendWorkload measures `resonanz send` of a personalized mailing to every
// recipient of a seeded store through a loopback SMTP sink, against bare
// go-mail sending one fixed message as often to the same sink.
func sendWorkload(ctx context.Context, cfg Config) ([]Result, error) {
	n := cfg.Recipients
	seed := filepath.Join(cfg.WorkDir, "send-seed", sqlite.FileName)
	if err := seedStore(ctx, seed, n, 0); err != nil {
		return nil, err
	}
	if err := seedMailing(ctx, seed); err != nil {
		return nil, err
	}
	srv, err := smtptest.NewServer(smtptest.Options{Sink: true})
	if err != nil {
		return nil, err
	}
	defer srv.Close()
	var times, baselines []time.Duration
	var rss []int64
	for run := range cfg.Runs {
		data := filepath.Join(cfg.WorkDir, fmt.Sprintf("send-%d", run))
		if err := copyFile(filepath.Join(data, sqlite.FileName), seed); err != nil {
			return nil, err
		}
		before := srv.Count()
		var res struct{ Sent, Queued int }
		elapsed, peak, err := runJSON(ctx, cfg.Bin, &res, "--data", data, "--json", "send", "Versand", "--smtp", srv.Addr, "--smtp-security", "none")
		if err != nil {
			return nil, err
		}
		if res.Sent != n || int(srv.Count()-before) != n {
			return nil, fmt.Errorf("send: sent %d, sink got %d, want %d", res.Sent, srv.Count()-before, n)
		}
		times, rss = append(times, elapsed), append(rss, peak)
		base, err := bareGoMail(ctx, srv, n)
		if err != nil {
			return nil, err
		}
		baselines = append(baselines, base)
	}
	t, b := median(times).Seconds(), median(baselines).Seconds()
	return []Result{{
		Name: fmt.Sprintf("send mailing to %dk recipients (loopback SMTP sink)", n/1000), Value: float64(n) / t, Unit: "mails/s",
		Baseline: float64(n) / b, Ratio: b / t, PeakRSS: median(rss), Target: "≥ 15k mails/s, ≤ 150 MB", Runs: cfg.Runs,
	}}, nil
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

// bareGoMail sends n copies of one fixed message with go-mail over one
// connection: the baseline of what the sink and go-mail cost alone.
func bareGoMail(ctx context.Context, srv *smtptest.Server, n int) (time.Duration, error) {
	c, err := mail.NewClient(srv.Host, mail.WithPort(srv.Port), mail.WithTLSPolicy(mail.NoTLS))
	if err != nil {
		return 0, err
	}
	msgs := make([]*mail.Msg, n)
	for i := range msgs {
		m := mail.NewMsg()
		m.From("news@sonne.example")
		m.To("person@example.org")
		m.Subject("Neue Reisen")
		m.SetBodyString(mail.TypeTextPlain, "Sehr geehrte Damen und Herren,\n\nunsere neuen Reisen.\n")
		msgs[i] = m
	}
	start := time.Now()
	err = c.DialAndSendWithContext(ctx, msgs...)
	return time.Since(start), err
}
