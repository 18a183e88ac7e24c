package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/resonanz/resonanz/backend/resonanz"
)

// TargetGroupService implements resonanz.TargetGroupService. Rules compile
// to one SQL expression over recipient r: set conditions (lists, consent,
// reactions) become `r.id IN (SELECT ...)` over covering indexes, so SQLite
// can drive a query from the most selective set.
type TargetGroupService struct {
	db         *DB
	recipients *RecipientService
	// HalfLife is the decay of interest scores.
	HalfLife time.Duration
}

var _ resonanz.TargetGroupService = (*TargetGroupService)(nil)

// NewTargetGroupService returns the target-group service over db.
func NewTargetGroupService(db *DB) *TargetGroupService {
	return &TargetGroupService{db: db, recipients: NewRecipientService(db), HalfLife: resonanz.DefaultInterestHalfLife}
}

// TargetGroups returns the saved target groups by name.
func (s *TargetGroupService) TargetGroups(ctx context.Context) ([]resonanz.TargetGroup, error) {
	rows, err := s.db.db.QueryContext(ctx, `SELECT id, name, description, rule, created_at, updated_at FROM target_group ORDER BY name COLLATE NOCASE`)
	if err != nil {
		return nil, fmt.Errorf("read target groups: %w", err)
	}
	defer rows.Close()
	out := []resonanz.TargetGroup{}
	for rows.Next() {
		var g resonanz.TargetGroup
		var rule string
		var created, updated int64
		if err := rows.Scan(&g.ID, &g.Name, &g.Description, &rule, &created, &updated); err != nil {
			return nil, fmt.Errorf("read target groups: %w", err)
		}
		if err := json.Unmarshal([]byte(rule), &g.Rule); err != nil {
			return nil, fmt.Errorf("read target group %d: %w", g.ID, err)
		}
		g.CreatedAt, g.UpdatedAt = fromMillis(created), fromMillis(updated)
		out = append(out, g)
	}
	return out, rows.Err()
}

// SaveTargetGroup creates (ID 0) or updates a target group. A rule that
// uses saved groups in a cycle is refused.
func (s *TargetGroupService) SaveTargetGroup(ctx context.Context, g resonanz.TargetGroup) (resonanz.TargetGroup, error) {
	g.Name, g.Description = strings.TrimSpace(g.Name), strings.TrimSpace(g.Description)
	if err := g.Validate(); err != nil {
		return g, err
	}
	tx, err := s.db.db.BeginTx(ctx, nil)
	if err != nil {
		return g, fmt.Errorf("save target group: %w", err)
	}
	defer tx.Rollback()
	// Compiling checks references (lists, attributes, saved groups, cycles).
	c := &ruleCompiler{ctx: ctx, q: tx, now: s.db.Now(), halfLife: s.HalfLife, visiting: map[int64]bool{g.ID: g.ID != 0}}
	if _, err := c.compile(g.Rule, 0); err != nil {
		return g, err
	}
	rule, _ := json.Marshal(g.Rule)
	now := millis(s.db.Now())
	if g.ID == 0 {
		r, err := tx.ExecContext(ctx, `INSERT INTO target_group (name, description, rule, created_at, updated_at) VALUES (?, ?, ?, ?, ?)`,
			g.Name, g.Description, string(rule), now, now)
		if isUniqueViolation(err) {
			return g, resonanz.FieldError("name", "error.targetGroup.name.taken", "A target group named "+g.Name+" already exists.")
		} else if err != nil {
			return g, fmt.Errorf("save target group: %w", err)
		}
		g.ID, _ = r.LastInsertId()
		g.CreatedAt = fromMillis(now)
	} else {
		r, err := tx.ExecContext(ctx, `UPDATE target_group SET name = ?, description = ?, rule = ?, updated_at = ? WHERE id = ?`,
			g.Name, g.Description, string(rule), now, g.ID)
		if isUniqueViolation(err) {
			return g, resonanz.FieldError("name", "error.targetGroup.name.taken", "A target group named "+g.Name+" already exists.")
		} else if err != nil {
			return g, fmt.Errorf("save target group: %w", err)
		}
		if n, _ := r.RowsAffected(); n == 0 {
			return g, errTargetGroupNotFound()
		}
	}
	g.UpdatedAt = fromMillis(now)
	return g, tx.Commit()
}

