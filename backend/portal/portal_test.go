package portal_test

import (
	"context"
	"testing"
	"time"

	"github.com/resonanz/resonanz/backend/listener"
	"github.com/resonanz/resonanz/backend/portal"
	"github.com/resonanz/resonanz/backend/resonanz"
	"github.com/resonanz/resonanz/backend/sqlite"
	"github.com/resonanz/resonanz/backend/sqlite/sqlitetest"
)

// TestAddressee_NoNameBeforeConfirmation: the anonymous signup form takes
// any name, so mails to people who never confirmed (the confirmation mail,
// the profile link) carry no name in To: or the greeting; once the person
// confirmed, their name is theirs.
func TestAddressee_NoNameBeforeConfirmation(t *testing.T) {
	ctx := context.Background()
	db := sqlitetest.MustOpenDB(t)
	lists := sqlite.NewListService(db)
	list, err := lists.CreateList(ctx, resonanz.List{Name: "Reisen", DoubleOptIn: true})
	if err != nil {
		t.Fatal(err)
	}
	p := portal.New(portal.Services{Store: sqlite.NewPortalService(db), Recipients: sqlite.NewRecipientService(db),
		Lists: lists, OptIns: sqlite.NewOptInService(db)})
	const crafted = "Ihr Konto wird gesperrt, rufen Sie +49 … an"
	res, err := p.Signup(ctx, listener.Signup{ListID: list.ID, Email: "victim@example.net", FirstName: crafted, LastName: "Bank", Wording: "Ja"}, resonanz.WebClient{})
	if err != nil || res.Token == "" {
		t.Fatal(res, err)
	}
	if res.Name != "" {
		t.Errorf("confirmation mail addressed to %q", res.Name)
	}
	a, err := p.ProfileRecipient(ctx, "victim@example.net")
	if err != nil || a.Name != "" {
		t.Errorf("profile link mail of an unconfirmed signup addressed to %q (%v)", a.Name, err)
	}
	if _, err := p.Confirm(ctx, res.Token, resonanz.WebClient{}); err != nil {
		t.Fatal(err)
	}
	if a, err := p.ProfileRecipient(ctx, "victim@example.net"); err != nil || a.Name != crafted+" Bank" {
		t.Errorf("after confirmation: %q %v", a.Name, err)
	}
}

// TestSignup_PurgesExpiredSignups: the signup form itself clears away the
// people it created who never confirmed, once their links expired.
func TestSignup_PurgesExpiredSignups(t *testing.T) {
	ctx := context.Background()
	db := sqlitetest.MustOpenDB(t)
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	db.Now = func() time.Time { return now }
	lists := sqlite.NewListService(db)
	list, _ := lists.CreateList(ctx, resonanz.List{Name: "Reisen", DoubleOptIn: true})
	recipients := sqlite.NewRecipientService(db)
	p := portal.New(portal.Services{Store: sqlite.NewPortalService(db), Recipients: recipients, Lists: lists,
		OptIns: sqlite.NewOptInService(db), Now: func() time.Time { return now }})
	for _, email := range []string{"victim+1@example.net", "victim+2@example.net"} {
		if _, err := p.Signup(ctx, listener.Signup{ListID: list.ID, Email: email, Wording: "Ja"}, resonanz.WebClient{}); err != nil {
			t.Fatal(err)
		}
	}
	now = now.Add(resonanz.OptInTTL + time.Hour)
	if _, err := p.Signup(ctx, listener.Signup{ListID: list.ID, Email: "new@example.net", Wording: "Ja"}, resonanz.WebClient{}); err != nil {
		t.Fatal(err)
	}
	for _, email := range []string{"victim+1@example.net", "victim+2@example.net"} {
		if _, err := recipients.RecipientByEmail(ctx, email); resonanz.ErrorCode(err) != resonanz.ENOTFOUND {
			t.Errorf("%s: still stored after its link expired (%v)", email, err)
		}
	}
	if _, err := recipients.RecipientByEmail(ctx, "new@example.net"); err != nil {
		t.Errorf("the new signup: %v", err)
	}
}
