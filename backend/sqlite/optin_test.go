package sqlite_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/resonanz/resonanz/backend/resonanz"
	"github.com/resonanz/resonanz/backend/sqlite"
)

func TestOptInService(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	clock := time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC)
	db.Now = func() time.Time { return clock }
	r, _ := sqlite.NewRecipientService(db).CreateRecipient(ctx, resonanz.Recipient{Email: "doi@example.org"})
	list, _ := sqlite.NewListService(db).CreateList(ctx, resonanz.List{Name: "News", DoubleOptIn: true})
	svc := sqlite.NewOptInService(db)
	wording := "Ja, schickt mir den Newsletter. Abmeldung jederzeit."

	req, err := svc.RequestOptIn(ctx, r.ID, list.ID, wording, resonanz.WebClient{IP: "198.51.100.1", UserAgent: "Firefox"})
	if err != nil || len(req.Token) < 40 {
		t.Fatalf("request %+v %v", req, err)
	}
	lists, _ := sqlite.NewListService(db).Lists(ctx)
	if lists[0].Unconfirmed != 1 {
		t.Errorf("pending member not unconfirmed: %+v", lists[0])
	}
	if st, _ := sqlite.NewConsentService(db).ConsentAt(ctx, r.ID, clock); len(st) != 0 {
		t.Errorf("consent before confirmation: %+v", st)
	}
	var stored int
	db.SQL().QueryRow(`SELECT COUNT(*) FROM opt_in WHERE token_hash = ?`, req.Token).Scan(&stored)
	if stored != 0 {
		t.Error("the plain token is stored")
	}

	t.Run("ErrUnknownToken", func(t *testing.T) {
		if _, err := svc.ConfirmOptIn(ctx, req.Token+"x", resonanz.WebClient{}); resonanz.ErrorCode(err) != resonanz.ENOTFOUND {
			t.Errorf("%v", err)
		}
	})

	clock = clock.Add(2 * time.Hour)
	got, err := svc.ConfirmOptIn(ctx, req.Token, resonanz.WebClient{IP: "198.51.100.2", UserAgent: "Thunderbird"})
	if err != nil || !got.ConfirmedAt.Equal(clock) || got.RequestedIP != "198.51.100.1" {
		t.Fatalf("confirm %+v %v", got, err)
	}
	hist, _ := sqlite.NewConsentService(db).ConsentHistory(ctx, r.ID)
	if len(hist) != 1 || hist[0].Source != resonanz.SourceDoubleOptIn || hist[0].Wording != wording || hist[0].IP != "198.51.100.2" ||
		!strings.Contains(hist[0].Evidence, "requested 2026-05-01 08:00:00 UTC from 198.51.100.1") ||
		hist[0].EvidenceKey != "ledger.evidence.doubleOptIn" || hist[0].TextParams["confirmedIp"] != "198.51.100.2" || hist[0].WordingKey != "" {
		t.Errorf("ledger %+v", hist)
	}
	// A second click changes nothing.
	clock = clock.Add(time.Hour)
	if again, err := svc.ConfirmOptIn(ctx, req.Token, resonanz.WebClient{IP: "x"}); err != nil || !again.ConfirmedAt.Equal(got.ConfirmedAt) {
		t.Errorf("second confirm %+v %v", again, err)
	}
	if hist, _ := sqlite.NewConsentService(db).ConsentHistory(ctx, r.ID); len(hist) != 1 {
		t.Errorf("second confirm appended: %d records", len(hist))
	}
	if _, err := svc.RequestOptIn(ctx, r.ID, list.ID, wording, resonanz.WebClient{}); resonanz.ErrorCode(err) != resonanz.ECONFLICT {
		t.Errorf("request while confirmed: %v", err)
	}

	t.Run("ErrExpired", func(t *testing.T) {
		r2, _ := sqlite.NewRecipientService(db).CreateRecipient(ctx, resonanz.Recipient{Email: "late@example.org"})
		req, err := svc.RequestOptIn(ctx, r2.ID, list.ID, wording, resonanz.WebClient{})
		if err != nil {
			t.Fatal(err)
		}
		clock = clock.Add(resonanz.OptInTTL + time.Minute)
		if _, err := svc.ConfirmOptIn(ctx, req.Token, resonanz.WebClient{}); resonanz.ErrorCode(err) != resonanz.EFORBIDDEN {
			t.Errorf("expired link: %v", err)
		}
	})
}

