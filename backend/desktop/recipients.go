package desktop

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/resonanz/resonanz/backend/bulk"
	"github.com/resonanz/resonanz/backend/recipientcsv"
	"github.com/resonanz/resonanz/backend/report"
	"github.com/resonanz/resonanz/backend/resonanz"
)

// RecipientServices are the services the Recipients façade uses.
type RecipientServices struct {
	Recipients resonanz.RecipientService
	Lists      resonanz.ListService
	Attributes resonanz.AttributeService
	Consent    resonanz.ConsentService
	Imports    resonanz.RecipientImporter
	// Confirmations sends double opt-in mails (nil: not available).
	Confirmations ConfirmationMailer
	// Settings holds the saved UI language the proof page is written in
	// (nil: German).
	Settings resonanz.SettingsService
}

// ConfirmationMailer sends double opt-in confirmation mails
// (portal.Service): a fresh request per person (the old links stay valid
// until they expire) and a mail with its link through the configured SMTP
// server.
type ConfirmationMailer interface {
	// SendConfirmation mails one person whose membership of listID is
	// unconfirmed (ECONFLICT when it is not).
	SendConfirmation(ctx context.Context, recipientID, listID int64) (resonanz.ConfirmationResult, error)
	// SendListConfirmations mails every unconfirmed member of listID;
	// progress is called after each person.
	SendListConfirmations(ctx context.Context, listID int64, progress func(resonanz.ConfirmationResult)) (resonanz.ConfirmationResult, error)
}

// Recipients is the bound façade for the Recipients screens: the table, the
// detail view, lists, attributes, manual consent and GDPR rights.
type Recipients struct {
	ctx     context.Context
	svc     RecipientServices
	sources Sources
	events  Emitter
	now     func() time.Time
	ops     operations // import operations by opId
}

// NewRecipients returns the Recipients façade; ctx lives as long as the app,
// sources resolves import files and events carries progress.
func NewRecipients(ctx context.Context, svc RecipientServices, sources Sources, events Emitter) *Recipients {
	return &Recipients{ctx: ctx, svc: svc, sources: sources, events: events, now: time.Now}
}

// Find returns one page of the recipient table.
func (r *Recipients) Find(f resonanz.RecipientFilter) (resonanz.RecipientPage, error) {
	return r.svc.Recipients.FindRecipients(r.ctx, f)
}

// Detail returns everything stored about one recipient.
func (r *Recipients) Detail(id int64) (resonanz.RecipientDetail, error) {
	return r.svc.Recipients.RecipientDetail(r.ctx, id)
}

// Create adds a recipient.
func (r *Recipients) Create(in resonanz.Recipient) (resonanz.Recipient, error) {
	return r.svc.Recipients.CreateRecipient(r.ctx, in)
}

// Update changes a recipient's data (rectification).
func (r *Recipients) Update(in resonanz.Recipient) (resonanz.Recipient, error) {
	return r.svc.Recipients.UpdateRecipient(r.ctx, in)
}

// Erase deletes a recipient and their personal data (erasure).
func (r *Recipients) Erase(id int64) (bool, error) {
	return true, r.svc.Recipients.EraseRecipient(r.ctx, id)
}

// Export returns the person's data as the GDPR export document.
func (r *Recipients) Export(id int64) (resonanz.PersonalDataExport, error) {
	return r.svc.Recipients.PersonalData(r.ctx, id)
}

// ExportCSV returns the recipients matching filter (a list, a search or a
// selection of IDs) as CSV text for download: UTF-8 with BOM and ";", which
// spreadsheet programs open correctly.
func (r *Recipients) ExportCSV(filter resonanz.RecipientFilter) (string, error) {
	defs, err := r.svc.Attributes.Attributes(r.ctx)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	if _, err := recipientcsv.ExportRecipients(r.ctx, &b, r.svc.Recipients, defs, filter, recipientcsv.WriteOptions{Delimiter: ';', BOM: true}); err != nil {
		return "", err
	}
	return b.String(), nil
}

// ProofHTML returns the consent proof bundle of a recipient as an HTML page
// in the UI language the user saved.
func (r *Recipients) ProofHTML(id int64) (string, error) {
	export, err := r.Export(id)
	if err != nil {
		return "", err
	}
	var lang string
	if r.svc.Settings != nil {
		if _, err := r.svc.Settings.Value(r.ctx, resonanz.SettingLanguage, &lang); err != nil {
			return "", err
		}
	}
	var b strings.Builder
	if err := report.ProofHTML(&b, export, lang); err != nil {
		return "", fmt.Errorf("proof page: %w", err)
	}
	return b.String(), nil
}

