package sqlite

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/resonanz/resonanz/backend/resonanz"
)

// ReactionService stores reactions: provider logs (resonanz.ReactionImporter)
// and listener hits (resonanz.HitRecorder). Both apply the consent gate at
// the reaction's time through resonanz.ConsentTimeline.
type ReactionService struct {
	db *DB
	// BatchSize is the number of events per transaction of an import.
	BatchSize int
}

var (
	_ resonanz.ReactionImporter = (*ReactionService)(nil)
	_ resonanz.HitRecorder      = (*ReactionService)(nil)
)

// NewReactionService returns the reaction service over db.
func NewReactionService(db *DB) *ReactionService { return &ReactionService{db: db, BatchSize: 5000} }

// Reaction type codes as stored (table reaction_type).
var reactionCodes = map[resonanz.ReactionType]int{
	resonanz.ReactionSent: 1, resonanz.ReactionDelivered: 2, resonanz.ReactionDeferred: 3,
	resonanz.ReactionBounced: 4, resonanz.ReactionRejected: 5, resonanz.ReactionOpened: 6,
	resonanz.ReactionClicked: 7, resonanz.ReactionImageLoad: 8, resonanz.ReactionUnsubscribed: 9,
	resonanz.ReactionResubscribed: 10, resonanz.ReactionComplained: 11, resonanz.ReactionFailed: 12,
	resonanz.ReactionUnknown: 13,
}

func reactionCode(t resonanz.ReactionType) int {
	if c, ok := reactionCodes[t]; ok {
		return c
	}
	return reactionCodes[resonanz.ReactionUnknown]
}

// reactionName is the inverse of reactionCode.
func reactionName(code int) resonanz.ReactionType {
	for t, c := range reactionCodes {
		if c == code {
			return t
		}
	}
	return resonanz.ReactionUnknown
}

// Flags of a stored reaction.
const (
	flagMachineOpen = 1 << iota
	flagFirst
	flagHardBounce
	flagSoftBounce
)

const hourMillis = int64(time.Hour / time.Millisecond)

// MetadataMailing is the custom variable (tag, metadata key) Resonanz
// gives the provider with each message; imported events carrying it are
// matched to the mailing directly.
const MetadataMailing = "resonanz_mailing"

// eventKey is the stored form of a dedupe key: the event's time (unix ms,
// big-endian) and 8 bytes of the key's SHA-256. The time prefix keeps the
// key b-tree's inserts near its right edge for a log in time order; with
// plain hashes every batch dirtied pages all over the tree and a
// million-event import spent most of its time writing them to the WAL.
// The same event always has the same time, so duplicates still meet.
type eventKey [16]byte

func keyOf(dedupe string, at time.Time) eventKey {
	var k eventKey
	binary.BigEndian.PutUint64(k[:8], uint64(at.UnixMilli()))
	sum := sha256.Sum256([]byte(dedupe))
	copy(k[8:], sum[:8])
	return k
}

// preparedEvent is an event with what the reader can work out without the
// store.
type preparedEvent struct {
	ev       resonanz.ProviderEvent
	key      eventKey
	legacy   *eventKey // the key of an earlier version's dedupe key, if any
	emailKey string    // "" when the address is not valid
}

type eventBatch struct {
	events   []preparedEvent
	rejected []resonanz.RowError
	warnings []resonanz.RowError // one per warning (an event may have several)
	warned   int                 // events kept with a warning
	read     int
	bytes    int64
}

// reactionPlan is the state of one import across its batches.
type reactionPlan struct {
	opt       resonanz.ReactionImport
	importID  int64
	file      string
	external  map[string]int64 // campaign id → mailing
	mailings  map[int64]int64  // mailing → its list (0: none); present = exists
	recipient map[string]int64 // e-mail key → recipient id (0: unknown)
	consent   map[int64]resonanz.ConsentTimeline
	links     map[int64]map[string]int64 // mailing → link key → link id
	nextLink  map[int64]int              // mailing → next free link index
	agents    map[string]int64           // user agent → id
	// quarantined is true while the quarantine may hold events this
	// import could now match (then matched ones are moved out).
	quarantined bool
	// campaigns are the campaigns named by events, in order of appearance.
	campaigns     map[string]*resonanz.CampaignFiling
	campaignOrder []string
}

// prepareEvent works out what an event needs without the store: its
// dedupe keys and its address key.
func prepareEvent(ev resonanz.ProviderEvent) preparedEvent {
	p := preparedEvent{ev: ev, key: keyOf(ev.DedupeKey, ev.OccurredAt)}
	if ev.LegacyDedupeKey != "" {
		k := keyOf(ev.LegacyDedupeKey, ev.OccurredAt)
		p.legacy = &k
	}
	if _, key, err := resonanz.NormalizeEmail(ev.Email); err == nil {
		p.emailKey = key
	}
	return p
}

