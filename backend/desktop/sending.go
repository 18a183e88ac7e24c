package desktop

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"time"
	"unicode"

	"github.com/resonanz/resonanz/backend/resonanz"
)

// Audience counts who a mailing would go to (0: the whole list).
func (m *Mailings) Audience(mailingID, targetGroupID int64) (resonanz.Audience, error) {
	return m.send.Audience(m.ctx, mailingID, targetGroupID)
}

// TestSendRequest sends a mailing as rendered for one recipient (0: a
// sample) to test addresses; links are preview links (not counted).
type TestSendRequest struct {
	Mailing     resonanz.Mailing `json:"mailing"`
	RecipientID int64            `json:"recipientId"`
	Addresses   []string         `json:"addresses"`
}

// TestSend sends the test mail and returns the addresses that accepted it.
func (m *Mailings) TestSend(req TestSendRequest) ([]string, error) {
	return m.send.TestSend(m.ctx, req.Mailing, req.RecipientID, req.Addresses)
}

// ExportEML returns the mailing as rendered for one recipient as an .eml
// file (name and content) that a mail client opens as a draft.
func (m *Mailings) ExportEML(mailingID, recipientID int64) (FileContent, error) {
	var b bytes.Buffer
	name, err := m.send.WriteEML(m.ctx, &b, mailingID, recipientID)
	if err != nil {
		return FileContent{}, err
	}
	return FileContent{Name: name, Content: b.String()}, nil
}

// FileContent is a file for the frontend to save or download.
type FileContent struct {
	Name    string `json:"name"`
	Content string `json:"content"`
	// Encoding is "base64" for binary content (ZIP archives), else empty.
	Encoding string `json:"encoding,omitempty"`
}

// StartSend prepares (first time) and runs the send of a mailing in the
// background; progress arrives as "send:progress:<mailingId>" events and
// the run can be paused with PauseSend and resumed with StartSend.
func (m *Mailings) StartSend(req resonanz.SendRequest) (resonanz.SendRun, error) {
	emit := Throttle(m.events, resonanz.Scoped(resonanz.EventSendProgress, req.MailingID), 100*time.Millisecond)
	return m.send.Start(m.ctx, req, func(r resonanz.SendRun, final bool) { emit(r, final) })
}

// PauseSend stops a running send after its current batch.
func (m *Mailings) PauseSend(mailingID int64) (bool, error) {
	return m.send.Pause(mailingID), nil
}

// SendStatus returns the send ledger's counts of a mailing.
func (m *Mailings) SendStatus(mailingID int64) (resonanz.SendRun, error) {
	return m.send.Status(m.ctx, mailingID)
}

// MaxMboxExport bounds the mails ExportMbox returns to the frontend.
const MaxMboxExport = 5000

// ExportMbox renders the mailing for its audience (the people a send
// would mail, within the target group when given) into one .mbox file for
// offline review in a mail client; links stay untracked.
func (m *Mailings) ExportMbox(mailingID, targetGroupID int64) (FileContent, error) {
	name, b, err := m.exportAudience(mailingID, targetGroupID, m.send.WriteMbox)
	if err != nil {
		return FileContent{}, err
	}
	return FileContent{Name: name + ".mbox", Content: b.String()}, nil
}

// ExportEMLZip renders the mailing for its audience (as ExportMbox, at most
// MaxMboxExport people) into a ZIP archive of .eml files, one per person;
// the content is base64 (Encoding "base64").
func (m *Mailings) ExportEMLZip(mailingID, targetGroupID int64) (FileContent, error) {
	name, b, err := m.exportAudience(mailingID, targetGroupID, m.send.WriteEMLZip)
	if err != nil {
		return FileContent{}, err
	}
	return FileContent{Name: name + "-eml.zip", Content: base64.StdEncoding.EncodeToString(b.Bytes()), Encoding: "base64"}, nil
}

// exportAudience writes the stored mailing for its audience (at most
// MaxMboxExport people) with write and returns a file name base for it.
func (m *Mailings) exportAudience(mailingID, targetGroupID int64, write func(context.Context, io.Writer, resonanz.Mailing, int64, int) (int, error)) (string, *bytes.Buffer, error) {
	ml, err := m.svc.Mailings.Mailing(m.ctx, mailingID)
	if err != nil {
		return "", nil, err
	}
	var b bytes.Buffer
	if _, err := write(m.ctx, &b, ml, targetGroupID, MaxMboxExport); err != nil {
		return "", nil, err
	}
	return safeFileName(ml.Name), &b, nil
}

// safeFileName keeps letters, digits, dot, dash and underscore.
func safeFileName(s string) string {
	out := []rune{}
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_' || r == '.' {
			out = append(out, r)
		} else if len(out) > 0 && out[len(out)-1] != '_' {
			out = append(out, '_')
		}
	}
	if len(out) == 0 || out[0] == '.' {
		return "mailing"
	}
	return string(out)
}