// ManualConsent is a consent change entered by the desk user.
type ManualConsent struct {
	RecipientID int64  `json:"recipientId"`
	Purpose     string `json:"purpose"`
	ListID      int64  `json:"listId"`
	Granted     bool   `json:"granted"`
	Wording     string `json:"wording"`
	Evidence    string `json:"evidence"`
}

// SetConsent appends a manual grant or withdrawal to the ledger. A
// withdrawal needs no wording or evidence: withdrawing is as easy as granting.
func (r *Recipients) SetConsent(in ManualConsent) (resonanz.ConsentRecord, error) {
	return r.svc.Consent.AppendConsent(r.ctx, resonanz.ConsentRecord{
		RecipientID: in.RecipientID, Purpose: in.Purpose, ListID: in.ListID, Granted: in.Granted,
		Source: resonanz.SourceManual, Wording: in.Wording, Evidence: in.Evidence,
	})
}

// Lists returns all lists with their member counts.
func (r *Recipients) Lists() ([]resonanz.List, error) { return r.svc.Lists.Lists(r.ctx) }

// CreateList adds a list.
func (r *Recipients) CreateList(l resonanz.List) (resonanz.List, error) {
	return r.svc.Lists.CreateList(r.ctx, l)
}

// Attributes returns the builtin and custom attribute definitions.
func (r *Recipients) Attributes() ([]resonanz.AttributeDef, error) {
	return r.svc.Attributes.Attributes(r.ctx)
}

// CreateAttribute defines a custom attribute.
func (r *Recipients) CreateAttribute(a resonanz.AttributeDef) (resonanz.AttributeDef, error) {
	return r.svc.Attributes.CreateAttribute(r.ctx, a)
}

// Imports returns the recorded imports, newest first.
func (r *Recipients) Imports() ([]resonanz.ImportRun, error) { return r.svc.Imports.Imports(r.ctx) }

// UndoImport reverts an import.
func (r *Recipients) UndoImport(id int64) (bool, error) {
	return true, r.svc.Imports.UndoImport(r.ctx, id)
}

// importSource is an opened import file with the reader options for it.
type importSource struct {
	file    *os.File
	name    string
	defs    []resonanz.AttributeDef
	options recipientcsv.Options
}

// openImport resolves and opens a source for preview or import; the caller
// closes the file.
func (r *Recipients) openImport(source string, mapping map[string]string) (importSource, error) {
	path, name, err := r.sources.Resolve(source)
	if err != nil {
		return importSource{}, err
	}
	defs, err := r.svc.Attributes.Attributes(r.ctx)
	if err != nil {
		return importSource{}, err
	}
	f, err := os.Open(path)
	if err != nil {
		return importSource{}, resonanz.E(resonanz.EINVALID, "error.file.open", "Cannot open {name}.", "name", name)
	}
	return importSource{file: f, name: name, defs: defs,
		options: recipientcsv.Options{Map: mapping, Fields: recipientcsv.AttributeFields(defs)}}, nil
}

// ImportPreview shows how a file will be read before anything is imported.
type ImportPreview struct {
	Source    string                  `json:"source"`
	FileName  string                  `json:"fileName"`
	Encoding  string                  `json:"encoding"`
	Delimiter string                  `json:"delimiter"`
	Columns   []recipientcsv.Column   `json:"columns"`
	Sample    [][]string              `json:"sample"` // first rows, by column
	Fields    []resonanz.AttributeDef `json:"fields"` // what columns can map to
}

// PreviewImport reads the header and the first rows of a file with the given
// mapping (nil: automatic) and reports the detected format and mapping.
func (r *Recipients) PreviewImport(source string, mapping map[string]string) (ImportPreview, error) {
	src, err := r.openImport(source, mapping)
	if err != nil {
		return ImportPreview{}, err
	}
	defer src.file.Close()
	rd, err := recipientcsv.NewReader(src.file, src.options)
	if err != nil {
		return ImportPreview{}, err // a *recipientcsv.HeaderError wrapping a coded *resonanz.Error
	}
	p := ImportPreview{Source: source, FileName: src.name, Encoding: rd.Format().Encoding, Delimiter: string(rd.Format().Delimiter),
		Columns: rd.Columns(), Sample: [][]string{}, Fields: src.defs}
	for len(p.Sample) < 10 {
		row, err := rd.Read()
		var rowErr *recipientcsv.RowError
		if errors.As(err, &rowErr) {
			continue
		} else if err != nil {
			break
		}
		p.Sample = append(p.Sample, row.Values)
	}
	return p, nil
}

// CancelImport stops a running import after its current batch; the batches
// already stored stay and the import can be undone. It reports whether an
// import with that opId was running.
func (r *Recipients) CancelImport(opID string) (bool, error) {
	return r.ops.cancel(opID), nil
}

