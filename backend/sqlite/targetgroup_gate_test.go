package sqlite

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/resonanz/resonanz/backend/resonanz"
)

// TestRuleCompiler_RequiredGates: a reaction condition's consent gate that
// an enclosing "all" group requires by a consent condition of its own is
// left out of the SQL, and for random rules over random people — consents
// granted and withdrawn, opens and clicks, nested groups, negations — the
// counts are exactly those of the rule with every gate compiled.
func TestRuleCompiler_RequiredGates(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), FileName), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	db.Now = func() time.Time { return now }
	rng := rand.New(rand.NewPCG(3, 5))
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.db.ExecContext(ctx, q, args...); err != nil {
			t.Fatal(q, err)
		}
	}
	exec(`INSERT INTO list (id, name, created_at) VALUES (1, 'L', 0)`)
	exec(`INSERT INTO mailing (id, name, list_id, status, created_at, updated_at, sent_at) VALUES (1, 'M', 1, 'sent', 0, 0, 0)`)
	exec(`INSERT INTO link (id, mailing_id, idx, url, url_key, kind) VALUES (1, 1, 0, 'https://a.example/', 'https://a.example/', 'text')`)
	exec(`INSERT INTO link_tag (tag, link_id) VALUES ('Reisen', 1)`)
	day := int64(24 * time.Hour / time.Millisecond)
	at := func(daysAgo int) int64 { return millis(now) - int64(daysAgo)*day }
	purposes := []string{resonanz.PurposeTrackingOpens, resonanz.PurposeTrackingClicks, resonanz.PurposeProfiling}
	for id := 1; id <= 80; id++ {
		exec(`INSERT INTO recipient (id, email, email_key, created_at, updated_at) VALUES (?, ?, ?, 0, 0)`,
			id, fmt.Sprintf("p%d@example.org", id), fmt.Sprintf("p%d@example.org", id))
		for _, p := range purposes {
			for k := range rng.IntN(3) { // none, a grant, or a grant and a withdrawal
				exec(`INSERT INTO consent (recipient_id, purpose, list_id, granted, at, source, wording, wording_hash)
					VALUES (?, ?, 0, ?, ?, 'form', 'Ja', 'h')`, id, p, k == 0, at(30-10*k))
			}
		}
		for range rng.IntN(3) {
			exec(`INSERT INTO reaction (mailing_id, recipient_id, type, at, flags) VALUES (1, ?, ?, ?, 0)`, id, codeOpened, at(rng.IntN(20)))
		}
		for range rng.IntN(3) {
			exec(`INSERT INTO reaction (mailing_id, recipient_id, type, at, link_id, flags) VALUES (1, ?, ?, ?, 1, 0)`, id, codeClicked, at(rng.IntN(20)))
		}
	}
	var leaf func() resonanz.Condition
	var rule func(depth int) resonanz.Condition
	leaf = func() resonanz.Condition {
		switch rng.IntN(4) {
		case 0:
			return resonanz.Condition{Kind: resonanz.CondConsent, Purpose: purposes[rng.IntN(3)], Negate: rng.IntN(4) == 0}
		case 1:
			return resonanz.Condition{Kind: resonanz.CondReaction, Reaction: resonanz.ReactOpened, Scope: resonanz.ScopeAny, Negate: rng.IntN(4) == 0}
		case 2:
			return resonanz.Condition{Kind: resonanz.CondReaction, Reaction: resonanz.ReactClicked, Scope: resonanz.ScopeAny, Tag: "Reisen", Days: 10, Negate: rng.IntN(4) == 0}
		}
		return resonanz.Condition{Kind: resonanz.CondReaction, Reaction: resonanz.ReactClicked, Scope: resonanz.ScopeAny, Negate: rng.IntN(4) == 0}
	}
	rule = func(depth int) resonanz.Condition {
		g := resonanz.Condition{Kind: resonanz.CondGroup, Match: []string{"all", "any"}[rng.IntN(2)], Negate: rng.IntN(5) == 0}
		for range 1 + rng.IntN(3) {
			if depth < 2 && rng.IntN(3) == 0 {
				g.Conditions = append(g.Conditions, rule(depth+1))
			} else {
				g.Conditions = append(g.Conditions, leaf())
			}
		}
		return g
	}
	count := func(r resonanz.Condition, keep bool) (int, string) {
		t.Helper()
		tx, err := db.db.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		c := &ruleCompiler{ctx: ctx, q: tx, now: now, visiting: map[int64]bool{}, keepGates: keep}
		expr, err := c.compile(r, 0)
		if err != nil {
			t.Fatal(err)
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM recipient r WHERE `+expr, c.args...).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n, expr
	}

	// The target group: the click's gate for click tracking is
	// the group's own consent condition, compiled once.
	bench := resonanz.Condition{Kind: resonanz.CondGroup, Match: "all", Conditions: []resonanz.Condition{
		{Kind: resonanz.CondReaction, Reaction: resonanz.ReactClicked, Scope: resonanz.ScopeAny, Tag: "Reisen", Days: 90},
		{Kind: resonanz.CondConsent, Purpose: resonanz.PurposeTrackingClicks}}}
	n, expr := count(bench, false)
	want, full := count(bench, true)
	if n != want {
		t.Fatalf("target group: %d, with every gate %d", n, want)
	}
	if g := strings.Count(expr, "FROM consent"); g != 2 || strings.Count(full, "FROM consent") != 3 {
		t.Errorf("consent scans: %d (want 2: the group's own and profiling), %d with every gate (want 3)\n%s", g, strings.Count(full, "FROM consent"), expr)
	}

	shorter := 0
	for i := range 400 {
		r := rule(0)
		n, expr := count(r, false)
		want, full := count(r, true)
		if n != want {
			t.Fatalf("rule %d %+v: %d people, with every gate %d\n%s\n%s", i, r, n, want, expr, full)
		}
		if len(expr) < len(full) {
			shorter++
		}
	}
	if shorter < 40 {
		t.Errorf("only %d of 400 random rules left a gate out: the test does not exercise the shortcut", shorter)
	}
}
