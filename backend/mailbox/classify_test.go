package mailbox_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	goldenfile "github.com/resonanz/resonanz/backend/golden"
	"github.com/resonanz/resonanz/backend/mailbox"
)

// testSecret is the installation secret the corpus's tokens were signed with.
var testSecret = []byte(strings.Repeat("k", 32))

func testAddresses(tb testing.TB) mailbox.Addresses {
	tb.Helper()
	tk, err := mailbox.NewTokens(testSecret)
	if err != nil {
		tb.Fatal(err)
	}
	return mailbox.Addresses{Bounce: "bounce@verein.example", Unsubscribe: "unsubscribe@verein.example", SubAddressing: true, Tokens: tk}
}

// TestClassify_Golden classifies every message of testdata/corpus and
// compares the verdict with testdata/golden/NAME.json (-update rewrites).
func TestClassify_Golden(t *testing.T) {
	files, err := filepath.Glob("testdata/corpus/*.eml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus: %v", err)
	}
	addr := testAddresses(t)
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".eml")
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			v, cerr := mailbox.Classify(bytes.NewReader(raw), addr)
			var got []byte
			if cerr != nil {
				got = []byte(`{"error": true}` + "\n")
			} else {
				got, _ = json.MarshalIndent(v, "", "  ")
				got = append(got, '\n')
			}
			goldenfile.Assert(t, filepath.Join("testdata", "golden", name+".json"), got)
			if goldenfile.Update() {
				return
			}
			// CRLF line ends (as in a Maildir) must give the same verdict.
			crlf := bytes.ReplaceAll(raw, []byte("\n"), []byte("\r\n"))
			v2, err2 := mailbox.Classify(bytes.NewReader(crlf), addr)
			if (cerr == nil) != (err2 == nil) || v2.Kind != v.Kind || len(v2.Failures) != len(v.Failures) {
				t.Errorf("CRLF: kind %q/%d failures, LF: %q/%d", v2.Kind, len(v2.Failures), v.Kind, len(v.Failures))
			}
		})
	}
}

// TestClassify_Expectations states what the golden files must say, so a
// careless -update cannot bless a wrong verdict.
func TestClassify_Expectations(t *testing.T) {
	addr := testAddresses(t)
	tests := []struct {
		file, kind, format, email string
		hard                      bool
		recipient                 int64
	}{
		{"postfix-dsn", "bounce", "rfc3464", "anna@example.com", true, 42},
		{"postfix-delayed", "bounce", "rfc3464", "carla@example.org", false, 0},
		{"exim", "bounce", "exim", "dieter@example.net", true, 0},
		{"sendmail", "bounce", "sendmail", "emil@example.edu", true, 0},
		{"qmail", "bounce", "qmail", "frieda@example.info", true, 0},
		{"exchange-dsn", "bounce", "rfc3464", "gustav@firma.example", true, 0},
		{"exchange-legacy", "bounce", "exchange", "hanna@altfirma.example", true, 0},
		{"gmail", "bounce", "rfc3464", "ida.nichtda@gmail.com", true, 0},
		{"gmx", "bounce", "gmx", "jonas.alt@gmx.de", true, 0},
		{"t-online", "bounce", "t-online", "klara.k@t-online.de", true, 0},
		{"ionos", "bounce", "ionos", "lena@firma-ionos.example", true, 0},
		{"mailbox-full", "bounce", "rfc3464", "martin@example.com", false, 44},
		{"arf", "complaint", "arf", "otto@mail-provider.example", false, 0},
		{"arf-redacted", "complaint", "arf", "redacted@fbl.example", false, 45},
		{"unsubscribe-token", "unsubscribe", "token", "bernd@example.net", false, 43},
		{"unsubscribe-subject", "unsubscribe", "token", "bernd@example.net", false, 43},
		{"unsubscribe-forged", "unsubscribe", "token", "bernd@example.net", false, 0},
		{"ooo-rfc3834", "auto_reply", "rfc3834", "", false, 0},
		{"ooo-subject", "auto_reply", "subject", "", false, 0},
		{"ooo-header", "auto_reply", "header", "", false, 0},
		{"reply", "reply", "", "", false, 0},
		{"unknown-charset", "reply", "", "", false, 0},
		{"malformed-mime", "bounce", "rfc3464", "tom@broken.example", true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join("testdata", "corpus", tt.file+".eml"))
			if err != nil {
				t.Fatal(err)
			}
			v, err := mailbox.Classify(bytes.NewReader(raw), addr)
			if err != nil {
				t.Fatal(err)
			}
			if string(v.Kind) != tt.kind || v.Format != tt.format || v.RecipientID != tt.recipient {
				t.Fatalf("kind %q format %q recipient %d, want %q %q %d", v.Kind, v.Format, v.RecipientID, tt.kind, tt.format, tt.recipient)
			}
			switch v.Kind {
			case mailbox.KindBounce:
				if len(v.Failures) != 1 || v.Failures[0].Email != tt.email || v.Failures[0].Hard != tt.hard {
					t.Fatalf("failures %+v, want %s hard=%v", v.Failures, tt.email, tt.hard)
				}
				if v.OriginalMessageID == "" && tt.file != "exchange-legacy" && tt.file != "malformed-mime" && tt.file != "mailbox-full" {
					t.Errorf("no original Message-ID")
				}
			case mailbox.KindComplaint, mailbox.KindUnsubscribe:
				if v.Email != tt.email {
					t.Fatalf("email %q, want %q", v.Email, tt.email)
				}
			}
			if tt.file == "unsubscribe-forged" && v.TokenError != "forged" {
				t.Errorf("token error %q, want forged", v.TokenError)
			}
		})
	}
	t.Run("ErrNotMessage", func(t *testing.T) {
		raw, _ := os.ReadFile("testdata/corpus/not-a-message.eml")
		if _, err := mailbox.Classify(bytes.NewReader(raw), addr); err == nil {
			t.Fatal("no error for a file without a header")
		}
	})
	t.Run("NoTokensTrustsNone", func(t *testing.T) {
		raw, _ := os.ReadFile("testdata/corpus/unsubscribe-token.eml")
		v, err := mailbox.Classify(bytes.NewReader(raw), mailbox.Addresses{})
		if err != nil || v.Kind != mailbox.KindReply {
			t.Fatalf("without tokens: %q %v, want a reply", v.Kind, err)
		}
	})
}

