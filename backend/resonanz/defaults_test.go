package resonanz_test

import (
	"slices"
	"testing"

	"github.com/resonanz/resonanz/backend/resonanz"
)

// TestSMTPSettings_WithDefaults: empty Settings show what a send will use
// (587/STARTTLS, the default connections), never "port 0" or no security.
func TestSMTPSettings_WithDefaults(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   resonanz.SMTPSettings
		port int
		sec  string
		conn int
	}{
		{"Empty", resonanz.SMTPSettings{}, 587, "starttls", resonanz.DefaultSMTPConnections},
		{"TLS", resonanz.SMTPSettings{Security: "tls"}, 465, "tls", resonanz.DefaultSMTPConnections},
		{"None", resonanz.SMTPSettings{Security: "none"}, 25, "none", resonanz.DefaultSMTPConnections},
		{"Kept", resonanz.SMTPSettings{Security: "tls", Port: 2465, MaxConnections: 2}, 2465, "tls", 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.in.WithDefaults()
			if got.Port != tc.port || got.Security != tc.sec || got.MaxConnections != tc.conn {
				t.Errorf("got port %d, security %q, connections %d; want %d, %q, %d", got.Port, got.Security, got.MaxConnections, tc.port, tc.sec, tc.conn)
			}
		})
	}
}

// TestMailboxSettings_WithDefaults: an empty mailbox card shows 993/TLS
// and the INBOX.
func TestMailboxSettings_WithDefaults(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   resonanz.MailboxSettings
		port int
		sec  string
	}{
		{"Empty", resonanz.MailboxSettings{}, 993, resonanz.MailboxTLS},
		{"STARTTLS", resonanz.MailboxSettings{Security: resonanz.MailboxSTARTTLS}, 143, resonanz.MailboxSTARTTLS},
		{"Kept", resonanz.MailboxSettings{Security: resonanz.MailboxTLS, Port: 1993}, 1993, resonanz.MailboxTLS},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.in.WithDefaults()
			if got.Port != tc.port || got.Security != tc.sec || !slices.Equal(got.Folders, []string{"INBOX"}) {
				t.Errorf("got port %d, security %q, folders %v; want %d, %q, [INBOX]", got.Port, got.Security, got.Folders, tc.port, tc.sec)
			}
		})
	}
}
