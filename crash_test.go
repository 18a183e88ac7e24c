//go:build unix

package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/resonanz/resonanz/backend/ingest"
	"github.com/resonanz/resonanz/backend/resonanz"
	"github.com/resonanz/resonanz/backend/smtp/smtptest"
)

// The crash tests run the resonanz command as a child process, SIGKILL it at
// a point they have seen is in the middle of the work, check the store file,
// run the same command again and assert exact counts. The input files are
// named pipes the test feeds: the child cannot finish before the kill,
// whatever the machine's speed.

// feedFIFO creates a named pipe at path and writes data to it from a
// goroutine, keeping the pipe open afterwards (the reader waits for more)
// until the returned function is called.
func feedFIFO(t *testing.T, path string, data []byte) (closeFn func()) {
	t.Helper()
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var w *os.File
	closed := false
	go func() {
		f, err := os.OpenFile(path, os.O_WRONLY, 0) // blocks until the child opens it
		if err != nil {
			return
		}
		mu.Lock()
		if closed {
			mu.Unlock()
			f.Close()
			return
		}
		w = f
		mu.Unlock()
		f.Write(data) // fails with EPIPE once the child is killed
	}()
	var once sync.Once
	closeFn = func() {
		once.Do(func() {
			mu.Lock()
			closed = true
			if w != nil {
				w.Close()
			}
			mu.Unlock()
			// Unblock an OpenFile still waiting for a reader.
			if r, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0); err == nil {
				r.Close()
			}
		})
	}
	t.Cleanup(closeFn)
	return closeFn
}