func TestTokens(t *testing.T) {
	tk, _ := mailbox.NewTokens(testSecret)
	other, _ := mailbox.NewTokens(bytes.Repeat([]byte("o"), 32))
	c := mailbox.TokenClaims{Kind: mailbox.TokenUnsubscribe, MailingID: 123456, RecipientID: 987654321}
	s, err := tk.Sign(c)
	if err != nil {
		t.Fatal(err)
	}
	if len("unsubscribe+"+s) > 64 {
		t.Errorf("local part too long: %d", len("unsubscribe+"+s))
	}
	t.Run("OK", func(t *testing.T) {
		for _, spelling := range []string{s, strings.ToUpper(s)} {
			got, err := tk.Verify(spelling)
			if err != nil || got != c {
				t.Fatalf("Verify(%s) = %+v, %v", spelling, got, err)
			}
		}
	})
	t.Run("ErrOtherSecret", func(t *testing.T) {
		if _, err := other.Verify(s); err == nil {
			t.Fatal("a token of another installation verified")
		}
	})
	t.Run("ErrAltered", func(t *testing.T) {
		for i := range s {
			b := []byte(s)
			b[i] = "ab"[boolInt(b[i] == 'a')]
			if _, err := tk.Verify(string(b)); err == nil {
				t.Fatalf("altered at %d verified", i)
			}
		}
	})
	t.Run("Addresses", func(t *testing.T) {
		a := mailbox.Addresses{Bounce: "bounce@verein.example", Unsubscribe: "unsubscribe@verein.example", SubAddressing: true, Tokens: tk}
		if rp := a.ReturnPath(7, 42); !strings.HasPrefix(rp, "bounce+") || !strings.HasSuffix(rp, "@verein.example") {
			t.Errorf("ReturnPath = %q", rp)
		}
		if u := a.UnsubscribeMailto(7, 43); !strings.HasPrefix(u, "mailto:unsubscribe+") || !strings.HasSuffix(u, "?subject=unsubscribe") {
			t.Errorf("UnsubscribeMailto = %q", u)
		}
		a.SubAddressing = false
		if rp := a.ReturnPath(7, 42); rp != "bounce@verein.example" {
			t.Errorf("ReturnPath without sub-addressing = %q", rp)
		}
		if u := a.UnsubscribeMailto(7, 43); !strings.HasPrefix(u, "mailto:unsubscribe@verein.example?subject=unsubscribe%20") {
			t.Errorf("UnsubscribeMailto without sub-addressing = %q", u)
		}
	})
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// FuzzClassify: no input may panic or hang the classifier, and the
// header-only path gives the full parse's verdict.
func FuzzClassify(f *testing.F) {
	files, _ := filepath.Glob("testdata/corpus/*.eml")
	for _, file := range files {
		b, _ := os.ReadFile(file)
		f.Add(b)
	}
	addr := testAddresses(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := mailbox.Classify(bytes.NewReader(b), addr)
		if err == nil && v.Kind == "" {
			t.Fatal("no kind and no error")
		}
		full, ferr := mailbox.ClassifyFull(bytes.NewReader(b), addr)
		if (err == nil) != (ferr == nil) || !reflect.DeepEqual(v, full) {
			t.Fatalf("header-only path %+v (%v), full parse %+v (%v)", v, err, full, ferr)
		}
	})
}
