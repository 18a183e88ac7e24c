package desktop_test

import (
	"context"
	"testing"

	"github.com/resonanz/resonanz/backend/desktop"
)

// TestWindow_BeforeClose: the window closes at once without unsaved
// changes and stays open (the UI asks) with them, until the UI closes it.
func TestWindow_BeforeClose(t *testing.T) {
	ctx := context.Background()
	w := &desktop.Window{}
	sys := desktop.NewSystem(ctx, desktop.SystemInfo{Mode: "desktop"}, w, nil)
	if w.BeforeClose(ctx) {
		t.Fatal("the window stayed open without unsaved changes")
	}
	if err := sys.SetUnsaved(true); err != nil {
		t.Fatal(err)
	}
	if !w.BeforeClose(ctx) {
		t.Fatal("the window closed with unsaved changes, without asking")
	}
	if err := sys.CloseWindow(); err != nil {
		t.Fatal(err)
	}
	if w.BeforeClose(ctx) {
		t.Fatal("the window stayed open after the user agreed to close it")
	}
}
