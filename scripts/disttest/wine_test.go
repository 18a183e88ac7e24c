package disttest_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// processPrngShim is a TEST-ONLY stand-in for Windows' bcryptprimitives.dll,
// which Wine 8 lacks and Go 1.26's runtime loads ProcessPrng from. It goes
// into the throw-away prefix's system32 and never into a package.
const processPrngShim = `#include <windows.h>
BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length); /* RtlGenRandom */
__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
	while (len > 0) {
		ULONG n = len > 0x10000000 ? 0x10000000 : (ULONG)len;
		if (!SystemFunction036(data, n)) return FALSE;
		data += n;
		len -= n;
	}
	return TRUE;
}
`

// fakeWindow stands in for Resonanz.exe in the launcher check (WebView2, which
// the real window needs, does not exist under Wine): it prints its arguments
// and ends with exit status 7.
const fakeWindow = `#include <stdio.h>
int main(int argc, char **argv) {
	for (int i = 1; i < argc; i++) printf("%s\n", argv[i]);
	return 7;
}
`

// wine runs Windows programs in one throw-away prefix.
type wine struct {
	t      *testing.T
	loader string
	prefix string
	env    []string
}

func newWine(t *testing.T) *wine {
	t.Helper()
	loader := "/usr/lib/wine/wine64"
	if _, err := os.Stat(loader); err != nil {
		if loader, err = exec.LookPath("wine64"); err != nil {
			t.Fatal("wine64 is missing (make test-dist installs Debian's wine64)")
		}
	}
	prefix := filepath.Join(t.TempDir(), "prefix")
	w := &wine{t: t, loader: loader, prefix: prefix, env: []string{
		"WINEPREFIX=" + prefix, "WINEDEBUG=-all", "WINEDLLOVERRIDES=mscoree,mshtml=",
		"LANG=C.UTF-8", "LC_ALL=C.UTF-8", "DISPLAY=",
	}}
	// Registered after TempDir, so it runs first: the prefix's wineserver
	// ends before the directory goes.
	t.Cleanup(func() {
		server := filepath.Join(filepath.Dir(loader), "wineserver")
		if _, err := os.Stat(server); err != nil {
			server = "wineserver"
		}
		cmd := exec.Command(server, "-k")
		cmd.Env = append(os.Environ(), w.env...)
		_ = cmd.Run()
	})
	return w
}

// run runs a Windows program (a Windows path or a file of this machine).
func (w *wine) run(timeout time.Duration, program string, args ...string) ([]byte, string, int) {
	w.t.Helper()
	return run(w.t, timeout, w.env, w.loader, append([]string{program}, args...)...)
}

// path is the file in the prefix for a path under drive C.
func (w *wine) path(rel string) string {
	return filepath.Join(w.prefix, "drive_c", filepath.FromSlash(rel))
}

// mingw compiles C source into a Windows program or DLL.
func mingw(t *testing.T, source, out string, args ...string) {
	t.Helper()
	src := filepath.Join(t.TempDir(), "src.c")
	if err := os.WriteFile(src, []byte(source), 0o644); err != nil {
		t.Fatal(err)
	}
	args = append([]string{"-O2", "-o", out, src}, args...)
	if b, err := exec.Command("x86_64-w64-mingw32-gcc", args...).CombinedOutput(); err != nil {
		t.Fatalf("x86_64-w64-mingw32-gcc: %v\n%s", err, b)
	}
}

// regQuery is the value of a registry entry, "" when missing.
func (w *wine) regQuery(key, value string) string {
	out, _, code := w.run(time.Minute, "reg", "query", key, "/v", value)
	if code != 0 {
		return ""
	}
	for _, line := range strings.Split(strings.ReplaceAll(string(out), "\r\n", "\n"), "\n") {
		fields := strings.Fields(line)
		if len(fields) >= 3 && strings.EqualFold(fields[0], value) && strings.HasPrefix(fields[1], "REG_") {
			_, v, _ := strings.Cut(line, fields[1])
			return strings.TrimSpace(v)
		}
	}
	return ""
}

const (
	installDir  = `C:\Program Files\Resonanz`
	console     = installDir + `\bin\resonanz.exe`
	uninstKey   = `HKLM\Software\Microsoft\Windows\CurrentVersion\Uninstall\Resonanz`
	envKey      = `HKLM\System\CurrentControlSet\Control\Session Manager\Environment`
	jurgenDocs  = `C:\Users\Jürgen\Documents`
	jurgenData  = `C:\Users\Jürgen\AppData\Roaming\Resonanz`
	waitInstall = 4 * time.Minute
)