func errTargetGroupNotFound() error {
	return &resonanz.Error{Code: resonanz.ENOTFOUND, Key: "error.targetGroup.notFound", Message: "The target group does not exist (any more)."}
}

// DeleteTargetGroup deletes a saved group unless another group uses it.
func (s *TargetGroupService) DeleteTargetGroup(ctx context.Context, id int64) error {
	groups, err := s.TargetGroups(ctx)
	if err != nil {
		return err
	}
	for _, g := range groups {
		if g.ID != id && usesGroup(g.Rule, id) {
			return resonanz.E(resonanz.ECONFLICT, "error.targetGroup.targetGroupUses", "The target group \"{name}\" uses this one; change it first.", "name", g.Name)
		}
	}
	r, err := s.db.db.ExecContext(ctx, `DELETE FROM target_group WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("delete target group: %w", err)
	}
	if n, _ := r.RowsAffected(); n == 0 {
		return errTargetGroupNotFound()
	}
	return nil
}

func usesGroup(c resonanz.Condition, id int64) bool {
	if c.Kind == resonanz.CondTargetGroup && c.TargetGroupID == id {
		return true
	}
	for _, sub := range c.Conditions {
		if usesGroup(sub, id) {
			return true
		}
	}
	return false
}

// CountMatching counts the recipients a rule selects.
func (s *TargetGroupService) CountMatching(ctx context.Context, rule resonanz.Condition) (int, error) {
	if err := rule.Validate(); err != nil {
		return 0, err
	}
	tx, err := s.db.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return 0, fmt.Errorf("count target group: %w", err)
	}
	defer tx.Rollback()
	c := &ruleCompiler{ctx: ctx, q: tx, now: s.db.Now(), halfLife: s.HalfLife, visiting: map[int64]bool{}}
	expr, err := c.compile(rule, 0)
	if err != nil {
		return 0, err
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM recipient r WHERE `+expr, c.args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count target group: %w", err)
	}
	return n, nil
}

