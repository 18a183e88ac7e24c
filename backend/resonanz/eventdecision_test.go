package resonanz_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/resonanz/resonanz/backend/resonanz"
)

func TestUnattributable(t *testing.T) {
	for _, tc := range []struct {
		name   string
		ev     resonanz.ProviderEvent
		known  bool
		reason string // a part of it; "" when attributable
	}{
		{"OK", resonanz.ProviderEvent{Type: resonanz.ReactionOpened, Email: "a@x.de"}, true, ""},
		{"OKAmbiguousBounce", resonanz.ProviderEvent{Type: resonanz.ReactionBounced, Email: "a@x.de", RecipientAmbiguous: true}, true, ""},
		{"ErrUnknown", resonanz.ProviderEvent{Type: resonanz.ReactionOpened, Email: "a@x.de"}, false, `No recipient has the address "a@x.de".`},
		{"ErrNoAddress", resonanz.ProviderEvent{Type: resonanz.ReactionBounced}, false, "names no e-mail address"},
		{"ErrAmbiguousClick", resonanz.ProviderEvent{Type: resonanz.ReactionClicked, Email: "a@x.de", RecipientAmbiguous: true}, true, "several recipients"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := resonanz.Unattributable(&tc.ev, tc.known).Message
			if (got == "") != (tc.reason == "") || !strings.Contains(got, tc.reason) {
				t.Errorf("Unattributable = %q, want %q", got, tc.reason)
			}
		})
	}
}

func TestDecideEvent(t *testing.T) {
	for _, tc := range []struct {
		name    string
		ev      resonanz.ProviderEvent
		mailing int64
		granted bool
		action  resonanz.EventAction
		reason  string
	}{
		{"OKClickWithConsent", resonanz.ProviderEvent{Type: resonanz.ReactionClicked}, 7, true, resonanz.EventPersonal, ""},
		{"OKDelivered", resonanz.ProviderEvent{Type: resonanz.ReactionDelivered}, 7, false, resonanz.EventPersonal, ""},
		{"OKBounceWithoutMailing", resonanz.ProviderEvent{Type: resonanz.ReactionBounced}, 0, false, resonanz.EventPersonal, ""},
		{"OKComplaintWithoutMailing", resonanz.ProviderEvent{Type: resonanz.ReactionComplained}, 0, false, resonanz.EventPersonal, ""},
		{"OKUnsubscribeWithoutMailing", resonanz.ProviderEvent{Type: resonanz.ReactionUnsubscribed}, 0, false, resonanz.EventPersonal, ""},
		{"AnonymousOpenWithoutConsent", resonanz.ProviderEvent{Type: resonanz.ReactionOpened}, 7, false, resonanz.EventAnonymous, ""},
		{"AnonymousImageWithoutConsent", resonanz.ProviderEvent{Type: resonanz.ReactionImageLoad}, 7, false, resonanz.EventAnonymous, ""},
		{"ErrNoMailing", resonanz.ProviderEvent{Type: resonanz.ReactionOpened}, 0, true, resonanz.EventQuarantined, "names no mailing"},
		{"ErrNoMailingForCampaign", resonanz.ProviderEvent{Type: resonanz.ReactionClicked, CampaignID: "c1"}, 0, true, resonanz.EventQuarantined, `campaign "c1"`},
		{"ErrNoMailingForMessage", resonanz.ProviderEvent{Type: resonanz.ReactionDelivered, RFCMessageID: "m@x"}, 0, false, resonanz.EventQuarantined, `message "m@x"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			action, text := resonanz.DecideEvent(&tc.ev, tc.mailing, tc.granted)
			reason := text.Message
			if action != tc.action || (reason == "") != (tc.reason == "") || !strings.Contains(reason, tc.reason) {
				t.Errorf("DecideEvent = %v %q, want %v %q", action, reason, tc.action, tc.reason)
			}
		})
	}
}

// TestText_UnmarshalJSON: a stored text reads back with its key and params,
// and a plain string (an event's warning stored before texts had keys) as
// its message.
func TestText_UnmarshalJSON(t *testing.T) {
	var got []resonanz.Text
	in := `[{"key":"error.reactions.warning.leftOut","params":{"field":"tags"},"message":"m"},"field \"tags\": left out"]`
	if err := json.Unmarshal([]byte(in), &got); err != nil {
		t.Fatal(err)
	}
	want := []resonanz.Text{{Key: "error.reactions.warning.leftOut", Params: map[string]string{"field": "tags"}, Message: "m"}, {Message: `field "tags": left out`}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
}
