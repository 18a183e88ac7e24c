package keyring_test

import (
	"os"
	"path/filepath"
	"testing"
	"unsafe"

	"golang.org/x/sys/windows"

	"github.com/resonanz/resonanz/backend/keyring"
)

// TestSecretFileACL: a secret kept in a file (no keyring) lies in a folder
// whose access list is protected and admits only the current user, and the
// file inherits exactly that. Runs on Windows (make test-dist runs it under
// Wine).
func TestSecretFileACL(t *testing.T) {
	dir := t.TempDir()
	s := keyring.New(dir, keyring.Options{Disabled: true})
	if err := s.SetSecret(t.Context(), "smtp.password", []byte("geheim")); err != nil {
		t.Fatal(err)
	}
	user, err := windows.GetCurrentProcessToken().GetTokenUser()
	if err != nil {
		t.Fatal(err)
	}
	folder := filepath.Join(dir, "secrets")
	entries, err := os.ReadDir(folder)
	if err != nil || len(entries) == 0 {
		t.Fatalf("no secret file in %s: %v", folder, err)
	}
	for _, path := range []string{folder, filepath.Join(folder, entries[0].Name())} {
		sd, err := windows.GetNamedSecurityInfo(path, windows.SE_FILE_OBJECT, windows.DACL_SECURITY_INFORMATION)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		control, _, err := sd.Control()
		if err != nil {
			t.Fatal(err)
		}
		if path == folder && control&windows.SE_DACL_PROTECTED == 0 {
			t.Errorf("%s: the access list is not protected from inheritance (%s)", path, sd)
		}
		dacl, _, err := sd.DACL()
		if err != nil || dacl == nil {
			t.Fatalf("%s: no access list: %v", path, err)
		}
		if dacl.AceCount != 1 {
			t.Errorf("%s: %d access entries, want 1 (%s)", path, dacl.AceCount, sd)
			continue
		}
		var ace *windows.ACCESS_ALLOWED_ACE
		if err := windows.GetAce(dacl, 0, &ace); err != nil {
			t.Fatal(err)
		}
		sid := (*windows.SID)(unsafe.Pointer(&ace.SidStart))
		if !sid.Equals(user.User.Sid) {
			t.Errorf("%s: the access entry is for %s, want the current user %s", path, sid, user.User.Sid)
		}
	}
}
