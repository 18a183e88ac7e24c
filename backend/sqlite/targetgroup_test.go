package sqlite_test

import (
	"context"
	"testing"
	"time"

	"github.com/resonanz/resonanz/backend/resonanz"
	"github.com/resonanz/resonanz/backend/sqlite"
)

func TestTargetGroupService(t *testing.T) {
	ctx := context.Background()
	f := newReactionFixture(t)
	f.db.Now = func() time.Time { return t0.Add(10 * 24 * time.Hour) }
	recipients := sqlite.NewRecipientService(f.db)
	if _, err := sqlite.NewAttributeService(f.db).CreateAttribute(ctx, resonanz.AttributeDef{Key: "city", Label: "Stadt", Type: resonanz.AttrText}); err != nil {
		t.Fatal(err)
	}
	if _, err := sqlite.NewAttributeService(f.db).CreateAttribute(ctx, resonanz.AttributeDef{Key: "birthday", Label: "Geburtstag", Type: resonanz.AttrDate}); err != nil {
		t.Fatal(err)
	}
	anna := f.consented
	anna.LastName, anna.Gender, anna.Attributes = "Müller", resonanz.GenderFemale, map[string]string{"city": "Berlin", "birthday": "1980-04-02"}
	if _, err := recipients.UpdateRecipient(ctx, anna); err != nil {
		t.Fatal(err)
	}
	ben := f.plain
	ben.LastName, ben.Gender, ben.Attributes = "Schmidt", resonanz.GenderMale, map[string]string{"city": "Hamburg"}
	if _, err := recipients.UpdateRecipient(ctx, ben); err != nil {
		t.Fatal(err)
	}
	links, err := sqlite.NewMailingService(f.db).SetLinks(ctx, f.mailing.ID, []resonanz.Link{{URL: "https://reisen.example/abenteuer", Tags: []string{"Abenteuerreisen"}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sqlite.NewConsentService(f.db).AppendConsent(ctx, resonanz.ConsentRecord{RecipientID: anna.ID, Purpose: resonanz.PurposeProfiling,
		Granted: true, At: t0.Add(-time.Hour), Source: resonanz.SourceForm, Wording: "Interessen auswerten"}); err != nil {
		t.Fatal(err)
	}
	// Anna clicks (consented); Ben's click is anonymous and must never qualify him.
	if err := f.svc.RecordHits(ctx, []resonanz.Hit{
		{Type: resonanz.ReactionClicked, MailingID: f.mailing.ID, RecipientID: anna.ID, LinkID: links[0].ID, At: t0},
		{Type: resonanz.ReactionClicked, MailingID: f.mailing.ID, RecipientID: anna.ID, LinkID: links[0].ID, At: t0.Add(time.Hour)},
		{Type: resonanz.ReactionOpened, MailingID: f.mailing.ID, RecipientID: anna.ID, At: t0},
		{Type: resonanz.ReactionClicked, MailingID: f.mailing.ID, RecipientID: ben.ID, LinkID: links[0].ID, At: t0},
		{Type: resonanz.ReactionOpened, MailingID: f.mailing.ID, RecipientID: ben.ID, At: t0},
	}); err != nil {
		t.Fatal(err)
	}
	for _, r := range []resonanz.Recipient{anna, ben} {
		if _, err := f.db.SQL().ExecContext(ctx, `INSERT INTO delivery (mailing_id, recipient_id, message_id, status, at) VALUES (?, ?, ?, 'sent', ?)`,
			f.mailing.ID, r.ID, r.Email, t0.UnixMilli()); err != nil {
			t.Fatal(err)
		}
	}
	svc := sqlite.NewTargetGroupService(f.db)
	attr := func(field, op, value string) resonanz.Condition {
		return resonanz.Condition{Kind: resonanz.CondAttribute, Field: field, Op: op, Value: value}
	}
	all := func(cs ...resonanz.Condition) resonanz.Condition {
		return resonanz.Condition{Kind: resonanz.CondGroup, Match: "all", Conditions: cs}
	}
	for _, tc := range []struct {
		name string
		rule resonanz.Condition
		want int
	}{
		{"everyone", all(), 2},
		{"last name eq, case-insensitive", attr("last_name", resonanz.OpEq, "MÜLLER"), 1},
		{"last name starts", attr("last_name", resonanz.OpStarts, "schm"), 1},
		{"custom contains", attr("city", resonanz.OpContains, "burg"), 1},
		{"custom ne", attr("city", resonanz.OpNe, "Berlin"), 1},
		{"date before", attr("birthday", resonanz.OpBefore, "1990-01-01"), 1},
		{"date empty", attr("birthday", resonanz.OpEmpty, ""), 1},
		{"gender from a word", attr("gender", resonanz.OpEq, "Herr"), 1},
		{"on list", resonanz.Condition{Kind: resonanz.CondList, ListID: f.list.ID}, 2},
		{"not on list", resonanz.Condition{Kind: resonanz.CondList, ListID: f.list.ID, Negate: true}, 0},
		{"tracking consent", resonanz.Condition{Kind: resonanz.CondConsent, Purpose: resonanz.PurposeTrackingClicks}, 1},
		{"clicked tag within 90 days", resonanz.Condition{Kind: resonanz.CondReaction, Reaction: resonanz.ReactClicked, Tag: "abenteuerreisen", Days: 90}, 1},
		{"clicked tag within 5 days", resonanz.Condition{Kind: resonanz.CondReaction, Reaction: resonanz.ReactClicked, Tag: "Abenteuerreisen", Days: 5}, 0},
		{"opened the mailing", resonanz.Condition{Kind: resonanz.CondReaction, Reaction: resonanz.ReactOpened, MailingID: f.mailing.ID}, 1},
		{"did not open", resonanz.Condition{Kind: resonanz.CondReaction, Reaction: resonanz.ReactNotOpened, MailingID: f.mailing.ID}, 1},
		{"interest ≥ 1.5", resonanz.Condition{Kind: resonanz.CondInterest, Tag: "Abenteuerreisen", Min: 1.5}, 1},
		{"interest ≥ 3", resonanz.Condition{Kind: resonanz.CondInterest, Tag: "Abenteuerreisen", Min: 3}, 0},
		{"three conditions", all(attr("city", resonanz.OpEq, "Berlin"),
			resonanz.Condition{Kind: resonanz.CondReaction, Reaction: resonanz.ReactClicked, Tag: "Abenteuerreisen", Days: 90},
			resonanz.Condition{Kind: resonanz.CondConsent, Purpose: resonanz.PurposeTrackingOpens}), 1},
		{"any of", resonanz.Condition{Kind: resonanz.CondGroup, Match: "any", Conditions: []resonanz.Condition{
			attr("city", resonanz.OpEq, "Berlin"), attr("city", resonanz.OpEq, "Hamburg")}}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n, err := svc.CountMatching(ctx, tc.rule)
			if err != nil {
				t.Fatal(err)
			}
			if n != tc.want {
				t.Errorf("count = %d, want %d", n, tc.want)
			}
			page, err := svc.Matching(ctx, tc.rule, resonanz.RecipientFilter{Limit: 10, Sort: "email"})
			if err != nil {
				t.Fatal(err)
			}
			if page.Total != tc.want || len(page.Recipients) != tc.want {
				t.Errorf("page: total %d, %d rows, want %d", page.Total, len(page.Recipients), tc.want)
			}
		})
	}

	t.Run("SavedAndNested", func(t *testing.T) {
		berlin, err := svc.SaveTargetGroup(ctx, resonanz.TargetGroup{Name: "Berlin", Rule: all(attr("city", resonanz.OpEq, "Berlin"))})
		if err != nil {
			t.Fatal(err)
		}
		n, err := svc.CountMatching(ctx, resonanz.Condition{Kind: resonanz.CondTargetGroup, TargetGroupID: berlin.ID, Negate: true})
		if err != nil || n != 1 {
			t.Errorf("not in Berlin: %d, %v", n, err)
		}
		// A group that uses itself is refused.
		berlin.Rule = all(resonanz.Condition{Kind: resonanz.CondTargetGroup, TargetGroupID: berlin.ID})
		if _, err := svc.SaveTargetGroup(ctx, berlin); resonanz.ErrorCode(err) != resonanz.EINVALID {
			t.Errorf("cycle: err = %v", err)
		}
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		for _, rule := range []resonanz.Condition{
			attr("nope", resonanz.OpEq, "x"),
			attr("city", resonanz.OpBefore, "2020-01-01"),
			{Kind: resonanz.CondGroup, Match: "some"},
			{Kind: "sql", Value: "1=1"},
			{Kind: resonanz.CondReaction, Reaction: resonanz.ReactOpened, Tag: "x"},
		} {
			if _, err := svc.CountMatching(ctx, rule); resonanz.ErrorCode(err) != resonanz.EINVALID {
				t.Errorf("%+v: err = %v, want invalid", rule, err)
			}
		}
	})
}
