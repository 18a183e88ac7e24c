package sqlite_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/resonanz/resonanz/backend/resonanz"
	"github.com/resonanz/resonanz/backend/sqlite"
)

func TestRecipientService(t *testing.T) {
	ctx := context.Background()

	t.Run("OK/CreateNormalizesAndMatchesCaseInsensitively", func(t *testing.T) {
		db := MustOpenDB(t)
		svc := sqlite.NewRecipientService(db)
		r, err := svc.CreateRecipient(ctx, resonanz.Recipient{
			Email: "  Anna.Müller@Reisebüro.DE ", FirstName: " Anna ", LastName: "Müller", Gender: "Frau", Title: "Dr.", Language: "Deutsch",
		})
		if err != nil {
			t.Fatal(err)
		}
		if r.Email != "Anna.Müller@Reisebüro.DE" || r.Gender != resonanz.GenderFemale || r.Language != "de" || r.FirstName != "Anna" {
			t.Errorf("created %+v", r)
		}
		for _, q := range []string{"anna.müller@reisebüro.de", "ANNA.MÜLLER@xn--reisebro-c6a.de"} {
			got, err := svc.RecipientByEmail(ctx, q)
			if err != nil || got.ID != r.ID {
				t.Errorf("by %q: %+v %v", q, got, err)
			}
		}
		_, err = svc.CreateRecipient(ctx, resonanz.Recipient{Email: "anna.müller@REISEBÜRO.de"})
		if resonanz.ErrorCode(err) != resonanz.ECONFLICT {
			t.Errorf("duplicate: %v", err)
		}
	})

	t.Run("ErrInvalid", func(t *testing.T) {
		svc := sqlite.NewRecipientService(MustOpenDB(t))
		for _, tt := range []struct {
			in    resonanz.Recipient
			field string
		}{
			{resonanz.Recipient{Email: ""}, "email"},
			{resonanz.Recipient{Email: "no-at-sign"}, "email"},
			{resonanz.Recipient{Email: "a@b@c.de"}, "email"},
			{resonanz.Recipient{Email: "a@-bad-.de"}, "email"},
			{resonanz.Recipient{Email: "a@example.org", Gender: "Madame X"}, "gender"},
			{resonanz.Recipient{Email: "a@example.org", Language: "fr"}, "language"},
			{resonanz.Recipient{Email: "a@example.org", LastName: "X\r\nBcc: y@example.org"}, "lastName"},
			{resonanz.Recipient{Email: "a@example.org", Attributes: map[string]string{"shoe_size": "42"}}, "shoe_size"},
		} {
			_, err := svc.CreateRecipient(ctx, tt.in)
			e, ok := err.(*resonanz.Error)
			if !ok || e.Code != resonanz.EINVALID || e.Field != tt.field {
				t.Errorf("%+v: err %v, want invalid %s", tt.in, err, tt.field)
			}
		}
	})

	t.Run("OK/TypedAttributes", func(t *testing.T) {
		db := MustOpenDB(t)
		attrs := sqlite.NewAttributeService(db)
		for _, a := range []resonanz.AttributeDef{
			{Key: "customer_since", Label: "Customer since", Type: resonanz.AttrDate},
			{Key: "budget", Label: "Budget", Type: resonanz.AttrNumber},
			{Key: "vip", Label: "VIP", Type: resonanz.AttrBoolean},
			{Key: "region", Label: "Region", Type: resonanz.AttrChoice, Choices: []string{"Nord", "Süd"}},
		} {
			if _, err := attrs.CreateAttribute(ctx, a); err != nil {
				t.Fatal(err)
			}
		}
		svc := sqlite.NewRecipientService(db)
		r, err := svc.CreateRecipient(ctx, resonanz.Recipient{Email: "b@example.org", Attributes: map[string]string{
			"customer_since": "28.11.2026", "budget": "1.234,50", "vip": "ja", "region": "süd",
		}})
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{"customer_since": "2026-11-28", "budget": "1234.5", "vip": "true", "region": "Süd"}
		for k, v := range want {
			if r.Attributes[k] != v {
				t.Errorf("%s = %q, want %q", k, r.Attributes[k], v)
			}
		}
		_, err = svc.CreateRecipient(ctx, resonanz.Recipient{Email: "c@example.org", Attributes: map[string]string{"budget": "viel"}})
		if e, ok := err.(*resonanz.Error); !ok || e.Field != "budget" || !strings.Contains(e.Message, "not a number") {
			t.Errorf("bad number: %v", err)
		}
		all, err := attrs.Attributes(ctx)
		if err != nil || len(all) != len(resonanz.BuiltinAttributes)+4 || !all[0].Builtin {
			t.Errorf("attributes %+v %v", all, err)
		}
	})

	t.Run("OK/FindFiltersAndPages", func(t *testing.T) {
		db := MustOpenDB(t)
		svc := sqlite.NewRecipientService(db)
		list, err := sqlite.NewListService(db).CreateList(ctx, resonanz.List{Name: "Reisen"})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range []string{"zoe@example.org", "anna@example.org", "ann_a@example.org", "bert@example.org"} {
			if _, err := svc.CreateRecipient(ctx, resonanz.Recipient{Email: e, LastName: strings.ToUpper(e[:1]) + "name"}); err != nil {
				t.Fatal(err)
			}
		}
		page, err := svc.FindRecipients(ctx, resonanz.RecipientFilter{Search: "ann", Limit: 10, Sort: "email"})
		if err != nil || page.Total != 2 || page.Recipients[0].Email != "ann_a@example.org" {
			t.Errorf("search: %+v %v", page, err)
		}
		// LIKE wildcards in the search are literal.
		page, _ = svc.FindRecipients(ctx, resonanz.RecipientFilter{Search: "ann_", Limit: 10})
		if page.Total != 1 {
			t.Errorf("underscore matched %d", page.Total)
		}
		page, _ = svc.FindRecipients(ctx, resonanz.RecipientFilter{Limit: 2, Offset: 2, Sort: "-email"})
		if page.Total != 4 || len(page.Recipients) != 2 || page.Recipients[0].Email != "anna@example.org" {
			t.Errorf("paging: %+v", page)
		}
		page, _ = svc.FindRecipients(ctx, resonanz.RecipientFilter{ListID: list.ID, Limit: 10})
		if page.Total != 0 {
			t.Errorf("list filter: %d", page.Total)
		}
		if _, err := svc.FindRecipients(ctx, resonanz.RecipientFilter{Limit: 10, Sort: "email; DROP TABLE recipient"}); resonanz.ErrorCode(err) != resonanz.EINVALID {
			t.Errorf("sort injection: %v", err)
		}
	})

	t.Run("OK/EraseRemovesPersonalData", func(t *testing.T) {
		db := MustOpenDB(t)
		svc := sqlite.NewRecipientService(db)
		r, _ := svc.CreateRecipient(ctx, resonanz.Recipient{Email: "erase.me@example.org", LastName: "Geheim"})
		if _, err := sqlite.NewConsentService(db).AppendConsent(ctx, resonanz.ConsentRecord{
			RecipientID: r.ID, Purpose: resonanz.PurposeTrackingOpens, Granted: true, Source: resonanz.SourceForm, Wording: "Ja, Öffnungen messen.",
		}); err != nil {
			t.Fatal(err)
		}
		if err := svc.EraseRecipient(ctx, r.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.RecipientByID(ctx, r.ID); resonanz.ErrorCode(err) != resonanz.ENOTFOUND {
			t.Errorf("still there: %v", err)
		}
		var n int
		db.SQL().QueryRow(`SELECT COUNT(*) FROM consent WHERE recipient_id = ?`, r.ID).Scan(&n)
		if n != 0 {
			t.Errorf("%d consent rows left", n)
		}
		var leaks int
		db.SQL().QueryRow(`SELECT COUNT(*) FROM audit_log WHERE detail LIKE '%erase.me%' OR detail LIKE '%Geheim%' OR subject LIKE '%erase.me%'`).Scan(&leaks)
		if leaks != 0 {
			t.Error("audit log keeps personal data of an erased person")
		}
		if err := svc.EraseRecipient(ctx, r.ID); resonanz.ErrorCode(err) != resonanz.ENOTFOUND {
			t.Errorf("erase twice: %v", err)
		}
	})
}

func TestConsentService(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	r, err := sqlite.NewRecipientService(db).CreateRecipient(ctx, resonanz.Recipient{Email: "c@example.org"})
	if err != nil {
		t.Fatal(err)
	}
	list, _ := sqlite.NewListService(db).CreateList(ctx, resonanz.List{Name: "News"})
	svc := sqlite.NewConsentService(db)
	t0 := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	appendC := func(purpose string, listID int64, granted bool, at time.Time) {
		t.Helper()
		_, err := svc.AppendConsent(ctx, resonanz.ConsentRecord{RecipientID: r.ID, Purpose: purpose, ListID: listID, Granted: granted,
			At: at, Source: resonanz.SourceForm, Wording: "Ich möchte den Newsletter.", IP: "203.0.113.7", UserAgent: "Firefox"})
		if err != nil {
			t.Fatal(err)
		}
	}
	appendC(resonanz.PurposeNewsletter, list.ID, true, t0)
	appendC(resonanz.PurposeTrackingOpens, 0, true, t0.Add(time.Hour))
	appendC(resonanz.PurposeTrackingOpens, 0, false, t0.Add(48*time.Hour))

	state := func(at time.Time) map[string]bool {
		st, err := svc.ConsentAt(ctx, r.ID, at)
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]bool{}
		for _, s := range st {
			m[s.Key()] = s.Granted
		}
		return m
	}
	newsKey := resonanz.ConsentState{Purpose: resonanz.PurposeNewsletter, ListID: list.ID}.Key()
	if s := state(t0.Add(-time.Minute)); len(s) != 0 {
		t.Errorf("before any record: %v", s)
	}
	if s := state(t0.Add(2 * time.Hour)); !s[newsKey] || !s[resonanz.PurposeTrackingOpens] {
		t.Errorf("after grants: %v", s)
	}
	if s := state(t0.Add(72 * time.Hour)); !s[newsKey] || s[resonanz.PurposeTrackingOpens] {
		t.Errorf("after withdrawal: %v", s)
	}
	hist, err := svc.ConsentHistory(ctx, r.ID)
	if err != nil || len(hist) != 3 || hist[0].ListName != "News" || hist[0].WordingHash != resonanz.WordingHash("Ich möchte den Newsletter.") {
		t.Errorf("history %+v %v", hist, err)
	}

	t.Run("ErrAppendOnly", func(t *testing.T) {
		if _, err := db.SQL().Exec(`UPDATE consent SET granted = 1`); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("update allowed: %v", err)
		}
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		for _, c := range []resonanz.ConsentRecord{
			{RecipientID: r.ID, Purpose: "marketing", Granted: true, Source: "form", Wording: "x"},
			{RecipientID: r.ID, Purpose: resonanz.PurposeNewsletter, Granted: true, Source: "form", Wording: "x"},
			{RecipientID: r.ID, Purpose: resonanz.PurposeProfiling, Granted: true, Source: "form"},
			{RecipientID: r.ID, Purpose: resonanz.PurposeProfiling, Granted: true, Source: "import", Wording: "x"},
		} {
			if _, err := svc.AppendConsent(ctx, c); resonanz.ErrorCode(err) != resonanz.EINVALID {
				t.Errorf("%+v: %v", c, err)
			}
		}
		_, err := svc.AppendConsent(ctx, resonanz.ConsentRecord{RecipientID: 999, Purpose: resonanz.PurposeProfiling, Source: "form"})
		if resonanz.ErrorCode(err) != resonanz.ENOTFOUND {
			t.Errorf("unknown recipient: %v", err)
		}
	})
}
