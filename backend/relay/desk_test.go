package relay_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/resonanz/resonanz/backend/listener"
	"github.com/resonanz/resonanz/backend/relay"
	"github.com/resonanz/resonanz/backend/resonanz"
	"github.com/resonanz/resonanz/backend/sqlite"
	"github.com/resonanz/resonanz/backend/sqlite/sqlitetest"
)

// memSecrets is the desk's secret store in memory.
type memSecrets struct {
	mu sync.Mutex
	m  map[string][]byte
}

func (s *memSecrets) Secret(_ context.Context, name string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m[name], nil
}

func (s *memSecrets) SetSecret(_ context.Context, name string, v []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[name] = v
	return nil
}

// viewProfiles is the profile page's view from the recipient row alone.
type viewProfiles struct {
	listener.Profiles
	recipients resonanz.RecipientService
}

func (p viewProfiles) Profile(ctx context.Context, id int64) (listener.ProfileView, error) {
	r, err := p.recipients.RecipientByID(ctx, id)
	return listener.ProfileView{Email: r.Email, FirstName: r.FirstName, LastName: r.LastName}, err
}

// testRelay is a relay server on loopback that counts the publications
// (final parts) it received.
type testRelay struct {
	http         *httptest.Server
	code         string
	id           string
	publications atomic.Int64
}

func startRelay(t *testing.T) *testRelay {
	t.Helper()
	ctx := context.Background()
	st, err := relay.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	tr := &testRelay{}
	mux := http.NewServeMux()
	tr.http = httptest.NewServer(mux)
	t.Cleanup(tr.http.Close)
	srv, err := relay.NewServer(st, relay.Config{PublicURL: tr.http.URL, TrackRate: -1})
	if err != nil {
		t.Fatal(err)
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == relay.SyncPath+"publish" {
			body, _ := io.ReadAll(r.Body)
			var p struct{ Final bool }
			json.Unmarshal(body, &p)
			r.Body = io.NopCloser(bytes.NewReader(body))
			if p.Final {
				defer tr.publications.Add(1)
			}
		}
		srv.Handler().ServeHTTP(w, r)
	})
	secret, err := st.NewPairing(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tr.id, _ = st.RelayID(ctx)
	tr.code = relay.Pairing{URL: tr.http.URL, RelayID: tr.id, Secret: secret}.Code()
	return tr
}

type desk struct {
	db         *sqlite.DB
	relays     *relay.Relays
	settings   *sqlite.SettingsService
	lists      *sqlite.ListService
	recipients *sqlite.RecipientService
}

func newDesk(t *testing.T) *desk {
	t.Helper()
	db := sqlitetest.MustOpenDB(t)
	d := &desk{db: db, settings: sqlite.NewSettingsService(db), lists: sqlite.NewListService(db), recipients: sqlite.NewRecipientService(db)}
	d.relays = relay.NewRelays(relay.DeskConfig{
		Secrets:     &memSecrets{m: map[string][]byte{}},
		ListenerKey: func(context.Context) ([]byte, error) { return listenerSecret, nil },
		Settings:    d.settings,
		Apply:       relay.Desk{Journal: sqlite.NewRelayJournal(db)},
		Source: relay.Source{Recipients: d.recipients, Profiles: viewProfiles{recipients: d.recipients}, Lists: d.lists,
			Mailings: sqlite.NewMailingService(db), Surveys: sqlite.NewSurveyService(db)},
		Changes:       sqlite.NewRelayChanges(db),
		StatusTimeout: 2 * time.Second,
	})
	return d
}

func (d *desk) publicURL(t *testing.T) string {
	t.Helper()
	var ls resonanz.ListenerSettings
	if _, err := d.settings.Value(context.Background(), resonanz.SettingListener, &ls); err != nil {
		t.Fatal(err)
	}
	return ls.PublicURL
}

