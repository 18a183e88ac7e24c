package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/resonanz/resonanz/backend/listener"
	"github.com/resonanz/resonanz/backend/mailbox"
	"github.com/resonanz/resonanz/backend/resonanz"
	"github.com/resonanz/resonanz/backend/smtp"
	"github.com/resonanz/resonanz/backend/sqlite"
)

// init keeps every test of this package away from the OS keyring of the
// machine running them: secrets go to 0600 files in the test's data
// directory (the keyring adapter has its own tests with a fake keyring). An
// init, not a TestMain, so other test files may have their own TestMain.
func init() {
	os.Setenv("RESONANZ_KEYRING", "off")
}

// TestSecrets_NeverLeak sets an SMTP password and creates the listener key,
// uses both, then greps every byte Resonanz wrote — the database and its
// WAL, a backup, the GDPR and CSV exports and the log — for them.
func TestSecrets_NeverLeak(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	importPeople(t, data, 0, 20)

	var logs bytes.Buffer
	a, err := NewApp(ctx, data, Edge{Mode: "cli"}, newLogger(&logs))
	if err != nil {
		t.Fatal(err)
	}
	const password = "Pw-7f3c9e1a-geheim-Passwort"
	if _, err := a.smtpAccount.Save(ctx, resonanz.SMTPSettings{Host: "127.0.0.1", Port: 1, Security: "none", Username: "desk"}, password, false); err != nil {
		t.Fatal(err)
	}
	s, err := a.smtpAccount.Load(ctx)
	if err != nil || !s.HasPassword {
		t.Fatalf("settings after save: %+v, %v", s, err)
	}
	const imapPassword = "Imap-4b2d8e0c-Postfach-Kennwort"
	if _, err := a.mailboxAccount.Save(ctx, resonanz.MailboxSettings{Host: "127.0.0.1", Port: 1, Security: "none", Username: "desk"}, imapPassword, false); err != nil {
		t.Fatal(err)
	}
	if ms, err := a.mailboxAccount.Load(ctx); err != nil || !ms.HasPassword {
		t.Fatalf("mailbox settings after save: %+v, %v", ms, err)
	}
	// A failing mailbox test and sync go through the edge's error formatter too.
	if err := (mailboxFacade{a}).Test(ctx); err != nil {
		a.Errors().Format(err)
	}
	if _, err := a.syncMailbox(ctx, mailboxOverride{}, nil); err != nil {
		a.Errors().Format(err)
	}
	key, err := a.listenerSetup.Key(ctx)
	if err != nil || len(key) < 32 {
		t.Fatalf("listener key: %d bytes, %v", len(key), err)
	}
	if again, _ := a.listenerSetup.Key(ctx); !bytes.Equal(again, key) {
		t.Fatal("the listener key changed between calls")
	}
	if _, err := (mailServer{a}).SaveListener(ctx, resonanz.ListenerSettings{PublicURL: "https://news.example.org/r"}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.listenerURLs(ctx); err != nil {
		t.Fatal(err)
	}
	// A failing connection test goes through the edge's error formatter,
	// which logs internal errors: the password must not be in there.
	if err := (mailServer{a}).TestSMTP(ctx); err != nil {
		a.Errors().Format(err)
	}
	backup := filepath.Join(dir, "backup.db")
	if _, err := a.backupDir.BackupNow(ctx, backup, nil); err != nil {
		t.Fatal(err)
	}
	r, err := a.recipientSvc.RecipientByEmail(ctx, "person1@example.org")
	if err != nil {
		t.Fatal(err)
	}
	export, err := a.recipientSvc.PersonalData(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	gdpr, _ := json.Marshal(export)
	a.Close()
	csv := exportCSV(t, data)

	files := map[string][]byte{"GDPR export": gdpr, "CSV export": []byte(csv), "log": logs.Bytes()}
	for _, name := range []string{sqlite.FileName, sqlite.FileName + "-wal", "backups/backup.json"} {
		if b, err := os.ReadFile(filepath.Join(data, name)); err == nil {
			files[name] = b
		}
	}
	files["backup"], _ = os.ReadFile(backup)
	if len(files["backup"]) == 0 || len(files[sqlite.FileName]) == 0 {
		t.Fatal("nothing to search")
	}
	needles := map[string][]byte{
		"SMTP password":            []byte(password),
		"IMAP password":            []byte(imapPassword),
		"listener key":             key,
		"listener key (hex)":       []byte(hex.EncodeToString(key)),
		"listener key (base64)":    []byte(base64.StdEncoding.EncodeToString(key)),
		"listener key (base64url)": []byte(base64.RawURLEncoding.EncodeToString(key)),
	}
	for fname, content := range files {
		for sname, needle := range needles {
			if bytes.Contains(content, needle) {
				t.Errorf("the %s is in the %s", sname, fname)
			}
		}
	}
	// Where they are: 0600 files in a 0700 folder (the keyring is off here).
	for _, name := range []string{smtp.PasswordName, mailbox.PasswordName, listener.KeyName} {
		st, err := os.Stat(filepath.Join(data, "secrets", name))
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v", name, st.Mode().Perm())
		}
	}
	if st, err := os.Stat(filepath.Join(data, "secrets")); err != nil || st.Mode().Perm() != 0o700 {
		t.Errorf("secrets folder: %v %v", st.Mode().Perm(), err)
	}
}
