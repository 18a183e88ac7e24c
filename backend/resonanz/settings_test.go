package resonanz_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/resonanz/resonanz/backend/resonanz"
)

func TestSenderIdentity_Validate(t *testing.T) {
	for _, tt := range []struct {
		name  string
		in    resonanz.SenderIdentity
		field string // "" means valid
		key   string
	}{
		{"OK", resonanz.SenderIdentity{FromName: "Resonanz", FromAddress: "news@example.org"}, "", ""},
		{"OK/ReplyTo", resonanz.SenderIdentity{FromAddress: "news@example.org", ReplyTo: "team@example.org"}, "", ""},
		{"OK/IDN", resonanz.SenderIdentity{FromAddress: "post@müller.example"}, "", ""},
		{"OK/Plus", resonanz.SenderIdentity{FromAddress: "news+de@example.co.uk"}, "", ""},
		{"ErrMissing", resonanz.SenderIdentity{FromName: "X"}, "fromAddress", "error.sender.fromAddress.required"},
		{"ErrNoAt", resonanz.SenderIdentity{FromAddress: "not-an-address"}, "fromAddress", "error.sender.fromAddress.invalid"},
		{"ErrNoDot", resonanz.SenderIdentity{FromAddress: "root@localhost"}, "fromAddress", "error.sender.fromAddress.invalid"},
		{"ErrDisplayName", resonanz.SenderIdentity{FromAddress: "Eve <eve@example.org>"}, "fromAddress", "error.sender.fromAddress.invalid"},
		{"ErrTwoAddresses", resonanz.SenderIdentity{FromAddress: "a@example.org, b@example.org"}, "fromAddress", "error.sender.fromAddress.invalid"},
		{"ErrHeaderInjection", resonanz.SenderIdentity{FromAddress: "a@example.org\r\nBcc: x@example.org"}, "fromAddress", "error.sender.fromAddress.invalid"},
		{"ErrNameNewline", resonanz.SenderIdentity{FromName: "A\nBcc: x@example.org", FromAddress: "a@example.org"}, "fromName", "error.sender.fromName.invalid"},
		{"ErrNameTooLong", resonanz.SenderIdentity{FromName: strings.Repeat("ä", 201), FromAddress: "a@example.org"}, "fromName", "error.sender.fromName.tooLong"},
		{"ErrReplyTo", resonanz.SenderIdentity{FromAddress: "a@example.org", ReplyTo: "nope"}, "replyTo", "error.sender.replyTo.invalid"},
		{"ErrTrailingDot", resonanz.SenderIdentity{FromAddress: "a@example.org."}, "fromAddress", "error.sender.fromAddress.invalid"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.in.Normalize().Validate()
			if tt.field == "" {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			e, ok := err.(*resonanz.Error)
			if !ok {
				t.Fatalf("err %v (%T), want *resonanz.Error", err, err)
			}
			if e.Code != resonanz.EINVALID || e.Field != tt.field || e.Key != tt.key || e.Message == "" {
				t.Errorf("got %+v, want field %s key %s", e, tt.field, tt.key)
			}
		})
	}
}

func TestListenerSettings_Validate(t *testing.T) {
	for _, tc := range []struct {
		name  string
		in    resonanz.ListenerSettings
		field string // "" when valid
	}{
		{"OK", resonanz.ListenerSettings{PublicURL: " https://news.example.org/r/ ", Addr: " 127.0.0.1:8485 ", TrustedProxies: []string{" 10.0.0.1 ", ""}}, ""},
		{"OKEmpty", resonanz.ListenerSettings{}, ""},
		{"ErrAddr", resonanz.ListenerSettings{Addr: "localhost"}, "addr"},
		{"ErrPublicURLScheme", resonanz.ListenerSettings{PublicURL: "ftp://news.example.org"}, "publicUrl"},
		{"ErrPublicURLQuery", resonanz.ListenerSettings{PublicURL: "https://news.example.org/r?x=1"}, "publicUrl"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ls := tc.in
			err := ls.Validate()
			if got := errorField(err); got != tc.field || (tc.field != "") != (err != nil) {
				t.Fatalf("Validate(%+v) = %v, want field %q", tc.in, err, tc.field)
			}
			if err == nil && tc.name == "OK" && (ls.PublicURL != "https://news.example.org/r" || ls.Addr != "127.0.0.1:8485" || len(ls.TrustedProxies) != 1 || ls.TrustedProxies[0] != "10.0.0.1") {
				t.Errorf("not trimmed: %+v", ls)
			}
		})
	}
}

func TestSMTPSettings_Validate(t *testing.T) {
	for _, tc := range []struct {
		name  string
		in    resonanz.SMTPSettings
		field string
	}{
		{"OK", resonanz.SMTPSettings{Host: " mail.example.org ", RatePerSecond: 2, RatePerMinute: 60, RatePerHour: 1000}, ""},
		{"ErrRatePerSecond", resonanz.SMTPSettings{RatePerSecond: -1}, "ratePerSecond"},
		{"ErrRatePerMinute", resonanz.SMTPSettings{RatePerMinute: -1}, "ratePerMinute"},
		{"ErrRatePerHour", resonanz.SMTPSettings{RatePerHour: -1}, "ratePerHour"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.in
			err := s.Validate()
			if got := errorField(err); got != tc.field || (tc.field != "") != (err != nil) {
				t.Fatalf("Validate(%+v) = %v, want field %q", tc.in, err, tc.field)
			}
			if err == nil && s.Host != "mail.example.org" {
				t.Errorf("host not trimmed: %q", s.Host)
			}
		})
	}
}

// errorField is the field a *resonanz.Error names ("" for none).
func errorField(err error) string {
	var e *resonanz.Error
	if errors.As(err, &e) {
		return e.Field
	}
	return ""
}
