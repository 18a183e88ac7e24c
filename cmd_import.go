package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/resonanz/resonanz/backend/bulk"
	"github.com/resonanz/resonanz/backend/ingest"
	"github.com/resonanz/resonanz/backend/recipientcsv"
	"github.com/resonanz/resonanz/backend/resonanz"
)

const importUsage = `Usage:
  resonanz import recipients FILE [--list NAME] [--map 'Header=field' ...] [--mode update|skip]
                                  [--status confirmed|unconfirmed] [--rejected OUT.csv]
                                  [--consent-source TEXT --consent-evidence TEXT] [--json]

  FILE is CSV (delimiter , ; or tab; UTF-8 or Windows-1252; detected). Columns are
  mapped by their headers (E-Mail, Vorname, Nachname, Anrede, Titel, Sprache, ... in
  German or English); --map overrides, e.g. --map 'Kundennr=customer_no' or
  --map 'Notiz=-' to ignore a column. A column is imported as consent only when
  mapped explicitly (--map 'Tracking=consent:tracking:opens') and with a stated
  --consent-source and --consent-evidence, which go into the consent ledger.
  One column may grant several purposes: name it in several --map options, e.g.
  --map 'Einwilligung=consent:newsletter:Kunden' --map 'Einwilligung=consent:tracking:clicks'
  (the list of --list may receive its newsletter consent in the same run).
  --mode decides about recipients that exist already: update (default) or skip.
  --rejected writes the rejected rows to OUT.csv in the file's own columns plus a
  reason column, ready to fix and import again. An unknown salutation (Familie,
  Firma, ...) imports with the neutral salutation and a warning.

  resonanz import reactions FILE [--provider NAME|auto] [--mailing NAME] [--campaign-key KEY] [--json]

  FILE is a reaction log of a sending provider: mailgun, sendgrid, postmark, ses,
  brevo, mailjet, sparkpost, mandrill, mailchimp, or csv (columns mapped by their
  headers). auto (default) detects the provider from the content. Events are
  matched to recipients by address and to mailings by the ids Resonanz put into
  the mail, the provider's campaign id (SendGrid category, Postmark Tag, tags),
  or --mailing (created if missing). A campaign no mailing has becomes an
  imported mailing named after it, found again by later imports.
  Opens and clicks of people without tracking consent at the time are only
  counted anonymously; unmatched events are kept for review. Importing the same
  file twice adds nothing.
`

// mapFlag collects repeated --map 'Header=field' options. A header named
// again adds a field to its column (several consent purposes in one column).
type mapFlag map[string]string

func (m mapFlag) String() string { return fmt.Sprint(map[string]string(m)) }

func (m mapFlag) Set(s string) error {
	header, field, ok := strings.Cut(s, "=")
	if !ok || strings.TrimSpace(header) == "" {
		return fmt.Errorf("--map wants 'Header=field', got %q", s)
	}
	header, field = strings.TrimSpace(header), strings.TrimSpace(field)
	if before, ok := m[header]; ok && before != "" && before != "-" && field != "" && field != "-" {
		field = before + recipientcsv.FieldSeparator + field
	}
	m[header] = field
	return nil
}

