package mailbox_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestSync_HugeMessage: a 50 MB bounce (a DSN with a big attachment after
// its report parts) is classified from its first MiB and applied; the sync
// does not load it whole.
func TestSync_HugeMessage(t *testing.T) {
	f := newSyncFixture(t)
	raw := f.corpusMessage(t, "postfix-dsn")
	end := []byte("--4B1C21A2F.1764580503/mail.verein.example--")
	var pad bytes.Buffer
	pad.WriteString("--4B1C21A2F.1764580503/mail.verein.example\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n")
	line := strings.Repeat("QUJD", 19) + "\n"
	for pad.Len() < 50<<20 {
		pad.WriteString(line)
	}
	pad.WriteString("\n")
	raw = bytes.Replace(raw, end, append(pad.Bytes(), end...), 1)
	if err := f.srv.Deliver(raw); err != nil {
		t.Fatal(err)
	}
	res, err := f.syncer.Sync(context.Background(), f.cfg, nil)
	if err != nil || res.Read != 1 || res.BouncesHard != 1 || len(res.Errors) != 0 {
		t.Fatalf("sync of a 50 MB bounce: %+v %v", res, err)
	}
	if sup := f.suppressed(t); sup["anna@example.com"] != "hard_bounce" {
		t.Errorf("suppressed %v", sup)
	}
}
