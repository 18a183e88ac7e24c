package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRun_ImportEndsMailable imports the file a German travel agency has:
// Windows-1252, a "Familie" row and a broken address, one consent column
// for the newsletter of the list created in the same run and for clicks.
func TestRun_ImportEndsMailable(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	csvPath := filepath.Join(dir, "kunden.csv")
	body := "Anrede;Vorname;Nachname;E-Mail;Einwilligung\r\n" +
		"Frau;J\xfcrgen;Wei\xdf;anna@example.org;ja\r\n" +
		"Familie;;M\xfcller;familie.mueller@example.org;ja\r\n" +
		"Herr;Uwe;Lang;uwe.lang@gmx..de;ja\r\n" +
		"Herr;Bert;Beispiel;bert@example.org;nein\r\n"
	if err := os.WriteFile(csvPath, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	rejected := filepath.Join(dir, "abgelehnt.csv")
	code, stdout, stderr := runCLI(t, "--data", data, "--json", "import", "recipients", csvPath, "--list", "Kunden",
		"--map", "Einwilligung=consent:newsletter:Kunden", "--map", "Einwilligung=consent:tracking:clicks",
		"--consent-source", "Anmeldeformular im Reisebüro", "--consent-evidence", "Ja, ich möchte den Newsletter.",
		"--rejected", rejected)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var r struct {
		Created  int
		Rejected []struct {
			Line        int
			Reason, Key string
			Params      map[string]string
		}
		Warnings []struct {
			Line int
			Key  string
		}
		NotMailable int
		NoConsent   int
	}
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatalf("%q: %v", stdout, err)
	}
	if r.Created != 3 || len(r.Rejected) != 1 || r.Rejected[0].Line != 4 || r.Rejected[0].Key != "error.recipient.email.domain" ||
		r.Rejected[0].Params["domain"] != "gmx..de" || !strings.Contains(r.Rejected[0].Reason, "part after the @") {
		t.Errorf("result %+v", r)
	}
	if len(r.Warnings) != 1 || r.Warnings[0].Line != 3 || r.Warnings[0].Key != "import.warning.salutation" {
		t.Errorf("warnings %+v", r.Warnings)
	}
	// Bert said no: he is the one who will not be mailed.
	if r.NotMailable != 1 || r.NoConsent != 1 {
		t.Errorf("readiness %+v", r)
	}
	got, err := os.ReadFile(rejected)
	if err != nil {
		t.Fatal(err)
	}
	want := "\ufeffAnrede;Vorname;Nachname;E-Mail;Einwilligung;Reason\r\nHerr;Uwe;Lang;uwe.lang@gmx..de;ja;\"line 4: The e-mail address \"\"uwe.lang@gmx..de\"\" is not valid: the domain"
	if !strings.HasPrefix(string(got), want) {
		t.Errorf("rejected file %q", got)
	}
	code, stdout, _ = runCLI(t, "--data", data, "export", "recipient", "anna@example.org")
	if code != 0 || !strings.Contains(stdout, `"purpose": "tracking:clicks"`) && !strings.Contains(stdout, `"purpose":"tracking:clicks"`) {
		t.Errorf("anna's export lacks the click consent: %s", stdout)
	}
}
