package mailbox

import (
	"testing"
)

// TestReasons: every reason a sync gives has a catalogue key, and its
// params fill the catalogue's placeholders.
func TestReasons(t *testing.T) {
	tests := []struct {
		name    string
		v       Verdict
		key     string
		params  map[string]string
		message string
	}{
		{"NoRecipient", Verdict{Kind: KindBounce}, "error.mailbox.noRecipient", map[string]string{}, "The report names no recipient Resonanz knows."},
		{"UnknownAddress", Verdict{Kind: KindBounce, Failures: []Failure{{Email: "a@example.org"}}}, "error.mailbox.unknownAddress",
			map[string]string{"address": "a@example.org"}, "No recipient has the address a@example.org."},
		{"UnknownAddresses", Verdict{Kind: KindBounce, Failures: []Failure{{Email: "a@example.org"}, {Email: "b@example.org"}}}, "error.mailbox.unknownAddresses",
			map[string]string{"addresses": "a@example.org, b@example.org"}, "No recipient has one of the addresses a@example.org, b@example.org."},
		{"Complaint", Verdict{Kind: KindComplaint, Email: "c@example.org"}, "error.mailbox.unknownAddress", map[string]string{"address": "c@example.org"}, "No recipient has the address c@example.org."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := noRecipient(&tt.v)
			if e.Key != tt.key || e.Message != tt.message || len(e.Params) != len(tt.params) {
				t.Fatalf("%+v, want %s %q %v", e, tt.key, tt.message, tt.params)
			}
			for k, v := range tt.params {
				if e.Params[k] != v {
					t.Errorf("param %s = %q, want %q", k, e.Params[k], v)
				}
			}
		})
	}
	for tokenError, key := range map[string]string{"forged": "error.mailbox.token.forged", "missing": "error.mailbox.token.missing"} {
		if e := tokenReason(tokenError); e.Key != key {
			t.Errorf("%s: key %s, want %s", tokenError, e.Key, key)
		}
	}
}
