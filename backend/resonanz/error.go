package resonanz

import (
	"errors"
	"fmt"
	"strconv"
)

// Error codes. They are stable strings: the frontend and the command line
// switch on them, so never rename one.
const (
	EINVALID   = "invalid"   // the input is wrong; the message says what to fix
	ENOTFOUND  = "not_found" // the thing asked for does not exist
	ECONFLICT  = "conflict"  // the change clashes with what is stored
	EFORBIDDEN = "forbidden" // the action is not allowed (consent, token, ...)
	EINTERNAL  = "internal"  // a bug or an environment failure; details are logged, not shown
)

// Error is a user-facing error: Code classifies it, Message is a complete
// English sentence safe to show, Field names the offending input (its JSON
// name) when there is one, and Key is an i18n key the UI may translate.
type Error struct {
	Code    string
	Message string
	Field   string
	Key     string
	// Params fill the {name} placeholders of the catalogue text under Key
	// (e.g. the names of the objects a refusal is about).
	Params map[string]string
}

// Error implements the error interface.
func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("resonanz error: code=%s field=%s message=%s", e.Code, e.Field, e.Message)
	}
	return fmt.Sprintf("resonanz error: code=%s message=%s", e.Code, e.Message)
}

// Errorf returns a user-facing *Error with the given code and formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// E returns a user-facing *Error with an i18n key. message is the English
// catalogue text under key (en.json has the same text; a test compares
// them), with {name} placeholders filled from params, given as name/value
// pairs (values formatted with fmt.Sprint). The same values go to Params,
// so the UI shows the text in the user's language.
func E(code, key, message string, params ...any) *Error {
	t := T(key, message, params...)
	return &Error{Code: code, Key: t.Key, Message: t.Message, Params: t.Params}
}

// paramString formats a param as fmt.Sprint does, without its cost for the
// common kinds (row errors are built per rejected row).
func paramString(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case int:
		return strconv.Itoa(v)
	case int64:
		return strconv.FormatInt(v, 10)
	}
	return fmt.Sprint(v)
}

// FieldError returns an EINVALID error about one input field, with an i18n key.
func FieldError(field, key, message string) *Error {
	return &Error{Code: EINVALID, Field: field, Key: key, Message: message}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL for
// any other non-nil error and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the user-facing message of the first *Error in err's
// chain, or a generic message for any other error: driver and system errors are
// never shown to users.
func ErrorMessage(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Message
	}
	return "An internal error occurred. Details were written to the log."
}
