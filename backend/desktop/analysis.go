package desktop

import (
	"context"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/resonanz/resonanz/backend/analysis"
	"github.com/resonanz/resonanz/backend/ingest"
	"github.com/resonanz/resonanz/backend/recipientcsv"
	"github.com/resonanz/resonanz/backend/resonanz"
)

// Analysis is the bound façade for the analysis screens: mailing reports,
// comparison, time series, mail clients, and target groups.
type Analysis struct {
	ctx    context.Context
	stats  resonanz.StatsService
	groups resonanz.TargetGroupService
}

// NewAnalysis returns the Analysis façade.
func NewAnalysis(ctx context.Context, stats resonanz.StatsService, groups resonanz.TargetGroupService) *Analysis {
	return &Analysis{ctx: ctx, stats: stats, groups: groups}
}

// MailingStats returns the report of a mailing (0: totals over all reactions).
func (a *Analysis) MailingStats(id int64) (resonanz.MailingStats, error) {
	return a.stats.MailingStats(a.ctx, id)
}

// Compare returns the reports of all mailings, newest first.
func (a *Analysis) Compare() ([]resonanz.MailingStats, error) { return a.stats.AllMailingStats(a.ctx) }

// Timeline returns the hourly series, the heat map and the mail clients.
func (a *Analysis) Timeline(id int64) (resonanz.MailingTimeline, error) {
	tl, err := a.stats.MailingTimeline(a.ctx, id)
	if err != nil {
		return tl, err
	}
	tl.Clients = analysis.Clients(tl.Agents)
	return tl, nil
}

// StatsCSV returns a mailing's report (summary and links) as CSV for
// download; the compare table when id is -1.
func (a *Analysis) StatsCSV(id int64) (string, error) {
	var rows [][]string
	num := func(n int) string { return strconv.Itoa(n) }
	pct := func(f float64) string { return strconv.FormatFloat(f*100, 'f', 1, 64) }
	if id == -1 {
		list, err := a.stats.AllMailingStats(a.ctx)
		if err != nil {
			return "", err
		}
		rows = append(rows, []string{"mailing", "base_kind", "base", "sent", "delivered", "bounced", "opens", "unique_opens", "anonymous_opens", "machine_opens",
			"openers_estimate", "clicks", "unique_clicks", "clickers_estimate", "open_rate_pct", "click_rate_pct", "click_to_open_pct", "unsubscribes", "complaints"})
		for _, s := range list {
			rows = append(rows, []string{s.Name, s.Base.Kind, num(s.Base.Count), num(s.Sent), num(s.Delivered), num(s.Bounced), num(s.Opens.Total), num(s.Openers.People),
				num(s.Opens.Anonymous), num(s.Opens.Machine), num(s.Openers.Best()), num(s.Clicks.Total), num(s.Clickers.People), num(s.Clickers.Best()),
				pct(s.Rates.Open), pct(s.Rates.Click), pct(s.Rates.ClickToOpen), num(s.Unsubscribes), num(s.Complaints)})
		}
	} else {
		s, err := a.stats.MailingStats(a.ctx, id)
		if err != nil {
			return "", err
		}
		rows = append(rows, []string{"link", "name", "kind", "tags", "clicks", "unique_clicks", "anonymous_clicks", "image_downloads"})
		for _, l := range s.Links {
			rows = append(rows, []string{l.URL, l.Name, l.Kind, strings.Join(l.Tags, ", "), num(l.Clicks.Total), num(l.Clicks.Unique),
				num(l.Clicks.Anonymous), num(l.ImageLoads.Total)})
		}
	}
	var b strings.Builder
	w, err := recipientcsv.NewWriter(&b, rows[0], recipientcsv.WriteOptions{Delimiter: ';', BOM: true})
	if err != nil {
		return "", err
	}
	for _, r := range rows[1:] {
		if err := w.Write(r); err != nil {
			return "", err
		}
	}
	return b.String(), w.Flush()
}

// TargetGroups returns the saved target groups.
func (a *Analysis) TargetGroups() ([]resonanz.TargetGroup, error) {
	return a.groups.TargetGroups(a.ctx)
}

// SaveTargetGroup creates or updates a target group.
func (a *Analysis) SaveTargetGroup(g resonanz.TargetGroup) (resonanz.TargetGroup, error) {
	return a.groups.SaveTargetGroup(a.ctx, g)
}

// DeleteTargetGroup deletes a target group.
func (a *Analysis) DeleteTargetGroup(id int64) (bool, error) {
	return true, a.groups.DeleteTargetGroup(a.ctx, id)
}

// CountRule is the live count while a rule is edited.
func (a *Analysis) CountRule(rule resonanz.Condition) (int, error) {
	return a.groups.CountMatching(a.ctx, rule)
}

// ExplainRule is the live count with the count ignoring current consent
// (the rule builder says why they differ).
func (a *Analysis) ExplainRule(rule resonanz.Condition) (resonanz.RuleCount, error) {
	return a.groups.ExplainCount(a.ctx, rule)
}

// RuleMembers returns a page of the people a rule selects.
func (a *Analysis) RuleMembers(rule resonanz.Condition, f resonanz.RecipientFilter) (resonanz.RecipientPage, error) {
	return a.groups.Matching(a.ctx, rule, f)
}

