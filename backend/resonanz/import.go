package resonanz

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ImportRow is one record of an import file: field key → raw value, and the
// line it starts on (for error messages).
type ImportRow struct {
	Line   int
	Values map[string]string
}

// RowError rejects one row of an import with a reason; the import goes on.
// Key and Params, when set, name the catalogue text of the reason (Reason
// is its English form), so the desk shows it in the user's language.
type RowError struct {
	Line   int               `json:"line"`
	Reason string            `json:"reason"`
	Key    string            `json:"key,omitempty"`
	Params map[string]string `json:"params,omitempty"`
}

// RowErrorOf returns the RowError for line with err's user-facing message,
// key and params.
func RowErrorOf(line int, err error) RowError {
	key, params := "error.internal", map[string]string(nil)
	var e *Error
	if errors.As(err, &e) {
		key, params = e.Key, e.Params
	}
	return RowError{Line: line, Reason: ErrorMessage(err), Key: key, Params: params}
}

// Error implements error.
func (e *RowError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Reason) }

// RowSource yields import rows. Next returns io.EOF at the end and a
// *RowError for a row that cannot be read (the caller records it and calls
// Next again); any other error aborts the import. A row's Values may be
// reused by the next call of Next: the caller copies what it keeps.
type RowSource interface {
	Next() (ImportRow, error)
}

// Import modes for recipients that already exist.
const (
	ImportUpdate = "update" // overwrite the fields the file has
	ImportSkip   = "skip"   // leave existing recipients untouched
)

// ConsentPrefix marks import fields that carry consent, e.g.
// "consent:tracking:opens" or "consent:newsletter:Reisen".
const ConsentPrefix = "consent:"

// RecipientImport describes one recipient import.
type RecipientImport struct {
	FileName string `json:"fileName"`
	// ListName puts every imported recipient on this list (created if missing).
	ListName string `json:"listName"`
	// Status is the membership status on ListName; default confirmed.
	Status string `json:"status"`
	// Mode decides what happens to recipients that exist already.
	Mode string `json:"mode"`
	// ConsentSource and ConsentEvidence are required as soon as a field maps
	// to consent: where the consent was given, and the wording or proof.
	ConsentSource   string `json:"consentSource"`
	ConsentEvidence string `json:"consentEvidence"`
	// ConsentAt is when the imported consent was given; default: the import time.
	ConsentAt time.Time `json:"consentAt"`
}

// ImportResult is the outcome of an import, printed by `--json`.
type ImportResult struct {
	ImportID int64      `json:"importId"`
	Read     int        `json:"read"`
	Created  int        `json:"created"`
	Updated  int        `json:"updated"`
	Skipped  int        `json:"skipped"`
	Rejected []RowError `json:"rejected"`
	// Warnings are rows that were imported with a change the user should
	// know of (an unknown salutation imported as the neutral one).
	Warnings  []RowError `json:"warnings"`
	Cancelled bool       `json:"cancelled,omitempty"`
	// NotMailable counts the people of this import on its list who will not
	// receive mailings yet; NoConsent and Unconfirmed say why (a person can
	// be both). Zero without a list.
	NotMailable int `json:"notMailable"`
	NoConsent   int `json:"noConsent"`
	Unconfirmed int `json:"unconfirmed"`
	// ListID is the list the import put people on (0: none).
	ListID int64 `json:"listId"`
}

// ImportProgress is reported while an import runs.
type ImportProgress struct {
	Rows       int   `json:"rows"`
	Bytes      int64 `json:"bytes"`      // read so far, when the source knows
	TotalBytes int64 `json:"totalBytes"` // size of the file, 0 if unknown
	// Phase is "" while rows are read and stored, then ImportPhaseIndexing
	// while a large import builds the search index over names.
	Phase string `json:"phase,omitempty"`
}

// ImportPhaseIndexing is the last phase of a large recipient import.
const ImportPhaseIndexing = "indexing"

// ImportRun is a recorded import.
type ImportRun struct {
	ID         int64        `json:"id"`
	Kind       string       `json:"kind"`
	FileName   string       `json:"fileName"`
	StartedAt  time.Time    `json:"startedAt"`
	FinishedAt time.Time    `json:"finishedAt"`
	Status     string       `json:"status"`
	Result     ImportResult `json:"result"`
}

// RecipientImporter imports recipients in batches and can undo an import.
type RecipientImporter interface {
	// CheckFields validates the mapped field keys before any row is read.
	CheckFields(ctx context.Context, fields []string, opt RecipientImport) error
	ImportRecipients(ctx context.Context, src RowSource, opt RecipientImport, progress func(ImportProgress)) (ImportResult, error)
	UndoImport(ctx context.Context, importID int64) error
	Imports(ctx context.Context) ([]ImportRun, error)
}