func TestRelays_PairModeUnpair(t *testing.T) {
	ctx := context.Background()
	d := newDesk(t)
	a, b := startRelay(t), startRelay(t)
	local := "https://news.example.de/r"
	if err := d.settings.SetValue(ctx, resonanz.SettingListener, resonanz.ListenerSettings{PublicURL: local}); err != nil {
		t.Fatal(err)
	}

	t.Run("ErrCode", func(t *testing.T) {
		_, err := d.relays.Connect(ctx, "resonanz-relay:1:kaputt")
		var re *resonanz.Error
		if !asError(err, &re) || re.Code != resonanz.EINVALID || re.Key != "error.relay.code" || re.Field != "code" {
			t.Fatalf("err = %#v", err)
		}
	})
	t.Run("ErrNonePaired", func(t *testing.T) {
		if err := d.relays.SetMode(ctx, relay.ModeRelay); keyOf(err) != "error.relay.nonePaired" {
			t.Fatalf("err = %v", err)
		}
		if _, err := d.relays.Sync(ctx, true, nil); keyOf(err) != "error.relay.nonePaired" {
			t.Fatalf("err = %v", err)
		}
	})

	if _, err := d.relays.Connect(ctx, a.code); err != nil {
		t.Fatal(err)
	}
	if got := d.publicURL(t); got != a.http.URL {
		t.Fatalf("links point at %q, want the relay %q", got, a.http.URL)
	}
	if _, err := d.relays.Connect(ctx, b.code); err != nil {
		t.Fatal(err)
	}
	o, err := d.relays.Overview(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if o.Mode != relay.ModeRelay || o.LinksURL != b.http.URL || o.LocalPublicURL != local || len(o.Relays) != 2 {
		t.Fatalf("overview = %+v", o)
	}
	for _, r := range o.Relays {
		if !r.Reachable || r.Problem != nil || r.LastSync != nil || r.Links != (r.ID == b.id) {
			t.Fatalf("relay %+v", r)
		}
	}

	// A sync reaches both; an unreachable relay is named with a clear
	// problem and the others are still synced.
	res, err := d.relays.Sync(ctx, true, nil)
	if err != nil || len(res) != 2 || res[0].Published == nil || res[1].Published == nil {
		t.Fatalf("sync = %+v, %v", res, err)
	}
	b.http.Close()
	res, err = d.relays.Sync(ctx, true, nil)
	if keyOf(err) != "error.relay.unreachable" || resonanz.ErrorCode(err) != resonanz.ECONFLICT {
		t.Fatalf("sync with a relay down: %v", err)
	}
	for _, r := range res {
		if (r.RelayID == b.id) != (r.Problem != nil) {
			t.Fatalf("result %+v", r)
		}
	}
	o, _ = d.relays.Overview(ctx)
	for _, r := range o.Relays {
		switch r.ID {
		case a.id:
			if !r.Reachable || r.LastSync == nil || r.LastProblem != nil {
				t.Fatalf("relay a %+v", r)
			}
		case b.id:
			if r.Reachable || r.Problem == nil || r.Problem.Key != "error.relay.unreachable" || r.Problem.Params["url"] != b.http.URL ||
				r.LastSync == nil || r.LastProblem == nil || r.LastProblem.Key != "error.relay.unreachable" {
				t.Fatalf("relay b %+v (problem %+v, last %+v)", r, r.Problem, r.LastProblem)
			}
			// The reason is the innermost cause, not the whole chain.
			if reason := r.Problem.Params["reason"]; reason != "connect: connection refused" {
				t.Fatalf("reason %q", reason)
			}
		}
	}

	// Local mode restores the local listener's URL; the relays stay paired.
	if err := d.relays.SetMode(ctx, relay.ModeLocal); err != nil {
		t.Fatal(err)
	}
	if got := d.publicURL(t); got != local {
		t.Fatalf("local mode: links point at %q", got)
	}
	if err := d.relays.SetMode(ctx, relay.ModeRelay); err != nil {
		t.Fatal(err)
	}
	// Unpairing the relay the links point at moves them to the other one;
	// unpairing the last one goes back to the local listener.
	linked := d.publicURL(t)
	first, second := a, b
	if linked == b.http.URL {
		first, second = b, a
	}
	if err := d.relays.Unpair(ctx, first.id); err != nil {
		t.Fatal(err)
	}
	if got := d.publicURL(t); got != second.http.URL {
		t.Fatalf("after unpairing: links point at %q, want %q", got, second.http.URL)
	}
	if err := d.relays.Unpair(ctx, first.id); keyOf(err) != "error.relay.notPaired" {
		t.Fatalf("unpair twice: %v", err)
	}
	if err := d.relays.Unpair(ctx, second.id); err != nil {
		t.Fatal(err)
	}
	o, _ = d.relays.Overview(ctx)
	if o.Mode != relay.ModeLocal || o.LinksURL != local || len(o.Relays) != 0 {
		t.Fatalf("after unpairing all: %+v", o)
	}
}

func TestRelays_SyncProgress(t *testing.T) {
	ctx := context.Background()
	d := newDesk(t)
	r := startRelay(t)
	for i := range 120 {
		if _, err := d.recipients.CreateRecipient(ctx, resonanz.Recipient{Email: fmt.Sprintf("p%d@example.de", i)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := d.relays.Connect(ctx, r.code); err != nil {
		t.Fatal(err)
	}
	var seen []relay.SyncProgress
	res, err := d.relays.Sync(ctx, true, func(p relay.SyncProgress) { seen = append(seen, p) })
	if err != nil || res[0].Published.Profiles != 120 {
		t.Fatalf("sync = %+v, %v", res, err)
	}
	last := seen[len(seen)-1]
	if seen[0].Phase != "collect" || last.Phase != "publish" || last.Done != 120 || last.Total != 120 {
		t.Fatalf("progress %+v", seen)
	}
}

// TestAutoPublish: a change is published within the quiet period against a
// real relay, and a burst of changes becomes one publication.
func TestAutoPublish(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	d := newDesk(t)
	r := startRelay(t)
	if _, err := d.relays.Connect(ctx, r.code); err != nil {
		t.Fatal(err)
	}
	if _, err := d.relays.Sync(ctx, true, nil); err != nil {
		t.Fatal(err)
	}
	p := d.relays.AutoPublisher()
	p.Poll, p.Quiet, p.MaxDelay = 20*time.Millisecond, 500*time.Millisecond, 5*time.Second
	done := make(chan struct{})
	go func() { p.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	base := r.publications.Load()

	// Nothing changed: nothing is published.
	time.Sleep(500 * time.Millisecond)
	if n := r.publications.Load() - base; n != 0 {
		t.Fatalf("%d publications without a change", n)
	}

	// One change: published within the quiet period (and a margin).
	start := time.Now()
	if _, err := d.lists.CreateList(ctx, resonanz.List{Name: "Kunden"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 3*time.Second, func() bool { return r.publications.Load()-base == 1 })
	t.Logf("published %v after the change", time.Since(start).Round(time.Millisecond))
	// The status follows once the sync has recorded its result.
	waitFor(t, 3*time.Second, func() bool { return p.Status().Count == 1 })
	if st := p.Status(); st.Problem != nil || st.LastAt == nil || st.Running {
		t.Fatalf("status %+v", st)
	}

	// A burst of changes: one publication.
	base = r.publications.Load()
	for i := range 10 {
		if _, err := d.recipients.CreateRecipient(ctx, resonanz.Recipient{Email: fmt.Sprintf("burst%d@example.de", i)}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	waitFor(t, 3*time.Second, func() bool { return r.publications.Load()-base >= 1 })
	time.Sleep(1200 * time.Millisecond)
	if n := r.publications.Load() - base; n != 1 {
		t.Fatalf("%d publications for one burst, want 1", n)
	}

	// The relay goes away: the failure is kept in the status.
	r.http.Close()
	if _, err := d.lists.CreateList(ctx, resonanz.List{Name: "Partner"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 3*time.Second, func() bool {
		st := p.Status()
		return st.Problem != nil && st.Problem.Key == "error.relay.unreachable"
	})
}

func TestAutoPublisher_MaxDelay(t *testing.T) {
	// A steady stream of changes is still published after MaxDelay.
	ctx, cancel := context.WithCancel(context.Background())
	var published atomic.Int64
	p := &relay.AutoPublisher{
		Changed: func(context.Context) (bool, error) { return true, nil },
		Publish: func(context.Context) error { published.Add(1); return nil },
		Poll:    10 * time.Millisecond, Quiet: time.Hour, MaxDelay: 200 * time.Millisecond,
	}
	done := make(chan struct{})
	go func() { p.Run(ctx); close(done) }()
	waitFor(t, 3*time.Second, func() bool { return published.Load() >= 1 })
	cancel()
	<-done
}

func waitFor(t *testing.T, limit time.Duration, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %v", limit)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func asError(err error, target **resonanz.Error) bool {
	e, ok := err.(*resonanz.Error)
	*target = e
	return ok
}

func keyOf(err error) string {
	if e, ok := err.(*resonanz.Error); ok {
		return e.Key
	}
	return fmt.Sprintf("not a resonanz.Error: %v", err)
}
