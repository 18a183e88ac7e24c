// Package desktop holds the façades bound to the Wails window and the HTTP
// bridge that serves the very same façades to a browser. It is the edge of the
// program: the one place where errors become what a user sees.
package desktop

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/resonanz/resonanz/backend/resonanz"
)

// UserError is the JSON shape of an error as the frontend receives it, in the
// desktop window (through Wails' ErrorFormatter) and in browser mode alike.
type UserError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
	Key     string `json:"key,omitempty"`
	// Params fill the placeholders of the catalogue text under Key.
	Params map[string]string `json:"params,omitempty"`
}

// ErrorFormatter maps errors returned by bound methods to UserError. Errors
// without a code are internal: they are logged here, once, and the user sees
// only a generic message, never a driver or system error.
type ErrorFormatter struct {
	Log *slog.Logger
	// Translate, when set, may replace an error before it is formatted (the
	// composition root turns "database disk image is malformed" into the
	// message about the damaged data file).
	Translate func(error) error
}

// Format returns the UserError for err; its signature matches Wails'
// options.ErrorFormatter once wrapped as func(error) any.
func (f ErrorFormatter) Format(err error) UserError {
	if f.Translate != nil {
		err = f.Translate(err)
	}
	var e *resonanz.Error
	if errors.As(err, &e) && e.Code != resonanz.EINTERNAL {
		return UserError{Code: e.Code, Message: e.Message, Field: e.Field, Key: e.Key, Params: e.Params}
	}
	if f.Log != nil {
		f.Log.Error("internal error", "err", err)
	}
	return UserError{Code: resonanz.EINTERNAL, Message: internalMessage, Key: "error.internal"}
}

// internalMessage is shown for every internal error.
const internalMessage = "Something went wrong inside Resonanz. Details were written to the log."

// Wails adapts Format to Wails' options.ErrorFormatter signature.
func (f ErrorFormatter) Wails(err error) any { return f.Format(err) }

// HTTPStatus returns the HTTP status for an error code.
func HTTPStatus(code string) int {
	switch code {
	case resonanz.EINVALID:
		return http.StatusBadRequest
	case resonanz.ENOTFOUND:
		return http.StatusNotFound
	case resonanz.ECONFLICT:
		return http.StatusConflict
	case resonanz.EFORBIDDEN:
		return http.StatusForbidden
	default:
		return http.StatusInternalServerError
	}
}
