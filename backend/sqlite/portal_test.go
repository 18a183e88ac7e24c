package sqlite_test

import (
	"context"
	"testing"

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
