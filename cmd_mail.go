package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"

	"github.com/resonanz/resonanz/backend/bulk"
	"github.com/resonanz/resonanz/backend/render"
	"github.com/resonanz/resonanz/backend/resonanz"
	"github.com/resonanz/resonanz/backend/smtp"
)

const renderUsage = `Usage:
  resonanz render FILE.md --recipient EMAIL [--format html|text|eml] [--subject TEXT] [--language de|en]
                         [--layout FILE.html]

  Renders a Markdown template file for one stored recipient to stdout (template
  syntax: docs/templates.md), in the built-in layout or the HTML layout of
  --layout. Exit status 2 for an unknown recipient or a template error (with
  line:column).
`

// runRender implements `resonanz render`.
func runRender(ctx context.Context, g *globals, args []string, stdout, stderr io.Writer) int {
	var file, email, format, subject, lang, layoutFile string
	fs := newFlagSet("render")
	g.register(fs)
	fs.StringVar(&email, "recipient", "", "the recipient's e-mail address")
	fs.StringVar(&format, "format", "html", "html, text or eml")
	fs.StringVar(&subject, "subject", "", "the subject (a template too)")
	fs.StringVar(&lang, "language", "de", "the mailing's language")
	fs.StringVar(&layoutFile, "layout", "", "an HTML layout file with {{ content }} (default: the built-in layout)")
	err := parseInterspersed(fs, args, &file)
	if err == nil && email == "" {
		err = errors.New("--recipient is required")
	}
	if err == nil && format != "html" && format != "text" && format != "eml" {
		err = errors.New("--format must be html, text or eml")
	}
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stderr, renderUsage)
			return 0
		}
		fmt.Fprintf(stderr, "resonanz render: %v\n\n%s", err, renderUsage)
		return exitUsage
	}
	body, err := os.ReadFile(file)
	if err != nil {
		fmt.Fprintf(stderr, "resonanz render: cannot read %s: %v\n", file, errors.Unwrap(err))
		return exitUsage
	}
	var layout []byte
	if layoutFile != "" {
		if layout, err = os.ReadFile(layoutFile); err != nil {
			fmt.Fprintf(stderr, "resonanz render: cannot read %s: %v\n", layoutFile, errors.Unwrap(err))
			return exitUsage
		}
	}
	var userErr bool // unknown recipient or template error: exit 2
	status := withApp(ctx, g, stderr, func(a *App) error {
		r, err := a.recipientSvc.RecipientByEmail(ctx, email)
		if err != nil {
			userErr = true
			return err
		}
		res, err := a.sendSvc.RenderTemplate(ctx, resonanz.Template{Subject: subject, Body: string(body), Layout: string(layout), Language: lang}, r)
		var skip *render.SkipError
		var e *resonanz.Error
		switch {
		case errors.As(err, &skip):
			userErr = true
			return resonanz.E(resonanz.EINVALID, "error.send.recipientWouldSkipped", "This recipient would be skipped: {reason}", "reason", skip.Reason)
		case errors.As(err, &e) && e.Code == resonanz.EINVALID: // the template's error
			userErr = true
			if e.Field == "layout" {
				return resonanz.E(resonanz.EINVALID, "error.cli.layoutProblem", "{file}: {problem}", "file", layoutFile, "problem", strings.TrimPrefix(e.Message, "layout: "))
			}
			return resonanz.E(resonanz.EINVALID, "error.cli.fileProblem", "{file}: {problem}", "file", file, "problem", resonanz.ErrorMessage(err))
		case err != nil:
			return err
		}
		switch format {
		case "html":
			_, err = io.WriteString(stdout, res.HTML)
		case "text":
			_, err = io.WriteString(stdout, res.Text)
		case "eml":
			from, ferr := a.settingsSvc.Sender(ctx)
			if ferr != nil {
				return ferr
			}
			if from.FromAddress == "" {
				from.FromAddress = "newsletter@example.invalid"
			}
			err = smtp.WriteMessage(stdout, res.Message(from, &r))
		}
		return err
	})
	if status != 0 && userErr {
		return exitUsage
	}
	return status
}

const sendUsage = `Usage:
  resonanz send MAILING [--target-group NAME] [--rate N] [--per-minute N] [--per-hour N] [--json]
                [--without-relay] [--smtp HOST:PORT --smtp-security starttls|tls|none --smtp-user USER]
                [--smtp-connections N]
  resonanz send MAILING --test ADDRESS[,ADDRESS...] [--recipient EMAIL]

  Sends a mailing (by name or id) to the confirmed members of its list who
  have a newsletter consent for it and are not suppressed (or to the part a
  saved target group selects), with the stored mail server settings, or the
  --smtp flags (password from $RESONANZ_SMTP_PASSWORD). A run that stops
  (Ctrl+C, crash, too many failures) resumes where it stopped when started
  again: nobody is skipped, and nobody recorded as mailed gets it twice (a
  message the server accepted in the very instant of a crash goes out again,
  with the same Message-ID). --test sends one rendered copy
  to the given addresses instead; its links are not counted.

  --rate, --per-minute and --per-hour limit the messages in any second,
  minute or hour (0: no limit); without them the limits stored in the mail
  server settings apply. --smtp-connections sets the number of parallel
  connections to the mail server for this run (1–100; default: the mail
  server setting, or %d with --smtp).

  With a paired relay (resonanz relay connect) the send first collects the
  relay's events, so that nobody who unsubscribed there is mailed, and
  publishes the mailing's links. When a relay cannot be reached the send
  does not start; --without-relay starts it anyway.
`

