package sqlite_test

import (
	"context"
	"testing"

	"github.com/resonanz/resonanz/backend/resonanz"
	"github.com/resonanz/resonanz/backend/sqlite"
	"github.com/resonanz/resonanz/backend/sqlite/sqlitetest"
)

// TestRelayChanges: what the relays hold a copy of sets the publish flag;
// a mailing's text, the relay sync's own state and reads do not.
func TestRelayChanges(t *testing.T) {
	ctx := context.Background()
	db := sqlitetest.MustOpenDB(t)
	flag := sqlite.NewRelayChanges(db)
	settings, lists := sqlite.NewSettingsService(db), sqlite.NewListService(db)
	recipients, mailings := sqlite.NewRecipientService(db), sqlite.NewMailingService(db)
	taken := func() bool {
		t.Helper()
		changed, err := flag.TakeChanged(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return changed
	}
	if !taken() {
		t.Fatal("a new store is not flagged: its first publication would wait for a change")
	}
	if taken() {
		t.Fatal("the flag was not cleared")
	}
	var list resonanz.List
	var person resonanz.Recipient
	var mailing resonanz.Mailing
	for _, tc := range []struct {
		name    string
		change  func() error
		flagged bool
	}{
		{"list", func() (err error) { list, err = lists.CreateList(ctx, resonanz.List{Name: "Kunden"}); return err }, true},
		{"recipient", func() (err error) {
			person, err = recipients.CreateRecipient(ctx, resonanz.Recipient{Email: "anna@example.de"})
			return err
		}, true},
		{"profile", func() error {
			person.FirstName = "Anna"
			_, err := recipients.UpdateRecipient(ctx, person)
			return err
		}, true},
		{"consent", func() error {
			_, err := sqlite.NewConsentService(db).AppendConsent(ctx, resonanz.ConsentRecord{RecipientID: person.ID,
				Purpose: resonanz.PurposeTrackingClicks, Granted: true, Source: resonanz.SourceManual, Wording: "Ja", Evidence: "Telefonat"})
			return err
		}, true},
		{"mailing", func() (err error) {
			mailing, err = mailings.CreateMailing(ctx, resonanz.Mailing{Name: "Frühling"})
			return err
		}, true},
		{"mailing text", func() error {
			mailing.Body = "Hallo"
			_, err := mailings.UpdateMailing(ctx, mailing)
			return err
		}, false},
		{"links", func() error {
			_, err := mailings.SetLinks(ctx, mailing.ID, []resonanz.Link{{URL: "https://example.org/a", Kind: resonanz.LinkText}})
			return err
		}, true},
		{"links saved again", func() error {
			_, err := mailings.SetLinks(ctx, mailing.ID, []resonanz.Link{{URL: "https://example.org/a", Kind: resonanz.LinkText, Tags: []string{"Reisen"}}})
			return err
		}, false},
		{"link changed", func() error {
			_, err := mailings.SetLinks(ctx, mailing.ID, []resonanz.Link{{URL: "https://example.org/b", Kind: resonanz.LinkText}})
			return err
		}, true},
		{"mailing list", func() error {
			mailing.ListID = list.ID
			_, err := mailings.UpdateMailing(ctx, mailing)
			return err
		}, true},
		{"branding", func() error {
			return settings.SetValue(ctx, resonanz.SettingBranding, resonanz.Branding{Name: "Reisebüro"})
		}, true},
		{"logo", func() error { return settings.SetValue(ctx, resonanz.SettingLogo, resonanz.Logo{}) }, true},
		{"relay state", func() error { return settings.SetValue(ctx, "relay.state", map[string]int{"n": 1}) }, false},
		{"reads", func() error { _, err := recipients.RecipientByID(ctx, person.ID); return err }, false},
	} {
		if err := tc.change(); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got := taken(); got != tc.flagged {
			t.Errorf("%s: flagged %v, want %v", tc.name, got, tc.flagged)
		}
	}
}
