package sqlite

// Listener hits: opens, clicks and unsubscribes the listener records, gated
// by the consent at the hit's time like the provider logs.

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"

	"github.com/resonanz/resonanz/backend/resonanz"
)

// RecordHits stores listener hits in one transaction. A hit is stored per
// person when the recipient's tracking consent for its kind was valid at the
// hit's time; otherwise (no consent, withdrawn, or the person was erased
// since) it only adds to the mailing's anonymous counts. Hits of mailings
// that no longer exist are dropped.
func (s *ReactionService) RecordHits(ctx context.Context, hits []resonanz.Hit) error {
	if len(hits) == 0 {
		return nil
	}
	tx, err := s.db.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("record hits: %w", err)
	}
	defer tx.Rollback()
	if done, err := claimRelayEvents(ctx, tx, millis(s.db.Now())); err != nil || done {
		return err
	}
	if err := recordHits(ctx, tx, hits); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("record hits: %w", err)
	}
	return nil
}

// recordHits is RecordHits inside the caller's transaction.
func recordHits(ctx context.Context, tx *sql.Tx, hits []resonanz.Hit) error {
	return recordHitsCached(ctx, tx, hits, nil)
}

// hitLookups is what recordHitsCached looked up in the store: whether a
// recipient exists and their tracking consent timeline, whether a mailing
// exists, user agents' ids. The caller keeps it only while nothing else
// has written to the store (see HitInbox: PRAGMA data_version on its own
// connection) and drops it when a transaction that used it fails.
type hitLookups struct {
	recipients map[int64]recipientLookup
	mailings   map[int64]bool
	agents     map[string]int64
}

type recipientLookup struct {
	exists   bool
	timeline resonanz.ConsentTimeline
}

func newHitLookups() *hitLookups {
	return &hitLookups{recipients: map[int64]recipientLookup{}, mailings: map[int64]bool{}, agents: map[string]int64{}}
}

// recordHitsCached is recordHits with the lookups of earlier calls (nil:
// none kept); it looks up only what lk does not hold yet and adds it.
func recordHitsCached(ctx context.Context, tx *sql.Tx, hits []resonanz.Hit, lk *hitLookups) error {
	if lk == nil {
		lk = newHitLookups()
	}
	var recipients, mailings []any
	seenR, seenM := map[int64]bool{}, map[int64]bool{}
	for _, h := range hits {
		if _, ok := lk.recipients[h.RecipientID]; !ok && !seenR[h.RecipientID] {
			seenR[h.RecipientID] = true
			recipients = append(recipients, h.RecipientID)
		}
		if _, ok := lk.mailings[h.MailingID]; !ok && !seenM[h.MailingID] {
			seenM[h.MailingID] = true
			mailings = append(mailings, h.MailingID)
		}
	}
	if len(recipients) > 0 {
		exists := map[int64]bool{}
		if err := queryIn(ctx, tx, `SELECT id FROM recipient WHERE id IN `, recipients, func(rows *sql.Rows) error {
			var id int64
			err := rows.Scan(&id)
			exists[id] = true
			return err
		}); err != nil {
			return err
		}
		timelines, err := trackingTimelines(ctx, tx, recipients)
		if err != nil {
			return err
		}
		for _, id := range recipients {
			id := id.(int64)
			lk.recipients[id] = recipientLookup{exists: exists[id], timeline: timelines[id]}
		}
	}
	if len(mailings) > 0 {
		for _, id := range mailings {
			lk.mailings[id.(int64)] = false
		}
		if err := queryIn(ctx, tx, `SELECT id FROM mailing WHERE id IN `, mailings, func(rows *sql.Rows) error {
			var id int64
			err := rows.Scan(&id)
			lk.mailings[id] = true
			return err
		}); err != nil {
			return err
		}
	}
	var err error
	agents := lk.agents
	var personal []reactionRow
	anon := map[anonKey]int{}
	feed := sketchFeed{}
	for _, h := range hits {
		if !lk.mailings[h.MailingID] {
			continue
		}
		row := reactionRow{mailing: h.MailingID, recipient: h.RecipientID, link: h.LinkID, code: reactionCode(h.Type), at: millis(h.At)}
		if h.MachineOpen {
			row.flags |= flagMachineOpen
		}
		feed.add(row.mailing, row.code, row.recipient, row.flags)
		purpose := resonanz.TrackingPurpose(h.Type)
		if r := lk.recipients[h.RecipientID]; purpose == "" || !r.exists || !r.timeline.Granted(purpose, 0, h.At) {
			anon[anonKey{mailing: row.mailing, link: row.link, hour: row.at / hourMillis, code: row.code, machine: row.flags & flagMachineOpen}]++
			continue
		}
		if h.UserAgent != "" {
			id, ok := agents[h.UserAgent]
			if !ok {
				if id, err = userAgentID(ctx, tx, h.UserAgent); err != nil {
					return err
				}
				agents[h.UserAgent] = id
			}
			row.ua = id
		}
		personal = append(personal, row)
	}
	// In the order of the reaction_recipient index: the rows of random
	// recipients then dirty each of its pages once, in one sweep, instead
	// of in random order through a page cache they outgrow (a quarter to a
	// half less CPU per hit in BenchmarkHitInbox). Stable: a person's
	// reactions keep their order of ids.
	slices.SortStableFunc(personal, func(a, b reactionRow) int {
		return cmp.Or(cmp.Compare(a.recipient, b.recipient), cmp.Compare(a.at, b.at))
	})
	if err := insertReactions(ctx, tx, personal, 0); err != nil {
		return err
	}
	if err := addAnonymous(ctx, tx, anon); err != nil {
		return err
	}
	return writeSketches(ctx, tx, feed)
}