// runSend implements `resonanz send`.
func runSend(ctx context.Context, g *globals, args []string, stdout, stderr io.Writer) int {
	var ref, group, smtpAddr, security, user, test, recipient string
	var rate float64
	var perMinute, perHour, conns int
	var withoutRelay bool
	fs := newFlagSet("send")
	g.register(fs)
	fs.StringVar(&group, "target-group", "", "send only to this saved target group")
	fs.Float64Var(&rate, "rate", 0, "messages per second (0: as fast as the server takes them; default: the stored setting)")
	fs.IntVar(&perMinute, "per-minute", 0, "messages per minute (0: no limit; default: the stored setting)")
	fs.IntVar(&perHour, "per-hour", 0, "messages per hour (0: no limit; default: the stored setting)")
	fs.StringVar(&smtpAddr, "smtp", "", "mail server host:port instead of the stored settings")
	fs.StringVar(&security, "smtp-security", "starttls", "starttls, tls or none (with --smtp)")
	fs.StringVar(&user, "smtp-user", "", "login name (with --smtp)")
	fs.IntVar(&conns, "smtp-connections", 0, "parallel connections to the mail server for this run (default: the mail server setting)")
	fs.StringVar(&test, "test", "", "send a test copy to these addresses (comma-separated)")
	fs.StringVar(&recipient, "recipient", "", "render the test copy for this recipient")
	fs.BoolVar(&withoutRelay, "without-relay", false, "send even when a paired relay cannot be synced first (unsubscribes made there since the last sync are not yet applied)")
	if err := parseInterspersed(fs, args, &ref); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(stderr, sendUsage, smtp.DefaultMaxConnections)
			return 0
		}
		fmt.Fprintf(stderr, "resonanz send: %v\n\n"+sendUsage, err, smtp.DefaultMaxConnections)
		return exitUsage
	}
	return withApp(ctx, g, stderr, func(a *App) error {
		a.smtpConnections = conns // checked with the rest of the SMTP configuration
		if smtpAddr != "" {
			host, port, err := net.SplitHostPort(smtpAddr)
			if err != nil {
				return resonanz.E(resonanz.EINVALID, "error.cli.smtpWantsHost", "--smtp wants host:port, got \"{smtpAddr}\".", "smtpAddr", smtpAddr)
			}
			p, _ := strconv.Atoi(port)
			a.smtpOverride = &smtp.Config{Host: host, Port: p, Security: security, Username: user, Password: os.Getenv("RESONANZ_SMTP_PASSWORD")}
		}
		m, err := findMailing(ctx, a, ref)
		if err != nil {
			return err
		}
		if test != "" {
			var rid int64
			if recipient != "" {
				r, err := a.recipientSvc.RecipientByEmail(ctx, recipient)
				if err != nil {
					return err
				}
				rid = r.ID
			}
			ok, err := a.sendSvc.TestSend(ctx, m, rid, strings.Split(test, ","))
			if err != nil {
				return err
			}
			if g.json {
				printJSON(stdout, map[string]any{"sent": ok})
			} else {
				fmt.Fprintf(stdout, "Test mail sent to %s.\n", strings.Join(ok, ", "))
			}
			return nil
		}
		req := resonanz.SendRequest{MailingID: m.ID, RatePerSecond: rate, RatePerMinute: perMinute, RatePerHour: perHour}
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		if !set["rate"] || !set["per-minute"] || !set["per-hour"] {
			stored, err := a.smtpAccount.Load(ctx)
			if err != nil {
				return err
			}
			if !set["rate"] {
				req.RatePerSecond = stored.RatePerSecond
			}
			if !set["per-minute"] {
				req.RatePerMinute = stored.RatePerMinute
			}
			if !set["per-hour"] {
				req.RatePerHour = stored.RatePerHour
			}
		}
		if group != "" {
			if req.TargetGroupID, err = targetGroupID(ctx, a, group); err != nil {
				return err
			}
		}
		// No mail to someone who left: a paired relay's unsubscribes are
		// applied first (and this mailing's links published).
		if err := a.syncRelaysBeforeSend(ctx, withoutRelay, stderr); err != nil {
			return err
		}
		// Rendering and encoding allocate a few KB per mail that die
		// within the batch; the collector may run less often meanwhile.
		defer bulk.GC()()
		run, err := a.sendSvc.Run(ctx, req, nil)
		if err != nil {
			return err
		}
		if g.json {
			printJSON(stdout, run)
			return nil
		}
		fmt.Fprintf(stdout, "Mailing %q: %d sent, %d failed, %d skipped, %d still queued (%s).\n", m.Name, run.Sent, run.Failed, run.Skipped, run.Queued, run.Status)
		if run.PausedReason != "" {
			fmt.Fprintln(stdout, "Paused:", run.PausedReason)
		}
		return nil
	})
}

// targetGroupID finds a saved target group by name (see targetGroupNamed).
func targetGroupID(ctx context.Context, a *App, name string) (int64, error) {
	tg, err := targetGroupNamed(ctx, a, name)
	return tg.ID, err
}

// targetGroupNamed finds a saved target group by name, case-insensitively.
func targetGroupNamed(ctx context.Context, a *App, name string) (resonanz.TargetGroup, error) {
	groups, err := a.targetSvc.TargetGroups(ctx)
	if err != nil {
		return resonanz.TargetGroup{}, err
	}
	for _, tg := range groups {
		if strings.EqualFold(tg.Name, name) {
			return tg, nil
		}
	}
	return resonanz.TargetGroup{}, resonanz.E(resonanz.ENOTFOUND, "error.cli.targetGroupNamed", "There is no target group named \"{name}\".", "name", name)
}