// ExplainCount counts the recipients a rule selects, and how many it would
// select if reaction conditions did not require the consent their purpose
// needs now (the rule builder explains the difference).
func (s *TargetGroupService) ExplainCount(ctx context.Context, rule resonanz.Condition) (resonanz.RuleCount, error) {
	var out resonanz.RuleCount
	if err := rule.Validate(); err != nil {
		return out, err
	}
	tx, err := s.db.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return out, fmt.Errorf("count target group: %w", err)
	}
	defer tx.Rollback()
	for _, ignore := range []bool{false, true} {
		c := &ruleCompiler{ctx: ctx, q: tx, now: s.db.Now(), halfLife: s.HalfLife, visiting: map[int64]bool{}, ignoreConsent: ignore}
		expr, err := c.compile(rule, 0)
		if err != nil {
			return out, err
		}
		n := &out.Count
		if ignore {
			n = &out.IgnoringConsent
		}
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM recipient r WHERE `+expr, c.args...).Scan(n); err != nil {
			return out, fmt.Errorf("count target group: %w", err)
		}
	}
	return out, nil
}

// Matching returns a page of the recipients a rule selects.
func (s *TargetGroupService) Matching(ctx context.Context, rule resonanz.Condition, f resonanz.RecipientFilter) (resonanz.RecipientPage, error) {
	f.Rule = &rule
	return s.recipients.findRecipients(ctx, f, s.HalfLife)
}

// ruleCompiler turns a rule into a SQL expression over recipient r with
// bound arguments; values never become SQL text.
type ruleCompiler struct {
	ctx      context.Context
	q        querier
	now      time.Time
	halfLife time.Duration
	args     []any
	defs     map[string]resonanz.AttributeDef
	visiting map[int64]bool // saved groups on the current path (cycles)
	// ignoreConsent drops the current-consent gate of reaction conditions
	// (only to explain why a count is lower; never to select people).
	ignoreConsent bool
	// required holds the purposes whose current consent the enclosing
	// "all" groups require by a consent condition of their own: within
	// such a group a reaction condition's gate for the same purpose is
	// true wherever the group can be, so it is left out (A ∧ f(C) ≡ A ∧
	// f(true) when A implies C, in any f, negations included). Each gate is
	// a scan of the purpose's consent records; the target group
	// asked for "clicked" and "consent to click tracking" and paid twice.
	required  map[string]int
	keepGates bool // tests: compile every gate (the reference the shortcut is checked against)
}

func (c *ruleCompiler) arg(v ...any) { c.args = append(c.args, v...) }

func (c *ruleCompiler) compile(cond resonanz.Condition, depth int) (string, error) {
	if depth > resonanz.MaxRuleDepth {
		return "", resonanz.E(resonanz.EINVALID, "error.targetGroup.ruleNestedToo", "The rule is nested too deeply.")
	}
	expr, err := c.node(cond, depth)
	if err != nil {
		return "", err
	}
	if cond.Negate {
		expr = "NOT (" + expr + ")"
	}
	return expr, nil
}

func (c *ruleCompiler) node(cond resonanz.Condition, depth int) (string, error) {
	switch cond.Kind {
	case resonanz.CondGroup:
		if len(cond.Conditions) == 0 {
			return "1", nil // an empty rule selects everyone
		}
		if cond.Match != "any" {
			for _, p := range gatePurposes(cond.Conditions) {
				if c.required == nil {
					c.required = map[string]int{}
				}
				c.required[p]++
				defer func() { c.required[p]-- }()
			}
		}
		parts := make([]string, 0, len(cond.Conditions))
		for _, sub := range cond.Conditions {
			p, err := c.compile(sub, depth+1)
			if err != nil {
				return "", err
			}
			parts = append(parts, "("+p+")")
		}
		sep := " AND "
		if cond.Match == "any" {
			sep = " OR "
		}
		return strings.Join(parts, sep), nil
	case resonanz.CondAttribute:
		return c.attribute(cond)
	case resonanz.CondList:
		status := cond.Status
		if status == "" {
			status = resonanz.StatusConfirmed
		}
		c.arg(cond.ListID, status)
		return `r.id IN (SELECT recipient_id FROM membership WHERE list_id = ? AND status = ?)`, nil
	case resonanz.CondConsent:
		listID := int64(0)
		if cond.Purpose == resonanz.PurposeNewsletter {
			listID = cond.ListID
		}
		c.arg(cond.Purpose, listID)
		// The newest record per person decides.
		return `r.id IN (` + newestConsentGrants(`purpose = ? AND list_id = ?`) + `)`, nil
	case resonanz.CondReaction:
		return c.reaction(cond)
	case resonanz.CondInterest:
		return c.interest(cond)
	case resonanz.CondTargetGroup:
		if c.visiting[cond.TargetGroupID] {
			return "", resonanz.E(resonanz.EINVALID, "error.targetGroup.ruleUsesTarget", "The rule uses a target group that uses itself.")
		}
		var rule string
		err := c.q.QueryRowContext(c.ctx, `SELECT rule FROM target_group WHERE id = ?`, cond.TargetGroupID).Scan(&rule)
		if errors.Is(err, sql.ErrNoRows) {
			return "", resonanz.E(resonanz.EINVALID, "error.targetGroup.ruleUsesTarget2", "The rule uses a target group that no longer exists.")
		} else if err != nil {
			return "", fmt.Errorf("target group: %w", err)
		}
		var saved resonanz.Condition
		if err := json.Unmarshal([]byte(rule), &saved); err != nil {
			return "", fmt.Errorf("target group %d: %w", cond.TargetGroupID, err)
		}
		c.visiting[cond.TargetGroupID] = true
		defer delete(c.visiting, cond.TargetGroupID)
		return c.compile(saved, depth+1)
	}
	return "", resonanz.E(resonanz.EINVALID, "error.targetGroup.unknownKindCondition", "Unknown kind of condition \"{kind}\".", "kind", cond.Kind)
}

// builtinColumns maps builtin attributes to columns; names compare through
// their lower-cased key columns (Unicode-aware, lowered in Go).
var builtinColumns = map[string]struct {
	col   string
	lower bool
}{
	resonanz.KeyEmail:     {"r.email_key", true},
	resonanz.KeyFirstName: {"r.first_key", true},
	resonanz.KeyLastName:  {"r.last_key", true},
	resonanz.KeyGender:    {"r.gender", false},
	resonanz.KeyTitle:     {"r.title", false},
	resonanz.KeyLanguage:  {"r.language", false},
}

func (c *ruleCompiler) attribute(cond resonanz.Condition) (string, error) {
	// col returns the column expression and binds what it needs, so call
	// it where the expression appears (arguments bind in textual order).
	var col func() string
	value, typ := cond.Value, resonanz.AttrText
	if b, ok := builtinColumns[cond.Field]; ok {
		col = func() string { return b.col }
		if b.lower {
			value = strings.ToLower(strings.TrimSpace(value))
		}
		if cond.Field == resonanz.KeyGender && value != "" {
			g, ok := resonanz.ParseGender(value)
			if !ok {
				return "", resonanz.E(resonanz.EINVALID, "error.targetGroup.genderFM", "\"{value}\" is not a gender (f, m, d).", "value", value)
			}
			value = string(g)
		}
	} else {
		if c.defs == nil {
			tx, ok := c.q.(*sql.Tx)
			if !ok {
				return "", fmt.Errorf("target group: attributes need a transaction")
			}
			defs, err := customAttributes(c.ctx, tx)
			if err != nil {
				return "", err
			}
			c.defs = defs
		}
		def, ok := c.defs[cond.Field]
		if !ok {
			return "", resonanz.E(resonanz.EINVALID, "error.targetGroup.unknownAttribute", "There is no attribute \"{field}\".", "field", cond.Field)
		}
		typ = def.Type
		path := `$."` + cond.Field + `"` // keys are [a-z0-9_], validated when defined
		col = func() string {
			c.arg(path)
			return `json_extract(r.attrs, ?)`
		}
		if value != "" && cond.Op != resonanz.OpContains && cond.Op != resonanz.OpStarts && cond.Op != resonanz.OpEnds {
			canon, err := def.Canonical(value)
			if err != nil {
				return "", err
			}
			value = canon
		}
	}
	switch cond.Op {
	case resonanz.OpEq:
		expr := `COALESCE(` + col() + `, '') = ?`
		c.arg(value)
		return expr, nil
	case resonanz.OpNe:
		expr := `COALESCE(` + col() + `, '') <> ?`
		c.arg(value)
		return expr, nil
	case resonanz.OpContains:
		expr := `instr(` + col() + `, ?) > 0`
		c.arg(value)
		return expr, nil
	case resonanz.OpStarts:
		expr := `substr(` + col() + `, 1, length(?)) = ?`
		c.arg(value, value)
		return expr, nil
	case resonanz.OpEnds:
		expr := `substr(` + col() + `, -length(?)) = ?`
		c.arg(value, value)
		return expr, nil
	case resonanz.OpEmpty:
		return `COALESCE(` + col() + `, '') = ''`, nil
	case resonanz.OpNotEmpty:
		return `COALESCE(` + col() + `, '') <> ''`, nil
	case resonanz.OpBefore, resonanz.OpAfter:
		if typ != resonanz.AttrDate {
			return "", resonanz.E(resonanz.EINVALID, "error.targetGroup.beforeAfterCompare", "Before and after compare dates; \"{field}\" is not a date attribute.", "field", cond.Field)
		}
		op := "<"
		if cond.Op == resonanz.OpAfter {
			op = ">"
		}
		expr := `COALESCE(` + col() + `, '') <> '' AND ` + col() + ` ` + op + ` ?` // canonical dates compare as text
		c.arg(value)
		return expr, nil
	case resonanz.OpGt, resonanz.OpLt:
		if typ != resonanz.AttrNumber {
			return "", resonanz.E(resonanz.EINVALID, "error.targetGroup.greaterLessCompare", "Greater and less compare numbers; \"{field}\" is not a number attribute.", "field", cond.Field)
		}
		f, err := strconv.ParseFloat(value, 64)
		if err != nil {
			return "", resonanz.E(resonanz.EINVALID, "error.targetGroup.notNumber", "\"{value}\" is not a number.", "value", cond.Value)
		}
		op := ">"
		if cond.Op == resonanz.OpLt {
			op = "<"
		}
		expr := `CAST(` + col() + ` AS REAL) ` + op + ` ?`
		c.arg(f)
		return expr, nil
	}
	return "", resonanz.E(resonanz.EINVALID, "error.targetGroup.unknownComparison", "Unknown comparison \"{op}\".", "op", cond.Op)
}

// mailingScope restricts reactions to the condition's mailing, the mailings
// of its list, or any mailing (as an IN over mailing ids, so the covering
// index on (mailing_id, type, at) serves it).
func (c *ruleCompiler) mailingScope(cond resonanz.Condition) string {
	switch {
	case cond.MailingID != 0:
		c.arg(cond.MailingID)
		return `mailing_id = ?`
	case cond.ListID != 0:
		c.arg(cond.ListID)
		return `mailing_id IN (SELECT id FROM mailing WHERE list_id = ?)`
	}
	return `mailing_id IN (SELECT id FROM mailing)`
}

func (c *ruleCompiler) since(cond resonanz.Condition) string {
	if cond.Days <= 0 {
		return ""
	}
	c.arg(millis(c.now.Add(-time.Duration(cond.Days) * 24 * time.Hour)))
	return ` AND at >= ?`
}

// reaction compiles reaction conditions. Only personal rows exist in
// reaction (anonymous counts live elsewhere), so only reactions stored with
// consent qualify anyone, and (unless ignoreConsent) only while the person
// still holds the consent the condition's purpose needs: tracking:opens for
// opens, tracking:clicks for clicks, and profiling as well for clicks on a
// tag. Withdrawal takes a person out at once. Machine opens do not count as
// opened (resonanz.DefinitionOpened).
func (c *ruleCompiler) reaction(cond resonanz.Condition) (string, error) {
	expr, err := c.reactionSet(cond)
	if err != nil || c.ignoreConsent {
		return expr, err
	}
	for _, p := range reactionPurposes(cond) {
		if c.required[p] > 0 && !c.keepGates {
			continue // an enclosing "all" group requires it already
		}
		c.arg(p)
		expr = `(` + expr + `) AND ` + currentConsent
	}
	return expr, nil
}

// currentConsent selects people whose newest record for the purpose bound
// to ? grants it.
var currentConsent = `r.id IN (` + newestConsentGrants(`purpose = ? AND list_id = 0`) + `)`

// gatePurposes are the purposes whose current consent a group's own
// (not negated) consent conditions require exactly as a reaction's gate
// does (currentConsent: not the newsletter, whose records are per list).
func gatePurposes(conds []resonanz.Condition) []string {
	var out []string
	for _, sub := range conds {
		if sub.Kind == resonanz.CondConsent && !sub.Negate && sub.Purpose != resonanz.PurposeNewsletter && !slices.Contains(out, sub.Purpose) {
			out = append(out, sub.Purpose)
		}
	}
	return out
}

// reactionPurposes are the consents a reaction condition needs now. "Did
// not open" and "bounced" use no tracking data about the person (people
// without consent have no stored opens and count as not opened, as before).
func reactionPurposes(cond resonanz.Condition) []string {
	switch cond.Reaction {
	case resonanz.ReactOpened:
		return []string{resonanz.PurposeTrackingOpens}
	case resonanz.ReactClicked:
		if cond.Tag != "" {
			return []string{resonanz.PurposeTrackingClicks, resonanz.PurposeProfiling}
		}
		return []string{resonanz.PurposeTrackingClicks}
	}
	return nil
}

func (c *ruleCompiler) reactionSet(cond resonanz.Condition) (string, error) {
	switch cond.Reaction {
	case resonanz.ReactOpened:
		scope := c.mailingScope(cond)
		c.arg(codeOpened)
		return `r.id IN (SELECT recipient_id FROM reaction WHERE ` + scope + ` AND type = ?` + c.since(cond) + ` AND flags & 1 = 0)`, nil
	case resonanz.ReactNotOpened:
		// Received (sent by Resonanz, or sent/delivered per provider log)
		// within the period, and no human open of those mailings.
		scope := c.mailingScope(cond)
		since := c.since(cond)
		recv := `SELECT recipient_id FROM delivery WHERE ` + scope + ` AND status = 'sent'` + since
		scope2 := c.mailingScope(cond)
		c.arg(codeSent, codeDelivered)
		recv += ` UNION SELECT recipient_id FROM reaction WHERE ` + scope2 + ` AND type IN (?, ?)` + c.since(cond)
		scope3 := c.mailingScope(cond)
		c.arg(codeOpened)
		return `r.id IN (` + recv + `) AND r.id NOT IN (SELECT recipient_id FROM reaction WHERE ` + scope3 + ` AND type = ?` + c.since(cond) + ` AND flags & 1 = 0)`, nil
	case resonanz.ReactBounced:
		scope := c.mailingScope(cond)
		c.arg(codeBounced)
		q := `SELECT recipient_id FROM reaction WHERE ` + scope + ` AND type = ?` + c.since(cond)
		if cond.MailingID == 0 && cond.ListID == 0 {
			c.arg(codeBounced)
			q += ` UNION SELECT recipient_id FROM reaction WHERE mailing_id IS NULL AND type = ?` + c.since(cond)
		}
		return `r.id IN (` + q + `)`, nil
	case resonanz.ReactClicked:
		var links string
		switch {
		case cond.LinkID != 0:
			c.arg(cond.LinkID)
			links = `link_id = ?`
		case cond.Tag != "":
			c.arg(strings.TrimSpace(cond.Tag))
			links = `link_id IN (SELECT lt.link_id FROM link_tag lt JOIN link l ON l.id = lt.link_id WHERE lt.tag = ?`
			if cond.MailingID != 0 {
				c.arg(cond.MailingID)
				links += ` AND l.mailing_id = ?`
			} else if cond.ListID != 0 {
				c.arg(cond.ListID)
				links += ` AND l.mailing_id IN (SELECT id FROM mailing WHERE list_id = ?)`
			}
			links += `)`
		default:
			scope := c.mailingScope(cond)
			c.arg(codeClicked)
			return `r.id IN (SELECT recipient_id FROM reaction WHERE ` + scope + ` AND type = ?` + c.since(cond) + `)`, nil
		}
		c.arg(codeClicked)
		return `r.id IN (SELECT recipient_id FROM reaction WHERE ` + links + ` AND type = ?` + c.since(cond) + `)`, nil
	}
	return "", resonanz.E(resonanz.EINVALID, "error.targetGroup.unknownReaction", "Unknown reaction \"{reaction}\".", "reaction", cond.Reaction)
}

// interest selects people whose interest score for the tag reaches Min.
// Scores are computed here (decay in Go) and passed as a JSON id list.
func (c *ruleCompiler) interest(cond resonanz.Condition) (string, error) {
	scores, err := interestScores(c.ctx, c.q, strings.TrimSpace(cond.Tag), 0, c.now, c.halfLife)
	if err != nil {
		return "", err
	}
	ids := []int64{}
	tag := strings.TrimSpace(cond.Tag)
	for id, tags := range scores {
		score := 0.0
		for t, s := range tags {
			if strings.EqualFold(t, tag) { // tags compare case-insensitively, as in link_tag
				score += s.Score
			}
		}
		if score >= cond.Min {
			ids = append(ids, id)
		}
	}
	list, _ := json.Marshal(ids)
	c.arg(string(list))
	return `r.id IN (SELECT value FROM json_each(?))`, nil
}

// interestScores computes interest scores from clicks on links with the tag
// (every tag when tag is ""), of one recipient (or all when recipientID is
// 0), counting only clicks made while the person's profiling consent was
// granted and only for people whose profiling consent is granted now, plus
// the interests they declared in surveys (with a current profiling consent).
func interestScores(ctx context.Context, q querier, tag string, recipientID int64, now time.Time, halfLife time.Duration) (map[int64]map[string]*resonanz.InterestScore, error) {
	query := `
		WITH profiled AS (` + newestConsentGrants(`purpose = 'profiling' AND list_id = 0 AND (?1 = 0 OR recipient_id = ?1)`) + `)
		SELECT re.recipient_id, re.at, lt.tag
		FROM link_tag lt JOIN reaction re ON re.link_id = lt.link_id AND re.type = ?2
		WHERE (?3 = '' OR lt.tag = ?3) AND re.recipient_id IN (SELECT recipient_id FROM profiled)
		ORDER BY re.recipient_id`
	rows, err := q.QueryContext(ctx, query, recipientID, codeClicked, tag)
	if err != nil {
		return nil, fmt.Errorf("interest scores: %w", err)
	}
	type click struct {
		id  int64
		at  int64
		tag string
	}
	var clicks []click
	var ids []any
	for rows.Next() {
		var k click
		if err := rows.Scan(&k.id, &k.at, &k.tag); err != nil {
			rows.Close()
			return nil, fmt.Errorf("interest scores: %w", err)
		}
		if len(ids) == 0 || ids[len(ids)-1] != any(k.id) {
			ids = append(ids, k.id)
		}
		clicks = append(clicks, k)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("interest scores: %w", err)
	}
	// Clicks made while profiling was withdrawn do not count.
	timelines, err := consentTimelines(ctx, q, purposesProfiling, ids)
	if err != nil {
		return nil, err
	}
	out := map[int64]map[string]*resonanz.InterestScore{}
	for _, k := range clicks {
		at := fromMillis(k.at)
		if !timelines[k.id].Granted(resonanz.PurposeProfiling, 0, at) {
			continue
		}
		tags := out[k.id]
		if tags == nil {
			tags = map[string]*resonanz.InterestScore{}
			out[k.id] = tags
		}
		s := tags[k.tag]
		if s == nil {
			s = &resonanz.InterestScore{Tag: k.tag}
			tags[k.tag] = s
		}
		s.Score += resonanz.InterestWeight(now.Sub(at), halfLife)
		s.Clicks++
		if at.After(s.LastClick) {
			s.LastClick = at
		}
	}
	// Interests declared in surveys (see resonanz.DeclaredInterestWeight).
	err = declaredInterests(ctx, q, tag, recipientID, out, millis(now), func(at int64) float64 {
		return resonanz.DeclaredInterestWeight(now.Sub(fromMillis(at)), halfLife)
	})
	return out, err
}