// runImport implements `resonanz import ...`.
func runImport(ctx context.Context, g *globals, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintf(stderr, "resonanz import: say what to import\n\n%s", importUsage)
		return exitUsage
	}
	switch args[0] {
	case "recipients":
	case "reactions":
		return runImportReactions(ctx, g, args[1:], stdout, stderr)
	default:
		fmt.Fprintf(stderr, "resonanz import: unknown import %q\n\n%s", args[0], importUsage)
		return exitUsage
	}
	var file, rejectedOut string
	mapping := mapFlag{}
	opt := resonanz.RecipientImport{}
	fs := newFlagSet("import recipients")
	g.register(fs)
	fs.StringVar(&opt.ListName, "list", "", "put the recipients on this list (created if missing)")
	fs.Var(mapping, "map", "Header=field")
	fs.StringVar(&opt.Mode, "mode", resonanz.ImportUpdate, "update or skip existing recipients")
	fs.StringVar(&opt.Status, "status", resonanz.StatusConfirmed, "membership status on --list")
	fs.StringVar(&opt.ConsentSource, "consent-source", "", "where imported consent was given")
	fs.StringVar(&opt.ConsentEvidence, "consent-evidence", "", "the wording or proof of imported consent")
	fs.StringVar(&rejectedOut, "rejected", "", "write the rejected rows with their reasons to this CSV file")
	if err := parseInterspersed(fs, args[1:], &file); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stderr, importUsage)
			return 0
		}
		fmt.Fprintf(stderr, "resonanz import recipients: %v\n\n%s", err, importUsage)
		return exitUsage
	}
	opt.FileName = filepath.Base(file)
	return withApp(ctx, g, stderr, func(a *App) error {
		res, cols, err := importRecipientsFile(ctx, a, file, mapping, opt)
		if err != nil {
			return err
		}
		if rejectedOut != "" && len(res.Rejected) > 0 {
			if err := writeRejectedFile(ctx, a, file, rejectedOut, mapping, res.Rejected); err != nil {
				return err
			}
		}
		if g.json {
			printJSON(stdout, res)
			return nil
		}
		var mapped, ignored []string
		for _, c := range cols {
			if c.Field == "" {
				ignored = append(ignored, c.Header)
			} else {
				mapped = append(mapped, c.Header+" → "+c.Field)
			}
		}
		fmt.Fprintf(stdout, "Columns: %s.\n", strings.Join(mapped, ", "))
		if len(ignored) > 0 {
			fmt.Fprintf(stdout, "Ignored columns (map them with --map 'Header=field'): %s.\n", strings.Join(ignored, ", "))
		}
		fmt.Fprintf(stdout, "Imported %s: %d rows read, %d created, %d updated, %d skipped, %d rejected (import %d; undo in the desk).\n",
			opt.FileName, res.Read, res.Created, res.Updated, res.Skipped, len(res.Rejected), res.ImportID)
		for i, r := range res.Rejected {
			if i == 50 {
				fmt.Fprintf(stdout, "  ... and %d more rejected rows (use --json for all)\n", len(res.Rejected)-i)
				break
			}
			fmt.Fprintf(stdout, "  line %d: %s\n", r.Line, r.Reason)
		}
		if rejectedOut != "" && len(res.Rejected) > 0 {
			fmt.Fprintf(stdout, "The rejected rows are in %s, with a column \"Reason\": fix them there and import that file again.\n", rejectedOut)
		}
		for i, w := range res.Warnings {
			if i == 50 {
				fmt.Fprintf(stdout, "  ... and %d more warnings (use --json for all)\n", len(res.Warnings)-i)
				break
			}
			fmt.Fprintf(stdout, "  line %d (imported): %s\n", w.Line, w.Reason)
		}
		if res.NotMailable > 0 {
			fmt.Fprintf(stdout, "%d people on the list %q will not receive mailings yet: %d without newsletter consent (import it with --map 'Column=consent:newsletter:%s' or record it in the desk), %d waiting for their double opt-in confirmation.\n",
				res.NotMailable, opt.ListName, res.NoConsent, opt.ListName, res.Unconfirmed)
		}
		return nil
	})
}

// writeRejectedFile writes the rejected rows of an import of path to out,
// in the file's layout plus a reason column (English reasons: the command
// line speaks English).
func writeRejectedFile(ctx context.Context, a *App, path, out string, mapping map[string]string, rejected []resonanz.RowError) error {
	f, err := os.Open(path)
	if err != nil {
		return resonanz.E(resonanz.EINVALID, "error.cli.open", "Cannot open {path}: {reason}.", "path", path, "reason", errors.Unwrap(err))
	}
	defer f.Close()
	attrs, err := a.attrSvc.Attributes(ctx)
	if err != nil {
		return err
	}
	w, err := os.Create(out)
	if err != nil {
		return resonanz.E(resonanz.EINVALID, "error.cli.write", "Cannot write {out}: {reason}.", "out", out, "reason", errors.Unwrap(err))
	}
	_, err = recipientcsv.WriteRejected(w, f, recipientcsv.Options{Map: mapping, Fields: recipientcsv.AttributeFields(attrs)}, rejected, "Reason",
		func(r resonanz.RowError) string { return fmt.Sprintf("line %d: %s", r.Line, r.Reason) })
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	return err
}