// TestOptInService_Consents: tracking consents ticked on the form enter the
// ledger only at confirmation, one grant each with its own wording; an
// ended membership stays ended while the request is pending.
func TestOptInService_Consents(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	clock := time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC)
	db.Now = func() time.Time { return clock }
	r, _ := sqlite.NewRecipientService(db).CreateRecipient(ctx, resonanz.Recipient{Email: "doi@example.org"})
	list, _ := sqlite.NewListService(db).CreateList(ctx, resonanz.List{Name: "News"})
	subs := sqlite.NewSubscriptionService(db)
	if err := subs.Subscribe(ctx, r.ID, list.ID, resonanz.WebClient{}, "Ja"); err != nil {
		t.Fatal(err)
	}
	if err := subs.UnsubscribeList(ctx, r.ID, list.ID, resonanz.WebClient{}, "Nein"); err != nil {
		t.Fatal(err)
	}
	svc := sqlite.NewOptInService(db)
	consents := []resonanz.PendingConsent{
		{Purpose: resonanz.PurposeTrackingOpens, Wording: "Öffnungen erfassen"},
		{Purpose: resonanz.PurposeTrackingClicks, Wording: "Klicks erfassen"},
	}
	t.Run("ErrNewsletterAsExtra", func(t *testing.T) {
		_, err := svc.RequestOptIn(ctx, r.ID, list.ID, "Ja", resonanz.WebClient{}, resonanz.PendingConsent{Purpose: resonanz.PurposeNewsletter, Wording: "x"})
		if resonanz.ErrorCode(err) != resonanz.EINVALID {
			t.Errorf("newsletter as a pending consent: %v", err)
		}
	})
	clock = clock.Add(time.Minute)
	req, err := svc.RequestOptIn(ctx, r.ID, list.ID, "Ja, bitte", resonanz.WebClient{IP: "203.0.113.9", UserAgent: "Firefox"}, consents...)
	if err != nil {
		t.Fatal(err)
	}
	det, _ := sqlite.NewRecipientService(db).RecipientDetail(ctx, r.ID)
	if det.Lists[0].Status != resonanz.StatusUnsubscribed {
		t.Errorf("pending request changed an ended membership to %q", det.Lists[0].Status)
	}
	before := len(det.Consent)
	clock = clock.Add(time.Hour)
	if _, err := svc.ConfirmOptIn(ctx, req.Token, resonanz.WebClient{IP: "203.0.113.10", UserAgent: "Thunderbird"}); err != nil {
		t.Fatal(err)
	}
	det, _ = sqlite.NewRecipientService(db).RecipientDetail(ctx, r.ID)
	if det.Lists[0].Status != resonanz.StatusConfirmed {
		t.Errorf("membership after confirmation: %q", det.Lists[0].Status)
	}
	added := det.Consent[before:]
	if len(added) != 3 {
		t.Fatalf("ledger records added at confirmation: %+v", added)
	}
	want := map[string]string{resonanz.PurposeNewsletter: "Ja, bitte", resonanz.PurposeTrackingOpens: "Öffnungen erfassen", resonanz.PurposeTrackingClicks: "Klicks erfassen"}
	for _, c := range added {
		if want[c.Purpose] != c.Wording || !c.Granted || c.Source != resonanz.SourceDoubleOptIn || c.IP != "203.0.113.10" ||
			c.WordingHash != resonanz.WordingHash(c.Wording) || !c.At.Equal(clock) {
			t.Errorf("record %+v", c)
		}
	}
	ops, err := svc.OptIns(ctx, r.ID)
	if err != nil || len(ops) != 1 {
		t.Fatalf("OptIns: %+v %v", ops, err)
	}
	o := ops[0]
	if o.ListName != "News" || o.RequestedIP != "203.0.113.9" || o.RequestedUA != "Firefox" || o.ConfirmedIP != "203.0.113.10" ||
		o.ConfirmedUA != "Thunderbird" || !o.ConfirmedAt.Equal(clock) || !o.RequestedAt.Equal(clock.Add(-time.Hour)) || len(o.Consents) != 2 {
		t.Errorf("OptIns: %+v", o)
	}
}
