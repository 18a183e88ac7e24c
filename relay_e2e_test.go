//go:build unix

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/resonanz/resonanz/backend/relay"
	"github.com/resonanz/resonanz/backend/resonanz"
	"github.com/resonanz/resonanz/backend/smtp/smtptest"
)

// relayPeople: anna edits her profile and withdraws open tracking, bernd
// unsubscribes on the page, carla with one click, dora's pixel is the load
// during the SIGKILL.
// sinkPassword is the mail server's password: the relay gets it to mail
// confirmations, and it must be nowhere in the relay's data directory.
const sinkPassword = "Sink-Passw0rd-4471"

var relayPeople = []string{"anna.relay@example.de", "bernd.relay@example.de", "carla.relay@example.de", "dora.relay@example.de"}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func waitHealthy(t *testing.T, c *child, base string) {
	t.Helper()
	waitUntil(t, c, base+" to answer", func() bool {
		resp, err := http.Get(base + "/healthz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})
}

// relayVisitor is a browser that rewrites the mails' public URL to where the
// pages are served (the relay, or the local listener for the comparison).
type relayVisitor struct {
	t        *testing.T
	from, to string
	ua       string
	client   *http.Client
}

func (v *relayVisitor) do(method, public string, form url.Values) (int, string) {
	v.t.Helper()
	u := v.to + strings.TrimPrefix(public, v.from)
	if method == http.MethodPost {
		// A browser posts a page's forms to the page's URL, which on the
		// relay no longer carries the person secret (it is in a cookie).
		u, _, _ = strings.Cut(u, "?k=")
	}
	for range 3 {
		var body io.Reader
		if form != nil {
			body = strings.NewReader(form.Encode())
		}
		req, _ := http.NewRequest(method, u, body)
		if form != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		req.Header.Set("User-Agent", v.ua)
		req.Header.Set("Accept-Language", "de-DE,de;q=0.9")
		resp, err := v.client.Do(req)
		if err != nil {
			v.t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther {
			return resp.StatusCode, string(b)
		}
		// The relay swaps a link's secret for a cookie (the client's jar).
		loc, _ := req.URL.Parse(resp.Header.Get("Location"))
		method, u, form = http.MethodGet, loc.String(), nil
	}
	v.t.Fatalf("redirect loop at %s", u)
	return 0, ""
}

func (v *relayVisitor) must(method, public string, form url.Values, want int) string {
	v.t.Helper()
	code, page := v.do(method, public, form)
	if code != want {
		v.t.Fatalf("%s %s: %d, want %d\n%s", method, public, code, want, page)
	}
	return page
}

// links are one person's URLs from the mail.
type links struct{ open, click, unsub, profile, survey string }

func mailLinks(t *testing.T, srv *smtptest.Server, base string) map[string]links {
	t.Helper()
	out := map[string]links{}
	re := regexp.MustCompile(regexp.QuoteMeta(base) + `/([ocups])/[A-Za-z0-9_-]+(\?k=[A-Za-z0-9_-]+)?`)
	for _, m := range srv.Messages() {
		if bytes.Contains(m.Data, []byte("X-Resonanz-Notice:")) {
			continue // a confirmation or profile-link mail
		}
		_, text, htm := mailParts(t, m.Data)
		var l links
		for _, u := range re.FindAllString(html.UnescapeString(htm)+"\n"+text, -1) {
			switch u[len(base)+1] {
			case 'o':
				l.open = u
			case 'c':
				l.click = u
			case 'u':
				l.unsub = u
			case 'p':
				l.profile = u
			case 's':
				l.survey = u
			}
		}
		if l.unsub == "" || l.profile == "" {
			t.Fatalf("mail to %v lacks links: %+v\n%s", m.To, l, htm)
		}
		out[m.To[0]] = l
	}
	return out
}

// signupEmail is who signs up on the form (and confirms) in the
// comparison run.
const signupEmail = "erika.neu@example.org"

// actionsBefore and actionsAfter are what the recipients do before and
// after the relay's crash (the same against the local listener): anna
// edits her profile, withdraws open tracking and answers the survey
// (letting it fill her profile); bernd unsubscribes on the page, carla
// with one click; erika signs up on the form before the crash and confirms
// with the link of the mail she got after it.
func actionsBefore(t *testing.T, v *relayVisitor, l map[string]links, form string) {
	anna, bernd := l[relayPeople[0]], l[relayPeople[1]]
	v.must("GET", anna.open, nil, 200)
	v.must("GET", anna.click, nil, http.StatusFound)
	page := v.must("GET", anna.profile, nil, 200)
	if !strings.Contains(page, "Anna") {
		t.Fatalf("the profile page does not show the person's data:\n%s", page)
	}
	// Edit the first name, keep the list, withdraw open tracking (keep clicks).
	v.must("POST", anna.profile, hiddenFields(page, map[string]string{"action": "save", "first_name": "Annemarie",
		"last_name": "Relay", "gender": "f", "language": "de", "list_1": "1", "c_clicks": "1"}), 200)
	if page := v.must("GET", anna.profile, nil, 200); !strings.Contains(page, "Annemarie") {
		t.Fatal("the profile does not show the change on the next visit")
	}
	v.must("GET", anna.open, nil, 200) // after the withdrawal: counted anonymously
	// The survey: a choice that fills her profile (she agrees), and a text.
	page = v.must("GET", anna.survey, nil, 200)
	choice := regexp.MustCompile(`type="radio" name="(q_[^"]+)" value="([^"]+)"`).FindAllStringSubmatch(page, -1)
	text := regexp.MustCompile(`<textarea name="(q_[^"]+)"`).FindStringSubmatch(page)
	if len(choice) != 2 || text == nil {
		t.Fatalf("survey page:\n%s", page)
	}
	v.must("POST", anna.survey, hiddenFields(page, map[string]string{choice[1][1]: choice[1][2], text[1]: "Lieber Sylt als Mallorca",
		"profile_ok": "1"}), 200)
	page = v.must("GET", bernd.unsub, nil, 200)
	v.must("POST", bernd.unsub, hiddenFields(page, nil), 200)
	page = v.must("GET", form, nil, 200)
	v.must("POST", form, hiddenFields(page, map[string]string{"email": signupEmail, "first_name": "Erika", "newsletter": "1", "c_opens": "1"}), 200)
}

func actionsAfter(t *testing.T, v *relayVisitor, l map[string]links, confirm string) {
	anna, carla := l[relayPeople[0]], l[relayPeople[2]]
	v.must("POST", carla.unsub, url.Values{"List-Unsubscribe": {"One-Click"}}, 200)
	v.must("GET", anna.click, nil, http.StatusFound)
	page := v.must("GET", confirm, nil, 200)
	v.must("POST", confirm, hiddenFields(page, nil), 200)
}

// confirmLink waits for the confirmation mail to signupEmail after the
// first skip messages and returns its link.
func confirmLink(t *testing.T, sink *smtptest.Server, skip int, base string) string {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		for _, m := range sink.Messages()[min(skip, len(sink.Messages())):] {
			if m.To[0] == signupEmail {
				_, text, _ := mailParts(t, m.Data)
				if link := regexp.MustCompile(regexp.QuoteMeta(base) + `/d/[A-Za-z0-9_-]+`).FindString(text); link != "" {
					return link
				}
			}
		}
	}
	t.Fatalf("no confirmation mail to %s", signupEmail)
	return ""
}

// deskFingerprint is what must come out the same whether the relay or the
// local listener served the recipients: people, memberships, the consent
// ledger with its evidence, suppressions, personal and anonymous
// reactions, and the report's unsubscribe counts (times excluded: the
// relay's events apply at their own time, which differs between the runs).
func deskFingerprint(t *testing.T, dataDir string, exclude string) string {
	t.Helper()
	db := peekStore(t, dataDir)
	var b strings.Builder
	for _, q := range []string{
		`SELECT email, first_name, last_name, gender, title, language, attrs FROM recipient ORDER BY email`,
		`SELECT r.email, l.name, m.status FROM membership m JOIN recipient r ON r.id = m.recipient_id JOIN list l ON l.id = m.list_id ORDER BY 1, 2`,
		`SELECT r.email, c.purpose, c.list_id, c.granted, c.source, c.wording_hash, c.ip, c.user_agent FROM consent c JOIN recipient r ON r.id = c.recipient_id ORDER BY r.email, c.id`,
		`SELECT r.email, s.reason FROM suppression s JOIN recipient r ON r.id = s.recipient_id ORDER BY 1`,
		`SELECT r.email, x.type, COALESCE(l.url, ''), x.flags, COUNT(*) FROM reaction x JOIN recipient r ON r.id = x.recipient_id
		   LEFT JOIN link l ON l.id = x.link_id WHERE r.email <> '` + exclude + `' GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4`,
		`SELECT type, link_id, machine, SUM(n) FROM reaction_anon GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`,
		`SELECT r.email, o.wording, o.requested_ip, o.requested_ua, o.confirmed_at IS NOT NULL, o.confirmed_ip, o.confirmed_ua
		   FROM opt_in o JOIN recipient r ON r.id = o.recipient_id ORDER BY 1, 2`,
		`SELECT r.email, s.slug, x.answers, x.update_profile, x.profile_wording, x.ip, x.ua FROM survey_response x
		   JOIN recipient r ON r.id = x.recipient_id JOIN survey s ON s.id = x.survey_id ORDER BY 1, 2`,
	} {
		rows, err := db.Query(q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintln(&b, vals...)
		}
		rows.Close()
		b.WriteString("--\n")
	}
	db.Close()
	return b.String()
}

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	if out, err := exec.Command("cp", "-a", from, to).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v %s", err, out)
	}
}

// TestRelay_EndToEnd is the relay's "Done when": desk and relay as separate
// processes on loopback. The desk pairs, sends through the SMTP sink
// (publishing first) and is gone; recipients open, click, edit a profile,
// withdraw tracking, answer a survey (which fills an attribute),
// unsubscribe (page and one-click), sign up on the form (the relay mails
// the confirmation) and confirm, on the relay, which is killed with
// SIGKILL under load and restarted between; the desk syncs and its ledger
// with evidence, memberships, opt-ins, suppressions, attributes, survey
// answers and reactions (the reports' source) are exactly those of a copy
// of the desk whose own listener served the same visits; a second sync
// changes nothing; the relay's data directory holds no address, name,
// answer, evidence or mail password in clear.
func TestRelay_EndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	dir := t.TempDir()
	desk, relayDir := filepath.Join(dir, "desk"), filepath.Join(dir, "relay")
	relayAddr := freeAddr(t)
	relayURL := "http://" + relayAddr

	// The desk: four people with newsletter and tracking consent, a mailing.
	var csv bytes.Buffer
	csv.WriteString("E-Mail;Vorname;Nachname;Anrede;Newsletter;Oeffnungen;Klicks\n")
	for _, e := range relayPeople {
		first := strings.ToUpper(e[:1]) + e[1:strings.IndexByte(e, '.')]
		fmt.Fprintf(&csv, "%s;%s;Relay;Frau;ja;ja;ja\n", e, first)
	}
	csvPath := filepath.Join(dir, "people.csv")
	os.WriteFile(csvPath, csv.Bytes(), 0o600)
	if code, _, stderr := runCLI(t, "--data", desk, "import", "recipients", csvPath, "--list", "Reisen",
		"--map", "Newsletter=consent:newsletter:Reisen", "--map", "Oeffnungen=consent:tracking:opens", "--map", "Klicks=consent:tracking:clicks",
		"--consent-source", "Test", "--consent-evidence", "Ja, Reise-Newsletter"); code != 0 {
		t.Fatal(stderr)
	}
	a, err := NewApp(context.Background(), desk, Edge{Mode: "cli"}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := a.settingsSvc.SetSender(ctx, resonanz.SenderIdentity{FromName: "Reisebüro", FromAddress: "news@sonne.example"}); err != nil {
		t.Fatal(err)
	}
	// The mail server (the relay mails the signup's confirmation with it
	// while the desk is off; its password must not reach the relay's data).
	sink := smtptest.Start(t, smtptest.Options{Username: "news", Password: sinkPassword})
	if _, err := a.smtpAccount.Save(ctx, resonanz.SMTPSettings{Host: sink.Host, Port: sink.Port, Security: "none", Username: "news"}, sinkPassword, false); err != nil {
		t.Fatal(err)
	}
	// A survey whose answer fills a custom attribute (with the person's consent).
	if _, err := a.attrSvc.CreateAttribute(ctx, resonanz.AttributeDef{Key: "reisestil", Label: "Reisestil", Type: resonanz.AttrChoice, Choices: []string{"aktiv", "ruhig"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.surveySvc.SaveSurvey(ctx, resonanz.Survey{Name: "Reise", Slug: "reise", Title: "Wie reisen Sie?", Status: resonanz.SurveyOpen,
		Questions: []resonanz.Question{
			{Type: resonanz.QuestionSingle, Text: "Ihr Reisestil?", Required: true, Attribute: "reisestil", Choices: []resonanz.Choice{{Label: "Aktiv", Value: "aktiv"}, {Label: "Ruhig", Value: "ruhig"}}},
			{Type: resonanz.QuestionText, Text: "Anmerkungen"},
		}}); err != nil {
		t.Fatal(err)
	}
	lists, _ := a.listSvc.Lists(ctx)
	if _, err := a.mailings.Save(resonanz.Mailing{Name: "Frühling", ListID: lists[0].ID, Subject: "Neue Reisen",
		Body: "{{ salutation }},\n\n[Zur Insel](https://example.org/insel)\n\n[Umfrage]({{ survey_url \"reise\" }})\n\n[Profil]({{ profile_url }}) · [Abmelden]({{ unsubscribe_url }})\n"}); err != nil {
		t.Fatal(err)
	}
	a.Close()

	// The relay, paired with the desk.
	relayArgs := []string{"--data", relayDir, "relay", "--addr", relayAddr, "--public-url", relayURL, "--track-rate", "-1"}
	rc := startChild(t, relayArgs...)
	waitHealthy(t, rc, relayURL)
	code, out, stderr := runChild(t, "--data", relayDir, "--json", "relay", "pair")
	if code != 0 {
		t.Fatalf("pair: %d %s", code, stderr)
	}
	var pair struct{ Code string }
	json.Unmarshal([]byte(out), &pair)
	if code, _, stderr := runChild(t, "--data", desk, "relay", "connect", pair.Code); code != 0 {
		t.Fatalf("connect: %s", stderr)
	}
	// The send publishes first (profiles, links, surveys, the mail
	// server), then mails.
	if code, _, stderr := runChild(t, "--data", desk, "--json", "send", "Frühling"); code != 0 {
		t.Fatalf("send: %s", stderr)
	}
	l := mailLinks(t, sink, relayURL)
	if len(l) != len(relayPeople) || !strings.Contains(l[relayPeople[0]].profile, "?k=") || !strings.Contains(l[relayPeople[0]].survey, "?k=") ||
		l[relayPeople[0]].open == "" || l[relayPeople[0]].click == "" {
		t.Fatalf("links %+v", l)
	}
	a, err = NewApp(ctx, desk, Edge{Mode: "cli"}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	forms, err := a.portal.SignupForms(ctx)
	a.Close()
	if err != nil || len(forms) != 1 {
		t.Fatalf("signup forms %+v %v", forms, err)
	}
	form := forms[0].URL
	// The copy whose own listener serves the same visits, for the comparison.
	local := filepath.Join(dir, "local")
	copyDir(t, desk, local)

	// The desk is off. Visits on the relay; then load, SIGKILL, restart.
	browserJar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: browserJar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	rv := &relayVisitor{t: t, from: relayURL, to: relayURL, ua: "Mozilla/5.0 (Relay-Test)", client: client}
	mailed := len(sink.Messages())
	actionsBefore(t, rv, l, form)
	var wg sync.WaitGroup
	var answered atomic.Int64
	stop := make(chan struct{})
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 2000; i++ {
				select {
				case <-stop:
					return
				default:
				}
				resp, err := client.Get(l[relayPeople[3]].open)
				if err != nil {
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode == 200 {
					answered.Add(1)
				}
			}
		}()
	}
	waitUntil(t, rc, "load on the relay", func() bool { return answered.Load() > 200 })
	rc.kill(t)
	close(stop)
	wg.Wait()
	rc = startChild(t, relayArgs...)
	waitHealthy(t, rc, relayURL)
	// The relay mailed the confirmation itself (the desk is off).
	actionsAfter(t, rv, l, confirmLink(t, sink, mailed, relayURL))

	// The desk comes back and syncs (collect only: nothing published
	// between, so the second sync can be compared).
	code, out, stderr = runChild(t, "--data", desk, "--json", "relay", "sync", "--collect-only")
	if code != 0 {
		t.Fatalf("sync: %s", stderr)
	}
	var res []relay.SyncResult
	json.Unmarshal([]byte(out), &res)
	if len(res) != 1 || res[0].Collected.Applied["profile"] != 1 || res[0].Collected.Applied["unsubscribe"] != 2 ||
		res[0].Collected.Applied["survey"] != 1 || res[0].Collected.Applied["signup"] != 1 || res[0].Collected.Applied["confirm"] != 1 {
		t.Fatalf("sync result %s", out)
	}
	if n := len(sink.Messages()); n != mailed+1 {
		t.Fatalf("%d mails since the send, want the relay's one confirmation (the desk mails nothing at the sync)", n-mailed)
	}
	got := deskFingerprint(t, desk, relayPeople[3])
	t.Logf("desk after the sync:\n%s", got)
	code, out2, stderr := runChild(t, "--data", desk, "--json", "relay", "sync", "--collect-only")
	if code != 0 || !strings.Contains(out2, `"applied":{}`) {
		t.Fatalf("second sync: %s %s", out2, stderr)
	}
	if again := deskFingerprint(t, desk, relayPeople[3]); again != got {
		t.Fatalf("the second sync changed the desk:\n%s\n%s", got, again)
	}
	// Dora's hits: none invented, and only the in-flight batch lost.
	ddb := peekStore(t, desk)
	doraHits := count(t, ddb, `SELECT COUNT(*) FROM reaction x JOIN recipient r ON r.id = x.recipient_id WHERE r.email = ?`, relayPeople[3])
	ddb.Close()
	// Every answered pixel was committed before its answer; a request
	// that the kill cut off may have been committed unanswered (at most
	// one per load goroutine).
	if n := int64(doraHits); n < answered.Load() || n > answered.Load()+4 {
		t.Fatalf("dora's opens: %d recorded at the desk, %d answered by the relay", doraHits, answered.Load())
	}
	t.Logf("load: %d pixels answered, %d recorded at the desk", answered.Load(), doraHits)

	// The same visits through the desk's own listener.
	lc := startChild(t, "--data", local, "listen", "--addr", "127.0.0.1:0", "--public-url", relayURL, "--track-rate", "-1")
	var localBase string
	waitUntil(t, lc, "the local listener", func() bool {
		m := regexp.MustCompile(`on (127\.0\.0\.1:\d+)`).FindStringSubmatch(lc.stdout.String())
		if m != nil {
			localBase = "http://" + m[1]
		}
		return m != nil
	})
	lv := &relayVisitor{t: t, from: relayURL, to: localBase, ua: "Mozilla/5.0 (Relay-Test)", client: client}
	mailed = len(sink.Messages())
	actionsBefore(t, lv, l, form)
	actionsAfter(t, lv, l, confirmLink(t, sink, mailed, relayURL))
	lc.cmd.Process.Signal(os.Interrupt)
	lc.wait(t)
	if want := deskFingerprint(t, local, relayPeople[3]); want != got {
		t.Fatalf("relay and local listener differ:\nrelay:\n%s\nlocal:\n%s", got, want)
	}

	// Every byte the relay keeps, its log included: nothing personal in clear.
	rc.cmd.Process.Signal(os.Interrupt)
	rc.wait(t)
	os.WriteFile(filepath.Join(relayDir, "relay.log"), []byte(rc.stderr.String()), 0o600)
	needles := append([]string{"Annemarie", "Relay-Test", "Dora", "Bernd", "Erika", signupEmail, "Sylt", sinkPassword}, relayPeople...)
	filepath.WalkDir(relayDir, func(path string, de fs.DirEntry, err error) error {
		if err != nil || de.IsDir() {
			return err
		}
		b, _ := os.ReadFile(path)
		for _, n := range needles {
			if bytes.Contains(bytes.ToLower(b), []byte(strings.ToLower(n))) {
				t.Errorf("%s holds %q in clear", filepath.Base(path), n)
			}
		}
		return nil
	})
}

// relayDesk sets up a desk with relayPeople and the mailing "Frühling".
func relayDeskSetup(t *testing.T, desk string) {
	t.Helper()
	dir := t.TempDir()
	var csv bytes.Buffer
	csv.WriteString("E-Mail;Vorname;Nachname;Newsletter\n")
	for _, e := range relayPeople {
		fmt.Fprintf(&csv, "%s;X;Relay;ja\n", e)
	}
	csvPath := filepath.Join(dir, "people.csv")
	os.WriteFile(csvPath, csv.Bytes(), 0o600)
	if code, _, stderr := runCLI(t, "--data", desk, "import", "recipients", csvPath, "--list", "Reisen",
		"--map", "Newsletter=consent:newsletter:Reisen", "--consent-source", "Test", "--consent-evidence", "Ja"); code != 0 {
		t.Fatal(stderr)
	}
	a, err := NewApp(context.Background(), desk, Edge{Mode: "cli"}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if _, err := a.settingsSvc.SetSender(context.Background(), resonanz.SenderIdentity{FromName: "Reisebüro", FromAddress: "news@sonne.example"}); err != nil {
		t.Fatal(err)
	}
	lists, _ := a.listSvc.Lists(context.Background())
	if _, err := a.mailings.Save(resonanz.Mailing{Name: "Frühling", ListID: lists[0].ID, Subject: "Neue Reisen",
		Body: "{{ salutation }},\n\n[Zur Insel](https://example.org/insel)\n"}); err != nil {
		t.Fatal(err)
	}
}

func startPairedRelay(t *testing.T, dir, desk string) (*child, string) {
	t.Helper()
	addr := freeAddr(t)
	base := "http://" + addr
	c := startChild(t, "--data", dir, "relay", "--addr", addr, "--public-url", base)
	waitHealthy(t, c, base)
	code, out, stderr := runChild(t, "--data", dir, "--json", "relay", "pair")
	if code != 0 {
		t.Fatalf("pair: %s", stderr)
	}
	var pair struct{ Code string }
	json.Unmarshal([]byte(out), &pair)
	if code, _, stderr := runChild(t, "--data", desk, "relay", "connect", pair.Code); code != 0 {
		t.Fatalf("connect: %s", stderr)
	}
	return c, base
}

// TestRelay_TwoRelaysAndNoMailToSomeoneWhoLeft: two relays (behind one
// load balancer, so the same links work on both) each take an unsubscribe;
// the next send collects both first and mails neither person. With one
// relay down the send does not start unless told to.
func TestRelay_TwoRelaysAndNoMailToSomeoneWhoLeft(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	dir := t.TempDir()
	desk := filepath.Join(dir, "desk")
	relayDeskSetup(t, desk)
	r1, base1 := startPairedRelay(t, filepath.Join(dir, "r1"), desk)
	_, base2 := startPairedRelay(t, filepath.Join(dir, "r2"), desk)
	sink := smtptest.Start(t, smtptest.Options{})
	if code, _, stderr := runChild(t, "--data", desk, "send", "Frühling", "--smtp", sink.Addr, "--smtp-security", "none"); code != 0 {
		t.Fatalf("send: %s", stderr)
	}
	l := mailLinks(t, sink, base2) // the last pairing's URL is in the mails
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	on1 := &relayVisitor{t: t, from: base2, to: base1, ua: "UA-1", client: client}
	on2 := &relayVisitor{t: t, from: base2, to: base2, ua: "UA-2", client: client}
	on1.must("POST", l[relayPeople[1]].unsub, url.Values{"List-Unsubscribe": {"One-Click"}}, 200)
	on2.must("POST", l[relayPeople[2]].unsub, url.Values{"List-Unsubscribe": {"One-Click"}}, 200)

	// A new mailing: the send collects both relays first.
	a, err := NewApp(context.Background(), desk, Edge{Mode: "cli"}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	lists, _ := a.listSvc.Lists(context.Background())
	if _, err := a.mailings.Save(resonanz.Mailing{Name: "Sommer", ListID: lists[0].ID, Subject: "Sommer", Body: "Hallo\n"}); err != nil {
		t.Fatal(err)
	}
	a.Close()
	before := len(sink.Messages())
	if code, _, stderr := runChild(t, "--data", desk, "send", "Sommer", "--smtp", sink.Addr, "--smtp-security", "none"); code != 0 {
		t.Fatalf("send: %s", stderr)
	}
	got := map[string]bool{}
	for _, m := range sink.Messages()[before:] {
		got[m.To[0]] = true
	}
	if len(got) != 2 || got[relayPeople[1]] || got[relayPeople[2]] {
		t.Fatalf("the second mailing went to %v; the people who left on a relay must not get it", got)
	}

	// One relay down: the send does not start, unless told to.
	r1.kill(t)
	a, _ = NewApp(context.Background(), desk, Edge{Mode: "cli"}, slog.New(slog.DiscardHandler))
	a.mailings.Save(resonanz.Mailing{Name: "Herbst", ListID: lists[0].ID, Subject: "Herbst", Body: "Hallo\n"})
	a.Close()
	before = len(sink.Messages())
	// The window's send (the Mailings façade) refuses as well.
	a, _ = NewApp(context.Background(), desk, Edge{Mode: "cli"}, slog.New(slog.DiscardHandler))
	herbst, _ := a.mailingSvc.MailingByName(context.Background(), "Herbst")
	if _, err := a.mailings.StartSend(resonanz.SendRequest{MailingID: herbst.ID}); err == nil || !strings.Contains(resonanz.ErrorMessage(err), "relay") {
		t.Errorf("the window's send with a relay down: %v", err)
	}
	a.Close()
	code, _, stderr := runChild(t, "--data", desk, "send", "Herbst", "--smtp", sink.Addr, "--smtp-security", "none")
	if code != 1 || !strings.Contains(stderr, "--without-relay") || len(sink.Messages()) != before {
		t.Fatalf("send with a relay down: exit %d, %d mails\n%s", code, len(sink.Messages())-before, stderr)
	}
	if code, _, stderr := runChild(t, "--data", desk, "send", "Herbst", "--without-relay", "--smtp", sink.Addr, "--smtp-security", "none"); code != 0 || len(sink.Messages()) != before+2 {
		t.Fatalf("send --without-relay: exit %d\n%s", code, stderr)
	}
}

// TestRelay_SignupAndConfirm: a signup on the relay's form while the desk
// is off; the relay mails the confirmation itself (the desk published its
// mail server) and the link works on the relay at once; the desk's sync
// creates the person under that token and mails nothing; the confirmation
// is clicked on the relay while the desk is off, and the next sync
// confirms with the ledger's evidence.
func TestRelay_SignupAndConfirm(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	ctx := context.Background()
	dir := t.TempDir()
	desk := filepath.Join(dir, "desk")
	relayDeskSetup(t, desk)
	sink := smtptest.Start(t, smtptest.Options{})
	a, err := NewApp(ctx, desk, Edge{Mode: "cli"}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.smtpAccount.Save(ctx, resonanz.SMTPSettings{Host: sink.Host, Port: sink.Port, Security: "none"}, "", false); err != nil {
		t.Fatal(err)
	}
	a.Close()
	_, base := startPairedRelay(t, filepath.Join(dir, "r"), desk)
	if code, _, stderr := runChild(t, "--data", desk, "relay", "sync"); code != 0 {
		t.Fatalf("sync: %s", stderr)
	}
	a, _ = NewApp(ctx, desk, Edge{Mode: "cli"}, slog.New(slog.DiscardHandler))
	forms, err := a.portal.SignupForms(ctx)
	a.Close()
	if err != nil || len(forms) != 1 || !strings.HasPrefix(forms[0].URL, base+"/f/") {
		t.Fatalf("forms %+v %v", forms, err)
	}
	jar, _ := cookiejar.New(nil)
	web := &relayVisitor{t: t, from: base, to: base, ua: "Firefox/140 (relay)", client: &http.Client{Jar: jar}}
	page := web.must("GET", forms[0].URL, nil, 200)
	if done := web.must("POST", forms[0].URL, hiddenFields(page, map[string]string{"email": "erika.neu@example.org", "first_name": "Erika",
		"newsletter": "1", "c_opens": "1"}), 200); !strings.Contains(done, "Postfach") {
		t.Fatalf("signup answer:\n%s", done)
	}
	// The relay mails the confirmation while the desk is off.
	msg := waitMail(t, sink, 1)
	_, text, _ := mailParts(t, msg.Data)
	link := regexp.MustCompile(regexp.QuoteMeta(base) + `/d/[A-Za-z0-9_-]+`).FindString(text)
	if msg.To[0] != "erika.neu@example.org" || link == "" {
		t.Fatalf("confirmation mail to %v:\n%s", msg.To, text)
	}
	// Confirmed on the relay while the desk is off.
	mailApp := &relayVisitor{t: t, from: base, to: base, ua: "Thunderbird/140 (relay)", client: &http.Client{}}
	page = mailApp.must("GET", link, nil, 200)
	if done := mailApp.must("POST", link, hiddenFields(page, nil), 200); !strings.Contains(done, "bestätigt") {
		t.Fatalf("confirm answer:\n%s", done)
	}
	if code, out, stderr := runChild(t, "--data", desk, "--json", "relay", "sync", "--collect-only"); code != 0 ||
		!strings.Contains(out, `"signup":1`) || !strings.Contains(out, `"confirm":1`) {
		t.Fatalf("sync: %s %s", out, stderr)
	}
	if n := len(sink.Messages()); n != 1 {
		t.Fatalf("%d mails; the desk must not mail a confirmation the relay sent", n)
	}
	db := peekStore(t, desk)
	var status, src, ips string
	if err := db.QueryRow(`SELECT m.status FROM membership m JOIN recipient r ON r.id = m.recipient_id WHERE r.email = 'erika.neu@example.org'`).Scan(&status); err != nil || status != "confirmed" {
		t.Fatalf("membership %q %v", status, err)
	}
	if err := db.QueryRow(`SELECT group_concat(c.source || ':' || c.purpose, ','), group_concat(c.user_agent, ',') FROM consent c JOIN recipient r ON r.id = c.recipient_id
		WHERE r.email = 'erika.neu@example.org'`).Scan(&src, &ips); err != nil || !strings.Contains(src, "double_opt_in:newsletter") || !strings.Contains(src, "double_opt_in:tracking:opens") {
		t.Fatalf("ledger %q %q %v", src, ips, err)
	}
	var reqUA, confUA string
	if err := db.QueryRow(`SELECT requested_ua, confirmed_ua FROM opt_in o JOIN recipient r ON r.id = o.recipient_id WHERE r.email = 'erika.neu@example.org'`).Scan(&reqUA, &confUA); err != nil ||
		reqUA != "Firefox/140 (relay)" || confUA != "Thunderbird/140 (relay)" {
		t.Fatalf("opt-in evidence %q %q %v", reqUA, confUA, err)
	}
}
