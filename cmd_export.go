package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/resonanz/resonanz/backend/recipientcsv"
	"github.com/resonanz/resonanz/backend/report"
	"github.com/resonanz/resonanz/backend/resonanz"
)

const exportUsage = `Usage:
  resonanz export mailing MAILING --out FILE.mbox|FILE.zip [--target-group NAME]
                                       the mailing as rendered for each person of its audience, one .mbox
                                       file a mail client opens, or a ZIP of .eml files, one per person
                                       (offline review; links untracked)
  resonanz export recipient EMAIL [--format json|proof]
                                       everything stored about one person, as JSON (GDPR Art. 15/20),
                                       or the consent proof bundle as a readable HTML page
  resonanz export recipients [--list NAME] [--out FILE] [--delimiter ';'|','|tab]
                                       recipients as CSV (UTF-8 with BOM, opens in Excel)
`

// runExport implements `resonanz export ...`.
func runExport(ctx context.Context, g *globals, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintf(stderr, "resonanz export: say what to export\n\n%s", exportUsage)
		return exitUsage
	}
	switch what, rest := args[0], args[1:]; what {
	case "recipient":
		var email, format string
		fs := newFlagSet("export recipient")
		g.register(fs)
		fs.StringVar(&format, "format", "json", "json or proof")
		err := parseInterspersed(fs, rest, &email)
		if err == nil && format != "json" && format != "proof" {
			err = fmt.Errorf("--format must be json or proof")
		}
		if err != nil {
			fmt.Fprintf(stderr, "resonanz export recipient: %v\n\n%s", err, exportUsage)
			return exitUsage
		}
		return withApp(ctx, g, stderr, func(a *App) error {
			r, err := a.recipientSvc.RecipientByEmail(ctx, email)
			if err != nil {
				return err
			}
			export, err := a.recipientSvc.PersonalData(ctx, r.ID)
			if err != nil {
				return err
			}
			if format == "proof" {
				var lang string // the UI language the user saved; German if none
				if _, err := a.settingsSvc.Value(ctx, resonanz.SettingLanguage, &lang); err != nil {
					return err
				}
				return report.ProofHTML(stdout, export, lang)
			}
			enc := json.NewEncoder(stdout)
			enc.SetIndent("", "  ")
			return enc.Encode(export)
		})
	case "recipients":
		return runExportRecipients(ctx, g, rest, stdout, stderr)
	case "mailing":
		return runExportMailing(ctx, g, rest, stdout, stderr)
	default:
		fmt.Fprintf(stderr, "resonanz export: unknown export %q\n\n%s", what, exportUsage)
		return exitUsage
	}
}

// parseInterspersed parses flags that may come before or after exactly one
// positional argument, which it stores in arg.
func parseInterspersed(fs interface {
	Parse([]string) error
	Args() []string
}, args []string, arg *string) error {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
	if len(positional) != 1 {
		return fmt.Errorf("expected exactly one argument, got %d", len(positional))
	}
	*arg = positional[0]
	return nil
}

// withApp opens the store, runs f and reports its error like fail does.
func withApp(ctx context.Context, g *globals, stderr io.Writer, f func(*App) error) int {
	dataDir, err := resolveDataDir(g)
	if err != nil {
		return fail(stderr, g, err)
	}
	a, err := NewApp(ctx, dataDir, Edge{Mode: "cli"}, newLogger(stderr))
	if err != nil {
		return fail(stderr, g, err)
	}
	defer a.Close()
	if err := f(a); err != nil {
		return fail(stderr, g, err)
	}
	return 0
}

