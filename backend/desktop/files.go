package desktop

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/wailsapp/wails/v2/pkg/runtime"

	"github.com/resonanz/resonanz/backend/resonanz"
)

// Sources turns what the frontend names as an input file into a path. In the
// desktop window that is the path the user picked in the file dialog; in
// browser mode only files uploaded through the bridge are accepted, so a
// browser can never name an arbitrary file on the machine.
type Sources interface {
	Resolve(source string) (path, name string, err error)
}

// PickedFiles accepts absolute paths (desktop mode).
type PickedFiles struct{}

// Resolve implements Sources.
func (PickedFiles) Resolve(source string) (string, string, error) {
	if !filepath.IsAbs(source) {
		return "", "", resonanz.E(resonanz.EINVALID, "error.file.chooseFile", "Choose a file first.")
	}
	return filepath.Clean(source), filepath.Base(source), nil
}

// Uploads keeps files uploaded in browser mode in a private directory.
type Uploads struct {
	dir   string
	mu    sync.Mutex
	names map[string]string // id -> original file name
	// MaxBytes bounds one upload; 0 means 1 GiB.
	MaxBytes int64
}

var uploadID = regexp.MustCompile(`^[0-9a-f]{32}$`)

// NewUploads returns an upload store in dir, removing what earlier runs left.
func NewUploads(dir string) (*Uploads, error) {
	if err := os.RemoveAll(dir); err != nil {
		return nil, fmt.Errorf("uploads: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("uploads: %w", err)
	}
	return &Uploads{dir: dir, names: map[string]string{}}, nil
}

// Resolve implements Sources for "upload:<id>".
func (u *Uploads) Resolve(source string) (string, string, error) {
	id, ok := strings.CutPrefix(source, "upload:")
	u.mu.Lock()
	name, known := u.names[id]
	u.mu.Unlock()
	if !ok || !uploadID.MatchString(id) || !known {
		return "", "", resonanz.E(resonanz.EINVALID, "error.file.uploadFile", "Upload the file first.")
	}
	return filepath.Join(u.dir, id), name, nil
}

// UploadResult is the answer to POST /api/upload.
type UploadResult struct {
	Source string `json:"source"`
	Name   string `json:"name"`
	Size   int64  `json:"size"`
}

// ServeHTTP stores the request body as a new upload. The file name comes in
// the X-File-Name header (URL-encoded) and is only ever used for display.
func (u *Uploads) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	max := u.MaxBytes
	if max == 0 {
		max = 1 << 30
	}
	b := make([]byte, 16)
	rand.Read(b)
	id := hex.EncodeToString(b)
	f, err := os.OpenFile(filepath.Join(u.dir, id), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]UserError{"error": {Code: resonanz.EINTERNAL, Message: internalMessage}})
		return
	}
	n, err := io.Copy(f, http.MaxBytesReader(w, r.Body, max))
	cerr := f.Close()
	if err != nil || cerr != nil {
		os.Remove(f.Name())
		var tooBig *http.MaxBytesError
		status, msg := http.StatusBadRequest, "The upload did not complete."
		if errors.As(err, &tooBig) {
			status, msg = http.StatusRequestEntityTooLarge, fmt.Sprintf("The file is larger than %d MB.", max>>20)
		}
		writeJSON(w, status, map[string]UserError{"error": {Code: resonanz.EINVALID, Message: msg}})
		return
	}
	name := filepath.Base(strings.ReplaceAll(r.Header.Get("X-File-Name"), `\`, "/"))
	if name == "." || name == "/" || name == "" {
		name = "upload.csv"
	}
	u.mu.Lock()
	u.names[id] = name
	u.mu.Unlock()
	writeJSON(w, http.StatusOK, UploadResult{Source: "upload:" + id, Name: name, Size: n})
}

// Window is the desktop window's side of the Wails runtime: events and
// dialogs. Its methods do nothing before the window has started.
type Window struct {
	WailsEmitter
	// unsaved is what the UI last said about unsaved changes (SetUnsaved).
	unsaved atomic.Bool
}

// OpenFile shows the native file dialog and returns the chosen path ("" if
// cancelled).
func (w *Window) OpenFile(title string, patterns string) (string, error) {
	ctx := w.current()
	if ctx == nil {
		return "", resonanz.E(resonanz.EINVALID, "error.backup.fileDialogAvailable", "The file dialog is only available in the desktop window.")
	}
	return runtime.OpenFileDialog(ctx, runtime.OpenDialogOptions{
		Title:   title,
		Filters: []runtime.FileFilter{{DisplayName: "CSV (" + patterns + ")", Pattern: patterns}},
	})
}

// SaveFile shows the native save dialog with a suggested name and writes
// content to the chosen path, which it returns ("" if cancelled). Downloads
// through Blob URLs do not work in the desktop window's WebKit view.
func (w *Window) SaveFile(name string, content []byte) (string, error) {
	ctx := w.current()
	if ctx == nil {
		return "", resonanz.E(resonanz.EINVALID, "error.backup.saveDialogAvailable", "The save dialog is only available in the desktop window.")
	}
	path, err := runtime.SaveFileDialog(ctx, runtime.SaveDialogOptions{DefaultFilename: filepath.Base(name)})
	if err != nil || path == "" {
		return "", err
	}
	if err := os.WriteFile(path, content, 0o600); err != nil {
		return "", resonanz.E(resonanz.EINVALID, "error.file.write", "Cannot write {path}: {reason}.", "path", path, "reason", errors.Unwrap(err))
	}
	return path, nil
}

// Quit closes the window (and so ends wails.Run); before start-up it does
// nothing.
func (w *Window) Quit() {
	if ctx := w.current(); ctx != nil {
		runtime.Quit(ctx)
	}
}