// replaceWithFile puts a regular file with data where the pipe was: the
// restarted command reads the whole input.
func replaceWithFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestCrash_RecipientImport kills a recipient import after it committed some
// of its 2000-row batches: the store holds whole batches only, and the same
// import run again ends with every row of the file exactly once.
func TestCrash_RecipientImport(t *testing.T) {
	const rows, batch = 20000, 2000
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	var csv bytes.Buffer
	csv.WriteString("E-Mail;Vorname;Nachname\r\n")
	cut := 0
	for i := range rows {
		if i == 13000 {
			cut = csv.Len() // the pipe gets 6.5 batches; the child then waits for more
		}
		fmt.Fprintf(&csv, "p%05d@example.org;Vor%d;Nach%d\r\n", i, i, i)
	}
	file := filepath.Join(dir, "kunden.csv")
	checkIntegrity(t, data) // creates the store, so the test can watch it from the start
	closeFeed := feedFIFO(t, file, csv.Bytes()[:cut])
	args := []string{"--data", data, "--json", "import", "recipients", file, "--list", "Kunden"}
	c := startChild(t, args...)
	db := peekStore(t, data)
	waitUntil(t, c, "four committed batches", func() bool {
		return count(t, db, `SELECT COUNT(*) FROM recipient`) >= 4*batch
	})
	c.kill(t)
	closeFeed()

	// A large import builds the name indexes at its end; the killed one never
	// got there, and the next open of the store builds them.
	const nameIndexes = `SELECT COUNT(*) FROM sqlite_schema WHERE type = 'index' AND name IN ('recipient_first_key', 'recipient_last_key')`
	if n := count(t, db, nameIndexes); n != 0 {
		t.Errorf("%d name indexes while the killed import ran, want 0", n)
	}
	checkIntegrity(t, data)
	if n := count(t, db, nameIndexes); n != 2 {
		t.Errorf("%d name indexes after the store was opened again, want 2", n)
	}
	got := count(t, db, `SELECT COUNT(*) FROM recipient`)
	if got%batch != 0 || got < 4*batch || got > 13000 {
		t.Fatalf("after the crash %d recipients: not whole batches of %d within the %d rows fed", got, batch, 13000)
	}
	if m := count(t, db, `SELECT COUNT(*) FROM membership`); m != got {
		t.Errorf("%d memberships for %d recipients: a batch was split", m, got)
	}
	if n := count(t, db, `SELECT COUNT(*) FROM import_change`); n != 0 {
		t.Errorf("%d import changes, want 0 (every row was new)", n)
	}

	replaceWithFile(t, file, csv.Bytes())
	code, stdout, stderr := runChild(t, args...)
	if code != 0 {
		t.Fatalf("restart: exit %d: %s", code, stderr)
	}
	var res resonanz.ImportResult
	if err := json.Unmarshal([]byte(stdout), &res); err != nil {
		t.Fatalf("%q: %v", stdout, err)
	}
	if res.Read != rows || res.Created != rows-got || res.Skipped != got || res.Updated != 0 || len(res.Rejected) != 0 {
		t.Errorf("rerun: %+v, want read %d, created %d, skipped %d", res, rows, rows-got, got)
	}
	checkIntegrity(t, data)
	if n := count(t, db, nameIndexes); n != 2 {
		t.Errorf("%d name indexes after the rerun, want 2", n)
	}
	if n := count(t, db, `SELECT COUNT(DISTINCT email_key) FROM recipient`); n != rows {
		t.Errorf("%d recipients after the rerun, want %d", n, rows)
	}
	if n := count(t, db, `SELECT COUNT(*) FROM membership WHERE status = 'confirmed'`); n != rows {
		t.Errorf("%d memberships after the rerun, want %d", n, rows)
	}
	// The killed import's process is gone: it counts as interrupted and can
	// be undone like any other, removing exactly the recipients it created.
	a, err := NewApp(context.Background(), data, Edge{Mode: "cli"}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	runs, err := a.importSvc.Imports(context.Background())
	if err != nil || len(runs) != 2 || runs[1].ID != 1 || runs[1].Status != "failed" || runs[0].Status != "done" {
		t.Fatalf("imports after the crash: %+v %v", runs, err)
	}
	if err := a.importSvc.UndoImport(context.Background(), 1); err != nil {
		t.Fatalf("undo of the killed import: %v", err)
	}
	if n := count(t, db, `SELECT COUNT(*) FROM recipient`); n != rows-got {
		t.Errorf("after undoing the killed import %d recipients, want %d", n, rows-got)
	}
}

// reactionFingerprint sums up everything a reaction import stores, without
// the import ids (a resumed import spreads its rows over two runs).
func reactionFingerprint(t *testing.T, db *sql.DB) string {
	t.Helper()
	var parts []string
	for _, q := range []string{
		`SELECT COUNT(*) || '/' || COALESCE(SUM(type), 0) || '/' || COALESCE(SUM(at % 1000003), 0) || '/' || COALESCE(SUM(recipient_id), 0) || '/' || COALESCE(SUM(flags), 0) || '/' || COUNT(link_id) || '/' || COUNT(ua_id) FROM reaction`,
		`SELECT COUNT(*) || '/' || COALESCE(SUM(n), 0) || '/' || COALESCE(SUM(n * type * (hour % 1009)), 0) FROM reaction_anon`,
		`SELECT COUNT(*) FROM reaction_seen`,
		`SELECT COUNT(*) || '/' || COUNT(DISTINCT key) FROM reaction_quarantine`,
		`SELECT COUNT(*) FROM suppression`,
		`SELECT COUNT(*) FROM link`,
		`SELECT COUNT(*) FROM consent`,
	} {
		var s string
		if err := db.QueryRow(q).Scan(&s); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " ")
}

// TestCrash_ReactionImport kills a provider-log import after it committed
// some of its 5000-event batches and imports the file again: the store then
// equals that of one uninterrupted import, down to the anonymous counters,
// and the rerun counts exactly the committed events as duplicates.
func TestCrash_ReactionImport(t *testing.T) {
	const events, people = 30000, 500
	dir := t.TempDir()
	// Recipients user0..user499; every other one consented to open and click
	// tracking (their opens are stored per person, the others only counted).
	var csv bytes.Buffer
	csv.WriteString("E-Mail;Tracking\n")
	for i := range people {
		yes := ""
		if i%2 == 0 {
			yes = "ja"
		}
		fmt.Fprintf(&csv, "user%d@example.com;%s\n", i, yes)
	}
	csvPath := filepath.Join(dir, "people.csv")
	if err := os.WriteFile(csvPath, csv.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	// Addresses 500..599 match nobody: those events go to the quarantine.
	if err := ingest.GenerateSendGrid(&log, events, 7, func(i int) string { return fmt.Sprintf("user%d@example.com", i%600) }); err != nil {
		t.Fatal(err)
	}
	setup := func(data string) {
		t.Helper()
		code, _, stderr := runCLI(t, "--data", data, "import", "recipients", csvPath,
			"--map", "Tracking=consent:tracking:opens", "--consent-source", "Test", "--consent-evidence", "Ja, Öffnungen auswerten")
		if code != 0 {
			t.Fatal(stderr)
		}
	}
	type result struct {
		Read, Imported, Duplicates, Unmatched, Anonymized, Rejected int
	}
	parse := func(stdout string) result {
		t.Helper()
		var r result
		if err := json.Unmarshal([]byte(stdout), &r); err != nil {
			t.Fatalf("%q: %v", stdout, err)
		}
		return r
	}

	// The reference: one uninterrupted import.
	ref := filepath.Join(dir, "ref")
	setup(ref)
	refFile := filepath.Join(dir, "ref.json")
	if err := os.WriteFile(refFile, log.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runCLI(t, "--data", ref, "--json", "import", "reactions", refFile, "--provider", "sendgrid", "--mailing", "Frühling")
	if code != 0 {
		t.Fatal(stderr)
	}
	want := parse(stdout)
	if want.Read != events || want.Imported == 0 || want.Unmatched == 0 || want.Anonymized == 0 {
		t.Fatalf("reference import %+v", want)
	}

	data := filepath.Join(dir, "data")
	setup(data)
	file := filepath.Join(dir, "sendgrid.json")
	closeFeed := feedFIFO(t, file, log.Bytes()[:log.Len()*3/4])
	args := []string{"--data", data, "--json", "import", "reactions", file, "--provider", "sendgrid", "--mailing", "Frühling"}
	c := startChild(t, args...)
	db := peekStore(t, data)
	stored := func() int {
		return count(t, db, `SELECT (SELECT COUNT(*) FROM reaction_seen) + (SELECT COUNT(*) FROM reaction_quarantine)`)
	}
	waitUntil(t, c, "two committed batches", func() bool { return stored() >= 2*5000*9/10 })
	c.kill(t)
	closeFeed()
	checkIntegrity(t, data)
	atKill := stored()
	if atKill >= events*3/4 {
		t.Fatalf("%d events stored of the %d fed: the kill came too late", atKill, events*3/4)
	}

	replaceWithFile(t, file, log.Bytes())
	code, stdout, stderr = runChild(t, args...)
	if code != 0 {
		t.Fatalf("restart: exit %d: %s", code, stderr)
	}
	got := parse(stdout)
	checkIntegrity(t, data)
	if got.Read != events || got.Duplicates != atKill || got.Imported+got.Unmatched != want.Imported+want.Unmatched-atKill {
		t.Errorf("rerun %+v: want read %d, %d duplicates (the events committed before the kill), %d new",
			got, events, atKill, want.Imported+want.Unmatched-atKill)
	}
	if g, w := reactionFingerprint(t, db), reactionFingerprint(t, peekStore(t, ref)); g != w {
		t.Errorf("killed and resumed import stored\n%s\nthe uninterrupted one\n%s", g, w)
	}
	// A third run adds nothing.
	code, stdout, _ = runCLI(t, "--data", data, "--json", "import", "reactions", file, "--provider", "sendgrid", "--mailing", "Frühling")
	if r := parse(stdout); code != 0 || r.Imported != 0 || r.Unmatched != 0 || r.Duplicates != want.Imported+want.Unmatched {
		t.Errorf("third run: exit %d %+v", code, r)
	}
}

// sink is the mail server of the send crash test: it lives in the test
// process, so what it took survives the kill of the sender. After limit
// messages (0: none) it holds every further one without answering, like a
// server that is slow to confirm; with take, the first held message counts
// as delivered (the server took it, its "250" never reached the sender).
type sink struct {
	mu      sync.Mutex
	got     map[string][]string // recipient → Message-IDs received
	total   int
	limit   int
	take    bool
	taken   string
	held    chan struct{} // closed when the first message is held
	release chan struct{} // closed to let held messages fail
	once    sync.Once
}

func newSink(limit int, take bool) *sink {
	return &sink{got: map[string][]string{}, limit: limit, take: take, held: make(chan struct{}), release: make(chan struct{})}
}

func (s *sink) accept(m smtptest.Message) error {
	pm, err := mail.ReadMessage(bytes.NewReader(m.Data))
	if err != nil {
		return err
	}
	id := pm.Header.Get("Message-Id")
	s.mu.Lock()
	if s.limit > 0 && s.total >= s.limit {
		if s.take && s.taken == "" {
			s.taken = m.To[0]
			s.got[m.To[0]] = append(s.got[m.To[0]], id)
		}
		s.mu.Unlock()
		s.once.Do(func() { close(s.held) })
		<-s.release
		return errors.New("held by the test")
	}
	s.total++
	s.got[m.To[0]] = append(s.got[m.To[0]], id)
	s.mu.Unlock()
	return nil
}

// acceptAll ends the holding: held messages fail, new ones are accepted.
func (s *sink) acceptAll() {
	s.mu.Lock()
	s.limit = 0
	s.mu.Unlock()
	select {
	case <-s.release:
	default:
		close(s.release)
	}
}

// TestCrash_Send kills a send run while the mail server holds messages of
// a batch, then runs the same command again: nobody is skipped, and
// nobody gets the mailing twice — except a message the server took in the
// very instant of the crash, whose acceptance the sender never learned: it
// goes out again with the same Message-ID (at least once).
func TestCrash_Send(t *testing.T) {
	const people, limit = 1500, 700 // batches of 500: the kill lands in the second
	for _, tt := range []struct {
		name string
		take bool // the server took the first held message
	}{
		{"BetweenAcceptances", false},
		{"ServerTookTheLastMessage", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			data := filepath.Join(dir, "data")
			var csv bytes.Buffer
			csv.WriteString("E-Mail;Nachname;Anrede;Newsletter\n")
			for i := range people {
				fmt.Fprintf(&csv, "p%04d@example.org;Muster%d;Frau;ja\n", i, i)
			}
			csvPath := filepath.Join(dir, "people.csv")
			if err := os.WriteFile(csvPath, csv.Bytes(), 0o600); err != nil {
				t.Fatal(err)
			}
			if code, _, stderr := runCLI(t, "--data", data, "import", "recipients", csvPath, "--list", "Reisen",
				"--map", "Newsletter=consent:newsletter:Reisen", "--consent-source", "Test", "--consent-evidence", "Ja, Reise-Newsletter"); code != 0 {
				t.Fatal(stderr)
			}
			a, err := NewApp(context.Background(), data, Edge{Mode: "cli"}, slog.New(slog.DiscardHandler))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := a.settingsSvc.SetSender(context.Background(), resonanz.SenderIdentity{FromName: "Reisebüro", FromAddress: "news@sonne.example"}); err != nil {
				t.Fatal(err)
			}
			lists, err := a.listSvc.Lists(context.Background())
			if err != nil || len(lists) != 1 {
				t.Fatal(lists, err)
			}
			if _, err := a.mailings.Save(resonanz.Mailing{Name: "Frühling", ListID: lists[0].ID, Subject: "Neue Reisen", Body: "{{ salutation }},\n\nbald geht es los.\n"}); err != nil {
				t.Fatal(err)
			}
			a.Close()

			sk := newSink(limit, tt.take)
			srv := smtptest.Start(t, smtptest.Options{Accept: sk.accept})
			t.Cleanup(sk.acceptAll) // runs before the server closes: held sessions end
			args := []string{"--data", data, "--json", "send", "Frühling", "--smtp", srv.Addr, "--smtp-security", "none"}
			c := startChild(t, args...)
			db := peekStore(t, data)
			<-sk.held
			// Every acceptance the sender saw is committed: wait for it, so
			// the kill lands between acceptances, not in their commit.
			waitUntil(t, c, "the accepted messages in the ledger", func() bool {
				return count(t, db, `SELECT COUNT(*) FROM delivery WHERE status = 'sent'`) == limit
			})
			inFlight := count(t, db, `SELECT COUNT(*) FROM delivery WHERE status = 'queued' AND error = ?`, resonanz.DeliveryInFlight)
			// While it runs, a second run of the same mailing is refused:
			// both would send the queued people.
			if code, _, stderr := runChild(t, args...); code != 1 || !strings.Contains(stderr, "being sent by another Resonanz window or command") {
				t.Errorf("a second run while the first is live: exit %d %s", code, stderr)
			}
			c.kill(t)
			sk.acceptAll()
			// The desk shows the killed run as paused (resumable), not as
			// sending forever.
			a, err = NewApp(context.Background(), data, Edge{Mode: "cli"}, slog.New(slog.DiscardHandler))
			if err != nil {
				t.Fatal(err)
			}
			mid := int64(count(t, db, `SELECT id FROM mailing WHERE name = 'Frühling'`))
			if run, err := a.mailings.SendStatus(mid); err != nil || run.Status != resonanz.RunPaused || !strings.Contains(run.PausedReason, "stopped before its end") {
				t.Errorf("desk status after the crash: %+v %v", run, err)
			}
			a.Close()

			checkIntegrity(t, data)
			if n := count(t, db, `SELECT COUNT(*) FROM delivery WHERE status = 'sent'`); n != limit {
				t.Fatalf("after the crash %d sent in the ledger, the server accepted %d", n, limit)
			}
			if inFlight == 0 || limit+inFlight > 1000 {
				t.Errorf("%d rows in flight at the kill; want some, all of the second batch", inFlight)
			}
			var takenRow string
			if tt.take {
				if err := db.QueryRow(`SELECT d.status || ':' || d.error FROM delivery d JOIN recipient r ON r.id = d.recipient_id WHERE r.email = ?`, sk.taken).Scan(&takenRow); err != nil {
					t.Fatal(err)
				}
				if takenRow != "queued:"+resonanz.DeliveryInFlight {
					t.Errorf("the message the server took is %q in the ledger, want it marked in flight", takenRow)
				}
			}

			code, stdout, stderr := runChild(t, args...)
			if code != 0 {
				t.Fatalf("restart: exit %d: %s", code, stderr)
			}
			var run resonanz.SendRun
			if err := json.Unmarshal([]byte(stdout), &run); err != nil {
				t.Fatal(err)
			}
			if run.Sent != people || run.Queued != 0 || run.Status != resonanz.RunDone {
				t.Errorf("restart result %+v", run)
			}
			checkIntegrity(t, data)
			sk.mu.Lock()
			defer sk.mu.Unlock()
			twice := 0
			for i := range people {
				addr := fmt.Sprintf("p%04d@example.org", i)
				ids := sk.got[addr]
				switch {
				case len(ids) == 1:
				case len(ids) == 2 && addr == sk.taken && ids[0] == ids[1] && ids[0] != "":
					twice++
				default:
					t.Errorf("%s got %d messages %v", addr, len(ids), ids)
				}
			}
			if len(sk.got) != people {
				t.Errorf("%d addresses mailed, want %d", len(sk.got), people)
			}
			if want := map[bool]int{false: 0, true: 1}[tt.take]; twice != want {
				t.Errorf("%d people got it twice, want %d", twice, want)
			}
			if n := count(t, db, `SELECT COUNT(*) FROM delivery WHERE status = 'sent' AND error = ''`); n != people {
				t.Errorf("%d clean sent rows in the ledger, want %d", n, people)
			}
		})
	}
}