// TestWindowsUnderWine installs the setup program silently into a throw-away
// Wine prefix, runs the installed resonanz.exe through the scenario and
// compares its outputs with the Linux build's, checks the launcher and the
// data location, and uninstalls. The window itself needs WebView2, which
// Wine lacks: TestWindowsPrograms checks its file instead.
func TestWindowsUnderWine(t *testing.T) {
	dir := distDir(t)
	version, _ := versions(t)
	if _, err := exec.LookPath("x86_64-w64-mingw32-gcc"); err != nil {
		t.Fatal("x86_64-w64-mingw32-gcc is missing (make test-dist installs gcc-mingw-w64-x86-64)")
	}
	setup := one(t, dir, "Resonanz-*-windows-amd64-setup.exe")
	zipped := zipFiles(t, one(t, dir, "Resonanz-*-windows-amd64.zip"))

	// The Linux build's outputs on the same inputs, from the .deb.
	root := t.TempDir()
	if out, err := exec.Command("dpkg-deb", "-x", one(t, dir, "resonanz_*_amd64.deb"), root).CombinedOutput(); err != nil {
		t.Fatalf("dpkg-deb -x: %v\n%s", err, out)
	}
	linux := linuxOutputs(t, filepath.Join(root, "usr", "bin", "resonanz"))

	w := newWine(t)
	start := time.Now()
	// A fresh prefix reports an old Windows, and Wails' installer script
	// refuses anything before Windows 10 (silently, exit status 64).
	if _, stderr, code := w.run(3*time.Minute, "winecfg", "/v", "win10"); code != 0 {
		t.Fatalf("winecfg /v win10: exit %d\n%s", code, stderr)
	}
	t.Logf("wine prefix ready after %s", time.Since(start).Round(time.Second))
	mingw(t, processPrngShim, w.path("windows/system32/bcryptprimitives.dll"), "-shared", "-ladvapi32")

	if _, stderr, code := w.run(waitInstall, setup, "/S"); code != 0 {
		t.Fatalf("%s /S: exit %d\n%s", filepath.Base(setup), code, stderr)
	}
	t.Logf("installed after %s", time.Since(start).Round(time.Second))

	t.Run("Installed", func(t *testing.T) {
		for rel, zipName := range map[string]string{
			"Program Files/Resonanz/Resonanz.exe":     "Resonanz/Resonanz.exe",
			"Program Files/Resonanz/bin/resonanz.exe": "Resonanz/bin/resonanz.exe",
		} {
			got, err := os.ReadFile(w.path(rel))
			if err != nil {
				t.Errorf("not installed: %v", err)
				continue
			}
			if !bytes.Equal(got, zipped[zipName]) {
				t.Errorf("%s differs from the ZIP's %s", rel, zipName)
			}
		}
		if _, err := os.Stat(w.path("Program Files/Resonanz/uninstall.exe")); err != nil {
			t.Errorf("no uninstaller: %v", err)
		}
		if links, _ := filepath.Glob(w.path("*/Microsoft/Windows/Start Menu/Programs/Resonanz.lnk")); len(links) == 0 {
			t.Error("no start-menu entry Resonanz.lnk")
		}
		if got := w.regQuery(uninstKey, "DisplayVersion"); got != version {
			t.Errorf("Apps & features shows version %q, want %q", got, version)
		}
		if got := w.regQuery(envKey, "Path"); !strings.Contains(strings.ToLower(got), strings.ToLower(installDir+`\bin`)) {
			t.Errorf("PATH %q lacks %s\\bin", got, installDir)
		}
	})

	t.Run("CommandLine", func(t *testing.T) {
		docs := w.path("users/Jürgen/Documents")
		sc := scenario{
			data:      jurgenData,
			csv:       jurgenDocs + `\Empfänger.csv`,
			template:  jurgenDocs + `\Grüße.md`,
			reactions: jurgenDocs + `\sendgrid.json`,
		}
		writeInputs(t, filepath.Join(docs, "Empfänger.csv"), filepath.Join(docs, "Grüße.md"), filepath.Join(docs, "sendgrid.json"))
		outputs := map[string]string{}
		for _, s := range sc.steps() {
			out, stderr, code := w.run(2*time.Minute, console, s.args...)
			if code != 0 {
				t.Fatalf("windows %s: exit %d\n%s", s.name, code, stderr)
			}
			outputs[s.name] = normalize(s, out)
			if outputs[s.name] != linux[s.name] {
				t.Errorf("windows %s differs from linux:\n--- windows\n%.1500s\n--- linux\n%.1500s", s.name, outputs[s.name], linux[s.name])
			}
		}
		checkScenarioOutputs(t, "windows", outputs, version)
		if _, err := os.Stat(w.path("users/Jürgen/AppData/Roaming/Resonanz/resonanz.db")); err != nil {
			t.Errorf("--data %s: no data file: %v", jurgenData, err)
		}

		// Without --data the data goes to %APPDATA%\Resonanz.
		out, stderr, code := w.run(2*time.Minute, console, "import", "recipients", sc.csv, "--list", "Kunden", "--json")
		if code != 0 || normalize(step{}, out) != linux["import-recipients.json"] {
			t.Errorf("import without --data: exit %d, %s%s", code, out, stderr)
		}
		if dbs, _ := filepath.Glob(w.path("users/*/AppData/Roaming/Resonanz/resonanz.db")); len(dbs) != 2 {
			t.Errorf("want the data file in %%APPDATA%%\\Resonanz of the Wine user (and Jürgen's), found %v", dbs)
		}
	})

	t.Run("Launcher", func(t *testing.T) {
		// resonanz.exe with no command starts ..\Resonanz.exe with the
		// same arguments, waits, and passes on its exit status.
		if err := os.MkdirAll(w.path("fake/bin"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(w.path("fake/bin/resonanz.exe"), zipped["Resonanz/bin/resonanz.exe"], 0o755); err != nil {
			t.Fatal(err)
		}
		_, stderr, code := w.run(2*time.Minute, `C:\fake\bin\resonanz.exe`, "--data", `C:\fake\data`)
		if code != 1 || !strings.Contains(stderr, `C:\fake\Resonanz.exe, and it is missing`) {
			t.Errorf("without the window program: exit %d (want 1), stderr:\n%s", code, stderr)
		}
		mingw(t, fakeWindow, w.path("fake/Resonanz.exe"))
		out, stderr, code := w.run(2*time.Minute, `C:\fake\bin\resonanz.exe`, "--data", `C:\fake\data`, "desktop")
		got := strings.ReplaceAll(string(out), "\r\n", "\n")
		if code != 7 || got != "--data\nC:\\fake\\data\ndesktop\n" {
			t.Errorf("the window program should get the arguments and pass on exit status 7: exit %d, stdout %q\n%s", code, got, stderr)
		}
	})

	t.Run("Uninstall", func(t *testing.T) {
		// The uninstaller copies itself to %TEMP% and returns at once (its
		// _?= switch, which would keep it in place, cannot be passed through
		// Wine's quoting of an argument with a space): wait for it.
		if _, stderr, code := w.run(waitInstall, installDir+`\uninstall.exe`, "/S"); code != 0 {
			t.Fatalf("uninstall: exit %d\n%s", code, stderr)
		}
		for deadline := time.Now().Add(waitInstall); time.Now().Before(deadline); time.Sleep(time.Second) {
			_, err := os.Stat(w.path("Program Files/Resonanz"))
			if err != nil && w.regQuery(uninstKey, "DisplayVersion") == "" {
				break
			}
		}
		for _, rel := range []string{"Program Files/Resonanz/Resonanz.exe", "Program Files/Resonanz/bin/resonanz.exe", "Program Files/Resonanz"} {
			if _, err := os.Stat(w.path(rel)); err == nil {
				t.Errorf("%s is still there after uninstalling", rel)
			}
		}
		if links, _ := filepath.Glob(w.path("*/Microsoft/Windows/Start Menu/Programs/Resonanz.lnk")); len(links) != 0 {
			t.Errorf("the start-menu entry is still there: %v", links)
		}
		if got := w.regQuery(envKey, "Path"); strings.Contains(strings.ToLower(got), "resonanz") {
			t.Errorf("PATH still names Resonanz: %q", got)
		}
		if got := w.regQuery(uninstKey, "DisplayVersion"); got != "" {
			t.Errorf("Apps & features still lists Resonanz %q", got)
		}
		// The user's data stays.
		if dbs, _ := filepath.Glob(w.path("users/*/AppData/Roaming/Resonanz/resonanz.db")); len(dbs) != 2 {
			t.Errorf("uninstalling must keep the data files, found %v", dbs)
		}
	})
}
