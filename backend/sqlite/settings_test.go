package sqlite_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/resonanz/resonanz/backend/resonanz"
	"github.com/resonanz/resonanz/backend/sqlite"
)

func TestSettingsService_Sender(t *testing.T) {
	ctx := context.Background()

	t.Run("OK/EmptyWhenNeverSaved", func(t *testing.T) {
		s, err := sqlite.NewSettingsService(MustOpenDB(t)).Sender(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if s != (resonanz.SenderIdentity{}) {
			t.Errorf("got %+v, want zero", s)
		}
	})

	t.Run("OK/PersistsAcrossReopen", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), sqlite.FileName)
		db, err := sqlite.Open(ctx, path, sqlite.Options{})
		if err != nil {
			t.Fatal(err)
		}
		saved, err := sqlite.NewSettingsService(db).SetSender(ctx, resonanz.SenderIdentity{
			FromName: "  Reisebüro Sonnenschein ", FromAddress: " news@reisebüro.example ", ReplyTo: "team@example.org",
		})
		if err != nil {
			t.Fatal(err)
		}
		want := resonanz.SenderIdentity{FromName: "Reisebüro Sonnenschein", FromAddress: "news@reisebüro.example", ReplyTo: "team@example.org"}
		if saved != want {
			t.Errorf("saved %+v, want %+v", saved, want)
		}
		db.Close()

		db, err = sqlite.Open(ctx, path, sqlite.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		got, err := sqlite.NewSettingsService(db).Sender(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("after reopen %+v, want %+v", got, want)
		}
	})

	t.Run("OK/AuditedOncePerChange", func(t *testing.T) {
		db := MustOpenDB(t)
		db.Now = func() time.Time { return time.Date(2026, 11, 28, 12, 0, 0, 0, time.FixedZone("CET", 3600)) }
		svc := sqlite.NewSettingsService(db)
		first := resonanz.SenderIdentity{FromName: "A", FromAddress: "a@example.org"}
		for range 2 { // the second save changes nothing and must not be audited
			if _, err := svc.SetSender(ctx, first); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := svc.SetSender(ctx, resonanz.SenderIdentity{FromName: "B", FromAddress: "a@example.org"}); err != nil {
			t.Fatal(err)
		}
		entries, err := sqlite.NewAuditService(db).Recent(ctx, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != 2 {
			t.Fatalf("got %d audit entries, want 2: %+v", len(entries), entries)
		}
		e := entries[0]
		if e.Action != "settings.sender.update" || !e.At.Equal(db.Now()) || e.At.Location() != time.UTC {
			t.Errorf("newest entry %+v", e)
		}
		var detail struct{ Before, After resonanz.SenderIdentity }
		if err := json.Unmarshal([]byte(e.Detail), &detail); err != nil {
			t.Fatal(err)
		}
		if detail.Before.FromName != "A" || detail.After.FromName != "B" {
			t.Errorf("detail %+v", detail)
		}
	})

	t.Run("ErrInvalidKeepsStoredValue", func(t *testing.T) {
		db := MustOpenDB(t)
		svc := sqlite.NewSettingsService(db)
		good := resonanz.SenderIdentity{FromName: "Good", FromAddress: "good@example.org"}
		if _, err := svc.SetSender(ctx, good); err != nil {
			t.Fatal(err)
		}
		_, err := svc.SetSender(ctx, resonanz.SenderIdentity{FromName: "Bad", FromAddress: "not-an-address"})
		if resonanz.ErrorCode(err) != resonanz.EINVALID {
			t.Fatalf("err %v, want invalid", err)
		}
		if got, _ := svc.Sender(ctx); got != good {
			t.Errorf("stored value changed to %+v", got)
		}
	})
}

func TestAuditService_Recent(t *testing.T) {
	for _, limit := range []int{0, -1, 1001} {
		_, err := sqlite.NewAuditService(MustOpenDB(t)).Recent(context.Background(), limit)
		if resonanz.ErrorCode(err) != resonanz.EINVALID || !strings.Contains(resonanz.ErrorMessage(err), "limit") {
			t.Errorf("limit %d: %v", limit, err)
		}
	}
}
