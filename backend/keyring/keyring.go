// Package keyring keeps Resonanz's secrets (the SMTP password, the
// listener's token key) outside the database: in the OS keyring through
// zalando/go-keyring (Secret Service over D-Bus on Linux, Keychain on macOS,
// Credential Manager on Windows) where one answers, else in files readable by
// the owner only (mode 0600) in the data directory's secrets folder.
//
// A secret that lives in the keyring leaves a marker file (name.keyring,
// holding no secret) beside where its file would be, so a later run without
// a keyring reports that the keyring does not answer instead of taking the
// secret for missing (which for the listener key would mean a new key and
// dead links in every mail sent).
package keyring

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"sync"
	"time"

	gokeyring "github.com/zalando/go-keyring"

	"github.com/resonanz/resonanz/backend/resonanz"
)

// Ring is the OS keyring's interface (go-keyring's functions).
type Ring interface {
	Get(service, user string) (string, error)
	Set(service, user, password string) error
	Delete(service, user string) error
}

// ErrNotFound is what a Ring returns for a secret it does not hold.
var ErrNotFound = gokeyring.ErrNotFound

// OS is the operating system's keyring.
type OS struct{}

// Get implements Ring.
func (OS) Get(service, user string) (string, error) { return gokeyring.Get(service, user) }

// Set implements Ring.
func (OS) Set(service, user, password string) error { return gokeyring.Set(service, user, password) }

// Delete implements Ring.
func (OS) Delete(service, user string) error { return gokeyring.Delete(service, user) }

// DisabledByEnv reports whether RESONANZ_KEYRING=off asks for files only
// (headless machines, CI, tests).
func DisabledByEnv() bool { return os.Getenv("RESONANZ_KEYRING") == "off" }

// Options configure New.
type Options struct {
	// Ring replaces the OS keyring (tests); nil uses OS unless Disabled.
	Ring Ring
	// Disabled keeps every secret in files.
	Disabled bool
	// Timeout bounds every keyring call, so a hanging D-Bus cannot block
	// the app; 0 means 3 s.
	Timeout time.Duration
}

// Store implements resonanz.SecretStore.
type Store struct {
	dir     string // <data>/secrets
	service string // the keyring's service name, one per data directory
	ring    Ring   // nil: files only
	timeout time.Duration

	mu    sync.Mutex
	probe *bool // whether the keyring answered (asked once)
}

var _ resonanz.SecretStore = (*Store)(nil)

// New returns the secret store of dataDir.
func New(dataDir string, opt Options) *Store {
	s := &Store{dir: filepath.Join(dataDir, "secrets"), service: "Resonanz " + dataDir, ring: opt.Ring, timeout: opt.Timeout}
	if s.timeout == 0 {
		s.timeout = 3 * time.Second
	}
	if s.ring == nil && !opt.Disabled && sessionBus() {
		s.ring = OS{}
	}
	if opt.Disabled {
		s.ring = nil
	}
	return s
}

// sessionBus reports whether a keyring can answer at all: on Linux and the
// BSDs the Secret Service needs a D-Bus session bus, and without one the
// D-Bus library would try to launch a bus daemon.
func sessionBus() bool {
	switch runtime.GOOS {
	case "darwin", "windows":
		return true
	}
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") != "" {
		return true
	}
	if d := os.Getenv("XDG_RUNTIME_DIR"); d != "" {
		if _, err := os.Stat(filepath.Join(d, "bus")); err == nil {
			return true
		}
	}
	return false
}

var secretName = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)

func checkName(name string) error {
	if !secretName.MatchString(name) {
		return fmt.Errorf("secret name %q is not valid", name)
	}
	return nil
}

// errTimeout says the keyring did not answer in time.
var errTimeout = errors.New("the OS keyring did not answer in time")