// newReactionResult is the empty result of an import from provider.
func newReactionResult(provider string) resonanz.ReactionImportResult {
	return resonanz.ReactionImportResult{Provider: provider, ByType: map[string]int{}, Errors: []resonanz.RowError{},
		Campaigns: []resonanz.CampaignFiling{}, Warnings: []resonanz.RowError{}}
}

// ImportReactions stores the events of src. See resonanz.ReactionImportResult
// for what is counted. Every batch is one transaction: a crash leaves whole
// batches or nothing, and the import can simply be run again (events already
// stored are recognized by their dedupe key).
func (s *ReactionService) ImportReactions(ctx context.Context, src resonanz.ReactionSource, opt resonanz.ReactionImport, progress func(resonanz.ImportProgress)) (resonanz.ReactionImportResult, error) {
	res := newReactionResult(opt.Provider)
	plan, err := s.beginReactions(ctx, opt)
	if err != nil {
		return res, err
	}
	res.ImportID = plan.importID
	stop := s.db.keepAlive(plan.importID)
	defer stop()
	counter, _ := src.(interface{ BytesRead() int64 })
	size := int64(0)
	if sz, ok := src.(interface{ Size() int64 }); ok {
		size = sz.Size()
	}
	n := max(s.BatchSize, 1)
	cancelled, failure := pipeline(ctx,
		func() (eventBatch, bool, error) {
			b := eventBatch{events: make([]preparedEvent, 0, n)}
			for len(b.events) < n {
				ev, err := src.Next()
				var rowErr *resonanz.RowError
				switch {
				case errors.Is(err, io.EOF):
					return b, true, nil
				case errors.As(err, &rowErr):
					b.read++
					b.rejected = append(b.rejected, *rowErr)
					continue
				case err != nil:
					return b, false, err
				}
				b.read++
				if len(ev.Warnings) > 0 {
					b.warned++
				}
				for _, w := range ev.Warnings {
					b.warnings = append(b.warnings, resonanz.RowError{Line: ev.Line, Reason: w.Message, Key: w.Key, Params: w.Params})
				}
				b.events = append(b.events, prepareEvent(ev))
			}
			if counter != nil {
				b.bytes = counter.BytesRead()
			}
			return b, false, nil
		},
		func(b eventBatch) error {
			res.Read += b.read - len(b.rejected)
			res.Rejected += len(b.rejected)
			res.Warned += b.warned
			for _, w := range b.warnings {
				if len(res.Warnings) < 1000 {
					res.Warnings = append(res.Warnings, w)
				}
			}
			for _, r := range b.rejected {
				if len(res.Errors) < 1000 {
					res.Errors = append(res.Errors, r)
				}
			}
			if err := s.writeEvents(ctx, plan, b.events, &res); err != nil {
				return err
			}
			if progress != nil {
				progress(resonanz.ImportProgress{Rows: res.Read + res.Rejected, Bytes: b.bytes, TotalBytes: size})
			}
			return nil
		})
	res.Cancelled = cancelled
	status := "done"
	switch {
	case failure != nil:
		status = "failed"
	case cancelled:
		status = "cancelled"
	}
	if err := s.finishReactions(plan, status, &res); err != nil && failure == nil {
		failure = err
	}
	return res, failure
}

