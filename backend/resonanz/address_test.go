package resonanz

import (
	"strings"
	"testing"
)

func TestNormalizeEmail(t *testing.T) {
	for _, tt := range []struct {
		in, display, key string
		err              string // part of the message; "" for none
	}{
		{"anna@example.org", "anna@example.org", "anna@example.org", ""},
		{"  Anna.Müller@Example.ORG \t", "Anna.Müller@Example.ORG", "anna.müller@example.org", ""},
		{"Anna@Example.org", "Anna@Example.org", "anna@example.org", ""},
		{"o'brien+news@mail.example.co.uk", "o'brien+news@mail.example.co.uk", "o'brien+news@mail.example.co.uk", ""},
		{"anna@Müller.DE", "anna@Müller.DE", "anna@xn--mller-kva.de", ""},
		{"anna@xn--mller-kva.de", "anna@xn--mller-kva.de", "anna@xn--mller-kva.de", ""},
		{"a-b@host-1.example", "a-b@host-1.example", "a-b@host-1.example", ""},
		{"", "", "", "missing"},
		{"   ", "", "", "missing"},
		{"anna", "", "", "needs a name, an @ and a domain"},
		{"@example.org", "", "", "needs a name, an @ and a domain"},
		{"anna@", "", "", "needs a name, an @ and a domain"},
		{"anna@localhost", "", "", "not a valid domain name"},
		{"anna@example.org.", "", "", "not a valid domain name"},
		{"anna@-example.org", "", "", "not a valid domain name"},
		{"anna@exa_mple.org", "", "", "not a valid domain name"},
		{"uwe.lang@gmx..de", "", "", "the domain \"gmx..de\" (the part after the @)"},
		{"an na@example.org", "", "", "part before the @"},
		{".anna@example.org", "", "", "part before the @"},
		{"an..na@example.org", "", "", "part before the @"},
		{"anna@x@example.org", "", "", "part before the @"},
		{"Anna <anna@example.org>", "", "", "not valid"},
		{"anna@example.org\r\nBcc: x@y.z", "", "", "not valid"},
		{"\xff@example.org", "", "", "invalid characters"},
		{strings.Repeat("a", 250) + "@example.org", "", "", "longer than 254"},
	} {
		display, key, err := NormalizeEmail(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) || ErrorCode(err) != EINVALID {
				t.Errorf("NormalizeEmail(%q) = %q, %q, %v; want an error saying %q", tt.in, display, key, err, tt.err)
			}
			continue
		}
		if err != nil || display != tt.display || key != tt.key {
			t.Errorf("NormalizeEmail(%q) = %q, %q, %v; want %q, %q", tt.in, display, key, err, tt.display, tt.key)
		}
	}
}

// TestNormalizeEmailNamesThePart checks that the error's catalogue key and
// params say which part of the address is wrong.
func TestNormalizeEmailNamesThePart(t *testing.T) {
	for _, tt := range []struct{ in, key, param, value string }{
		{"uwe.lang@gmx..de", "error.recipient.email.domain", "domain", "gmx..de"},
		{"anna@localhost", "error.recipient.email.domain", "domain", "localhost"},
		{"an..na@example.org", "error.recipient.email.local", "local", "an..na"},
		{"anna", "error.recipient.email.shape", "address", "anna"},
	} {
		_, _, err := NormalizeEmail(tt.in)
		e, ok := err.(*Error)
		if !ok || e.Key != tt.key || e.Params[tt.param] != tt.value || e.Params["address"] != tt.in {
			t.Errorf("NormalizeEmail(%q) = %#v; want key %s with %s=%q", tt.in, err, tt.key, tt.param, tt.value)
		}
	}
}

func TestValidAddress(t *testing.T) {
	for s, want := range map[string]bool{
		"anna@example.org":          true,
		"ANNA@EXAMPLE.ORG":          true,
		"a.b-c+d@sub.example.co.uk": true,
		"\"anna\"@example.org":      false, // quoted local parts are refused
		"anna@xn--mller-kva.de":     true,
		"":                          false,
		"anna@example":              false,
		"anna@.example.org":         false,
		"anna@example.org.":         false,
		"anna..b@example.org":       false,
		"Anna <anna@example.org>":   false,
		"anna@example.org\n":        false,
		"anna@exam ple.org":         false,
	} {
		if got := ValidAddress(s); got != want {
			t.Errorf("ValidAddress(%q) = %v, want %v", s, got, want)
		}
	}
}

// FuzzAddressFastPath: whatever the fast path accepts, the full path
// (net/mail and IDNA) accepts with the same result.
func FuzzAddressFastPath(f *testing.F) {
	for _, s := range []string{"anna@example.org", "Anna.Müller@Example.ORG", "a@b.c", "o'brien+x@mail.example.co.uk",
		"a@xn--mller-kva.de", "a@ab--c.de", "a@-a.de", "a..b@c.de", "a@b..c", "a@b.c.", "{}@x.y", "a@1.2.3.4", "a@b-.cd"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !plainAddress(s) {
			return
		}
		if !validAddressFull(s) {
			t.Fatalf("fast path accepts %q, ValidAddress's full path does not", s)
		}
		display, key, err := normalizeEmailFull(s)
		if err != nil || display != s || key != strings.ToLower(s) {
			t.Fatalf("fast path: %q → %q; full path: %q, %q, %v", s, strings.ToLower(s), display, key, err)
		}
	})
}
