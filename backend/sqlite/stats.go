package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/resonanz/resonanz/backend/resonanz"
)

// StatsService implements resonanz.StatsService: reports read from the
// covering indexes on reaction, plus the anonymous counters.
type StatsService struct {
	db *DB
}

var _ resonanz.StatsService = (*StatsService)(nil)

// NewStatsService returns the report queries over db.
func NewStatsService(db *DB) *StatsService { return &StatsService{db: db} }

// Type codes used in report queries.
var (
	codeSent       = reactionCodes[resonanz.ReactionSent]
	codeDelivered  = reactionCodes[resonanz.ReactionDelivered]
	codeDeferred   = reactionCodes[resonanz.ReactionDeferred]
	codeBounced    = reactionCodes[resonanz.ReactionBounced]
	codeRejected   = reactionCodes[resonanz.ReactionRejected]
	codeOpened     = reactionCodes[resonanz.ReactionOpened]
	codeClicked    = reactionCodes[resonanz.ReactionClicked]
	codeImageLoad  = reactionCodes[resonanz.ReactionImageLoad]
	codeUnsub      = reactionCodes[resonanz.ReactionUnsubscribed]
	codeComplained = reactionCodes[resonanz.ReactionComplained]
)

// typeCounts are the per-type figures of one mailing or of all.
type typeCounts struct {
	personal     map[int]resonanz.Count
	anon         map[int]resonanz.Count
	hard         int
	soft         int
	humanOpeners int
	channels     map[string]int // unsubscribes per channel
}

func (c typeCounts) total(code int) resonanz.Count {
	return c.personal[code].Add(c.anon[code])
}

// MailingStats returns the report of a mailing; id 0 the totals over all
// reactions (per-mailing unique counts summed).
func (s *StatsService) MailingStats(ctx context.Context, id int64) (resonanz.MailingStats, error) {
	tx, err := s.db.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return resonanz.MailingStats{}, fmt.Errorf("mailing report: %w", err)
	}
	defer tx.Rollback()
	return mailingStats(ctx, tx, id)
}

