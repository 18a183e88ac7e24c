package ingest

// Why a row is rejected, or kept with a warning, is a catalogue text
// (error.reactions.row.*, error.reactions.warning.*): a *resonanz.Error or
// resonanz.Text with a key and params, so the desk shows it in the user's
// language; its English message is what the command line prints.

import (
	"errors"
	"fmt"

	"github.com/resonanz/resonanz/backend/resonanz"
)

// within prefixes the English message of a reason with where it was found
// (a Mailchimp activity entry, an SNS envelope's Message); the catalogue
// text names the field itself, and the desk shows the row's line beside it.
func within(prefix string, err error) error {
	var e *resonanz.Error
	if errors.As(err, &e) {
		c := *e
		c.Message = prefix + c.Message
		return &c
	}
	return fmt.Errorf("%s%w", prefix, err)
}

// keyed returns err as a reason with a catalogue key: a decoder's own
// error (a JSON syntax error, in the parser's English) becomes "the event
// cannot be read: …" with the parser's text as a detail.
func keyed(err error) *resonanz.Error {
	var e *resonanz.Error
	if errors.As(err, &e) {
		return e
	}
	return resonanz.E(resonanz.EINVALID, "error.reactions.row.unreadable", "the event cannot be read: {detail}", "detail", err.Error())
}

// rowError builds the RowError of a unit; array elements say so in the
// English text, since RowError prints "line N".
func rowError(u unit, err error) *resonanz.RowError {
	e := keyed(err)
	re := &resonanz.RowError{Line: u.line, Reason: e.Message, Key: e.Key, Params: e.Params}
	if u.elem {
		re.Reason = fmt.Sprintf("array element %d: %s", u.line, re.Reason)
	}
	return re
}

// fieldUnreadable is the reason for a field whose value cannot be decoded
// (metadata that is no JSON object, say); detail is the decoder's text.
func fieldUnreadable(field string, err error) error {
	var e *resonanz.Error
	if errors.As(err, &e) {
		return err
	}
	return resonanz.E(resonanz.EINVALID, "error.reactions.row.fieldUnreadable", "field \"{field}\": {detail}", "field", field, "detail", err.Error())
}

// wrongKind is the reason for a field of an unexpected JSON type; the
// kinds are JSON's type names (string, number, object, array, boolean).
func wrongKind(field, expected, found string) error {
	return resonanz.E(resonanz.EINVALID, "error.reactions.row.wrongKind", "field \"{field}\": expected a JSON {expected}, found a JSON {found}", "field", field, "expected", expected, "found", found)
}

// eventTypeMissing is the reason for an event without its type or name.
func eventTypeMissing(field string) error {
	return resonanz.E(resonanz.EINVALID, "error.reactions.row.eventTypeMissing", "field \"{field}\": the event type is missing", "field", field)
}

// timeErr says why a time value cannot be read; the caller names the
// field (timeError) or the CSV column (columnTimeError).
type timeErr struct {
	kind  string // empty, range, format, unix
	value string
}

func (e *timeErr) Error() string { return e.kind + " " + e.value }

// timeError turns a timeErr into the reason naming field.
func timeError(field string, err error) error {
	te, ok := err.(*timeErr)
	if !ok {
		return err
	}
	switch te.kind {
	case "empty":
		return resonanz.E(resonanz.EINVALID, "error.reactions.row.timeMissing", "field \"{field}\": the event time is missing", "field", field)
	case "range":
		return resonanz.E(resonanz.EINVALID, "error.reactions.row.timeRange", "field \"{field}\": \"{value}\" is out of range (1970 to 9999)", "field", field, "value", te.value)
	case "format":
		return resonanz.E(resonanz.EINVALID, "error.reactions.row.timeFormat", "field \"{field}\": \"{value}\" is neither Unix time nor an ISO 8601 time with offset", "field", field, "value", te.value)
	}
	return resonanz.E(resonanz.EINVALID, "error.reactions.row.timeUnix", "field \"{field}\": \"{value}\" is not a Unix time", "field", field, "value", te.value)
}

// columnTimeError turns a timeErr into the reason naming a CSV column.
func columnTimeError(column string, err error) error {
	te, ok := err.(*timeErr)
	if !ok {
		return err
	}
	switch te.kind {
	case "empty":
		return resonanz.E(resonanz.EINVALID, "error.reactions.row.csvTimeMissing", "column \"{column}\": the event time is missing", "column", column)
	case "range":
		return resonanz.E(resonanz.EINVALID, "error.reactions.row.csvTimeRange", "column \"{column}\": \"{value}\" is out of range (1970 to 9999)", "column", column, "value", te.value)
	case "format":
		return resonanz.E(resonanz.EINVALID, "error.reactions.row.csvTimeFormat", "column \"{column}\": \"{value}\" is neither Unix time nor an ISO 8601 time with offset", "column", column, "value", te.value)
	}
	return resonanz.E(resonanz.EINVALID, "error.reactions.row.csvTimeUnix", "column \"{column}\": \"{value}\" is not a Unix time", "column", column, "value", te.value)
}
