package sqlite_test

import (
	"bytes"
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/resonanz/resonanz/backend/resonanz"
	"github.com/resonanz/resonanz/backend/sqlite"
)

// inboxFiles returns the hit log's files.
// openInbox opens the store's hit inbox for this process (as a listener does).
func openInbox(t *testing.T, db *sqlite.DB) *sqlite.HitInbox {
	t.Helper()
	in, err := sqlite.OpenHitInbox(context.Background(), db, nil)
	if err != nil {
		t.Fatal(err)
	}
	return in
}

func inboxFiles(t *testing.T, db *sqlite.DB) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(filepath.Dir(db.Path()), sqlite.InboxDirName, "*.log"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func (f reactionFixture) hits() []resonanz.Hit {
	return []resonanz.Hit{
		{Type: resonanz.ReactionOpened, MailingID: f.mailing.ID, RecipientID: f.consented.ID, At: t0, UserAgent: "Thunderbird"},
		{Type: resonanz.ReactionOpened, MailingID: f.mailing.ID, RecipientID: f.consented.ID, At: t0, MachineOpen: true},
		{Type: resonanz.ReactionOpened, MailingID: f.mailing.ID, RecipientID: f.plain.ID, At: t0},
		{Type: resonanz.ReactionClicked, MailingID: f.mailing.ID, RecipientID: f.plain.ID, At: t0},
		{Type: resonanz.ReactionOpened, MailingID: 4242, RecipientID: f.plain.ID, At: t0}, // mailing deleted
	}
}

// check asserts the store holds f.hits() merged exactly times.
func (f reactionFixture) check(t *testing.T, times int) {
	t.Helper()
	if n := f.count(t, `SELECT COUNT(*) FROM reaction WHERE recipient_id = ?`, f.consented.ID); n != 2*times {
		t.Errorf("consented hits stored per person: %d, want %d", n, 2*times)
	}
	if n := f.count(t, `SELECT COUNT(*) FROM reaction WHERE flags & 1 = 1`); n != times {
		t.Errorf("machine opens flagged: %d, want %d", n, times)
	}
	if n := f.count(t, `SELECT COALESCE(SUM(n), 0) FROM reaction_anon`); n != 2*times {
		t.Errorf("anonymous hits: %d, want %d", n, 2*times)
	}
}

// TestHitInbox: hits are durable in the inbox before any merge, a merge
// applies the same consent gate as RecordHits, a killed process's file is
// adopted and merged by the next one, and a kill between the merge's commit
// and the file's removal doubles nothing.
func TestHitInbox(t *testing.T) {
	ctx := context.Background()
	f := newReactionFixture(t)
	in := openInbox(t, f.db)
	for _, h := range f.hits() {
		if err := in.AppendHit(h); err != nil {
			t.Fatal(err)
		}
	}
	if n := f.count(t, `SELECT COUNT(*) FROM reaction`); n != 0 {
		t.Fatalf("%d reactions before the merge", n)
	}
	// Killed before any merge: the next inbox adopts the file.
	in.Abandon()
	files := inboxFiles(t, f.db)
	if len(files) != 1 {
		t.Fatalf("inbox files %v", files)
	}
	kept, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	again := openInbox(t, f.db)
	if n, err := again.MergeAll(ctx); err != nil || n != len(f.hits()) {
		t.Fatalf("merged %d, %v", n, err)
	}
	f.check(t, 1)
	if fs := inboxFiles(t, f.db); len(fs) != 1 || fs[0] == files[0] {
		t.Errorf("after the merge: files %v (the adopted %s is removed, a new one is open)", fs, files[0])
	}

	t.Run("KilledBeforeRemoval", func(t *testing.T) {
		// The adopted file as a kill between the merge's commit and its
		// removal leaves it: its mark says it is merged.
		if err := os.WriteFile(files[0], kept, 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := f.db.SQL().ExecContext(ctx, `INSERT INTO setting (name, value, updated_at) SELECT ?, ?, 0`,
			"listener.inbox."+gen(t, kept), len(kept)); err != nil {
			t.Fatal(err)
		}
		third := openInbox(t, f.db)
		if n, err := third.MergeAll(ctx); err != nil || n != 0 {
			t.Fatalf("merged %d again, %v", n, err)
		}
		f.check(t, 1)
		if err := third.Close(ctx); err != nil {
			t.Fatal(err)
		}
		if n := f.count(t, `SELECT COUNT(*) FROM setting WHERE name LIKE 'listener.inbox.%'`); n != 0 {
			t.Errorf("%d merge marks left", n)
		}
	})
	t.Run("CloseMerges", func(t *testing.T) {
		again.Start()
		if err := again.AppendHit(f.hits()[0]); err != nil {
			t.Fatal(err)
		}
		if err := again.Close(ctx); err != nil {
			t.Fatal(err)
		}
		if n := f.count(t, `SELECT COUNT(*) FROM reaction WHERE recipient_id = ?`, f.consented.ID); n != 3 {
			t.Errorf("after Close: %d personal reactions, want 3", n)
		}
		if fs := inboxFiles(t, f.db); len(fs) != 0 {
			t.Errorf("after Close: files %v", fs)
		}
		if err := again.AppendHit(f.hits()[0]); err == nil {
			t.Error("a hit was taken after Close")
		}
	})
}

// gen returns a hit log file's generation (hex), as its mark names it.
func gen(t *testing.T, file []byte) string {
	t.Helper()
	const hexDigits = "0123456789abcdef"
	var b strings.Builder
	for _, c := range file[8:16] {
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	return b.String()
}

// TestHitInbox_TornTail: a file that ends in part of a frame (a power cut
// during a write) is merged up to the last whole hit, and removed.
func TestHitInbox_TornTail(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		tail func(frame []byte) []byte
	}{
		{"HalfAFrame", func(fr []byte) []byte { return fr[:len(fr)/2] }},
		{"HeaderOnly", func(fr []byte) []byte { return fr[:5] }},
		{"Zeros", func(fr []byte) []byte { return make([]byte, 512) }},
		{"WrongChecksum", func(fr []byte) []byte { c := bytes.Clone(fr); c[len(c)-1] ^= 1; return c }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newReactionFixture(t)
			in := openInbox(t, f.db)
			for _, h := range f.hits() {
				if err := in.AppendHit(h); err != nil {
					t.Fatal(err)
				}
			}
			in.Abandon()
			file := inboxFiles(t, f.db)[0]
			torn := tc.tail(sqlite.AppendFrame(nil, f.hits()[0]))
			fh, err := os.OpenFile(file, os.O_WRONLY|os.O_APPEND, 0)
			if err != nil {
				t.Fatal(err)
			}
			fh.Write(torn)
			fh.Close()
			again := openInbox(t, f.db)
			if n, err := again.MergeAll(ctx); err != nil || n != len(f.hits()) {
				t.Fatalf("merged %d, %v", n, err)
			}
			f.check(t, 1)
			if _, err := os.Stat(file); !os.IsNotExist(err) {
				t.Errorf("the torn file is still there: %v", err)
			}
			if err := again.Close(ctx); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestHitInbox_Rotation: the merge starts new files as the current one
// grows and removes the merged ones; a file of a running inbox is never
// adopted by another (it holds the file's lock), one of a closed or killed
// inbox is.
func TestHitInbox_Rotation(t *testing.T) {
	ctx := context.Background()
	f := newReactionFixture(t)
	in := openInbox(t, f.db)
	in.RotateSize, in.MergeBatch = 100, 2
	for range 3 {
		if err := in.RecordHits(ctx, f.hits()); err != nil {
			t.Fatal(err)
		}
		if _, err := in.MergeAll(ctx); err != nil {
			t.Fatal(err)
		}
	}
	f.check(t, 3)
	if fs := inboxFiles(t, f.db); len(fs) != 1 {
		t.Errorf("files after rotation %v, want the current one", fs)
	}

	other := openInbox(t, f.db)
	if err := in.RecordHits(ctx, f.hits()); err != nil {
		t.Fatal(err)
	}
	if n, err := other.MergeAll(ctx); err != nil || n != 0 {
		t.Fatalf("another inbox merged %d of a running one's hits, %v", n, err)
	}
	in.Abandon()
	third := openInbox(t, f.db)
	if n, err := third.MergeAll(ctx); err != nil || n != len(f.hits()) {
		t.Fatalf("merged %d of the killed inbox's hits, %v", n, err)
	}
	f.check(t, 4)
	for _, x := range []*sqlite.HitInbox{other, third} {
		if err := x.Close(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if fs := inboxFiles(t, f.db); len(fs) != 0 {
		t.Errorf("files left %v", fs)
	}
}

// TestHitInbox_AppendsWriteTogether: appends that arrive while a write runs
// wait for it without holding the lock and then go out together in one
// write, and every one of them is merged once.
func TestHitInbox_AppendsWriteTogether(t *testing.T) {
	ctx := context.Background()
	f := newReactionFixture(t)
	in := openInbox(t, f.db)
	var writes atomic.Int32
	first, release := make(chan struct{}), make(chan struct{})
	in.OnWrite(func() {
		if writes.Add(1) == 1 {
			close(first)
			<-release // the first write is slow (the disk is busy)
		}
	})
	hit := f.hits()[0]
	const n = 10
	errs := make(chan error, n+1)
	go func() { errs <- in.AppendHit(hit) }()
	<-first
	for range n {
		go func() { errs <- in.AppendHit(hit) }()
	}
	// All n gather behind the first write (they hold no lock meanwhile:
	// Backlog, which takes none, and the appends all get this far).
	deadline := time.Now().Add(5 * time.Second)
	for in.Gathering() < n && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if g := in.Gathering(); g != n {
		t.Fatalf("%d appends gathered behind the running write, want %d", g, n)
	}
	close(release)
	for range n + 1 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if w := writes.Load(); w != 2 {
		t.Errorf("%d writes for %d appends, want 2 (the first, then the rest together)", w, n+1)
	}
	if got, err := in.MergeAll(ctx); err != nil || got != n+1 {
		t.Fatalf("merged %d, %v; want %d", got, err, n+1)
	}
	if err := in.Close(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestHitInbox_ConcurrentAppends: many handlers appending at once while the
// merge runs and the file rotates under them: every hit is merged exactly
// once, and no append fails.
func TestHitInbox_ConcurrentAppends(t *testing.T) {
	ctx := context.Background()
	f := newReactionFixture(t)
	in := openInbox(t, f.db)
	in.RotateSize, in.MergeBatch, in.MergeInterval = 2048, 16, time.Millisecond
	in.Start()
	hit := f.hits()[0] // consented: stored per person
	const workers, each = 16, 200
	var wg sync.WaitGroup
	var failed atomic.Int32
	for range workers {
		wg.Go(func() {
			for range each {
				if err := in.AppendHit(hit); err != nil {
					failed.Add(1)
				}
			}
		})
	}
	wg.Wait()
	if err := in.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if failed.Load() != 0 {
		t.Fatalf("%d appends failed", failed.Load())
	}
	if got := f.count(t, `SELECT COUNT(*) FROM reaction WHERE recipient_id = ?`, f.consented.ID); got != workers*each {
		t.Errorf("stored %d hits, want %d", got, workers*each)
	}
	if fs := inboxFiles(t, f.db); len(fs) != 0 {
		t.Errorf("files left %v", fs)
	}
}

// TestHitInbox_Legacy: hits an earlier build left in its SQLite inbox are
// merged when the inbox opens, and the old file is removed.
func TestHitInbox_Legacy(t *testing.T) {
	ctx := context.Background()
	f := newReactionFixture(t)
	path := filepath.Join(filepath.Dir(f.db.Path()), "hits-inbox.db")
	raw, err := sql.Open("sqlite3", sqlite.DSN(path))
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`CREATE TABLE meta (generation TEXT NOT NULL)`,
		`INSERT INTO meta VALUES ('0123')`,
		`CREATE TABLE hit (id INTEGER PRIMARY KEY AUTOINCREMENT, type TEXT NOT NULL, mailing_id INTEGER NOT NULL,
			recipient_id INTEGER NOT NULL, link_id INTEGER NOT NULL, at INTEGER NOT NULL, machine INTEGER NOT NULL, ua TEXT NOT NULL)`,
	} {
		if _, err := raw.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	for _, h := range f.hits() {
		if _, err := raw.ExecContext(ctx, `INSERT INTO hit (type, mailing_id, recipient_id, link_id, at, machine, ua) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			string(h.Type), h.MailingID, h.RecipientID, h.LinkID, h.At.UnixMilli(), h.MachineOpen, h.UserAgent); err != nil {
			t.Fatal(err)
		}
	}
	raw.Close()
	in := openInbox(t, f.db)
	f.check(t, 1)
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("the old inbox is still there: %v", err)
	}
	if err := in.Close(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestHitFrame: the frame format round-trips every field, cuts what is too
// long, and a reader tells a beginning of a frame from garbage.
func TestHitFrame(t *testing.T) {
	at := time.Date(2026, 12, 7, 1, 2, 3, 4_000_000, time.UTC)
	for _, tc := range []struct {
		name string
		hit  resonanz.Hit
		want resonanz.Hit // zero: hit
	}{
		{"Open", resonanz.Hit{Type: resonanz.ReactionOpened, MailingID: 7, RecipientID: 100_000, At: at, UserAgent: "Thunderbird/128.0"}, resonanz.Hit{}},
		{"MachineOpen", resonanz.Hit{Type: resonanz.ReactionOpened, MailingID: 1, RecipientID: 2, At: at, MachineOpen: true}, resonanz.Hit{}},
		{"Click", resonanz.Hit{Type: resonanz.ReactionClicked, MailingID: 1 << 40, RecipientID: 3, LinkID: 9, At: at, UserAgent: "Mozilla/5.0 (Windows NT 10.0) Öffnen"}, resonanz.Hit{}},
		{"NegativeAndEpoch", resonanz.Hit{Type: resonanz.ReactionImageLoad, MailingID: -1, RecipientID: -1 << 62, LinkID: -5, At: time.UnixMilli(0).UTC()}, resonanz.Hit{}},
		{"LongAgentCut", resonanz.Hit{Type: resonanz.ReactionOpened, MailingID: 1, RecipientID: 1, At: at, UserAgent: strings.Repeat("x", 1500)},
			resonanz.Hit{Type: resonanz.ReactionOpened, MailingID: 1, RecipientID: 1, At: at, UserAgent: strings.Repeat("x", 1000)}},
		{"IPNotKept", resonanz.Hit{Type: resonanz.ReactionOpened, MailingID: 1, RecipientID: 1, At: at, IP: "192.0.2.1"},
			resonanz.Hit{Type: resonanz.ReactionOpened, MailingID: 1, RecipientID: 1, At: at}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := tc.want
			if want == (resonanz.Hit{}) {
				want = tc.hit
			}
			fr := sqlite.AppendFrame([]byte("prefix"), tc.hit)[len("prefix"):]
			got, n, ok, _ := sqlite.DecodeFrame(append(bytes.Clone(fr), "next"...))
			if !ok || n != len(fr) || !reflect.DeepEqual(got, want) {
				t.Fatalf("decoded %+v (%d of %d bytes, ok %v), want %+v", got, n, len(fr), ok, want)
			}
			for i := range len(fr) {
				if _, _, ok, short := sqlite.DecodeFrame(fr[:i]); ok || !short {
					t.Fatalf("the first %d bytes: ok %v, short %v; want short", i, ok, short)
				}
			}
			for i := range len(fr) {
				bad := bytes.Clone(fr)
				bad[i] ^= 0x20
				if got, _, ok, _ := sqlite.DecodeFrame(bad); ok && reflect.DeepEqual(got, want) {
					t.Fatalf("byte %d flipped: still decoded as the hit", i)
				}
			}
		})
	}
	for _, tc := range []struct {
		name string
		b    []byte
	}{
		{"ZeroLength", make([]byte, 16)},
		{"HugeLength", []byte{0xff, 0xff, 0xff, 0x7f, 0, 0, 0, 0}},
	} {
		if _, _, ok, short := sqlite.DecodeFrame(tc.b); ok || short {
			t.Errorf("%s: ok %v, short %v; want bad", tc.name, ok, short)
		}
	}
}

// FuzzHitFrame: the reader never panics, never claims more bytes than it
// has, and what it decodes encodes to a frame it decodes the same way.
func FuzzHitFrame(f *testing.F) {
	at := time.Date(2026, 12, 7, 1, 2, 3, 0, time.UTC)
	f.Add(sqlite.AppendFrame(nil, resonanz.Hit{Type: resonanz.ReactionOpened, MailingID: 7, RecipientID: 9, At: at, UserAgent: "Thunderbird"}))
	f.Add(sqlite.AppendFrame(nil, resonanz.Hit{Type: resonanz.ReactionClicked, MailingID: 1, RecipientID: 2, LinkID: 3, At: at, MachineOpen: true}))
	f.Add([]byte{})
	f.Add(make([]byte, 8))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, n, ok, short := sqlite.DecodeFrame(b)
		if !ok {
			if n != 0 || h != (resonanz.Hit{}) {
				t.Fatalf("not ok, but %d bytes and %+v", n, h)
			}
			if short && len(b) >= 8+1108 {
				t.Fatalf("short with %d bytes", len(b))
			}
			return
		}
		if n > len(b) || n < 8 {
			t.Fatalf("frame of %d bytes in %d", n, len(b))
		}
		again, m, ok, _ := sqlite.DecodeFrame(sqlite.AppendFrame(nil, h))
		if !ok || !reflect.DeepEqual(again, h) || m == 0 {
			t.Fatalf("re-encoded %+v decodes as %+v (ok %v)", h, again, ok)
		}
	})
}

// TestHitInbox_LookupsFollowTheStore: the merge keeps what it looked up
// (consent, recipients) between merges, but a consent given or withdrawn
// through the store in between counts for the next merge's hits.
func TestHitInbox_LookupsFollowTheStore(t *testing.T) {
	ctx := context.Background()
	f := newReactionFixture(t)
	in := openInbox(t, f.db)
	defer in.Close(ctx)
	at := t0
	merge := func(who resonanz.Recipient) {
		t.Helper()
		at = at.Add(time.Minute)
		if err := in.AppendHit(resonanz.Hit{Type: resonanz.ReactionOpened, MailingID: f.mailing.ID, RecipientID: who.ID, At: at}); err != nil {
			t.Fatal(err)
		}
		if n, err := in.MergeAll(ctx); err != nil || n != 1 {
			t.Fatalf("merged %d, %v", n, err)
		}
	}
	want := func(consented, plain, anon int) {
		t.Helper()
		if n := f.count(t, `SELECT COUNT(*) FROM reaction WHERE recipient_id = ?`, f.consented.ID); n != consented {
			t.Errorf("personal opens of the consented: %d, want %d", n, consented)
		}
		if n := f.count(t, `SELECT COUNT(*) FROM reaction WHERE recipient_id = ?`, f.plain.ID); n != plain {
			t.Errorf("personal opens of the other: %d, want %d", n, plain)
		}
		if n := f.count(t, `SELECT COALESCE(SUM(n), 0) FROM reaction_anon`); n != anon {
			t.Errorf("anonymous opens: %d, want %d", n, anon)
		}
	}
	merge(f.consented)
	merge(f.plain)
	want(1, 0, 1)
	consents := sqlite.NewConsentService(f.db)
	for _, c := range []resonanz.ConsentRecord{
		{RecipientID: f.consented.ID, Purpose: resonanz.PurposeTrackingOpens, Granted: false, Source: resonanz.SourceForm, Wording: "Nein"},
		{RecipientID: f.plain.ID, Purpose: resonanz.PurposeTrackingOpens, Granted: true, Source: resonanz.SourceForm, Wording: "Ja"},
	} {
		c.At = at.Add(time.Second)
		if _, err := consents.AppendConsent(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	merge(f.consented)
	merge(f.plain)
	want(1, 1, 2)
}

// TestHitInbox_CloseWithinDeadline: a backlog that the merge cannot finish
// before Close's deadline (a slow store: every step takes 2 ms, one hit per
// transaction) does not fail Close. Close returns in time; what it did not
// merge stays in the inbox, and the next inbox merges it: every hit is
// stored exactly once.
func TestHitInbox_CloseWithinDeadline(t *testing.T) {
	ctx := context.Background()
	f := newReactionFixture(t)
	in := openInbox(t, f.db)
	in.MergeBatch = 1
	in.SlowMerge(2 * time.Millisecond)
	in.Start()
	const n = 1000
	for i := range n {
		if err := in.AppendHit(resonanz.Hit{Type: resonanz.ReactionOpened, MailingID: f.mailing.ID, RecipientID: f.consented.ID,
			At: t0.Add(time.Duration(i) * time.Millisecond)}); err != nil {
			t.Fatal(err)
		}
	}
	cctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	if err := in.Close(cctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if d := time.Since(start); d > 400*time.Millisecond {
		t.Errorf("Close took %v with a deadline of 300 ms", d)
	}
	stored := f.count(t, `SELECT COUNT(*) FROM reaction`)
	if stored >= n {
		t.Fatalf("all %d hits merged before the deadline: the test needs a slower merge", stored)
	}
	if len(inboxFiles(t, f.db)) == 0 {
		t.Fatal("no inbox file left for the unmerged hits")
	}
	again := openInbox(t, f.db)
	if m, err := again.MergeAll(ctx); err != nil || m != n-stored {
		t.Errorf("the next inbox merged %d, want the %d left (%v)", m, n-stored, err)
	}
	if err := again.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if all, distinct := f.count(t, `SELECT COUNT(*) FROM reaction`), f.count(t, `SELECT COUNT(DISTINCT at) FROM reaction`); all != n || distinct != n {
		t.Errorf("%d reactions stored (%d distinct), want each of %d once", all, distinct, n)
	}
}

// TestHitInbox_Backlog: AppendHitWithin appends while the hits appended and
// not merged are below the bound, nothing once they reach it (the listener
// then refuses open pixels), waits for a merge that makes room, and the
// bound follows the merge's measured capacity.
func TestHitInbox_Backlog(t *testing.T) {
	ctx := context.Background()
	f := newReactionFixture(t)
	in := openInbox(t, f.db)
	defer in.Close(ctx)
	in.MergeBatch, in.MinBacklog = 8, 20
	hit := resonanz.Hit{Type: resonanz.ReactionOpened, MailingID: f.mailing.ID, RecipientID: f.consented.ID, At: t0}
	within := func(wait time.Duration) bool {
		ok, err := in.AppendHitWithin(ctx, wait, hit)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	for range 19 {
		if !within(0) {
			t.Fatalf("no room at a backlog of %d, bound 20", in.Backlog())
		}
	}
	in.AppendHit(hit)
	if within(0) || in.Backlog() != 20 {
		t.Fatalf("room at a backlog of %d, bound 20", in.Backlog())
	}
	start := time.Now()
	if within(50*time.Millisecond) || time.Since(start) < 50*time.Millisecond {
		t.Errorf("AppendHitWithin did not wait 50 ms for a merge that never came")
	}
	// A merge makes room, and a waiting append sees it.
	got := make(chan bool)
	go func() { got <- within(10 * time.Second) }()
	in.Start()
	select {
	case ok := <-got:
		if !ok {
			t.Error("no room after the merge")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("AppendHitWithin still waiting 5 s after the merge started")
	}
	// Clicks may be appended beyond the bound (the listener never refuses
	// them); the count follows them to zero.
	for range 50 {
		in.AppendHit(hit)
	}
	deadline := time.Now().Add(10 * time.Second)
	for in.Backlog() != 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if in.Backlog() != 0 {
		t.Errorf("backlog %d after the merge", in.Backlog())
	}
	if n := f.count(t, `SELECT COUNT(*) FROM reaction`); n != 71 {
		t.Errorf("%d reactions stored, want 71", n)
	}

	// Once merges were timed, the bound is two seconds of them: far more
	// than the floor here.
	measured := openInbox(t, f.db)
	defer measured.Close(ctx)
	measured.MergeBatch, measured.MinBacklog = 8, 20
	for range 40 {
		measured.AppendHit(hit)
	}
	if _, err := measured.MergeAll(ctx); err != nil {
		t.Fatal(err)
	}
	for range 30 {
		measured.AppendHit(hit)
	}
	if ok, err := measured.AppendHitWithin(ctx, 0, hit); !ok || err != nil {
		t.Errorf("no room at a backlog of %d after timed merges (floor 20): %v", measured.Backlog(), err)
	}
}

// TestHitInbox_BacklogBoundConcurrent: requests that append at the same
// time never take the backlog past its bound, however slow the write that
// counts their hits (a request that checked for room and appended apart
// would see the last free place with every other one).
func TestHitInbox_BacklogBoundConcurrent(t *testing.T) {
	ctx := context.Background()
	f := newReactionFixture(t)
	in := openInbox(t, f.db)
	defer in.Close(ctx)
	in.MergeBatch, in.MinBacklog = 1<<20, 50 // not started: nothing merges
	in.OnWrite(func() { time.Sleep(time.Millisecond) })
	hit := resonanz.Hit{Type: resonanz.ReactionOpened, MailingID: f.mailing.ID, RecipientID: f.consented.ID, At: t0}
	var appended atomic.Int64
	var wg sync.WaitGroup
	for range 64 {
		wg.Go(func() {
			for range 5 {
				ok, err := in.AppendHitWithin(ctx, 0, hit)
				if err != nil {
					t.Error(err)
					return
				}
				if ok {
					appended.Add(1)
				}
			}
		})
	}
	wg.Wait()
	if appended.Load() != 50 || in.Backlog() != 50 {
		t.Errorf("%d appended, backlog %d; want the bound's 50", appended.Load(), in.Backlog())
	}
}
