package sqlite_test

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/resonanz/resonanz/backend/resonanz"
	"github.com/resonanz/resonanz/backend/sqlite"
)

// rows is a RowSource over literal rows; a row with the value "!reject" in
// "email" is returned as a *RowError.
type rows struct {
	list []resonanz.ImportRow
	i    int
}

func (r *rows) Next() (resonanz.ImportRow, error) {
	if r.i >= len(r.list) {
		return resonanz.ImportRow{}, io.EOF
	}
	row := r.list[r.i]
	r.i++
	if row.Values["email"] == "!reject" {
		return row, &resonanz.RowError{Line: row.Line, Reason: "row has 3 fields, the header has 4"}
	}
	return row, nil
}

func src(values ...map[string]string) *rows {
	r := &rows{}
	for i, v := range values {
		r.list = append(r.list, resonanz.ImportRow{Line: i + 2, Values: v})
	}
	return r
}

func TestImportService(t *testing.T) {
	ctx := context.Background()

	t.Run("OK/CreateUpdateSkipReject", func(t *testing.T) {
		db := MustOpenDB(t)
		imp := sqlite.NewImportService(db)
		imp.BatchSize = 2 // several batches
		recipients := sqlite.NewRecipientService(db)
		existing, _ := recipients.CreateRecipient(ctx, resonanz.Recipient{Email: "old@example.org", FirstName: "Olga", Title: "Dr."})
		res, err := imp.ImportRecipients(ctx, src(
			map[string]string{"email": "anna@example.org", "first_name": "Anna", "gender": "Frau"},
			map[string]string{"email": "not an address"},
			map[string]string{"email": "!reject"},
			map[string]string{"email": "OLD@example.org", "first_name": "Olga-Maria", "title": ""}, // empty title keeps "Dr."
			map[string]string{"email": "Anna@Example.org", "first_name": "Anna"},                   // duplicate in file
			map[string]string{"email": "bert@example.org", "gender": "Familie"},                    // imported, neutral, with a warning
		), resonanz.RecipientImport{FileName: "kunden.csv", ListName: "Kunden"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if res.Read != 6 || res.Created != 2 || res.Updated != 1 || res.Skipped != 1 || len(res.Rejected) != 2 {
			t.Errorf("result %+v", res)
		}
		lines := fmt.Sprint(res.Rejected)
		for _, want := range []string{"{3 The e-mail address", "{4 row has 3 fields"} {
			if !strings.Contains(lines, want) {
				t.Errorf("rejected %s lacks %q", lines, want)
			}
		}
		if len(res.Warnings) != 1 || res.Warnings[0].Line != 7 || res.Warnings[0].Key != "import.warning.salutation" || res.Warnings[0].Params["value"] != "Familie" {
			t.Errorf("warnings %+v", res.Warnings)
		}
		// Nobody on the list has a newsletter consent: all three will not be mailed.
		if res.ListID == 0 || res.NotMailable != 3 || res.NoConsent != 3 || res.Unconfirmed != 0 {
			t.Errorf("readiness %+v", res)
		}
		if bert, err := recipients.RecipientByEmail(ctx, "bert@example.org"); err != nil || bert.Gender != resonanz.GenderUnknown {
			t.Errorf("bert %+v, %v", bert, err)
		}
		old, _ := recipients.RecipientByID(ctx, existing.ID)
		if old.FirstName != "Olga-Maria" || old.Title != "Dr." {
			t.Errorf("updated %+v", old)
		}
		lists, _ := sqlite.NewListService(db).Lists(ctx)
		if len(lists) != 1 || lists[0].Name != "Kunden" || lists[0].Confirmed != 3 {
			t.Errorf("lists %+v", lists)
		}
		runs, _ := imp.Imports(ctx)
		if len(runs) != 1 || runs[0].Status != "done" || runs[0].Result.Created != 2 {
			t.Errorf("runs %+v", runs)
		}
	})

	t.Run("OK/SkipModeLeavesExistingUntouched", func(t *testing.T) {
		db := MustOpenDB(t)
		r, _ := sqlite.NewRecipientService(db).CreateRecipient(ctx, resonanz.Recipient{Email: "keep@example.org", FirstName: "Keep"})
		res, err := sqlite.NewImportService(db).ImportRecipients(ctx, src(
			map[string]string{"email": "keep@example.org", "first_name": "Changed"},
		), resonanz.RecipientImport{Mode: resonanz.ImportSkip, ListName: "L"}, nil)
		if err != nil || res.Skipped != 1 {
			t.Fatalf("%+v %v", res, err)
		}
		got, _ := sqlite.NewRecipientService(db).RecipientByID(ctx, r.ID)
		if got.FirstName != "Keep" {
			t.Errorf("skip mode changed %+v", got)
		}
	})

	t.Run("OK/NeverResubscribes", func(t *testing.T) {
		db := MustOpenDB(t)
		imp := sqlite.NewImportService(db)
		opt := resonanz.RecipientImport{ListName: "News"}
		if _, err := imp.ImportRecipients(ctx, src(map[string]string{"email": "gone@example.org"}), opt, nil); err != nil {
			t.Fatal(err)
		}
		db.SQL().Exec(`UPDATE membership SET status = 'unsubscribed'`)
		if _, err := imp.ImportRecipients(ctx, src(map[string]string{"email": "gone@example.org", "first_name": "G"}), opt, nil); err != nil {
			t.Fatal(err)
		}
		var status string
		db.SQL().QueryRow(`SELECT status FROM membership`).Scan(&status)
		if status != "unsubscribed" {
			t.Errorf("re-import resubscribed: %s", status)
		}
	})

	t.Run("OK/ConsentWithEvidenceAndUndo", func(t *testing.T) {
		db := MustOpenDB(t)
		imp := sqlite.NewImportService(db)
		recipients := sqlite.NewRecipientService(db)
		old, _ := recipients.CreateRecipient(ctx, resonanz.Recipient{Email: "old@example.org", FirstName: "Olga"})
		opt := resonanz.RecipientImport{ListName: "News", ConsentSource: "Anmeldeformular Messe 2025", ConsentEvidence: "Ja, ich möchte, dass Öffnungen gemessen werden."}
		if err := imp.CheckFields(ctx, []string{"email", "consent:tracking:opens"}, resonanz.RecipientImport{}); resonanz.ErrorCode(err) != resonanz.EINVALID {
			t.Errorf("consent without evidence accepted: %v", err)
		}
		if err := imp.CheckFields(ctx, []string{"email", "consent:tracking:opens"}, opt); err != nil {
			t.Fatal(err)
		}
		res, err := imp.ImportRecipients(ctx, src(
			map[string]string{"email": "new@example.org", "consent:tracking:opens": "ja"},
			map[string]string{"email": "old@example.org", "first_name": "Olga-Maria", "consent:tracking:opens": "yes"},
			map[string]string{"email": "no@example.org", "consent:tracking:opens": "nein"},
		), opt, nil)
		if err != nil || res.Created != 2 || res.Updated != 1 {
			t.Fatalf("%+v %v", res, err)
		}
		hist, _ := sqlite.NewConsentService(db).ConsentHistory(ctx, old.ID)
		if len(hist) != 1 || hist[0].Source != "import" || hist[0].Evidence != opt.ConsentSource || hist[0].Wording != opt.ConsentEvidence {
			t.Errorf("ledger %+v", hist)
		}
		newbie, _ := recipients.RecipientByEmail(ctx, "new@example.org")
		d, err := recipients.RecipientDetail(ctx, newbie.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(d.Source, "Imported from") || d.SourceKey != "ledger.source.import" || d.SourceParams["importId"] == "" || len(d.Lists) != 1 || d.Lists[0].ListName != "News" ||
			len(d.Consent) != 1 || len(d.Current) != 1 || !d.Current[0].Granted || d.Current[0].Purpose != resonanz.PurposeTrackingOpens {
			t.Errorf("detail %+v", d)
		}
		no, _ := recipients.RecipientByEmail(ctx, "no@example.org")
		if h, _ := sqlite.NewConsentService(db).ConsentHistory(ctx, no.ID); len(h) != 0 {
			t.Errorf("'nein' recorded consent: %+v", h)
		}

		if err := imp.UndoImport(ctx, res.ImportID); err != nil {
			t.Fatal(err)
		}
		page, _ := recipients.FindRecipients(ctx, resonanz.RecipientFilter{Limit: 10})
		if page.Total != 1 || page.Recipients[0].FirstName != "Olga" {
			t.Errorf("after undo %+v", page)
		}
		st, _ := sqlite.NewConsentService(db).ConsentAt(ctx, old.ID, db.Now())
		if len(st) != 1 || st[0].Granted {
			t.Errorf("consent after undo %+v", st)
		}
		if hist, _ := sqlite.NewConsentService(db).ConsentHistory(ctx, old.ID); len(hist) != 2 {
			t.Errorf("undo must append, not delete: %+v", hist)
		}
		var members int
		db.SQL().QueryRow(`SELECT COUNT(*) FROM membership`).Scan(&members)
		if members != 0 {
			t.Errorf("%d memberships left after undo", members)
		}
		if err := imp.UndoImport(ctx, res.ImportID); resonanz.ErrorCode(err) != resonanz.ECONFLICT {
			t.Errorf("undo twice: %v", err)
		}
	})

	t.Run("OK/CancelKeepsCommittedBatches", func(t *testing.T) {
		db := MustOpenDB(t)
		imp := sqlite.NewImportService(db)
		imp.BatchSize = 10
		var vals []map[string]string
		for i := range 100 {
			vals = append(vals, map[string]string{"email": fmt.Sprintf("p%d@example.org", i)})
		}
		cctx, cancel := context.WithCancel(ctx)
		res, err := imp.ImportRecipients(cctx, src(vals...), resonanz.RecipientImport{}, func(p resonanz.ImportProgress) {
			if p.Rows >= 30 {
				cancel()
			}
		})
		if err != nil || !res.Cancelled || res.Created != 30 {
			t.Fatalf("%+v %v", res, err)
		}
		var n int
		db.SQL().QueryRow(`SELECT COUNT(*) FROM recipient`).Scan(&n)
		if n != 30 {
			t.Errorf("stored %d, want the 30 of the committed batches", n)
		}
		runs, _ := imp.Imports(ctx)
		if runs[0].Status != "cancelled" {
			t.Errorf("status %s", runs[0].Status)
		}
	})
}