func (s *ReactionService) beginReactions(ctx context.Context, opt resonanz.ReactionImport) (*reactionPlan, error) {
	plan := &reactionPlan{
		opt: opt, file: opt.FileName,
		external: map[string]int64{}, mailings: map[int64]int64{}, recipient: map[string]int64{},
		consent: map[int64]resonanz.ConsentTimeline{}, links: map[int64]map[string]int64{},
		nextLink: map[int64]int{}, agents: map[string]int64{}, campaigns: map[string]*resonanz.CampaignFiling{},
	}
	rows, err := s.db.db.QueryContext(ctx, `SELECT id, COALESCE(list_id, 0), external_id FROM mailing`)
	if err != nil {
		return nil, fmt.Errorf("import reactions: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, list int64
		var ext string
		if err := rows.Scan(&id, &list, &ext); err != nil {
			return nil, fmt.Errorf("import reactions: %w", err)
		}
		plan.mailings[id] = list
		if ext != "" {
			plan.external[ext] = id
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("import reactions: %w", err)
	}
	if _, ok := plan.mailings[opt.MailingID]; opt.MailingID != 0 && !ok {
		return nil, errMailingNotFound()
	}
	if err := s.db.db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM reaction_quarantine)`).Scan(&plan.quarantined); err != nil {
		return nil, fmt.Errorf("import reactions: %w", err)
	}
	options, _ := json.Marshal(opt)
	tx, err := s.db.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("import reactions: %w", err)
	}
	defer tx.Rollback()
	if err := markInterrupted(ctx, tx, s.db.Now()); err != nil {
		return nil, err
	}
	now := millis(s.db.Now())
	r, err := tx.ExecContext(ctx, `INSERT INTO import_run (kind, file_name, options, started_at, status, stats) VALUES ('reactions', ?, ?, ?, 'running', ?)`,
		opt.FileName, string(options), now, ownerStats(now))
	if err != nil {
		return nil, fmt.Errorf("import reactions: %w", err)
	}
	plan.importID, _ = r.LastInsertId()
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("import reactions: %w", err)
	}
	return plan, nil
}

// finishReactions ends the import run of plan with status; it fills in
// res's campaigns and stores res as the run's result.
func (s *ReactionService) finishReactions(plan *reactionPlan, status string, res *resonanz.ReactionImportResult) error {
	for _, c := range plan.campaignOrder {
		res.Campaigns = append(res.Campaigns, *plan.campaigns[c])
	}
	detail := fmt.Sprintf(`{"status":%q,"provider":%q,"read":%d,"imported":%d,"duplicates":%d,"unmatched":%d,"anonymized":%d,"rejected":%d}`,
		status, res.Provider, res.Read, res.Imported, res.Duplicates, res.Unmatched, res.Anonymized, res.Rejected)
	return s.db.finishRun(plan.importID, "import reactions", status, res, "import.reactions", detail, nil)
}

// reactionRow is one reaction to store per person.
type reactionRow struct {
	mailing, recipient, link, ua int64
	code                         int
	at                           int64
	flags                        int
}

// anonKey addresses one anonymous counter.
type anonKey struct {
	mailing, link, hour int64
	code, machine       int
}

type quarantineRow struct {
	p      *preparedEvent
	reason resonanz.Text
}

// writeEvents stores one batch in one transaction.
func (s *ReactionService) writeEvents(ctx context.Context, plan *reactionPlan, events []preparedEvent, res *resonanz.ReactionImportResult) error {
	if len(events) == 0 {
		return nil
	}
	tx, err := s.db.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("import reactions: %w", err)
	}
	defer tx.Rollback()
	if err := s.writeEventsTx(ctx, tx, plan, events, res); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("import reactions: %w", err)
	}
	return nil
}

// writeEventsTx stores one batch in tx (the caller commits): the mailbox
// sync writes its records in the same transaction.
func (s *ReactionService) writeEventsTx(ctx context.Context, tx *sql.Tx, plan *reactionPlan, events []preparedEvent, res *resonanz.ReactionImportResult) error {
	// De-duplicate: against the store, then within the batch.
	keys := make([]any, 0, len(events))
	for i := range events {
		keys = append(keys, events[i].key[:])
		if events[i].legacy != nil {
			keys = append(keys, events[i].legacy[:])
		}
	}
	seen, err := existingKeys(ctx, tx, `SELECT key FROM reaction_seen WHERE key IN `, keys)
	if err != nil {
		return err
	}
	fresh := events[:0] // filtered in place: the events are large, copies cost
	for i := range events {
		k := events[i].key
		if seen[k] || (events[i].legacy != nil && seen[*events[i].legacy]) {
			res.Duplicates++
			continue
		}
		seen[k] = true
		fresh = append(fresh, events[i])
	}
	if err := plan.resolveRecipients(ctx, tx, fresh); err != nil {
		return err
	}
	byMessageID, err := deliveriesByMessageID(ctx, tx, fresh)
	if err != nil {
		return err
	}
	if err := plan.loadTimelines(ctx, tx, fresh); err != nil {
		return err
	}

	personal := make([]reactionRow, 0, len(fresh))
	var sup suppressions // stored after the loop: nothing in it reads them
	anon := map[anonKey]int{}
	feed := sketchFeed{}
	var quarantine []quarantineRow
	stored := make([]any, 0, len(fresh)) // keys of events stored (for reaction_seen)
	for i := range fresh {
		p := &fresh[i]
		ev := &p.ev
		res.ByType[string(ev.Type)]++
		recipientID := plan.recipient[p.emailKey]
		if reason := resonanz.Unattributable(ev, p.emailKey != "" && recipientID != 0); !reason.IsZero() {
			quarantine = append(quarantine, quarantineRow{p, reason})
			continue
		}
		mailingID := plan.matchMailing(ev, byMessageID)
		if mailingID == 0 && ev.CampaignID != "" {
			// A campaign no mailing has: filed under an imported mailing
			// for it, found again by its id by later imports.
			if mailingID, err = plan.campaignMailing(ctx, tx, ev, millis(s.db.Now())); err != nil {
				return err
			}
		}
		if ev.CampaignID != "" && mailingID != 0 {
			plan.fileCampaign(ev.CampaignID, mailingID).Events++
		}
		// loadTimelines put every tracking event's recipient in the cache.
		purpose := resonanz.TrackingPurpose(ev.Type)
		granted := purpose != "" && plan.consent[recipientID].Granted(purpose, 0, ev.OccurredAt)
		action, reason := resonanz.DecideEvent(ev, mailingID, granted)
		if action == resonanz.EventQuarantined {
			quarantine = append(quarantine, quarantineRow{p, reason})
			continue
		}
		row := reactionRow{mailing: mailingID, recipient: recipientID, code: reactionCode(ev.Type), at: millis(ev.OccurredAt)}
		if ev.MachineOpen != nil && *ev.MachineOpen {
			row.flags |= flagMachineOpen
		}
		if ev.IsFirst != nil && *ev.IsFirst {
			row.flags |= flagFirst
		}
		if ev.Type == resonanz.ReactionUnsubscribed {
			if ev.Provider == resonanz.ProviderMailbox {
				row.flags |= channelFlags(resonanz.SourceMailUnsubscribe)
			} else {
				row.flags |= channelFlags(resonanz.ProviderSource(ev.Provider))
			}
		}
		switch ev.BounceKind {
		case resonanz.BounceHard:
			row.flags |= flagHardBounce
		case resonanz.BounceSoft:
			row.flags |= flagSoftBounce
		}
		if ev.URL != "" && (ev.Type == resonanz.ReactionClicked || ev.Type == resonanz.ReactionImageLoad) {
			if row.link, err = plan.linkFor(ctx, tx, mailingID, ev); err != nil {
				return err
			}
		}
		res.Imported++
		stored = append(stored, p.key[:])
		feed.add(mailingID, row.code, recipientID, row.flags)
		if action == resonanz.EventAnonymous {
			res.Anonymized++
			anon[anonKey{mailing: mailingID, link: row.link, hour: row.at / hourMillis, code: row.code, machine: row.flags & flagMachineOpen}]++
			continue
		}
		if ev.UserAgent != "" {
			if row.ua, err = plan.agent(ctx, tx, ev.UserAgent); err != nil {
				return err
			}
		}
		personal = append(personal, row)
		if err := s.applyProtective(ctx, tx, plan, ev, recipientID, mailingID, &sup); err != nil {
			return err
		}
	}

	if err := sup.insert(ctx, tx); err != nil {
		return err
	}
	if err := insertReactions(ctx, tx, personal, plan.importID); err != nil {
		return err
	}
	if err := addAnonymous(ctx, tx, anon); err != nil {
		return err
	}
	if err := writeSketches(ctx, tx, feed); err != nil {
		return err
	}
	if err := insertKeys(ctx, tx, `INSERT INTO reaction_seen (key) VALUES `, stored); err != nil {
		return err
	}
	if plan.quarantined && len(stored) > 0 {
		if err := execIn(ctx, tx, `DELETE FROM reaction_quarantine WHERE key IN `, stored); err != nil {
			return err
		}
	}
	for _, q := range quarantine {
		event, _ := json.Marshal(q.p.ev)
		params := []byte("{}")
		if len(q.reason.Params) > 0 {
			params, _ = json.Marshal(q.reason.Params)
		}
		r, err := tx.ExecContext(ctx, `INSERT INTO reaction_quarantine (key, import_id, email_key, reason, reason_key, reason_params, event) VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (key) DO NOTHING`, q.p.key[:], plan.importID, q.p.emailKey, q.reason.Message, q.reason.Key, string(params), string(event))
		if err != nil {
			return fmt.Errorf("import reactions: quarantine: %w", err)
		}
		if n, _ := r.RowsAffected(); n == 0 {
			res.Duplicates++ // quarantined by an earlier import already
			res.ByType[string(q.p.ev.Type)]--
			continue
		}
		res.Unmatched++
		plan.quarantined = true
	}
	for t, n := range res.ByType {
		if n == 0 {
			delete(res.ByType, t)
		}
	}
	return nil
}

// matchMailing finds the mailing of an event: the id Resonanz put into the
// mail's metadata, the Message-ID of a delivery, the provider's campaign id,
// else the mailing picked for the import.
func (plan *reactionPlan) matchMailing(ev *resonanz.ProviderEvent, byMessageID map[string]int64) int64 {
	for _, k := range []string{MetadataMailing, resonanz.HeaderMailing} {
		if v, ok := ev.Metadata[k]; ok {
			if id, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil {
				if _, exists := plan.mailings[id]; exists {
					return id
				}
			}
		}
	}
	if id := byMessageID[ev.RFCMessageID]; id != 0 {
		return id
	}
	if id := plan.external[ev.CampaignID]; ev.CampaignID != "" && id != 0 {
		return id
	}
	return plan.opt.MailingID
}

// campaignMailing creates the imported mailing of a campaign no mailing
// has yet, named after the campaign (with the provider, then a number,
// when the name is taken).
func (plan *reactionPlan) campaignMailing(ctx context.Context, tx *sql.Tx, ev *resonanz.ProviderEvent, now int64) (int64, error) {
	camp := ev.CampaignID
	if id := plan.external[camp]; id != 0 {
		return id, nil
	}
	base := strings.TrimSpace(camp)
	if utf8.RuneCountInString(base) > 150 {
		base = string([]rune(base)[:150])
	}
	names := []string{base, base + " (" + ev.Provider + ")"}
	for i := 2; i <= 50; i++ {
		names = append(names, fmt.Sprintf("%s (%s %d)", base, ev.Provider, i))
	}
	for _, name := range names {
		var id int64
		err := tx.QueryRowContext(ctx, `INSERT INTO mailing (name, status, external_id, created_at, updated_at) VALUES (?, 'imported', ?, ?, ?)
			ON CONFLICT DO NOTHING RETURNING id`, name, camp, now, now).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			continue // the name is taken
		} else if err != nil {
			return 0, fmt.Errorf("import reactions: campaign mailing: %w", err)
		}
		plan.external[camp] = id
		plan.mailings[id] = 0
		plan.fileCampaign(camp, id).Created = true
		return id, nil
	}
	return 0, nil // left to the quarantine
}

// fileCampaign counts an event of campaign camp filed under mailingID.
func (plan *reactionPlan) fileCampaign(camp string, mailingID int64) *resonanz.CampaignFiling {
	f := plan.campaigns[camp]
	if f == nil {
		f = &resonanz.CampaignFiling{ID: camp, MailingID: mailingID}
		plan.campaigns[camp] = f
		plan.campaignOrder = append(plan.campaignOrder, camp)
	}
	return f
}

// resolveRecipients looks up the addresses of the batch not seen before.
func (plan *reactionPlan) resolveRecipients(ctx context.Context, tx *sql.Tx, events []preparedEvent) error {
	var want []any
	for i := range events {
		k := events[i].emailKey
		if _, ok := plan.recipient[k]; !ok && k != "" {
			plan.recipient[k] = 0
			want = append(want, k)
		}
	}
	return queryIn(ctx, tx, `SELECT id, email_key FROM recipient WHERE email_key IN `, want, func(rows *sql.Rows) error {
		var id int64
		var key string
		if err := rows.Scan(&id, &key); err != nil {
			return err
		}
		plan.recipient[key] = id
		return nil
	})
}

// deliveriesByMessageID maps the batch's RFC Message-IDs to the mailings
// that sent them.
func deliveriesByMessageID(ctx context.Context, tx *sql.Tx, events []preparedEvent) (map[string]int64, error) {
	out := map[string]int64{}
	var want []any
	for i := range events {
		if id := events[i].ev.RFCMessageID; id != "" {
			if _, ok := out[id]; !ok {
				out[id] = 0
				want = append(want, id)
			}
		}
	}
	err := queryIn(ctx, tx, `SELECT message_id, mailing_id FROM delivery WHERE message_id IN `, want, func(rows *sql.Rows) error {
		var msg string
		var mailing int64
		if err := rows.Scan(&msg, &mailing); err != nil {
			return err
		}
		out[msg] = mailing
		return nil
	})
	return out, err
}

// loadTimelines loads, in one query per inChunk people, the tracking
// consent of the batch's recipients not cached yet.
func (plan *reactionPlan) loadTimelines(ctx context.Context, tx *sql.Tx, events []preparedEvent) error {
	var ids []any
	for i := range events {
		if resonanz.TrackingPurpose(events[i].ev.Type) == "" {
			continue
		}
		id := plan.recipient[events[i].emailKey]
		if _, ok := plan.consent[id]; id != 0 && !ok {
			plan.consent[id] = nil // also marks it as asked
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	if len(plan.consent) > 200_000 {
		clear(plan.consent) // bound memory on huge imports
		for _, id := range ids {
			plan.consent[id.(int64)] = nil
		}
	}
	tls, err := trackingTimelines(ctx, tx, ids)
	if err != nil {
		return err
	}
	for id, tl := range tls {
		plan.consent[id] = tl
	}
	return nil
}

// linkFor returns the link of a mailing a click went to, adding the URL as
// a link of the mailing when it is not one yet (mailings known only from a
// provider log have no links until their clicks arrive).
func (plan *reactionPlan) linkFor(ctx context.Context, tx *sql.Tx, mailingID int64, ev *resonanz.ProviderEvent) (int64, error) {
	links, ok := plan.links[mailingID]
	if !ok {
		links = map[string]int64{}
		next := 0
		rows, err := tx.QueryContext(ctx, `SELECT id, url_key, idx FROM link WHERE mailing_id = ? AND kind <> 'asset'`, mailingID)
		if err != nil {
			return 0, fmt.Errorf("import reactions: links: %w", err)
		}
		for rows.Next() {
			var id int64
			var key string
			var idx int
			if err := rows.Scan(&id, &key, &idx); err != nil {
				rows.Close()
				return 0, fmt.Errorf("import reactions: links: %w", err)
			}
			if _, dup := links[key]; !dup || idx >= 0 {
				links[key] = id
			}
			next = max(next, idx+1)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return 0, fmt.Errorf("import reactions: links: %w", err)
		}
		plan.links[mailingID], plan.nextLink[mailingID] = links, next
	}
	key := LinkKey(ev.URL)
	if id, ok := links[key]; ok {
		return id, nil
	}
	kind := ev.LinkKind
	if kind != resonanz.LinkText && kind != resonanz.LinkImage {
		kind = resonanz.LinkUnknown
	}
	l := resonanz.Link{MailingID: mailingID, Index: plan.nextLink[mailingID], URL: ev.URL, Name: ev.LinkName, Kind: kind}
	id, err := insertLink(ctx, tx, l)
	if err != nil {
		return 0, err
	}
	links[key] = id
	plan.nextLink[mailingID]++
	return id, nil
}

// agent returns the id of a user agent string, storing it the first time.
func (plan *reactionPlan) agent(ctx context.Context, tx *sql.Tx, ua string) (int64, error) {
	if id, ok := plan.agents[ua]; ok {
		return id, nil
	}
	id, err := userAgentID(ctx, tx, ua)
	if err != nil {
		return 0, err
	}
	if len(plan.agents) > 50_000 {
		clear(plan.agents)
	}
	plan.agents[ua] = id
	return id, nil
}

func userAgentID(ctx context.Context, tx *sql.Tx, ua string) (int64, error) {
	if len(ua) > 1000 {
		ua = ua[:1000]
	}
	var id int64
	err := tx.QueryRowContext(ctx, `INSERT INTO user_agent (ua) VALUES (?) ON CONFLICT (ua) DO UPDATE SET ua = excluded.ua RETURNING id`, ua).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("store user agent: %w", err)
	}
	return id, nil
}

// applyProtective carries out what bounces, complaints and unsubscribes
// mean for the recipient: hard bounces and complaints suppress further
// sending; an unsubscribe ends the membership (the mailing's list, or every
// list when no mailing is known) and appends a withdrawal to the ledger.
func (s *ReactionService) applyProtective(ctx context.Context, tx *sql.Tx, plan *reactionPlan, ev *resonanz.ProviderEvent, recipientID, mailingID int64, sup *suppressions) error {
	at := millis(ev.OccurredAt)
	switch {
	case ev.Type == resonanz.ReactionBounced && ev.BounceKind == resonanz.BounceHard:
		sup.add(recipientID, "hard_bounce", at, ev.SMTPResponse)
	case ev.Type == resonanz.ReactionBounced && ev.BounceKind == resonanz.BounceSoft && plan.opt.SoftBounceLimit > 0:
		return suppressSoftBounces(ctx, tx, recipientID, mailingID, plan.opt.SoftBounceLimit, at, ev.SMTPResponse, sup)
	case ev.Type == resonanz.ReactionComplained && ev.Provider == resonanz.ProviderMailbox:
		sup.add(recipientID, "complaint", at, ev.Provider)
		// A complaint withdraws the newsletter too (its own source: the
		// report came through the mailbox, not from the person).
		_, err := unsubscribe(ctx, tx, mailboxWithdrawal(ev, recipientID, resonanz.SourceMailboxComplaint), plan.mailings[mailingID], plan.importID)
		return err
	case ev.Type == resonanz.ReactionComplained:
		sup.add(recipientID, "complaint", at, ev.Provider)
	case ev.Type == resonanz.ReactionUnsubscribed && ev.Provider == resonanz.ProviderMailbox:
		_, err := unsubscribe(ctx, tx, mailboxWithdrawal(ev, recipientID, resonanz.SourceMailUnsubscribe), plan.mailings[mailingID], plan.importID)
		return err
	case ev.Type == resonanz.ReactionUnsubscribed:
		c := resonanz.ConsentRecord{
			RecipientID: recipientID, Purpose: resonanz.PurposeNewsletter, Granted: false, At: ev.OccurredAt,
			Source: resonanz.ProviderSource(ev.Provider),
		}
		c.SetTexts(resonanz.T("ledger.wording.providerUnsubscribe", "Unsubscribed at the sending provider ({provider}).", "provider", ev.Provider),
			resonanz.T("ledger.evidence.providerLog", "Provider log {file}, event {line} ({event}).", "file", plan.file, "line", ev.Line, "event", ev.EventRaw))
		_, err := unsubscribe(ctx, tx, c, plan.mailings[mailingID], plan.importID)
		return err
	}
	return nil
}

// mailboxWithdrawal is the ledger record for a mail in the sender's
// mailbox: the unsubscribe mail (or the complaint report) itself is the
// evidence, named by its Date, From and Message-ID header (the mailbox
// sync puts them into the event's metadata).
func mailboxWithdrawal(ev *resonanz.ProviderEvent, recipientID int64, source string) resonanz.ConsentRecord {
	header := []any{"date", ev.OccurredAtRaw, "from", ev.Metadata["from"], "messageId", ev.Metadata["message_id"]}
	evidence := resonanz.T("ledger.evidence.mail", "Date: {date}\nFrom: {from}\nMessage-ID: <{messageId}>", header...)
	if ev.Metadata["folder"] != "" {
		evidence = resonanz.T("ledger.evidence.mailFolder", "Date: {date}\nFrom: {from}\nMessage-ID: <{messageId}>\nMailbox: {folder}", append(header, "folder", ev.Metadata["folder"])...)
	}
	c := resonanz.ConsentRecord{
		RecipientID: recipientID, Purpose: resonanz.PurposeNewsletter, Granted: false, At: ev.OccurredAt,
		Source: source, Wording: ev.Metadata["wording"],
	}
	wording := resonanz.Text{Key: ev.Metadata["wording_key"], Message: ev.Metadata["wording"]}
	if p := ev.Metadata["wording_params"]; p != "" && json.Unmarshal([]byte(p), &wording.Params) != nil {
		wording.Params = nil
	}
	c.SetTexts(wording, evidence)
	return c
}

// suppressSoftBounces suppresses the recipient when each of their last
// limit mailings (deliveries sent) bounced softly; mailingID is the
// mailing of the bounce being stored (its reaction is not written yet).
func suppressSoftBounces(ctx context.Context, tx *sql.Tx, recipientID, mailingID int64, limit int, at int64, detail string, sup *suppressions) error {
	rows, err := tx.QueryContext(ctx, `SELECT d.mailing_id, EXISTS (SELECT 1 FROM reaction r WHERE r.recipient_id = d.recipient_id
		AND r.mailing_id = d.mailing_id AND r.type = ? AND (r.flags & ?) <> 0)
		FROM delivery d WHERE d.recipient_id = ? AND d.status = 'sent' ORDER BY d.at DESC, d.mailing_id DESC LIMIT ?`,
		reactionCode(resonanz.ReactionBounced), flagSoftBounce|flagHardBounce, recipientID, limit)
	if err != nil {
		return fmt.Errorf("count soft bounces: %w", err)
	}
	inRow := 0
	for rows.Next() {
		var m int64
		var bounced bool
		if err := rows.Scan(&m, &bounced); err != nil {
			rows.Close()
			return fmt.Errorf("count soft bounces: %w", err)
		}
		if !bounced && m != mailingID {
			break
		}
		inRow++
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("count soft bounces: %w", err)
	}
	if inRow < limit {
		return nil
	}
	sup.add(recipientID, "soft_bounce", at, detail)
	return nil
}

// suppressions are the suppressions of a batch in the order of its
// events, stored together (the first for a recipient wins, as one
// statement per event did).
type suppressions []any

func (s *suppressions) add(recipientID int64, reason string, at int64, detail string) {
	*s = append(*s, recipientID, reason, at, clip(detail, 500))
}

func (s suppressions) insert(ctx context.Context, tx *sql.Tx) error {
	const cols = 4
	for start := 0; start < len(s); start += insertChunk * cols {
		chunk := s[start:min(start+insertChunk*cols, len(s))]
		if _, err := tx.ExecContext(ctx, `INSERT INTO suppression (recipient_id, reason, at, detail) VALUES `+placeholders(len(chunk)/cols, cols)+`
			ON CONFLICT (recipient_id) DO NOTHING`, chunk...); err != nil {
			return fmt.Errorf("suppress recipients: %w", err)
		}
	}
	return nil
}

// unsubscribe ends the recipient's membership on listID (every list when
// 0) and appends c as a withdrawal for each list that changed. It returns
// how many lists changed.
func unsubscribe(ctx context.Context, tx *sql.Tx, c resonanz.ConsentRecord, listID int64, importID int64) (int, error) {
	var lists []int64
	if listID != 0 {
		lists = []int64{listID}
	} else {
		rows, err := tx.QueryContext(ctx, `SELECT list_id FROM membership WHERE recipient_id = ? AND status <> 'unsubscribed'`, c.RecipientID)
		if err != nil {
			return 0, fmt.Errorf("unsubscribe: %w", err)
		}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return 0, fmt.Errorf("unsubscribe: %w", err)
			}
			lists = append(lists, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return 0, fmt.Errorf("unsubscribe: %w", err)
		}
	}
	changed := 0
	for _, l := range lists {
		r, err := tx.ExecContext(ctx, `UPDATE membership SET status = 'unsubscribed', updated_at = ? WHERE list_id = ? AND recipient_id = ? AND status <> 'unsubscribed'`,
			millis(c.At), l, c.RecipientID)
		if err != nil {
			return 0, fmt.Errorf("unsubscribe: %w", err)
		}
		if n, _ := r.RowsAffected(); n == 0 {
			continue // not on the list, or unsubscribed already: one withdrawal is enough
		}
		c.ListID = l
		if _, err := insertConsent(ctx, tx, c, importID); err != nil {
			return 0, err
		}
		changed++
	}
	return changed, nil
}

// Unsubscribe channels as stored in a reaction's flags (bits 4-7 of an
// unsubscribed reaction), so reports can split unsubscribes by channel.
const channelShift = 4

var channelCodes = map[string]int{
	resonanz.UnsubscribeLink: 1, resonanz.UnsubscribeOneClick: 2, resonanz.UnsubscribeProfile: 3,
	resonanz.UnsubscribeProvider: 4, resonanz.UnsubscribeMail: 5,
}

// channelFlags returns the flags of an unsubscribed reaction that came
// through the channel of ledger source src.
func channelFlags(src string) int {
	if strings.HasPrefix(src, resonanz.SourceProviderPrefix) {
		src = resonanz.UnsubscribeProvider
	}
	return channelCodes[src] << channelShift
}

// channelName is the inverse of channelFlags ("unknown" for reactions
// stored before channels were recorded).
func channelName(flags int) string {
	code := flags >> channelShift & 15
	for name, c := range channelCodes {
		if c == code {
			return name
		}
	}
	return "unknown"
}

// insertReactions stores personal reactions, insertChunk rows per statement.
func insertReactions(ctx context.Context, tx *sql.Tx, rows []reactionRow, importID int64) error {
	var imp any
	if importID != 0 {
		imp = importID
	}
	const cols = 8
	for start := 0; start < len(rows); start += insertChunk {
		chunk := rows[start:min(start+insertChunk, len(rows))]
		args := make([]any, 0, len(chunk)*cols)
		for _, r := range chunk {
			args = append(args, nullID(r.mailing), r.recipient, r.code, r.at, nullID(r.link), r.flags, nullID(r.ua), imp)
		}
		q := `INSERT INTO reaction (mailing_id, recipient_id, type, at, link_id, flags, ua_id, import_id) VALUES ` + placeholders(len(chunk), cols)
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return fmt.Errorf("store reactions: %w", err)
		}
	}
	return nil
}

// addAnonymous adds to the anonymous counters.
func addAnonymous(ctx context.Context, tx *sql.Tx, counts map[anonKey]int) error {
	for k, n := range counts {
		if _, err := tx.ExecContext(ctx, `INSERT INTO reaction_anon (mailing_id, type, link_id, hour, machine, n) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (mailing_id, type, link_id, hour, machine) DO UPDATE SET n = n + excluded.n`,
			k.mailing, k.code, k.link, k.hour, k.machine, n); err != nil {
			return fmt.Errorf("count anonymous reactions: %w", err)
		}
	}
	return nil
}

// CampaignMailings returns the mailings that hold the campaigns' events
// (by external id).
func (s *ReactionService) CampaignMailings(ctx context.Context, ids []string) (map[string]resonanz.Mailing, error) {
	out := map[string]resonanz.Mailing{}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	err := queryIn(ctx, s.db.db, `SELECT id, name, status, external_id FROM mailing WHERE external_id IN `, args, func(rows *sql.Rows) error {
		var m resonanz.Mailing
		if err := rows.Scan(&m.ID, &m.Name, &m.Status, &m.ExternalID); err != nil {
			return err
		}
		if _, dup := out[m.ExternalID]; !dup {
			out[m.ExternalID] = m
		}
		return nil
	}, ` ORDER BY id`)
	return out, err
}
