package keyring_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/resonanz/resonanz/backend/keyring"
	"github.com/resonanz/resonanz/backend/resonanz"
)

// memRing is an in-memory keyring.
type memRing struct {
	mu   sync.Mutex
	m    map[string]string
	fail error         // every call fails with it
	hang chan struct{} // every call blocks until closed
}

func (r *memRing) wait() error {
	if r.hang != nil {
		<-r.hang
	}
	return r.fail
}

func (r *memRing) Get(service, user string) (string, error) {
	if err := r.wait(); err != nil {
		return "", err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	v, ok := r.m[service+"/"+user]
	if !ok {
		return "", keyring.ErrNotFound
	}
	return v, nil
}

func (r *memRing) Set(service, user, pw string) error {
	if err := r.wait(); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.m == nil {
		r.m = map[string]string{}
	}
	r.m[service+"/"+user] = pw
	return nil
}

func (r *memRing) Delete(service, user string) error {
	if err := r.wait(); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.m, service+"/"+user)
	return nil
}

func (r *memRing) len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.m)
}

var binary = []byte{0, 1, 2, 0xff, 0xfe, 'k', 'e', 'y', 0x80, 0, 0x7f}

func exists(path string) bool { _, err := os.Stat(path); return err == nil }

func TestStore(t *testing.T) {
	ctx := context.Background()

	t.Run("OK/FilesWhenDisabled", func(t *testing.T) {
		dir := t.TempDir()
		ring := &memRing{}
		s := keyring.New(dir, keyring.Options{Ring: ring, Disabled: true})
		if err := s.SetSecret(ctx, "smtp.password", []byte("hunter2")); err != nil {
			t.Fatal(err)
		}
		st, err := os.Stat(filepath.Join(dir, "secrets", "smtp.password"))
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("secret file mode %v, want 0600", st.Mode().Perm())
		}
		got, err := s.Secret(ctx, "smtp.password")
		if err != nil || string(got) != "hunter2" {
			t.Errorf("Secret = %q, %v", got, err)
		}
		if ring.len() != 0 {
			t.Error("a disabled keyring was written")
		}
		if s.Where(ctx) != filepath.Join(dir, "secrets") {
			t.Errorf("Where = %q", s.Where(ctx))
		}
	})

	t.Run("OK/KeyringHoldsBinarySecret", func(t *testing.T) {
		dir := t.TempDir()
		ring := &memRing{}
		s := keyring.New(dir, keyring.Options{Ring: ring})
		if err := s.SetSecret(ctx, "listener.key", binary); err != nil {
			t.Fatal(err)
		}
		if exists(filepath.Join(dir, "secrets", "listener.key")) {
			t.Error("the secret is in a file although the keyring answered")
		}
		marker, err := os.ReadFile(filepath.Join(dir, "secrets", "listener.key.keyring"))
		if err != nil || bytes.Contains(marker, binary) {
			t.Errorf("marker %q, %v", marker, err)
		}
		got, err := keyring.New(dir, keyring.Options{Ring: ring}).Secret(ctx, "listener.key")
		if err != nil || !bytes.Equal(got, binary) {
			t.Errorf("Secret = %v, %v", got, err)
		}
		if s.Where(ctx) != "OS keyring" {
			t.Errorf("Where = %q", s.Where(ctx))
		}
	})

	t.Run("OK/FileMigratesIntoKeyring", func(t *testing.T) {
		dir := t.TempDir()
		if err := keyring.New(dir, keyring.Options{Disabled: true}).SetSecret(ctx, "smtp.password", []byte("old-file")); err != nil {
			t.Fatal(err)
		}
		ring := &memRing{}
		s := keyring.New(dir, keyring.Options{Ring: ring})
		got, err := s.Secret(ctx, "smtp.password")
		if err != nil || string(got) != "old-file" {
			t.Fatalf("Secret = %q, %v", got, err)
		}
		if exists(filepath.Join(dir, "secrets", "smtp.password")) || !exists(filepath.Join(dir, "secrets", "smtp.password.keyring")) {
			t.Error("file not moved into the keyring")
		}
		if got, _ := keyring.New(dir, keyring.Options{Ring: ring}).Secret(ctx, "smtp.password"); string(got) != "old-file" {
			t.Errorf("after migration: %q", got)
		}
	})

	t.Run("OK/HangingKeyringDoesNotBlock", func(t *testing.T) {
		dir := t.TempDir()
		ring := &memRing{hang: make(chan struct{})}
		defer close(ring.hang)
		s := keyring.New(dir, keyring.Options{Ring: ring, Timeout: 50 * time.Millisecond})
		start := time.Now()
		if err := s.SetSecret(ctx, "smtp.password", []byte("pw")); err != nil {
			t.Fatal(err)
		}
		got, err := s.Secret(ctx, "smtp.password")
		if err != nil || string(got) != "pw" {
			t.Errorf("Secret = %q, %v", got, err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("took %v with a hanging keyring", d)
		}
	})

	t.Run("OK/RefusingKeyringKeepsFile", func(t *testing.T) {
		dir := t.TempDir()
		ring := &memRing{}
		s := keyring.New(dir, keyring.Options{Ring: ring})
		s.Secret(ctx, "x") // probe: the keyring answers
		ring.fail = errors.New("collection is locked")
		if err := s.SetSecret(ctx, "smtp.password", []byte("pw")); err != nil {
			t.Fatal(err)
		}
		if b, _ := os.ReadFile(filepath.Join(dir, "secrets", "smtp.password")); string(b) != "pw" {
			t.Errorf("file holds %q", b)
		}
	})

	t.Run("OK/EmptyRemovesEverywhere", func(t *testing.T) {
		dir := t.TempDir()
		ring := &memRing{}
		s := keyring.New(dir, keyring.Options{Ring: ring})
		s.SetSecret(ctx, "smtp.password", []byte("pw"))
		if err := s.SetSecret(ctx, "smtp.password", nil); err != nil {
			t.Fatal(err)
		}
		if ring.len() != 0 || exists(filepath.Join(dir, "secrets", "smtp.password.keyring")) {
			t.Error("secret not removed")
		}
		if got, err := s.Secret(ctx, "smtp.password"); got != nil || err != nil {
			t.Errorf("Secret after removal = %q, %v", got, err)
		}
	})

	t.Run("ErrKeyringGoneKeepsMarker", func(t *testing.T) {
		dir := t.TempDir()
		ring := &memRing{}
		if err := keyring.New(dir, keyring.Options{Ring: ring}).SetSecret(ctx, "listener.key", binary); err != nil {
			t.Fatal(err)
		}
		// A later run without a keyring must not take the key for missing.
		s := keyring.New(dir, keyring.Options{Disabled: true})
		got, err := s.Secret(ctx, "listener.key")
		if code := resonanz.ErrorCode(err); code != resonanz.ECONFLICT || got != nil {
			t.Fatalf("Secret = %v, %v; want a conflict", got, err)
		}
		if !exists(filepath.Join(dir, "secrets", "listener.key.keyring")) {
			t.Error("marker removed")
		}
	})

	t.Run("ErrBadName", func(t *testing.T) {
		s := keyring.New(t.TempDir(), keyring.Options{Disabled: true})
		for _, name := range []string{"", "../x", "a/b", ".hidden"} {
			if err := s.SetSecret(ctx, name, []byte("x")); err == nil {
				t.Errorf("SetSecret(%q) accepted", name)
			}
		}
	})
}
