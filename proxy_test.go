package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/resonanz/resonanz/backend/nettest"
	"github.com/resonanz/resonanz/backend/resonanz"
)

// visitor is one person's browser behind the proxy.
type visitor struct {
	t      *testing.T
	front  string
	peer   string
	client *http.Client
}

func newVisitor(t *testing.T, front, peer string) *visitor {
	jar, _ := cookiejar.New(nil)
	return &visitor{t: t, front: front, peer: peer,
		client: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (v *visitor) do(method, public string, form url.Values) (int, string) {
	v.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, v.front+"/r"+strings.TrimPrefix(public, "https://news.sonne.example/r"), body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("X-Test-Peer", v.peer)
	req.Header.Set("User-Agent", "Firefox/140")
	resp, err := v.client.Do(req)
	if err != nil {
		v.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(data)
}

// TestListener_BehindReverseProxy runs the desk's listener with the
// trusted-proxy setting behind a real reverse proxy: the double opt-in
// evidence carries each visitor's own address, many visitors are many
// clients, and one-click unsubscribes of a mailbox provider never fail.
func TestListener_BehindReverseProxy(t *testing.T) {
	ctx := context.Background()
	a, smtpSrv, _ := doiApp(t)
	if _, err := (mailServer{a}).SaveListener(ctx, resonanz.ListenerSettings{PublicURL: "https://news.sonne.example/r", Addr: "127.0.0.1:0",
		TrustedProxies: []string{"127.0.0.1", "proxy.example"}}); resonanz.ErrorCode(err) != resonanz.EINVALID {
		t.Fatalf("a host name as trusted proxy: %v", err)
	}
	if _, err := (mailServer{a}).SaveListener(ctx, resonanz.ListenerSettings{PublicURL: "https://news.sonne.example/r", Addr: "127.0.0.1:0",
		TrustedProxies: []string{" 127.0.0.1 ", ""}}); err != nil {
		t.Fatal(err)
	}
	if ls, _ := a.listenerSetup.Load(ctx); fmt.Sprint(ls.TrustedProxies) != "[127.0.0.1]" {
		t.Fatalf("stored trusted proxies %q", ls.TrustedProxies)
	}
	a.StopListener(ctx)
	st, err := a.StartListener(ctx)
	if err != nil {
		t.Fatal(err)
	}
	front := nettest.ReverseProxy(t, "http://"+st.Addr)

	list, _ := a.listSvc.CreateList(ctx, resonanz.List{Name: "Reisen", DoubleOptIn: true})
	forms, err := a.portal.SignupForms(ctx)
	if err != nil || len(forms) != 1 {
		t.Fatal(forms, err)
	}
	lena := newVisitor(t, front, "198.51.100.7:51000")
	_, page := lena.do("GET", forms[0].URL, nil)
	if code, _ := lena.do("POST", forms[0].URL, hiddenFields(page, map[string]string{"email": "lena@example.org", "newsletter": "1"})); code != 200 {
		t.Fatalf("signup: %d", code)
	}
	_, text, _ := mailParts(t, waitMail(t, smtpSrv, 1).Data)
	link := regexp.MustCompile(`https://news\.sonne\.example/r/d/[A-Za-z0-9_-]+`).FindString(text)
	phone := newVisitor(t, front, "[2001:db8:7::5]:443")
	_, page = phone.do("GET", link, nil)
	if code, _ := phone.do("POST", link, hiddenFields(page, nil)); code != 200 {
		t.Fatalf("confirm: %d", code)
	}
	r, _ := a.recipientSvc.RecipientByEmail(ctx, "lena@example.org")
	ops, err := a.optInSvc.OptIns(ctx, r.ID)
	if err != nil || len(ops) != 1 || ops[0].RequestedIP != "198.51.100.7" || ops[0].ConfirmedIP != "2001:db8:7::5" {
		t.Fatalf("opt-in evidence %+v %v: want the visitors' addresses, not the proxy's", ops, err)
	}
	det, _ := a.recipientSvc.RecipientDetail(ctx, r.ID)
	for _, c := range det.Consent {
		if c.IP != "2001:db8:7::5" || !strings.Contains(c.Evidence, "198.51.100.7") {
			t.Errorf("ledger record %+v", c)
		}
	}

	// After a send, many people open their profile at once: each through
	// the same proxy, none is refused.
	m, _ := a.mailingSvc.CreateMailing(ctx, resonanz.Mailing{Name: "Frühling", ListID: list.ID})
	urls, err := a.listenerSetup.RequireURLs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 40 {
		p, _ := a.recipientSvc.CreateRecipient(ctx, resonanz.Recipient{Email: fmt.Sprintf("p%d@example.org", i)})
		a.subscriptionSvc.Subscribe(ctx, p.ID, list.ID, resonanz.WebClient{}, "Ja")
		if code, _ := newVisitor(t, front, fmt.Sprintf("203.0.113.%d:1000", i+1)).do("GET", urls.Profile(m.ID, p.ID), nil); code != 200 {
			t.Fatalf("visitor %d: %d", i, code)
		}
		// A mailbox provider posts their one-click unsubscribes from one
		// address: every one is taken.
		provider := newVisitor(t, front, "192.0.2.25:25")
		if code, _ := provider.do("POST", urls.Unsubscribe(m.ID, p.ID), url.Values{"List-Unsubscribe": {"One-Click"}}); code != 200 {
			t.Fatalf("one-click %d: %d", i, code)
		}
		if d, _ := a.recipientSvc.RecipientDetail(ctx, p.ID); len(d.Lists) != 1 || d.Lists[0].Status != resonanz.StatusUnsubscribed {
			t.Fatalf("recipient %d still subscribed: %+v", i, d.Lists)
		}
	}
}