func mailingStats(ctx context.Context, tx *sql.Tx, id int64) (resonanz.MailingStats, error) {
	if id == 0 {
		return totalStats(ctx, tx)
	}
	st := resonanz.MailingStats{MailingID: id, Links: []resonanz.LinkStats{}, UnsubscribeChannels: map[string]int{}}
	var sent int64
	err := tx.QueryRowContext(ctx, `SELECT name, COALESCE(sent_at, 0) FROM mailing WHERE id = ?`, id).Scan(&st.Name, &sent)
	if err == sql.ErrNoRows {
		return st, errMailingNotFound()
	} else if err != nil {
		return st, fmt.Errorf("mailing report: %w", err)
	}
	if sent != 0 {
		st.SentAt = fromMillis(sent)
	}
	c, err := reactionCounts(ctx, tx, `mailing_id = ?`, id)
	if err != nil {
		return st, err
	}
	var delivered int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM delivery WHERE mailing_id = ? AND status = 'sent'`, id).Scan(&delivered); err != nil {
		return st, fmt.Errorf("mailing report: %w", err)
	}
	c.fill(&st)
	// Sent: Resonanz's own deliveries, or the provider's "sent" events for a
	// mailing sent elsewhere; erased people's sends are in the anonymous part.
	st.Sent = max(delivered, c.personal[codeSent].Total) + c.anon[codeSent].Total

	// The base: what Resonanz sent minus the people known to have bounced;
	// for a mailing known only from provider logs, its delivered events
	// (or its sent events minus bounces when a log has no deliveries).
	bouncedPeople := c.personal[codeBounced].Unique + c.anon[codeBounced].Total
	switch {
	case delivered > 0:
		st.Base = resonanz.Base{Kind: resonanz.BaseSent, Count: max(delivered-bouncedPeople, 0)}
	case st.Delivered > 0:
		st.Base = resonanz.Base{Kind: resonanz.BaseDelivered, Count: st.Delivered}
	default:
		st.Base = resonanz.Base{Kind: resonanz.BaseSent, Count: max(st.Sent-bouncedPeople, 0)}
	}

	est, err := sketchEstimates(ctx, tx, id)
	if err != nil {
		return st, err
	}
	st.Openers = resonanz.Reach{People: c.humanOpeners, Estimate: est[codeOpened]}
	st.Clickers = resonanz.Reach{People: c.personal[codeClicked].Unique, Estimate: est[codeClicked]}
	st.OpenersInclMachine = c.personal[codeOpened].Unique

	if delivered > 0 {
		// Tracking consent (opens or clicks) in force when each mail was
		// sent: the newest ledger record per purpose up to the send.
		var n int
		if err := tx.QueryRowContext(ctx, `
			SELECT COUNT(*) FROM delivery d WHERE d.mailing_id = ? AND d.status = 'sent' AND (
				(SELECT granted FROM consent c WHERE c.recipient_id = d.recipient_id AND c.purpose = 'tracking:opens' AND c.list_id = 0
					AND c.at <= d.at ORDER BY c.at DESC, c.id DESC LIMIT 1) = 1
				OR (SELECT granted FROM consent c WHERE c.recipient_id = d.recipient_id AND c.purpose = 'tracking:clicks' AND c.list_id = 0
					AND c.at <= d.at ORDER BY c.at DESC, c.id DESC LIMIT 1) = 1)`, id).Scan(&n); err != nil {
			return st, fmt.Errorf("mailing report: trackable: %w", err)
		}
		st.Trackable = &resonanz.Trackable{Count: n, Of: delivered}
	}
	st.ComputeRates()
	if st.Links, err = linkStats(ctx, tx, id); err != nil {
		return st, err
	}
	return st, nil
}

// reactionCounts reads the per-type figures of the reactions where cond
// holds (personal rows and anonymous counters).
func reactionCounts(ctx context.Context, tx *sql.Tx, cond string, args ...any) (typeCounts, error) {
	c := typeCounts{personal: map[int]resonanz.Count{}, anon: map[int]resonanz.Count{}, channels: map[string]int{}}
	rows, err := tx.QueryContext(ctx, `
		SELECT type, COUNT(*), COUNT(DISTINCT recipient_id), SUM(flags & 1), SUM(flags & 4 <> 0), SUM(flags & 8 <> 0),
		       COUNT(DISTINCT recipient_id) FILTER (WHERE flags & 1 = 0)
		FROM reaction WHERE `+cond+` GROUP BY type`, args...)
	if err != nil {
		return c, fmt.Errorf("mailing report: %w", err)
	}
	for rows.Next() {
		var code, total, unique, machine, hard, soft, humanUnique int
		if err := rows.Scan(&code, &total, &unique, &machine, &hard, &soft, &humanUnique); err != nil {
			rows.Close()
			return c, fmt.Errorf("mailing report: %w", err)
		}
		c.personal[code] = resonanz.Count{Total: total, Unique: unique, Machine: machine}
		if code == codeBounced {
			c.hard, c.soft = hard, soft
		}
		if code == codeOpened {
			c.humanOpeners = humanUnique // people with an open not flagged as a machine open
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return c, fmt.Errorf("mailing report: %w", err)
	}
	rows, err = tx.QueryContext(ctx, `SELECT type, SUM(n), SUM(n) FILTER (WHERE machine = 1) FROM reaction_anon WHERE `+cond+` GROUP BY type`, args...)
	if err != nil {
		return c, fmt.Errorf("mailing report: %w", err)
	}
	for rows.Next() {
		var code, n int
		var machine sql.NullInt64
		if err := rows.Scan(&code, &n, &machine); err != nil {
			rows.Close()
			return c, fmt.Errorf("mailing report: %w", err)
		}
		c.anon[code] = resonanz.Count{Total: n, Anonymous: n, Machine: int(machine.Int64)}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return c, fmt.Errorf("mailing report: %w", err)
	}
	// Unsubscribes per channel: one per person and channel.
	rows, err = tx.QueryContext(ctx, `SELECT flags, COUNT(DISTINCT recipient_id) FROM reaction WHERE `+cond+` AND type = ? GROUP BY flags`,
		append(args, codeUnsub)...)
	if err != nil {
		return c, fmt.Errorf("mailing report: %w", err)
	}
	for rows.Next() {
		var flags, n int
		if err := rows.Scan(&flags, &n); err != nil {
			rows.Close()
			return c, fmt.Errorf("mailing report: %w", err)
		}
		c.channels[channelName(flags)] += n
	}
	rows.Close()
	if n := c.anon[codeUnsub].Total; n > 0 {
		c.channels["unknown"] += n // erased people's
	}
	return c, rows.Err()
}

// fill sets the counts of a report.
func (c typeCounts) fill(st *resonanz.MailingStats) {
	st.Delivered = c.total(codeDelivered).Total
	st.Deferred = c.total(codeDeferred).Total
	st.Bounced = c.total(codeBounced).Total
	st.BouncedHard, st.BouncedSoft = c.hard, c.soft
	st.Rejected = c.total(codeRejected).Total
	st.Opens = c.total(codeOpened)
	st.Clicks = c.total(codeClicked)
	st.ImageLoads = c.total(codeImageLoad)
	// A person who unsubscribed through two channels counts once.
	st.Unsubscribes = c.personal[codeUnsub].Unique + c.anon[codeUnsub].Total
	st.UnsubscribeChannels = c.channels
	st.Complaints = c.personal[codeComplained].Unique + c.anon[codeComplained].Total
}

// totalStats returns the totals over all mailings: every mailing's report
// summed (bases included, so totals use the same base as the reports),
// plus bounces, complaints and unsubscribes no mailing matched.
func totalStats(ctx context.Context, tx *sql.Tx) (resonanz.MailingStats, error) {
	st := resonanz.MailingStats{Name: "all", Links: []resonanz.LinkStats{}, UnsubscribeChannels: map[string]int{}}
	ids, err := mailingIDs(ctx, tx)
	if err != nil {
		return st, err
	}
	for _, id := range ids {
		m, err := mailingStats(ctx, tx, id)
		if err != nil {
			return st, err
		}
		st.Add(m)
	}
	c, err := reactionCounts(ctx, tx, `mailing_id IS NULL`)
	if err != nil {
		return st, err
	}
	var none resonanz.MailingStats
	c.fill(&none)
	st.Add(none)
	if st.Base.Kind == "" {
		st.Base.Kind = resonanz.BaseSent
	}
	st.ComputeRates()
	return st, nil
}

// linkStats returns the clicks and image loads per link of a mailing, most
// clicked first.
func linkStats(ctx context.Context, tx *sql.Tx, mailingID int64) ([]resonanz.LinkStats, error) {
	byID := map[int64]*resonanz.LinkStats{}
	var out []*resonanz.LinkStats
	rows, err := tx.QueryContext(ctx, `SELECT id, url, name, kind, tags FROM link WHERE mailing_id = ? ORDER BY idx < 0, idx`, mailingID)
	if err != nil {
		return nil, fmt.Errorf("link report: %w", err)
	}
	for rows.Next() {
		l := &resonanz.LinkStats{}
		var tags string
		if err := rows.Scan(&l.LinkID, &l.URL, &l.Name, &l.Kind, &tags); err != nil {
			rows.Close()
			return nil, fmt.Errorf("link report: %w", err)
		}
		_ = json.Unmarshal([]byte(tags), &l.Tags)
		byID[l.LinkID] = l
		out = append(out, l)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("link report: %w", err)
	}
	add := func(linkID int64, code int, cnt resonanz.Count) {
		l := byID[linkID]
		if l == nil {
			return
		}
		if code == codeClicked {
			l.Clicks = l.Clicks.Add(cnt)
		} else {
			l.ImageLoads = l.ImageLoads.Add(cnt)
		}
	}
	rows, err = tx.QueryContext(ctx, `
		SELECT r.link_id, r.type, COUNT(*), COUNT(DISTINCT r.recipient_id)
		FROM link l JOIN reaction r ON r.link_id = l.id AND r.type IN (?, ?)
		WHERE l.mailing_id = ? GROUP BY r.link_id, r.type`, codeClicked, codeImageLoad, mailingID)
	if err != nil {
		return nil, fmt.Errorf("link report: %w", err)
	}
	for rows.Next() {
		var link int64
		var code, total, unique int
		if err := rows.Scan(&link, &code, &total, &unique); err != nil {
			rows.Close()
			return nil, fmt.Errorf("link report: %w", err)
		}
		add(link, code, resonanz.Count{Total: total, Unique: unique})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("link report: %w", err)
	}
	rows, err = tx.QueryContext(ctx, `SELECT link_id, type, SUM(n) FROM reaction_anon WHERE mailing_id = ? AND type IN (?, ?) GROUP BY link_id, type`,
		mailingID, codeClicked, codeImageLoad)
	if err != nil {
		return nil, fmt.Errorf("link report: %w", err)
	}
	for rows.Next() {
		var link int64
		var code, n int
		if err := rows.Scan(&link, &code, &n); err != nil {
			rows.Close()
			return nil, fmt.Errorf("link report: %w", err)
		}
		add(link, code, resonanz.Count{Total: n, Anonymous: n})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("link report: %w", err)
	}
	slices.SortStableFunc(out, func(a, b *resonanz.LinkStats) int { return b.Clicks.Total - a.Clicks.Total })
	res := make([]resonanz.LinkStats, len(out))
	for i, l := range out {
		if l.Tags == nil {
			l.Tags = []string{}
		}
		res[i] = *l
	}
	return res, nil
}

// AllMailingStats returns the report of every mailing, newest first.
func (s *StatsService) AllMailingStats(ctx context.Context) ([]resonanz.MailingStats, error) {
	tx, err := s.db.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("mailing reports: %w", err)
	}
	defer tx.Rollback()
	ids, err := mailingIDs(ctx, tx)
	if err != nil {
		return nil, err
	}
	out := make([]resonanz.MailingStats, 0, len(ids))
	for _, id := range ids {
		st, err := mailingStats(ctx, tx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	return out, nil
}

// mailingIDs returns the ids of every mailing, newest first.
func mailingIDs(ctx context.Context, tx *sql.Tx) ([]int64, error) {
	var ids []int64
	rows, err := tx.QueryContext(ctx, `SELECT id FROM mailing ORDER BY COALESCE(sent_at, created_at) DESC, id DESC`)
	if err != nil {
		return nil, fmt.Errorf("mailing reports: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("mailing reports: %w", err)
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// MailingTimeline returns hourly opens and clicks (personal and anonymous),
// the weekday × hour heat map and the user agents of personal reactions.
func (s *StatsService) MailingTimeline(ctx context.Context, id int64) (resonanz.MailingTimeline, error) {
	var tl resonanz.MailingTimeline
	tx, err := s.db.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return tl, fmt.Errorf("mailing timeline: %w", err)
	}
	defer tx.Rollback()
	// id 0: over all mailings (a NULL-safe "any mailing" filter below).
	var exists bool
	if err := tx.QueryRowContext(ctx, `SELECT ? = 0 OR EXISTS (SELECT 1 FROM mailing WHERE id = ?)`, id, id).Scan(&exists); err != nil {
		return tl, fmt.Errorf("mailing timeline: %w", err)
	} else if !exists {
		return tl, errMailingNotFound()
	}
	scope := `mailing_id = ?1`
	if id == 0 {
		scope = `mailing_id IN (SELECT id FROM mailing) AND ?1 = 0`
	}
	hours := map[int64]*resonanz.TimePoint{}
	add := func(hour int64, code, n int) {
		p := hours[hour]
		if p == nil {
			p = &resonanz.TimePoint{At: fromMillis(hour * hourMillis)}
			hours[hour] = p
		}
		if code == codeOpened {
			p.Opens += n
		} else {
			p.Clicks += n
		}
	}
	for _, q := range []string{
		`SELECT at / 3600000, type, COUNT(*) FROM reaction WHERE ` + scope + ` AND type IN (?2, ?3) GROUP BY 1, 2`,
		`SELECT hour, type, SUM(n) FROM reaction_anon WHERE ` + scope + ` AND type IN (?2, ?3) GROUP BY 1, 2`,
	} {
		rows, err := tx.QueryContext(ctx, q, id, codeOpened, codeClicked)
		if err != nil {
			return tl, fmt.Errorf("mailing timeline: %w", err)
		}
		for rows.Next() {
			var hour int64
			var code, n int
			if err := rows.Scan(&hour, &code, &n); err != nil {
				rows.Close()
				return tl, fmt.Errorf("mailing timeline: %w", err)
			}
			add(hour, code, n)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return tl, fmt.Errorf("mailing timeline: %w", err)
		}
	}
	keys := make([]int64, 0, len(hours))
	for h, p := range hours {
		keys = append(keys, h)
		wd := (int(p.At.Weekday()) + 6) % 7 // Monday first
		tl.Heatmap[wd][p.At.Hour()] += p.Opens + p.Clicks
	}
	slices.Sort(keys)
	tl.Hourly = []resonanz.TimePoint{}
	if len(keys) > 0 {
		// A continuous series from the first reaction, at most 14 days; over
		// all mailings the last 14 days with reactions.
		first := keys[0]
		last := min(keys[len(keys)-1], first+14*24-1)
		if id == 0 {
			last = keys[len(keys)-1]
			first = max(keys[0], last-14*24+1)
		}
		for h := first; h <= last; h++ {
			if p := hours[h]; p != nil {
				tl.Hourly = append(tl.Hourly, *p)
			} else {
				tl.Hourly = append(tl.Hourly, resonanz.TimePoint{At: fromMillis(h * hourMillis)})
			}
		}
	}
	rows, err := tx.QueryContext(ctx, `
		SELECT u.ua, n FROM (SELECT ua_id, COUNT(*) AS n FROM reaction WHERE `+scope+` AND type IN (?2, ?3, ?4) AND ua_id IS NOT NULL GROUP BY ua_id) r
		JOIN user_agent u ON u.id = r.ua_id ORDER BY n DESC LIMIT 500`, id, codeOpened, codeClicked, codeImageLoad)
	if err != nil {
		return tl, fmt.Errorf("mailing timeline: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var a resonanz.AgentCount
		if err := rows.Scan(&a.UserAgent, &a.Count); err != nil {
			return tl, fmt.Errorf("mailing timeline: %w", err)
		}
		tl.Agents = append(tl.Agents, a)
	}
	tl.Clients = []resonanz.ClientShare{}
	return tl, rows.Err()
}

// MailingFigures returns every mailing's headline figures in one read
// transaction with four grouped queries (deliveries, personal reactions,
// anonymous counts, distinct sketches), whatever the number of mailings.
// The arithmetic is mailingStats's.
func (s *StatsService) MailingFigures(ctx context.Context) ([]resonanz.MailingFigures, error) {
	tx, err := s.db.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("mailing figures: %w", err)
	}
	defer tx.Rollback()
	type acc struct {
		delivered                                 int
		sent, sentAnon, deliv, bounced, bouncedAn int
		humanOpeners, clickers                    int
		estOpen, estClick                         int
	}
	by := map[int64]*acc{}
	get := func(id int64) *acc {
		a := by[id]
		if a == nil {
			a = &acc{}
			by[id] = a
		}
		return a
	}
	scan := func(q string, args []any, each func(rows *sql.Rows) error) error {
		rows, err := tx.QueryContext(ctx, q, args...)
		if err != nil {
			return fmt.Errorf("mailing figures: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			if err := each(rows); err != nil {
				return fmt.Errorf("mailing figures: %w", err)
			}
		}
		return rows.Err()
	}
	if err := scan(`SELECT mailing_id, COUNT(*) FROM delivery WHERE status = 'sent' GROUP BY mailing_id`, nil, func(r *sql.Rows) error {
		var id int64
		var n int
		err := r.Scan(&id, &n)
		get(id).delivered = n
		return err
	}); err != nil {
		return nil, err
	}
	codes := []any{codeSent, codeDelivered, codeBounced, codeOpened, codeClicked}
	if err := scan(`SELECT mailing_id, type, COUNT(*), COUNT(DISTINCT recipient_id), COUNT(DISTINCT recipient_id) FILTER (WHERE flags & 1 = 0)
		FROM reaction WHERE type IN (?, ?, ?, ?, ?) GROUP BY mailing_id, type`, codes, func(r *sql.Rows) error {
		var id int64
		var code, total, unique, human int
		if err := r.Scan(&id, &code, &total, &unique, &human); err != nil {
			return err
		}
		a := get(id)
		switch code {
		case codeSent:
			a.sent = total
		case codeDelivered:
			a.deliv += total
		case codeBounced:
			a.bounced = unique
		case codeOpened:
			a.humanOpeners = human
		case codeClicked:
			a.clickers = unique
		}
		return nil
	}); err != nil {
		return nil, err
	}
	if err := scan(`SELECT mailing_id, type, SUM(n) FROM reaction_anon WHERE type IN (?, ?, ?) GROUP BY mailing_id, type`,
		[]any{codeSent, codeDelivered, codeBounced}, func(r *sql.Rows) error {
			var id int64
			var code, n int
			if err := r.Scan(&id, &code, &n); err != nil {
				return err
			}
			a := get(id)
			switch code {
			case codeSent:
				a.sentAnon = n
			case codeDelivered:
				a.deliv += n
			case codeBounced:
				a.bouncedAn = n
			}
			return nil
		}); err != nil {
		return nil, err
	}
	if err := scan(`SELECT mailing_id, type, registers FROM reaction_sketch WHERE type IN (?, ?)`, []any{codeOpened, codeClicked}, func(r *sql.Rows) error {
		var id int64
		var code int
		var regs []byte
		if err := r.Scan(&id, &code, &regs); err != nil {
			return err
		}
		if code == codeOpened {
			get(id).estOpen = resonanz.EstimateSketch(regs)
		} else {
			get(id).estClick = resonanz.EstimateSketch(regs)
		}
		return nil
	}); err != nil {
		return nil, err
	}
	ids, err := mailingIDs(ctx, tx)
	if err != nil {
		return nil, err
	}
	out := make([]resonanz.MailingFigures, 0, len(ids))
	for _, id := range ids {
		a := get(id)
		f := resonanz.MailingFigures{MailingID: id, Sent: max(a.delivered, a.sent) + a.sentAnon}
		bouncedPeople := a.bounced + a.bouncedAn
		switch {
		case a.delivered > 0:
			f.Base = max(a.delivered-bouncedPeople, 0)
		case a.deliv > 0:
			f.Base = a.deliv
		default:
			f.Base = max(f.Sent-bouncedPeople, 0)
		}
		st := resonanz.MailingStats{Base: resonanz.Base{Count: f.Base},
			Openers:  resonanz.Reach{People: a.humanOpeners, Estimate: a.estOpen},
			Clickers: resonanz.Reach{People: a.clickers, Estimate: a.estClick}}
		st.ComputeRates()
		f.Openers, f.Clickers = st.Openers.Best(), st.Clickers.Best()
		f.OpenRate, f.ClickRate = st.Rates.Open, st.Rates.Click
		out = append(out, f)
	}
	return out, nil
}
