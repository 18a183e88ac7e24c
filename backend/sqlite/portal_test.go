package sqlite_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/resonanz/resonanz/backend/resonanz"
	"github.com/resonanz/resonanz/backend/sqlite"
)

// TestPortalService_UpdateProfile: a profile form is stored whole or not
// at all — a failure in its last part (here a consent for a list that was
// deleted meanwhile) leaves the name, the lists and the ledger as they were.
func TestPortalService_UpdateProfile(t *testing.T) {
	ctx := context.Background()
	client := resonanz.WebClient{IP: "198.51.100.7", UserAgent: "Firefox"}
	setup := func(t *testing.T) (*sqlite.DB, resonanz.Recipient, resonanz.List, resonanz.List) {
		db := MustOpenDB(t)
		r, err := sqlite.NewRecipientService(db).CreateRecipient(ctx, resonanz.Recipient{Email: "anna@example.org", FirstName: "Anna"})
		if err != nil {
			t.Fatal(err)
		}
		lists := sqlite.NewListService(db)
		a, _ := lists.CreateList(ctx, resonanz.List{Name: "Reisen"})
		b, _ := lists.CreateList(ctx, resonanz.List{Name: "Kultur"})
		if err := sqlite.NewSubscriptionService(db).Subscribe(ctx, r.ID, a.ID, client, "Ja, Reisen"); err != nil {
			t.Fatal(err)
		}
		return db, r, a, b
	}
	state := func(t *testing.T, db *sqlite.DB, id int64) (string, int, int) {
		d, err := sqlite.NewRecipientService(db).RecipientDetail(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		confirmed := 0
		for _, m := range d.Lists {
			if m.Status == resonanz.StatusConfirmed {
				confirmed++
			}
		}
		return d.Recipient.FirstName, confirmed, len(d.Consent)
	}
	t.Run("OK", func(t *testing.T) {
		db, r, a, b := setup(t)
		err := sqlite.NewPortalService(db).UpdateProfile(ctx, r.ID, resonanz.ProfileUpdate{FirstName: "Anne",
			Lists:    []resonanz.ListChange{{ListID: a.ID, Subscribe: false, Wording: "Reisen"}, {ListID: b.ID, Subscribe: true, Wording: "Ja, Kultur"}},
			Consents: []resonanz.ConsentChange{{Purpose: resonanz.PurposeTrackingClicks, Granted: true, Wording: "Ja, Klicks auswerten"}}}, client)
		if err != nil {
			t.Fatal(err)
		}
		if name, confirmed, ledger := state(t, db, r.ID); name != "Anne" || confirmed != 1 || ledger != 4 {
			t.Errorf("after the update: name %q, %d confirmed lists, %d ledger rows; want Anne, 1, 4", name, confirmed, ledger)
		}
	})
	t.Run("ErrMidway", func(t *testing.T) {
		db, r, a, b := setup(t)
		err := sqlite.NewPortalService(db).UpdateProfile(ctx, r.ID, resonanz.ProfileUpdate{FirstName: "Anne",
			Lists: []resonanz.ListChange{{ListID: a.ID, Subscribe: false, Wording: "Reisen"}, {ListID: b.ID, Subscribe: true, Wording: "Ja, Kultur"},
				{ListID: b.ID + 100, Subscribe: true, Wording: "Ja, gelöscht"}}}, client)
		if err == nil {
			t.Fatal("a list that does not exist was accepted")
		}
		if name, confirmed, ledger := state(t, db, r.ID); name != "Anna" || confirmed != 1 || ledger != 1 {
			t.Errorf("after a failed update: name %q, %d confirmed lists, %d ledger rows; want it untouched (Anna, 1, 1)", name, confirmed, ledger)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		db, r, _, _ := setup(t)
		err := sqlite.NewPortalService(db).UpdateProfile(ctx, r.ID+1, resonanz.ProfileUpdate{FirstName: "X"}, client)
		if resonanz.ErrorCode(err) != resonanz.ENOTFOUND {
			t.Errorf("unknown person: %v", err)
		}
	})
}

// TestPortalService_EraseOwnData: a person's own erasure from the profile
// page erases like the desk's, but the audit log names the recipient (via
// the profile page) as the actor, not the desk.
func TestPortalService_EraseOwnData(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	recipients := sqlite.NewRecipientService(db)
	r, err := recipients.CreateRecipient(ctx, resonanz.Recipient{Email: "anna@example.org"})
	if err != nil {
		t.Fatal(err)
	}
	if err := sqlite.NewPortalService(db).EraseOwnData(ctx, r.ID, resonanz.WebClient{IP: "198.51.100.7"}); err != nil {
		t.Fatal(err)
	}
	if _, err := recipients.RecipientDetail(ctx, r.ID); resonanz.ErrorCode(err) != resonanz.ENOTFOUND {
		t.Fatalf("not erased: %v", err)
	}
	log, err := sqlite.NewAuditService(db).Recent(ctx, 1)
	if err != nil || len(log) != 1 {
		t.Fatal(log, err)
	}
	if e := log[0]; e.Actor != "recipient" || e.Action != "recipient.erase" || !strings.Contains(e.Detail, `"via":"profile_page"`) ||
		strings.Contains(e.Detail, "198.51.100.7") || strings.Contains(e.Detail, "anna") {
		t.Errorf("audit entry %+v: want actor recipient via the profile page, no personal data", e)
	}
	if err := sqlite.NewPortalService(db).EraseOwnData(ctx, r.ID, resonanz.WebClient{}); resonanz.ErrorCode(err) != resonanz.ENOTFOUND {
		t.Errorf("second erasure: %v", err)
	}
}

// TestPortalService_PurgeExpiredSignups: a recipient that only a signup
// created and that never confirmed is deleted once the confirmation window
// has passed; anyone else (confirmed, still pending, created or edited by
// the desk, imported) stays.
func TestPortalService_PurgeExpiredSignups(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	db.Now = func() time.Time { return now }
	lists := sqlite.NewListService(db)
	list, _ := lists.CreateList(ctx, resonanz.List{Name: "Reisen", DoubleOptIn: true})
	portal := sqlite.NewPortalService(db)
	recipients := sqlite.NewRecipientService(db)
	signup := func(email string) (resonanz.Recipient, resonanz.OptInRequest) {
		r, req, err := portal.Signup(ctx, resonanz.Signup{ListID: list.ID, Email: email, Wording: "Ja"}, resonanz.WebClient{IP: "198.51.100.7"})
		if err != nil {
			t.Fatal(err)
		}
		return r, req
	}
	stale, _ := signup("stale@example.net")
	_, conf := signup("confirmed@example.net")
	if _, err := sqlite.NewOptInService(db).ConfirmOptIn(ctx, conf.Token, resonanz.WebClient{}); err != nil {
		t.Fatal(err)
	}
	desk, err := recipients.CreateRecipient(ctx, resonanz.Recipient{Email: "desk@example.net"})
	if err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Hour)
	signup("desk@example.net") // the desk's person signs up: not created by the signup
	edited, _ := signup("edited@example.net")
	now = now.Add(time.Hour)
	edited.FirstName = "Eddi"
	if _, err := recipients.UpdateRecipient(ctx, edited); err != nil {
		t.Fatal(err)
	}

	// Within the window nothing goes.
	if n, err := portal.PurgeExpiredSignups(ctx); err != nil || n != 0 {
		t.Fatalf("purged %d within the window (%v)", n, err)
	}
	now = now.Add(resonanz.OptInTTL)
	fresh, _ := signup("fresh@example.net") // still pending
	n, err := portal.PurgeExpiredSignups(ctx)
	if err != nil || n != 1 {
		t.Fatalf("purged %d, want 1 (%v)", n, err)
	}
	if _, err := recipients.RecipientDetail(ctx, stale.ID); resonanz.ErrorCode(err) != resonanz.ENOTFOUND {
		t.Errorf("the expired unconfirmed signup is still there: %v", err)
	}
	for _, email := range []string{"confirmed@example.net", "desk@example.net", "edited@example.net", "fresh@example.net"} {
		if _, err := recipients.RecipientByEmail(ctx, email); err != nil {
			t.Errorf("%s was purged: %v", email, err)
		}
	}
	_ = desk
	_ = fresh
	log, _ := sqlite.NewAuditService(db).Recent(ctx, 1)
	if len(log) != 1 || log[0].Action != "recipient.purge_unconfirmed" || !strings.Contains(log[0].Detail, `"erased":1`) || strings.Contains(log[0].Detail, "stale") {
		t.Errorf("audit %+v", log)
	}
}
