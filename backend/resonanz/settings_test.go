package resonanz_test

import (
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
