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
	personal map[int]resonanz.Count
	anon     map[int]resonanz.Count
	hard     int
	soft     int
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
	st := resonanz.MailingStats{MailingID: id, Links: []resonanz.LinkStats{}}
	where, args := `mailing_id = ?`, []any{id}
	if id == 0 {
		st.Name = "all"
		// Per mailing (GROUP BY mailing_id, type): uniques are per mailing,
		// as in the mailing reports, and the index is read in order.
		where, args = `1 = 1`, nil
	} else {
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
	}
	c := typeCounts{personal: map[int]resonanz.Count{}, anon: map[int]resonanz.Count{}}
	human := 0
	rows, err := tx.QueryContext(ctx, `
		SELECT type, COUNT(*), COUNT(DISTINCT recipient_id), SUM(flags & 1), SUM(flags & 4 <> 0), SUM(flags & 8 <> 0),
		       COUNT(DISTINCT recipient_id) FILTER (WHERE flags & 1 = 0)
		FROM reaction WHERE `+where+` GROUP BY mailing_id, type`, args...)
	if err != nil {
		return st, fmt.Errorf("mailing report: %w", err)
	}
	for rows.Next() {
		var code, total, unique, machine, hard, soft, humanUnique int
		if err := rows.Scan(&code, &total, &unique, &machine, &hard, &soft, &humanUnique); err != nil {
			rows.Close()
			return st, fmt.Errorf("mailing report: %w", err)
		}
		c.personal[code] = c.personal[code].Add(resonanz.Count{Total: total, Unique: unique, Machine: machine})
		if code == codeBounced {
			c.hard += hard
			c.soft += soft
		}
		if code == codeOpened {
			human += humanUnique // people with an open not flagged as a machine open
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return st, fmt.Errorf("mailing report: %w", err)
	}
	rows, err = tx.QueryContext(ctx, `SELECT type, SUM(n), SUM(n) FILTER (WHERE machine = 1) FROM reaction_anon WHERE `+where+` GROUP BY type`, args...)
	if err != nil {
		return st, fmt.Errorf("mailing report: %w", err)
	}
	for rows.Next() {
		var code, n int
		var machine sql.NullInt64
		if err := rows.Scan(&code, &n, &machine); err != nil {
			rows.Close()
			return st, fmt.Errorf("mailing report: %w", err)
		}
		c.anon[code] = resonanz.Count{Total: n, Anonymous: n, Machine: int(machine.Int64)}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return st, fmt.Errorf("mailing report: %w", err)
	}
	var delivered int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM delivery WHERE `+where+` AND status = 'sent'`, args...).Scan(&delivered); err != nil {
		return st, fmt.Errorf("mailing report: %w", err)
	}
	// Sent: Resonanz's own deliveries, or the provider's "sent" events for a
	// mailing sent elsewhere; erased people's sends are in the anonymous part.
	st.Sent = max(delivered, c.personal[codeSent].Total) + c.anon[codeSent].Total
	st.Delivered = c.total(codeDelivered).Total
	st.Deferred = c.total(codeDeferred).Total
	st.Bounced = c.total(codeBounced).Total
	st.BouncedHard, st.BouncedSoft = c.hard, c.soft
	st.Rejected = c.total(codeRejected).Total
	st.Opens = c.total(codeOpened)
	st.Clicks = c.total(codeClicked)
	st.ImageLoads = c.total(codeImageLoad)
	st.Unsubscribes = c.total(codeUnsub).Total
	st.Complaints = c.total(codeComplained).Total

	st.ComputeRates(human)
	if id != 0 {
		if st.Links, err = linkStats(ctx, tx, id); err != nil {
			return st, err
		}
	}
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
	var ids []int64
	rows, err := tx.QueryContext(ctx, `SELECT id FROM mailing ORDER BY COALESCE(sent_at, created_at) DESC, id DESC`)
	if err != nil {
		return nil, fmt.Errorf("mailing reports: %w", err)
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, fmt.Errorf("mailing reports: %w", err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	out := make([]resonanz.MailingStats, 0, len(ids))
	for _, id := range ids {
		st, err := mailingStats(ctx, tx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	return out, rows.Err()
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
