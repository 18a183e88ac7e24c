//go:build production || dev || bindings

package main

// GTK starts while the store opens. Wails initialises GTK in wails.Run,
// after this program's own start-up (opening the store, the first screen's
// query); gtk_init_check alone takes some 0.15 s of CPU here (GDK's display
// and its GL visuals, the theme). Started first, on the thread that calls
// wails.Run, it runs beside the store's opening on the other core, and
// Wails' own gtk_init_check then has nothing left to do.

/*
#cgo linux pkg-config: gtk+-3.0
#include <gtk/gtk.h>

static int resonanz_gtk_init(void) { return gtk_init_check(NULL, NULL); }
*/
import "C"

import (
	"os"
	"runtime"
)

// startGTK initialises GTK on the calling goroutine's thread, which it locks:
// the goroutine that later calls wails.Run (GTK is used from one thread).
// It reports whether GTK started; when not, wails.Run reports the error.
func startGTK() bool {
	runtime.LockOSThread()
	// As Wails does before its gtk_init_check: X11 unless the session is
	// another (Wayland), so the choice is the one Wails would make.
	if os.Getenv("GDK_BACKEND") == "" {
		switch os.Getenv("XDG_SESSION_TYPE") {
		case "", "unspecified", "x11":
			_ = os.Setenv("GDK_BACKEND", "x11")
		}
	}
	return C.resonanz_gtk_init() == 1
}