// runExportRecipients writes recipients (all, or one list's) as CSV.
func runExportRecipients(ctx context.Context, g *globals, args []string, stdout, stderr io.Writer) int {
	var listName, out, delim string
	err := parseCommand("export recipients", args, g, func(fs *flag.FlagSet) {
		fs.StringVar(&listName, "list", "", "only members of this list")
		fs.StringVar(&out, "out", "", "write to this file instead of standard output")
		fs.StringVar(&delim, "delimiter", ";", "; , or tab")
	})
	if err != nil {
		fmt.Fprintf(stderr, "resonanz %v\n\n%s", err, exportUsage)
		return exitUsage
	}
	d := map[string]rune{";": ';', ",": ',', "tab": '\t', "\t": '\t'}[delim]
	if d == 0 {
		fmt.Fprintf(stderr, "resonanz export recipients: --delimiter must be ';', ',' or tab\n\n%s", exportUsage)
		return exitUsage
	}
	return withApp(ctx, g, stderr, func(a *App) error {
		w := stdout
		if out != "" {
			f, err := createExportFile(out)
			if err != nil {
				return err
			}
			defer f.Close()
			w = f
		}
		n, err := exportRecipientsCSV(ctx, a, w, listName, d)
		if err != nil {
			return err
		}
		if out != "" {
			fmt.Fprintf(stderr, "Exported %d recipients to %s.\n", n, out)
		}
		return nil
	})
}

// createExportFile creates a new file for an export; it never overwrites.
func createExportFile(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return nil, resonanz.E(resonanz.ECONFLICT, "error.cli.existsAlreadyChoose", "{path} exists already; choose another file name.", "path", path)
	} else if err != nil {
		return nil, resonanz.E(resonanz.EINVALID, "error.cli.create", "Cannot create {path}: {reason}.", "path", path, "reason", errors.Unwrap(err))
	}
	return f, nil
}

// exportRecipientsCSV writes the recipients (of a list) as CSV.
func exportRecipientsCSV(ctx context.Context, a *App, w io.Writer, listName string, delim rune) (int, error) {
	var filter resonanz.RecipientFilter
	if listName != "" {
		l, err := a.listSvc.ListByName(ctx, listName)
		if err != nil {
			return 0, err
		}
		filter.ListID = l.ID
	}
	defs, err := a.attrSvc.Attributes(ctx)
	if err != nil {
		return 0, err
	}
	return recipientcsv.ExportRecipients(ctx, w, a.recipientSvc, defs, filter, recipientcsv.WriteOptions{Delimiter: delim, BOM: true})
}

// runExportMailing writes a mailing for its audience as one mbox file or a
// ZIP archive of .eml files.
func runExportMailing(ctx context.Context, g *globals, args []string, stdout, stderr io.Writer) int {
	var ref, out, group string
	fs := newFlagSet("export mailing")
	g.register(fs)
	fs.StringVar(&out, "out", "", "the .mbox or .zip file to write")
	fs.StringVar(&group, "target-group", "", "only this saved target group")
	err := parseInterspersed(fs, args, &ref)
	zipped := false
	switch {
	case err != nil:
	case out == "":
		err = fmt.Errorf("--out is required")
	case strings.EqualFold(filepath.Ext(out), ".zip"):
		zipped = true
	case !strings.EqualFold(filepath.Ext(out), ".mbox"):
		err = fmt.Errorf("--out must name a .mbox file or a .zip file (one .eml per person), not %q", out)
	}
	if err != nil {
		fmt.Fprintf(stderr, "resonanz export mailing: %v\n\n%s", err, exportUsage)
		return exitUsage
	}
	return withApp(ctx, g, stderr, func(a *App) error {
		m, err := findMailing(ctx, a, ref)
		if err != nil {
			return err
		}
		var groupID int64
		if group != "" {
			if groupID, err = targetGroupID(ctx, a, group); err != nil {
				return err
			}
		}
		f, err := createExportFile(out)
		if err != nil {
			return err
		}
		write := a.sendSvc.WriteMbox
		if zipped {
			write = a.sendSvc.WriteEMLZip
		}
		n, err := write(ctx, f, m, groupID, 0)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
		if g.json {
			printJSON(stdout, map[string]any{"file": out, "messages": n})
		} else {
			fmt.Fprintf(stdout, "Wrote %d messages to %s.\n", n, out)
		}
		return nil
	})
}
