package relay_test

import (
	"bytes"
	"context"
	"io"
	"mime/quotedprintable"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/resonanz/resonanz/backend/keyring"
	"github.com/resonanz/resonanz/backend/listener"
	"github.com/resonanz/resonanz/backend/relay"
	"github.com/resonanz/resonanz/backend/resonanz"
	"github.com/resonanz/resonanz/backend/smtp"
	"github.com/resonanz/resonanz/backend/smtp/smtptest"
)

const smtpPassword = "Relay-SMTP-Passw0rd-7731"

// mailEnv is a relay with a secret store outside its data directory and a
// mail server (the SMTP sink) published by the desk.
func mailEnv(t *testing.T) (*env, *smtptest.Server) {
	t.Helper()
	sink := smtptest.Start(t, smtptest.Options{Username: "news", Password: smtpPassword})
	secrets := keyring.New(t.TempDir(), keyring.Options{Disabled: true})
	e := newEnv(t, func(c *relay.Config) {
		c.Secrets = secrets
		c.Mailer = func(ctx context.Context, m relay.MailSettings) (relay.Mailer, error) {
			return smtp.NewMailer(smtp.ConfigFrom(m.SMTP, m.Password))
		}
	})
	host, port, _ := net.SplitHostPort(sink.Addr)
	p, _ := strconv.Atoi(port)
	addressKey := []byte("0123456789abcdef0123456789abcdef-address")
	view := listener.ProfileView{Email: email, FirstName: firstName, LastName: lastName, Language: "de", MailName: firstName + " " + lastName,
		Lists: []listener.ListChoice{{ListID: 1, Name: "Kunden", Subscribed: true, Confirmed: true}}}
	pp, err := relay.SealView(personKey, 7, view)
	if err != nil {
		t.Fatal(err)
	}
	_, key, _ := resonanz.NormalizeEmail(email)
	addr, err := relay.SealAddress(addressKey, key, relay.AddressEntry{RecipientID: 7, Secret: relay.PersonSecret(personKey, 7)})
	if err != nil {
		t.Fatal(err)
	}
	err = e.client.Publish(context.Background(), relay.Publication{Generation: 1, Final: true,
		Lists:    []relay.PubList{{ID: 1, Name: "Kunden"}},
		Profiles: []relay.PubProfile{pp}, Addresses: []relay.PubAddress{addr},
		Secrets: &relay.PubSecrets{AddressKey: addressKey, Mail: &relay.MailSettings{
			SMTP:     resonanz.SMTPSettings{Host: host, Port: p, Security: "none", Username: "news"},
			Password: smtpPassword, Sender: resonanz.SenderIdentity{FromName: "Reisebüro", FromAddress: "news@sonne.example"}}}})
	if err != nil {
		t.Fatal(err)
	}
	return e, sink
}

// waitMails waits until the sink holds n messages.
func waitMails(t *testing.T, sink *smtptest.Server, n int) []smtptest.Message {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if ms := sink.Messages(); len(ms) >= n {
			return ms
		}
	}
	t.Fatalf("%d mails arrived, want %d", len(sink.Messages()), n)
	return nil
}

// qp decodes a quoted-printable mail (headers pass through).
func qp(b []byte) string {
	out, _ := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(b)))
	return string(out)
}

var linkRE = regexp.MustCompile(`http://127\.0\.0\.1:\d+/[pd]/[A-Za-z0-9_.-]+(\?k=[A-Za-z0-9_-]+)?`)

// TestRelayMailsWhileTheDeskIsOff: the profile login mails a known
// address its profile link (with the person secret: the link opens the
// profile) and answers an unknown one the same without a mail; a signup
// gets its confirmation mail from the relay, whose link confirms on the
// relay at once; the desk then records the request under that token and
// mails nothing itself. The SMTP password is nowhere in the data
// directory.
func TestRelayMailsWhileTheDeskIsOff(t *testing.T) {
	e, sink := mailEnv(t)
	ctx := context.Background()
	login := e.http.URL + "/p/"

	_, page := get(t, login)
	_, known := post(t, login, url.Values{"csrf": {formOf(page).Get("csrf")}, "email": {strings.ToUpper(email)}})
	ms := waitMails(t, sink, 1)
	if ms[0].To[0] != email || !strings.Contains(string(ms[0].Data), "Auto-Submitted: auto-generated") {
		t.Fatalf("profile-link mail to %v:\n%s", ms[0].To, ms[0].Data)
	}
	link := linkRE.FindString(qp(ms[0].Data))
	if !strings.Contains(link, "/p/") || !strings.Contains(link, "?k=") {
		t.Fatalf("no profile link with its secret in the mail:\n%s", ms[0].Data)
	}
	if code, page := get(t, link); code != 200 || !strings.Contains(page, firstName) {
		t.Fatalf("the mailed profile link: %d\n%s", code, page)
	}
	_, page = get(t, login)
	_, unknown := post(t, login, url.Values{"csrf": {formOf(page).Get("csrf")}, "email": {"nobody@example.org"}})
	strip := regexp.MustCompile(`value="[^"]*"`)
	if strip.ReplaceAllString(known, "") != strip.ReplaceAllString(unknown, "") {
		t.Fatalf("the answers tell whether an address is known:\n%s\n---\n%s", known, unknown)
	}

	// A signup of a new address: the relay mails the confirmation.
	form := e.urls.Form(1)
	_, page = get(t, form)
	f := formOf(page)
	f.Set("email", "neu.leserin@example.net")
	f.Set("newsletter", "1")
	if code, page := post(t, form, f); code != 200 {
		t.Fatalf("signup: %d\n%s", code, page)
	}
	// A signup of an address already confirmed on the list: no mail (as
	// on the desk).
	_, page = get(t, form)
	f = formOf(page)
	f.Set("email", email)
	f.Set("newsletter", "1")
	post(t, form, f)
	time.Sleep(300 * time.Millisecond)
	ms = waitMails(t, sink, 2)
	if len(ms) != 2 || ms[1].To[0] != "neu.leserin@example.net" {
		t.Fatalf("mails after the signups: %d, the second to %v", len(ms), ms[len(ms)-1].To)
	}
	confirm := linkRE.FindString(qp(ms[1].Data))
	if !strings.Contains(confirm, "/d/") {
		t.Fatalf("no confirmation link:\n%s", ms[1].Data)
	}
	_, page = get(t, confirm)
	if code, page := post(t, confirm, url.Values{"csrf": {formOf(page).Get("csrf")}}); code != 200 || !strings.Contains(page, "Kunden") {
		t.Fatalf("confirm on the relay: %d\n%s", code, page)
	}

	d := newFakeDesk()
	signed := 0
	desk := d.desk(e.deskKey)
	desk.Signed = func(context.Context, listener.Signup, listener.SignupResult) { signed++ }
	if _, err := relay.Collect(ctx, e.client, desk); err != nil {
		t.Fatal(err)
	}
	if len(d.signups) != 2 || d.signups[0].Token == "" || !strings.HasSuffix(confirm, d.signups[0].Token) || d.signups[1].Token != "" {
		t.Fatalf("signups at the desk: %+v", d.signups)
	}
	if signed != 0 {
		t.Fatalf("the desk mailed %d confirmations the relay had sent", signed)
	}
	assertNoPersonalData(t, e.dir, email, firstName, lastName, "neu.leserin", smtpPassword)
}
