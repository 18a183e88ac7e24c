package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/resonanz/resonanz/backend/resonanz"
)

const statsUsage = `Usage:
  resonanz stats [MAILING] [--json]    the report of a mailing (by name or id);
                                       without MAILING the totals over all reactions,
                                       imported ones included
  resonanz stats --all [--json]        every mailing side by side
`

// runStats implements `resonanz stats`.
func runStats(ctx context.Context, g *globals, args []string, stdout, stderr io.Writer) int {
	var all bool
	fs := newFlagSet("stats")
	g.register(fs)
	fs.BoolVar(&all, "all", false, "every mailing side by side")
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return usageError(stderr, err)
		}
		if fs.NArg() == 0 {
			break
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(positional) > 1 || (all && len(positional) > 0) {
		fmt.Fprintf(stderr, "resonanz stats: name one mailing, or --all\n\n%s", statsUsage)
		return exitUsage
	}
	return withApp(ctx, g, stderr, func(a *App) error {
		if all {
			list, err := a.statsSvc.AllMailingStats(ctx)
			if err != nil {
				return err
			}
			if g.json {
				printJSON(stdout, list)
				return nil
			}
			return printStatsTable(stdout, list)
		}
		var id int64
		if len(positional) == 1 {
			m, err := findMailing(ctx, a, positional[0])
			if err != nil {
				return err
			}
			id = m.ID
		}
		st, err := a.statsSvc.MailingStats(ctx, id)
		if err != nil {
			return err
		}
		if g.json {
			printJSON(stdout, st)
			return nil
		}
		return printStats(stdout, st)
	})
}

// findMailing resolves a mailing named on the command line: by name, else
// by id.
func findMailing(ctx context.Context, a *App, ref string) (resonanz.Mailing, error) {
	m, err := a.mailingSvc.MailingByName(ctx, ref)
	if resonanz.ErrorCode(err) == resonanz.ENOTFOUND {
		if id, perr := strconv.ParseInt(ref, 10, 64); perr == nil {
			return a.mailingSvc.Mailing(ctx, id)
		}
	}
	return m, err
}

func pct(f float64) string { return strconv.FormatFloat(f*100, 'f', 1, 64) + " %" }

func printStats(w io.Writer, st resonanz.MailingStats) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	title := "All reactions"
	if st.MailingID != 0 {
		title = "Mailing " + strconv.Quote(st.Name)
	}
	fmt.Fprintln(tw, title)
	row := func(label string, v any, extra string) { fmt.Fprintf(tw, "  %s\t%v\t%s\n", label, v, extra) }
	row("base", st.Base.Count, st.Base.Kind+" (every rate is a share of it)")
	row("sent", st.Sent, "")
	row("delivered", st.Delivered, "")
	row("bounced", st.Bounced, fmt.Sprintf("hard %d, soft %d", st.BouncedHard, st.BouncedSoft))
	row("opens", st.Opens.Total, fmt.Sprintf("unique %d, without machine opens %d, anonymous %d", st.Opens.Unique, st.Opens.Human(), st.Opens.Anonymous))
	row("clicks", st.Clicks.Total, fmt.Sprintf("unique %d, anonymous %d", st.Clicks.Unique, st.Clicks.Anonymous))
	row("image downloads", st.ImageLoads.Total, fmt.Sprintf("anonymous %d", st.ImageLoads.Anonymous))
	row("unsubscribes", st.Unsubscribes, channels(st.UnsubscribeChannels))
	row("complaints", st.Complaints, "")
	row("openers", st.Openers.People, fmt.Sprintf("≈ %d with anonymous opens; %d with machine opens", st.Openers.Best(), st.OpenersInclMachine))
	row("clickers", st.Clickers.People, fmt.Sprintf("≈ %d with anonymous clicks", st.Clickers.Best()))
	if st.Trackable != nil {
		row("trackable", st.Trackable.Count, fmt.Sprintf("of %d with a tracking consent when sent", st.Trackable.Of))
	}
	row("open rate", pct(st.Rates.Open), "with machine opens "+pct(st.Rates.OpenInclMachine))
	row("click rate", pct(st.Rates.Click), "click-to-open "+pct(st.Rates.ClickToOpen))
	if len(st.Links) > 0 {
		fmt.Fprintln(tw, "\nLinks\tclicks\tunique\tkind\tname\ttags")
		for _, l := range st.Links {
			fmt.Fprintf(tw, "  %s\t%d\t%d\t%s\t%s\t%s\n", l.URL, l.Clicks.Total, l.Clicks.Unique, l.Kind, l.Name, strings.Join(l.Tags, ", "))
		}
	}
	return tw.Flush()
}

// channels renders unsubscribes per channel, e.g. "one_click 1, unsubscribe_link 2".
func channels(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + " " + strconv.Itoa(m[k])
	}
	return strings.Join(parts, ", ")
}

func printStatsTable(w io.Writer, list []resonanz.MailingStats) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "mailing\tsent\tdelivered\tbounced\topens\tunique\tclicks\tunique\topen rate\tCTOR\tunsubscribes\t")
	for _, st := range list {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%s\t%s\t%d\t\n", st.Name, st.Sent, st.Delivered, st.Bounced,
			st.Opens.Total, st.Opens.Unique, st.Clicks.Total, st.Clicks.Unique, pct(st.Rates.Open), pct(st.Rates.ClickToOpen), st.Unsubscribes)
	}
	return tw.Flush()
}