// ImportFileRequest asks for an import of a previewed file.
type ImportFileRequest struct {
	Source  string                   `json:"source"`
	Mapping map[string]string        `json:"mapping"`
	Options resonanz.RecipientImport `json:"options"`
	// OpID scopes the progress events: "import:progress:<opId>".
	OpID string `json:"opId"`
}

// ImportFile imports a CSV file, emitting throttled progress events, and
// returns the result.
func (r *Recipients) ImportFile(req ImportFileRequest) (resonanz.ImportResult, error) {
	src, err := r.openImport(req.Source, req.Mapping)
	if err != nil {
		return resonanz.ImportResult{}, err
	}
	defer src.file.Close()
	var size int64
	if st, err := src.file.Stat(); err == nil {
		size = st.Size()
	}
	req.Options.FileName = src.name
	ctx, done := r.ops.start(r.ctx, req.OpID)
	defer done()
	emit := Throttle(r.events, resonanz.Scoped(resonanz.EventImportProgress, req.OpID), 100*time.Millisecond)
	defer bulk.GC()()
	res, _, err := recipientcsv.Import(ctx, src.file, size, r.svc.Imports, src.options, req.Options,
		func(p resonanz.ImportProgress) { emit(p, p.Phase != "") }) // a new phase is always shown
	emit(resonanz.ImportProgress{Rows: res.Read, Bytes: size, TotalBytes: size}, true)
	return res, err
}

// RejectedRowsRequest asks for the rejected rows of an import as CSV.
type RejectedRowsRequest struct {
	Source  string            `json:"source"`
	Mapping map[string]string `json:"mapping"`
	// Rows are the rejected rows with their reasons in the user's language.
	Rows []resonanz.RowError `json:"rows"`
	// ReasonHeader is the header of the added reason column ("Grund").
	ReasonHeader string `json:"reasonHeader"`
}

// RejectedCSV returns the rejected rows of an imported file in the file's
// own layout plus a reason column, to fix and import again.
func (r *Recipients) RejectedCSV(req RejectedRowsRequest) (string, error) {
	src, err := r.openImport(req.Source, req.Mapping)
	if err != nil {
		return "", err
	}
	defer src.file.Close()
	header := strings.TrimSpace(req.ReasonHeader)
	if header == "" {
		header = "Reason"
	}
	var b strings.Builder
	if _, err := recipientcsv.WriteRejected(&b, src.file, src.options, req.Rows, header,
		func(e resonanz.RowError) string { return e.Reason }); err != nil {
		return "", err
	}
	return b.String(), nil
}

// SendConfirmation mails the double opt-in confirmation link to one person
// whose membership of the list is unconfirmed.
func (r *Recipients) SendConfirmation(recipientID, listID int64) (resonanz.ConfirmationResult, error) {
	if r.svc.Confirmations == nil {
		return resonanz.ConfirmationResult{}, resonanz.E(resonanz.EINVALID, "error.recipient.confirmationMailsAvailable", "Confirmation mails are not available here.")
	}
	return r.svc.Confirmations.SendConfirmation(r.ctx, recipientID, listID)
}

// SendConfirmationsRequest asks for confirmation mails to every unconfirmed
// member of a list.
type SendConfirmationsRequest struct {
	ListID int64 `json:"listId"`
	// OpID scopes the progress events: "doi:progress:<opId>".
	OpID string `json:"opId"`
}

// SendConfirmations mails the confirmation link to every unconfirmed member
// of a list, emitting throttled progress events; CancelConfirmations stops
// it after the current mail.
func (r *Recipients) SendConfirmations(req SendConfirmationsRequest) (resonanz.ConfirmationResult, error) {
	if r.svc.Confirmations == nil {
		return resonanz.ConfirmationResult{}, resonanz.E(resonanz.EINVALID, "error.recipient.confirmationMailsAvailable", "Confirmation mails are not available here.")
	}
	ctx, done := r.ops.start(r.ctx, req.OpID)
	defer done()
	emit := Throttle(r.events, resonanz.Scoped(resonanz.EventConfirmationsProgress, req.OpID), 100*time.Millisecond)
	res, err := r.svc.Confirmations.SendListConfirmations(ctx, req.ListID, func(p resonanz.ConfirmationResult) { emit(p, false) })
	emit(res, true)
	if errors.Is(err, context.Canceled) && r.ctx.Err() == nil {
		err = nil // cancelled by the user: the result says how far it got
	}
	return res, err
}

// CancelConfirmations stops a running SendConfirmations after the current
// mail; it reports whether one with that opId was running.
func (r *Recipients) CancelConfirmations(opID string) (bool, error) {
	return r.ops.cancel(opID), nil
}
