package desktop_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/resonanz/resonanz/backend/desktop"
	"github.com/resonanz/resonanz/backend/resonanz"
	"github.com/resonanz/resonanz/backend/sqlite"
	"github.com/resonanz/resonanz/backend/sqlite/sqlitetest"
)

type recordEvents struct {
	mu    sync.Mutex
	names []string
	last  any
}

func (r *recordEvents) Emit(name string, data any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.names = append(r.names, name)
	r.last = data
}

func newRecipients(t *testing.T, events desktop.Emitter) *desktop.Recipients {
	t.Helper()
	ctx := context.Background()
	db := sqlitetest.MustOpenDB(t)
	return desktop.NewRecipients(ctx, desktop.RecipientServices{
		Recipients: sqlite.NewRecipientService(db), Lists: sqlite.NewListService(db), Attributes: sqlite.NewAttributeService(db),
		Consent: sqlite.NewConsentService(db), Imports: sqlite.NewImportService(db),
	}, desktop.PickedFiles{}, events)
}

func TestRecipients_ImportFile(t *testing.T) {
	events := &recordEvents{}
	r := newRecipients(t, events)
	path := filepath.Join(t.TempDir(), "kunden.csv")
	os.WriteFile(path, []byte("E-Mail;Vorname;Notiz\nanna@example.org;Anna;VIP\nkaputt;X;\n"), 0o600)

	p, err := r.PreviewImport(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if p.FileName != "kunden.csv" || p.Delimiter != ";" || len(p.Columns) != 3 || p.Columns[0].Field != "email" || p.Columns[2].Field != "" || len(p.Sample) != 2 {
		t.Errorf("preview %+v", p)
	}
	if _, err := r.PreviewImport("relative.csv", nil); resonanz.ErrorCode(err) != resonanz.EINVALID {
		t.Errorf("relative path: %v", err)
	}

	res, err := r.ImportFile(desktop.ImportFileRequest{Source: path, Mapping: map[string]string{"Notiz": "-"},
		Options: resonanz.RecipientImport{ListName: "Kunden"}, OpID: "op7"})
	if err != nil || res.Created != 1 || len(res.Rejected) != 1 || res.Rejected[0].Line != 3 {
		t.Fatalf("import %+v %v", res, err)
	}
	if len(events.names) == 0 || events.names[len(events.names)-1] != "import:progress:op7" {
		t.Errorf("events %v", events.names)
	}
	if last, ok := events.last.(resonanz.ImportProgress); !ok || last.Rows != 2 || last.Bytes != last.TotalBytes {
		t.Errorf("final progress %+v", events.last)
	}
	page, _ := r.Find(resonanz.RecipientFilter{Limit: 10})
	if page.Total != 1 {
		t.Fatalf("find %+v", page)
	}
	csv, err := r.ExportCSV(resonanz.RecipientFilter{IDs: []int64{page.Recipients[0].ID}})
	if err != nil || csv != "\ufeffemail;first_name;last_name;gender;title;language\r\nanna@example.org;Anna;;;;\r\n" {
		t.Errorf("csv %q %v", csv, err)
	}
	html, err := r.ProofHTML(page.Recipients[0].ID)
	if err != nil || len(html) < 100 {
		t.Errorf("proof %v", err)
	}
	runs, _ := r.Imports()
	if len(runs) != 1 || runs[0].FileName != "kunden.csv" {
		t.Errorf("runs %+v", runs)
	}
	if ok, err := r.UndoImport(runs[0].ID); !ok || err != nil {
		t.Fatal(err)
	}
	if page, _ := r.Find(resonanz.RecipientFilter{Limit: 10}); page.Total != 0 {
		t.Errorf("after undo %d", page.Total)
	}
}

// cancelOnFirst cancels the import as soon as the first progress event comes.
type cancelOnFirst struct {
	r    *desktop.Recipients
	once sync.Once
}

func (c *cancelOnFirst) Emit(name string, _ any) {
	c.once.Do(func() { c.r.CancelImport(strings.TrimPrefix(name, "import:progress:")) })
}

func TestRecipients_CancelImport(t *testing.T) {
	c := &cancelOnFirst{}
	r := newRecipients(t, c)
	c.r = r
	var b strings.Builder
	b.WriteString("email\n")
	for i := range 20_000 {
		fmt.Fprintf(&b, "p%d@example.org\n", i)
	}
	path := filepath.Join(t.TempDir(), "big.csv")
	os.WriteFile(path, []byte(b.String()), 0o600)
	res, err := r.ImportFile(desktop.ImportFileRequest{Source: path, OpID: "big"})
	if err != nil || !res.Cancelled || res.Created == 0 || res.Created >= 20_000 {
		t.Fatalf("result %+v %v", res, err)
	}
	page, _ := r.Find(resonanz.RecipientFilter{Limit: 1})
	if page.Total != res.Created {
		t.Errorf("stored %d, result says %d", page.Total, res.Created)
	}
	if ok, _ := r.CancelImport("big"); ok {
		t.Error("a finished import is still cancellable")
	}
}

func TestRecipients_ProofInTheSavedLanguage(t *testing.T) {
	ctx := context.Background()
	db := sqlitetest.MustOpenDB(t)
	settings := sqlite.NewSettingsService(db)
	r := desktop.NewRecipients(ctx, desktop.RecipientServices{
		Recipients: sqlite.NewRecipientService(db), Lists: sqlite.NewListService(db), Attributes: sqlite.NewAttributeService(db),
		Consent: sqlite.NewConsentService(db), Imports: sqlite.NewImportService(db), Settings: settings,
	}, desktop.PickedFiles{}, &recordEvents{})
	anna, err := r.Create(resonanz.Recipient{Email: "anna@example.org"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ saved, want string }{
		{"", "<h1>Einwilligungsnachweis für anna@example.org</h1>"}, // none saved: German
		{"en", "<h1>Consent proof for anna@example.org</h1>"},
		{"de", "<h1>Einwilligungsnachweis für anna@example.org</h1>"},
	} {
		if tc.saved != "" {
			if err := settings.SetValue(ctx, resonanz.SettingLanguage, tc.saved); err != nil {
				t.Fatal(err)
			}
		}
		html, err := r.ProofHTML(anna.ID)
		if err != nil || !strings.Contains(html, tc.want) {
			t.Errorf("saved %q: proof %v, lacks %q", tc.saved, err, tc.want)
		}
	}
}
