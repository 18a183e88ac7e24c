package resonanz

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Backup kinds, by who made the copy.
const (
	BackupDaily  = "daily"  // the automatic copy of a day (resonanz-YYYY-MM-DD.db)
	BackupManual = "manual" // "Back up now" in browser mode (resonanz-manual-….db)
	BackupSafety = "safety" // the state before a restore (resonanz-before-restore-….db)
)

// DefaultBackupRetention is how many automatic daily copies are kept.
const DefaultBackupRetention = 7

// BackupFile is one copy of the data file in the backup folder.
type BackupFile struct {
	Name string    `json:"name"` // the file name inside the backup folder
	Kind string    `json:"kind"` // BackupDaily, BackupManual or BackupSafety
	Size int64     `json:"size"` // bytes
	At   time.Time `json:"at"`   // when it was written
}

// BackupResult is the outcome of the last backup attempt.
type BackupResult struct {
	At      time.Time `json:"at"`
	OK      bool      `json:"ok"`
	Kind    string    `json:"kind"`
	File    string    `json:"file"`              // where the copy went (empty when it failed)
	Message string    `json:"message,omitempty"` // why it failed
}

// BackupStatus is what the Backups card shows: the folder, the retention,
// the last result and the copies there are.
type BackupStatus struct {
	Dir       string         `json:"dir"`
	Retention int            `json:"retention"`
	Last      *BackupResult  `json:"last"`
	Backups   []BackupFile   `json:"backups"`
	Check     *IntegrityInfo `json:"check"` // the start-up check (nil when none ran)
	// Secrets says where the SMTP password and the listener key are kept
	// ("OS keyring" or a folder); they are never part of a backup.
	Secrets string `json:"secrets"`
}

// IntegrityInfo is the result of PRAGMA quick_check (Full: integrity_check)
// over a data file.
type IntegrityInfo struct {
	Path     string    `json:"path"`
	OK       bool      `json:"ok"`
	Full     bool      `json:"full"`
	Problems []string  `json:"problems"`
	At       time.Time `json:"at"`
	Millis   int64     `json:"millis"` // how long the check took
}

// BackupProgress reports a running backup or restore.
type BackupProgress struct {
	Phase string `json:"phase"` // "backup", "verify", "restore"
	Done  int    `json:"done"`  // pages copied
	Total int    `json:"total"` // pages to copy
}

// DamagedError says a data file failed its integrity check. It unwraps to a
// user-facing *Error (ECONFLICT, key error.store.damaged) naming the file and
// the newest good backup to restore from.
type DamagedError struct {
	Path     string
	Problems []string
	// Newest is the path of the newest backup that passed its check, "" when
	// there is none.
	Newest string
}

// Error implements error.
func (e *DamagedError) Error() string { return e.Message() }

// Message is the sentence shown to the user.
func (e *DamagedError) Message() string {
	var b strings.Builder
	fmt.Fprintf(&b, "The data file %s is damaged", e.Path)
	if len(e.Problems) > 0 {
		fmt.Fprintf(&b, " (%s)", e.Problems[0])
	}
	b.WriteString(". ")
	if e.Newest != "" {
		fmt.Fprintf(&b, "Restore the newest good backup, %s: Resonanz offers it when the window (or `resonanz serve`) starts, or run `resonanz restore %s`.", e.Newest, e.Newest)
	} else {
		b.WriteString("No good backup was found; restore it from a copy you keep elsewhere with `resonanz restore FILE`.")
	}
	return b.String()
}

// Unwrap returns the user-facing error.
func (e *DamagedError) Unwrap() error {
	return &Error{Code: ECONFLICT, Key: "error.store.damaged", Message: e.Message()}
}

// SecretStore keeps secrets (the SMTP password, the listener's token key)
// outside the database: in the OS keyring where one answers, else in files
// readable by the owner only.
type SecretStore interface {
	// Secret returns the named secret, nil when none is stored.
	Secret(ctx context.Context, name string) ([]byte, error)
	// SetSecret stores value under name; an empty value removes it.
	SetSecret(ctx context.Context, name string, value []byte) error
	// Where names the place secrets are kept ("OS keyring" or a folder), for
	// the UI; it never contains a secret.
	Where(ctx context.Context) string
}