// call runs f with the timeout; a hung call is abandoned (its goroutine
// ends whenever D-Bus does).
func (s *Store) call(ctx context.Context, f func() (string, error)) (string, error) {
	type result struct {
		v   string
		err error
	}
	ch := make(chan result, 1)
	go func() {
		v, err := f()
		ch <- result{v, err}
	}()
	t := time.NewTimer(s.timeout)
	defer t.Stop()
	select {
	case r := <-ch:
		return r.v, r.err
	case <-t.C:
		return "", errTimeout
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// available asks the keyring once whether it answers.
func (s *Store) available(ctx context.Context) bool {
	if s.ring == nil {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.probe != nil {
		return *s.probe
	}
	_, err := s.call(ctx, func() (string, error) { return s.ring.Get(s.service, "probe") })
	ok := err == nil || errors.Is(err, ErrNotFound)
	if ctx.Err() == nil {
		s.probe = &ok
	}
	return ok
}

// Where implements resonanz.SecretStore.
func (s *Store) Where(ctx context.Context) string {
	if s.available(ctx) {
		return "OS keyring"
	}
	return s.dir
}

func (s *Store) file(name string) string   { return filepath.Join(s.dir, name) }
func (s *Store) marker(name string) string { return filepath.Join(s.dir, name+".keyring") }

func (s *Store) ringGet(ctx context.Context, name string) ([]byte, error) {
	v, err := s.call(ctx, func() (string, error) { return s.ring.Get(s.service, name) })
	if err != nil {
		return nil, err
	}
	b, err := base64.StdEncoding.DecodeString(v)
	if err != nil {
		return nil, fmt.Errorf("secret %s in the OS keyring is not readable", name)
	}
	return b, nil
}

func (s *Store) ringSet(ctx context.Context, name string, value []byte) error {
	// base64: the listener key is binary, and not every keyring takes any byte.
	_, err := s.call(ctx, func() (string, error) {
		return "", s.ring.Set(s.service, name, base64.StdEncoding.EncodeToString(value))
	})
	return err
}

// Secret implements resonanz.SecretStore. A secret found in a file is moved
// into the keyring when one answers (and stays in its file when not).
func (s *Store) Secret(ctx context.Context, name string) ([]byte, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	if _, err := os.Stat(s.marker(name)); err == nil {
		if s.ring == nil || !s.available(ctx) {
			return nil, resonanz.E(resonanz.ECONFLICT, "error.secrets.secretKeptOs", "The secret \"{name}\" is kept in the OS keyring, which does not answer here (or RESONANZ_KEYRING=off is set). Unlock the keyring, or run Resonanz in your desktop session, and try again.", "name", name)
		}
		b, err := s.ringGet(ctx, name)
		if errors.Is(err, ErrNotFound) { // removed from the keyring by hand
			os.Remove(s.marker(name))
			return nil, nil
		}
		if err != nil {
			return nil, resonanz.E(resonanz.ECONFLICT, "error.secrets.osKeyringDid", "The OS keyring did not give out the secret \"{name}\" ({reason}).", "name", name, "reason", err)
		}
		return b, nil
	}
	b, err := os.ReadFile(s.file(name))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("read secret %s: %w", name, err)
	}
	if s.available(ctx) {
		s.migrate(ctx, name, b) // best effort: the file keeps serving when it fails
	}
	return b, nil
}

// migrate moves a file secret into the keyring: set, read back, mark, and
// only then remove the file.
func (s *Store) migrate(ctx context.Context, name string, value []byte) {
	if err := s.ringSet(ctx, name, value); err != nil {
		return
	}
	back, err := s.ringGet(ctx, name)
	if err != nil || string(back) != string(value) {
		return
	}
	if err := writeFile(s.dir, name+".keyring", []byte("This secret is kept in the OS keyring.\n")); err != nil {
		return
	}
	os.Remove(s.file(name))
}

// SetSecret implements resonanz.SecretStore: into the keyring when one
// answers, else into a 0600 file; an empty value removes the secret.
func (s *Store) SetSecret(ctx context.Context, name string, value []byte) error {
	if err := checkName(name); err != nil {
		return err
	}
	_, markErr := os.Stat(s.marker(name))
	marked := markErr == nil
	if len(value) == 0 {
		if marked && s.ring != nil && s.available(ctx) {
			s.call(ctx, func() (string, error) { return "", s.ring.Delete(s.service, name) })
		}
		for _, p := range []string{s.marker(name), s.file(name)} {
			if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("remove secret %s: %w", name, err)
			}
		}
		return nil
	}
	if s.available(ctx) {
		if err := s.ringSet(ctx, name, value); err == nil {
			if err := writeFile(s.dir, name+".keyring", []byte("This secret is kept in the OS keyring.\n")); err != nil {
				return err
			}
			os.Remove(s.file(name))
			return nil
		}
		// The keyring refused (locked, no prompt answered): keep the file.
	}
	if err := writeFile(s.dir, name, value); err != nil {
		return err
	}
	if marked {
		os.Remove(s.marker(name))
	}
	return nil
}

// writeFile replaces dir/name atomically with a 0600 file (on Windows: in a
// folder whose access list admits only the current user, restrictDir).
func writeFile(dir, name string, value []byte) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("write secret %s: %w", name, err)
	}
	if err := restrictDir(dir); err != nil {
		return fmt.Errorf("write secret %s: %w", name, err)
	}
	tmp, err := os.CreateTemp(dir, "."+name+".*")
	if err != nil {
		return fmt.Errorf("write secret %s: %w", name, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(value); err != nil {
		tmp.Close()
		return fmt.Errorf("write secret %s: %w", name, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("write secret %s: %w", name, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write secret %s: %w", name, err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(dir, name)); err != nil {
		return fmt.Errorf("write secret %s: %w", name, err)
	}
	return nil
}
