package disttest_test

import (
	"archive/zip"
	"bytes"
	"debug/pe"
	"encoding/binary"
	"fmt"
	"io"
	"testing"
	"unicode/utf16"
)

// Resource types (winuser.h).
const (
	rtIcon      = 3
	rtGroupIcon = 14
	rtVersion   = 16
	rtManifest  = 24
)

// peInfo is what the checks need from a Windows program.
type peInfo struct {
	machine   uint16
	subsystem uint16
	resources map[uint32]bool // top-level resource types present
	rsrc      []byte          // the raw resource section
}

func readPE(t *testing.T, name string, data []byte) peInfo {
	t.Helper()
	f, err := pe.NewFile(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%s is not a PE file: %v", name, err)
	}
	defer f.Close()
	info := peInfo{machine: f.Machine, resources: map[uint32]bool{}}
	oh, ok := f.OptionalHeader.(*pe.OptionalHeader64)
	if !ok {
		t.Fatalf("%s is not a PE32+ (64-bit) program", name)
	}
	info.subsystem = oh.Subsystem
	dd := oh.DataDirectory[pe.IMAGE_DIRECTORY_ENTRY_RESOURCE]
	for _, s := range f.Sections {
		if dd.VirtualAddress < s.VirtualAddress || dd.VirtualAddress >= s.VirtualAddress+s.VirtualSize {
			continue
		}
		sec, err := s.Data()
		if err != nil {
			t.Fatalf("%s: resource section: %v", name, err)
		}
		off := dd.VirtualAddress - s.VirtualAddress
		info.rsrc = sec[off:]
		types, err := resourceTypes(info.rsrc)
		if err != nil {
			t.Fatalf("%s: resource directory: %v", name, err)
		}
		for _, id := range types {
			info.resources[id] = true
		}
	}
	return info
}

// resourceTypes lists the integer ids of the root resource directory
// (IMAGE_RESOURCE_DIRECTORY: 16 bytes, then named and id entries of 8 bytes).
func resourceTypes(rsrc []byte) ([]uint32, error) {
	if len(rsrc) < 16 {
		return nil, fmt.Errorf("%d bytes", len(rsrc))
	}
	named := int(binary.LittleEndian.Uint16(rsrc[12:]))
	ids := int(binary.LittleEndian.Uint16(rsrc[14:]))
	var out []uint32
	for i := named; i < named+ids; i++ {
		at := 16 + 8*i
		if at+8 > len(rsrc) {
			return nil, fmt.Errorf("entry %d beyond the section", i)
		}
		out = append(out, binary.LittleEndian.Uint32(rsrc[at:]))
	}
	return out, nil
}

// utf16le is s as the version resource stores its strings.
func utf16le(s string) []byte {
	var b []byte
	for _, u := range utf16.Encode([]rune(s)) {
		b = binary.LittleEndian.AppendUint16(b, u)
	}
	return b
}

// zipFiles reads every file of a ZIP.
func zipFiles(t *testing.T, path string) map[string][]byte {
	t.Helper()
	r, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	files := map[string][]byte{}
	for _, f := range r.File {
		if f.FileInfo().IsDir() {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		files[f.Name], err = io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
	return files
}

// TestWindowsPrograms checks the ZIP's two programs and the installer: 64-bit
// PE files, the window program a GUI-subsystem program with icon, version
// resource (naming the version) and manifest, the command line a console
// program with icon and version resource.
func TestWindowsPrograms(t *testing.T) {
	dir := distDir(t)
	version, _ := versions(t)
	files := zipFiles(t, one(t, dir, "Resonanz-*-windows-amd64.zip"))
	for _, name := range []string{"Resonanz/Resonanz.exe", "Resonanz/bin/resonanz.exe", "Resonanz/LIESMICH.txt"} {
		if files[name] == nil {
			t.Fatalf("the ZIP lacks %s (has %d files)", name, len(files))
		}
	}

	gui := readPE(t, "Resonanz.exe", files["Resonanz/Resonanz.exe"])
	if gui.machine != pe.IMAGE_FILE_MACHINE_AMD64 {
		t.Errorf("Resonanz.exe: machine %#x, want amd64", gui.machine)
	}
	if gui.subsystem != pe.IMAGE_SUBSYSTEM_WINDOWS_GUI {
		t.Errorf("Resonanz.exe: subsystem %d, want GUI (%d)", gui.subsystem, pe.IMAGE_SUBSYSTEM_WINDOWS_GUI)
	}
	for id, what := range map[uint32]string{rtIcon: "icon", rtGroupIcon: "icon group", rtVersion: "version", rtManifest: "manifest"} {
		if !gui.resources[id] {
			t.Errorf("Resonanz.exe has no %s resource", what)
		}
	}
	if !bytes.Contains(gui.rsrc, utf16le(version)) {
		t.Errorf("Resonanz.exe's version resource does not name %s", version)
	}

	cli := readPE(t, "bin/resonanz.exe", files["Resonanz/bin/resonanz.exe"])
	if cli.machine != pe.IMAGE_FILE_MACHINE_AMD64 || cli.subsystem != pe.IMAGE_SUBSYSTEM_WINDOWS_CUI {
		t.Errorf("bin/resonanz.exe: machine %#x subsystem %d, want an amd64 console program", cli.machine, cli.subsystem)
	}
	if !cli.resources[rtIcon] || !cli.resources[rtVersion] || !bytes.Contains(cli.rsrc, utf16le(version)) {
		t.Errorf("bin/resonanz.exe lacks its icon or a version resource naming %s", version)
	}

	setup := readPE(t, "setup", mustRead(t, one(t, dir, "Resonanz-*-windows-amd64-setup.exe")))
	if setup.machine != pe.IMAGE_FILE_MACHINE_AMD64 || setup.subsystem != pe.IMAGE_SUBSYSTEM_WINDOWS_GUI {
		t.Errorf("the installer: machine %#x subsystem %d, want an amd64 GUI program", setup.machine, setup.subsystem)
	}
	if !setup.resources[rtIcon] || !bytes.Contains(setup.rsrc, utf16le(version)) {
		t.Errorf("the installer lacks its icon or a version resource naming %s", version)
	}
}
