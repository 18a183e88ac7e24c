package send

import (
	"archive/zip"
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/resonanz/resonanz/backend/render"
	"github.com/resonanz/resonanz/backend/resonanz"
	"github.com/resonanz/resonanz/backend/smtp"
)

// WriteEML writes the mailing as rendered for one recipient (0: the first
// stored, or a sample person) to w as an .eml file that a mail client opens
// as a draft, and returns a file name for it.
func (s *Service) WriteEML(ctx context.Context, w io.Writer, mailingID, recipientID int64) (string, error) {
	ml, err := s.svc.Mailings.Mailing(ctx, mailingID)
	if err != nil {
		return "", err
	}
	msg, err := s.renderFor(ctx, ml, recipientID, false)
	if err != nil {
		return "", err
	}
	if err := smtp.WriteMessage(w, msg); err != nil {
		return "", err
	}
	return smtp.EMLFileName(msg), nil
}

// WriteMbox writes the mailing as rendered for each person of its audience
// (at most limit, 0: all) to w as mboxrd and returns how many it wrote;
// people a required placeholder skips are left out.
func (s *Service) WriteMbox(ctx context.Context, w io.Writer, ml resonanz.Mailing, targetGroupID int64, limit int) (int, error) {
	return s.eachRendered(ctx, ml, targetGroupID, limit, func(msgs []*resonanz.Message) error {
		return smtp.WriteMbox(w, msgs...)
	})
}

// WriteEMLZip writes the mailing as rendered for each person of its audience
// (at most limit, 0: all) to w as a ZIP archive of .eml files, one per
// person, named by position and address (00001_anna_at_example.org.eml:
// no directories, no dot files, see smtp.EMLFileName), and returns how
// many it wrote.
func (s *Service) WriteEMLZip(ctx context.Context, w io.Writer, ml resonanz.Mailing, targetGroupID int64, limit int) (int, error) {
	z := zip.NewWriter(w)
	i := 0
	n, err := s.eachRendered(ctx, ml, targetGroupID, limit, func(msgs []*resonanz.Message) error {
		for _, msg := range msgs {
			i++
			name := fmt.Sprintf("%05d_%s", i, smtp.EMLFileName(msg))
			f, err := z.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: msg.Date})
			if err != nil {
				return err
			}
			if err := smtp.WriteMessage(f, msg); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return n, err
	}
	return n, z.Close()
}

// eachRendered renders the mailing for each person of its audience (the
// one the send ledger defines: the list's confirmed members with a
// newsletter consent for it who are not suppressed, within the target
// group when given; at most limit, 0: all), untracked, and hands the
// messages to emit page by page; people a required placeholder skips are
// left out. It returns how many messages it emitted.
func (s *Service) eachRendered(ctx context.Context, ml resonanz.Mailing, targetGroupID int64, limit int, emit func([]*resonanz.Message) error) (int, error) {
	if ml.ListID == 0 {
		return 0, resonanz.FieldError("listId", "error.mailing.list.required", "Choose the list this mailing goes to.")
	}
	if s.svc.Ledger == nil {
		return 0, ErrNoSending
	}
	var preview Tracker
	if s.svc.Preview != nil {
		var err error
		if preview, err = s.svc.Preview(); err != nil {
			return 0, err
		}
	}
	job, err := s.job(ctx, ml, preview)
	if err != nil {
		return 0, err
	}
	const size = 500
	n := 0
	for after := int64(0); ; {
		page, err := s.svc.Ledger.AudiencePage(ctx, ml.ID, targetGroupID, after, size)
		if err != nil {
			return n, err
		}
		msgs := make([]*resonanz.Message, 0, len(page))
		for i := range page {
			r := &page[i]
			if limit > 0 && n+len(msgs) >= limit {
				break
			}
			res, err := job.Template.Execute(r, render.Options{InGroup: func(g string) bool { return job.InGroup(r.ID, g) },
				SystemURL: SystemURLs(job.Tracker, ml.ID, r.ID, job.Surveys)})
			var skip *render.SkipError
			if errors.As(err, &skip) {
				continue
			} else if err != nil {
				return n, err
			}
			msg := res.Message(job.From, r)
			msg.Date = time.Now()
			msgs = append(msgs, msg)
		}
		if err := emit(msgs); err != nil {
			return n, err
		}
		n += len(msgs)
		if (limit > 0 && n >= limit) || len(page) < size {
			return n, nil
		}
		after = page[len(page)-1].ID
	}
}
