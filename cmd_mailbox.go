package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"strconv"

	"github.com/resonanz/resonanz/backend/resonanz"
)

const mailboxUsage = `Usage:
  resonanz mailbox sync [--imap HOST:PORT] [--imap-user NAME] [--imap-security none|starttls|tls]
                        [--folder NAME] [--json]

  Reads the sender's own IMAP mailbox (Settings → Mailbox) once: bounces
  (delivery status notifications and the reports of common mail servers),
  spam complaints (ARF), unsubscribe mails to the List-Unsubscribe mailto:
  address, auto-replies and replies. Hard bounces and complaints suppress
  the person, soft bounces are counted (and suppress after the number in a
  row set in Settings), complaints and mail unsubscribes end the membership
  with a withdrawal in the consent ledger. Only new messages are read; what
  was read before is never applied twice.

  The flags replace the stored settings for this run; the password comes
  from Settings or $RESONANZ_IMAP_PASSWORD. --json prints
  {"read","bounces_hard","bounces_soft","complaints","unsubscribes",
   "auto_replies","replies","unmatched","errors":[{"folder","uid","reason"}],"skipped"}.
`

// runMailbox implements `resonanz mailbox`.
func runMailbox(ctx context.Context, g *globals, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "sync" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
			fmt.Fprint(stderr, mailboxUsage)
			return 0
		}
		fmt.Fprint(stderr, "resonanz mailbox: unknown or missing subcommand (want sync)\n\n"+mailboxUsage)
		return exitUsage
	}
	var imapAddr, user, security, folder string
	fs := newFlagSet("mailbox sync")
	g.register(fs)
	fs.StringVar(&imapAddr, "imap", "", "IMAP server host:port instead of the stored settings")
	fs.StringVar(&user, "imap-user", "", "login name (default: the stored one)")
	fs.StringVar(&security, "imap-security", "", "none, starttls or tls (default: the stored one; tls with --imap)")
	fs.StringVar(&folder, "folder", "", "read only this folder")
	if err := fs.Parse(args[1:]); err != nil || fs.NArg() > 0 {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stderr, mailboxUsage)
			return 0
		}
		if err == nil {
			err = fmt.Errorf("unexpected argument %q", fs.Arg(0))
		}
		fmt.Fprintf(stderr, "resonanz mailbox sync: %v\n\n%s", err, mailboxUsage)
		return exitUsage
	}
	o := mailboxOverride{User: user, Security: security, Folder: folder}
	switch security {
	case "", resonanz.MailboxNone, resonanz.MailboxSTARTTLS, resonanz.MailboxTLS:
	default:
		fmt.Fprintf(stderr, "resonanz mailbox sync: --imap-security wants none, starttls or tls, got %q\n\n%s", security, mailboxUsage)
		return exitUsage
	}
	if imapAddr != "" {
		host, port, err := net.SplitHostPort(imapAddr)
		p, perr := strconv.Atoi(port)
		if err != nil || perr != nil || host == "" {
			fmt.Fprintf(stderr, "resonanz mailbox sync: --imap wants host:port, got %q\n\n%s", imapAddr, mailboxUsage)
			return exitUsage
		}
		o.Host, o.Port = host, p
		if o.Security == "" {
			o.Security = resonanz.MailboxTLS
		}
	}
	return withApp(ctx, g, stderr, func(a *App) error {
		res, err := a.syncMailbox(ctx, o, nil)
		if err != nil {
			return err
		}
		if g.json {
			printJSON(stdout, res)
			return nil
		}
		fmt.Fprintf(stdout, "Mailbox: %d read, %d hard and %d soft bounces, %d complaints, %d unsubscribes, %d auto-replies, %d replies, %d unmatched, %d errors.\n",
			res.Read, res.BouncesHard, res.BouncesSoft, res.Complaints, res.Unsubscribes, res.AutoReplies, res.Replies, res.Unmatched, len(res.Errors))
		for _, e := range res.Errors {
			fmt.Fprintf(stdout, "  %s UID %d: %s\n", e.Folder, e.UID, e.Reason)
		}
		if res.Cancelled {
			fmt.Fprintln(stdout, "Stopped early; the next sync goes on from here.")
		}
		return nil
	})
}