// Reactions is the bound façade for importing provider reaction logs.
type Reactions struct {
	ctx      context.Context
	importer resonanz.ReactionImporter
	sources  Sources
	events   Emitter
	ops      operations
}

// NewReactions returns the Reactions façade.
func NewReactions(ctx context.Context, importer resonanz.ReactionImporter, sources Sources, events Emitter) *Reactions {
	return &Reactions{ctx: ctx, importer: importer, sources: sources, events: events}
}

// Providers lists the log formats the import understands ("auto" first).
func (r *Reactions) Providers() ([]string, error) {
	return append([]string{ingest.Auto}, ingest.Providers...), nil
}

// ReactionImportRequest asks for the import of a provider log.
type ReactionImportRequest struct {
	Source    string `json:"source"`
	Provider  string `json:"provider"`  // a provider name or "auto"
	MailingID int64  `json:"mailingId"` // for events that name no mailing; 0: quarantine them
	// OpID scopes the progress events: "reactions:progress:<opId>".
	OpID string `json:"opId"`
}

// ImportFile imports a provider log with progress events.
func (r *Reactions) ImportFile(req ReactionImportRequest) (resonanz.ReactionImportResult, error) {
	path, name, err := r.sources.Resolve(req.Source)
	if err != nil {
		return resonanz.ReactionImportResult{}, err
	}
	f, size, err := openSized(path, name)
	if err != nil {
		return resonanz.ReactionImportResult{}, err
	}
	defer f.Close()
	ctx, done := r.ops.start(r.ctx, req.OpID)
	defer done()
	emit := Throttle(r.events, resonanz.Scoped(resonanz.EventReactionsProgress, req.OpID), 100*time.Millisecond)
	res, err := ingest.Import(ctx, f, size, req.Provider, ingest.Options{}, r.importer,
		resonanz.ReactionImport{FileName: name, MailingID: req.MailingID}, func(p resonanz.ImportProgress) { emit(p, false) })
	emit(resonanz.ImportProgress{Rows: res.Read + res.Rejected, Bytes: size, TotalBytes: size}, true)
	return res, err
}

// PreviewFile reads a provider log without importing it and lists the
// campaigns it names with the mailing each will be filed under (the wizard
// shows them before the import).
func (r *Reactions) PreviewFile(req ReactionImportRequest) (resonanz.ReactionPreview, error) {
	path, name, err := r.sources.Resolve(req.Source)
	if err != nil {
		return resonanz.ReactionPreview{}, err
	}
	f, _, err := openSized(path, name)
	if err != nil {
		return resonanz.ReactionPreview{}, err
	}
	defer f.Close()
	return ingest.Preview(r.ctx, f, req.Provider, ingest.Options{}, r.importer)
}

// AssignQuarantined files quarantined events (nil: all) under a mailing.
func (r *Reactions) AssignQuarantined(ids []int64, mailingID int64) (resonanz.ReactionImportResult, error) {
	return r.importer.AssignQuarantined(r.ctx, ids, mailingID)
}

// RematchQuarantine matches quarantined events (nil: all) again, e.g. after
// a recipient import.
func (r *Reactions) RematchQuarantine(ids []int64) (resonanz.ReactionImportResult, error) {
	return r.importer.RematchQuarantine(r.ctx, ids)
}

// DiscardQuarantined drops quarantined events (nil: all).
func (r *Reactions) DiscardQuarantined(ids []int64) (int, error) {
	return r.importer.DiscardQuarantined(r.ctx, ids)
}

// Cancel stops a running import after its current batch.
func (r *Reactions) Cancel(opID string) (bool, error) { return r.ops.cancel(opID), nil }

// Quarantine returns the unmatched events of an import (0: of all).
func (r *Reactions) Quarantine(importID int64) ([]resonanz.QuarantinedEvent, error) {
	return r.importer.Quarantine(r.ctx, importID, 1000)
}

// openSized opens an import file and returns its size (0 if unknown).
func openSized(path, name string) (*os.File, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, resonanz.E(resonanz.EINVALID, "error.file.open", "Cannot open {name}.", "name", name)
	}
	var size int64
	if st, err := f.Stat(); err == nil {
		size = st.Size()
	}
	return f, size, nil
}

// MailingFigures returns every mailing's sent, open and click figures for
// the mailing list (grouped queries, not one report per mailing).
func (a *Analysis) MailingFigures() ([]resonanz.MailingFigures, error) {
	return a.stats.MailingFigures(a.ctx)
}

// TargetGroupCount is how many people a target group's rule selects now.
type TargetGroupCount struct {
	ID int64 `json:"id"`
	// Members is the live count; -1 when the rule cannot be counted (it
	// names something that no longer exists).
	Members int `json:"members"`
}

// TargetGroupCounts counts every target group's members (the list shows
// them; the UI loads them after the list, so slow rules never hold it up).
func (a *Analysis) TargetGroupCounts() ([]TargetGroupCount, error) {
	groups, err := a.groups.TargetGroups(a.ctx)
	if err != nil {
		return nil, err
	}
	out := make([]TargetGroupCount, 0, len(groups))
	for _, g := range groups {
		n, err := a.groups.CountMatching(a.ctx, g.Rule)
		if resonanz.ErrorCode(err) == resonanz.EINVALID {
			n, err = -1, nil
		}
		if err != nil {
			return nil, err
		}
		out = append(out, TargetGroupCount{ID: g.ID, Members: n})
	}
	return out, nil
}
