package listener_test

import (
	"fmt"
	"net/netip"
	"testing"

	"github.com/resonanz/resonanz/backend/listener"
)

// TestConfirmationMailBudget: the signup form cannot be used to flood one
// mailbox or to send mails in bulk. Sub-addresses (+tag, and the dots of
// Gmail-style domains) share the per-address limit; one client and all
// clients together have a budget of confirmation mails as well.
func TestConfirmationMailBudget(t *testing.T) {
	signup := func(t *testing.T, e *signupEnv, email, ip string) {
		t.Helper()
		_, page := e.get(t, e.urls.Form(3), "X-Forwarded-For", ip)
		resp, _ := e.post(t, e.urls.Form(3), formValues(t, page, map[string]string{"email": email, "newsletter": "1"}), "X-Forwarded-For", ip)
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d", email, resp.StatusCode)
		}
	}
	proxied := func(c *listener.Config) { c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")} }
	t.Run("ErrSubAddresses", func(t *testing.T) {
		e := newSignupEnv(t, proxied)
		for i := range 10 {
			signup(t, e, fmt.Sprintf("victim+%d@example.net", i), fmt.Sprintf("198.51.100.%d", i+1))
		}
		for _, a := range []string{"v.i.c.t.i.m@gmail.com", "victim+x@gmail.com", "Victim@googlemail.com", "vic.tim@gmail.com"} {
			signup(t, e, a, "203.0.113.50")
		}
		if n := len(e.notices(t)); n != 6 {
			t.Errorf("%d confirmation mails, want 3 per mailbox", n)
		}
	})
	t.Run("ErrPerClient", func(t *testing.T) {
		e := newSignupEnv(t, func(c *listener.Config) { proxied(c); c.MailPerClientBurst = 4 })
		for i := range 10 {
			signup(t, e, fmt.Sprintf("person%d@example.net", i), "198.51.100.7")
		}
		if n := len(e.notices(t)); n != 4 {
			t.Errorf("%d confirmation mails from one client, want 4", n)
		}
	})
	t.Run("ErrGlobal", func(t *testing.T) {
		e := newSignupEnv(t, func(c *listener.Config) { proxied(c); c.MailGlobalBurst = 7 })
		for i := range 12 {
			signup(t, e, fmt.Sprintf("person%d@example.net", i), fmt.Sprintf("198.51.100.%d", i+1))
		}
		if n := len(e.notices(t)); n != 7 {
			t.Errorf("%d confirmation mails in all, want the budget of 7", n)
		}
	})
}