// importRecipientsFile reads a CSV file and imports it.
func importRecipientsFile(ctx context.Context, a *App, path string, mapping map[string]string, opt resonanz.RecipientImport) (resonanz.ImportResult, []recipientcsv.Column, error) {
	f, err := os.Open(path)
	if err != nil {
		return resonanz.ImportResult{}, nil, resonanz.E(resonanz.EINVALID, "error.cli.open", "Cannot open {path}: {reason}.", "path", path, "reason", errors.Unwrap(err))
	}
	defer f.Close()
	attrs, err := a.attrSvc.Attributes(ctx)
	if err != nil {
		return resonanz.ImportResult{}, nil, err
	}
	defer bulk.GC()()
	return recipientcsv.Import(ctx, f, 0, a.importSvc, recipientcsv.Options{Map: mapping, Fields: recipientcsv.AttributeFields(attrs)}, opt, nil)
}

// runImportReactions implements `resonanz import reactions`.
func runImportReactions(ctx context.Context, g *globals, args []string, stdout, stderr io.Writer) int {
	var file, provider, mailing, campaignKey string
	fs := newFlagSet("import reactions")
	g.register(fs)
	fs.StringVar(&provider, "provider", ingest.Auto, "the provider that wrote the log, or auto")
	fs.StringVar(&mailing, "mailing", "", "the mailing events belong to when they do not say (created if missing)")
	fs.StringVar(&campaignKey, "campaign-key", "", "metadata key that holds the campaign id")
	if err := parseInterspersed(fs, args, &file); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stderr, importUsage)
			return 0
		}
		fmt.Fprintf(stderr, "resonanz import reactions: %v\n\n%s", err, importUsage)
		return exitUsage
	}
	return withApp(ctx, g, stderr, func(a *App) error {
		f, err := os.Open(file)
		if err != nil {
			return resonanz.E(resonanz.EINVALID, "error.cli.open", "Cannot open {path}: {reason}.", "path", file, "reason", errors.Unwrap(err))
		}
		defer f.Close()
		var size int64
		if st, err := f.Stat(); err == nil {
			size = st.Size()
		}
		opt := resonanz.ReactionImport{FileName: filepath.Base(file)}
		if mailing != "" {
			m, err := findMailing(ctx, a, mailing)
			if resonanz.ErrorCode(err) == resonanz.ENOTFOUND {
				m, err = a.mailingSvc.CreateMailing(ctx, resonanz.Mailing{Name: mailing, Status: resonanz.MailingImported})
			}
			if err != nil {
				return err
			}
			opt.MailingID = m.ID
		}
		res, err := ingest.Import(ctx, f, size, provider, ingest.Options{CampaignKey: campaignKey}, a.reactionSvc, opt, nil)
		if err != nil {
			return err
		}
		if g.json {
			printJSON(stdout, res)
			return nil
		}
		fmt.Fprintf(stdout, "Imported %s (%s): %d events read, %d imported (%d of them only counted anonymously), %d duplicates, %d unmatched, %d rejected.\n",
			opt.FileName, res.Provider, res.Read, res.Imported, res.Anonymized, res.Duplicates, res.Unmatched, res.Rejected)
		for _, t := range resonanz.ReactionTypes {
			if n := res.ByType[string(t)]; n > 0 {
				fmt.Fprintf(stdout, "  %-13s %d\n", t, n)
			}
		}
		if res.Warned > 0 {
			fmt.Fprintf(stdout, "%d events kept with a warning (a field converted or left out; see --json \"warnings\").\n", res.Warned)
		}
		for _, c := range res.Campaigns {
			how := "existing mailing"
			if c.Created {
				how = "new mailing"
			}
			fmt.Fprintf(stdout, "Campaign %q: %d events -> %s %d\n", c.ID, c.Events, how, c.MailingID)
		}
		if res.Unmatched > 0 {
			fmt.Fprintf(stdout, "Unmatched events are kept for review (import %d); name the mailing with --mailing or add the recipients, then import again.\n", res.ImportID)
		}
		for i, r := range res.Errors {
			if i == 50 {
				fmt.Fprintf(stdout, "  ... and %d more rejected events (use --json)\n", res.Rejected-i)
				break
			}
			fmt.Fprintf(stdout, "  line %d: %s\n", r.Line, r.Reason)
		}
		return nil
	})
}
