package desktop

import (
	"context"

	"github.com/resonanz/resonanz/backend/resonanz"
)

// BeforeClose is the window's options.App.OnBeforeClose: with unsaved
// changes it keeps the window open and asks the UI to confirm (the UI's
// own question, in its language); otherwise the window closes.
func (w *Window) BeforeClose(context.Context) (prevent bool) {
	if !w.unsaved.Load() {
		return false
	}
	w.Emit(resonanz.EventCloseRequested, nil) // the UI asks, then calls System.CloseWindow
	return true
}

// SetUnsaved tells whether the UI holds unsaved changes (a screen's form or
// editor). The window then asks before it closes.
func (s *System) SetUnsaved(unsaved bool) error {
	if s.window != nil {
		s.window.unsaved.Store(unsaved)
	}
	return nil
}

// CloseWindow closes the desktop window after the user agreed to drop
// unsaved changes (nothing in browser mode, where the tab closes itself).
func (s *System) CloseWindow() error {
	if s.window != nil {
		s.window.unsaved.Store(false)
		s.window.Quit()
	}
	return nil
}
