#!/bin/bash
# make dist: the installable packages in dist/, built from a staged copy of
# the tree (its tracked and new files as they are, plus the built frontend),
# so the build writes nothing into the working tree:
#   Resonanz-VERSION-windows-amd64-setup.exe  NSIS installer (Wails' -nsis)
#   Resonanz-VERSION-windows-amd64.zip        both Windows programs, no installer
#   resonanz_DEBVERSION_amd64.deb             Debian 12 / Ubuntu 24.04
#   SHA256SUMS
# Needs what `make setup` and `make dist-setup` install (Wails CLI, nsis,
# gcc-mingw-w64-x86-64, dpkg-dev, zip) and frontend/dist built.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
wails=${WAILS:-$(go env GOPATH)/bin/wails}
out=${DIST_OUT:-$root/dist}
stage=$root/build/.dist
version=$(scripts/version.sh)
debversion=$(scripts/version.sh deb)
winversion=$(scripts/version.sh win)
ldflags="-X github.com/resonanz/resonanz/backend/resonanz.Version=$version"
export GOTOOLCHAIN=local
start=$SECONDS
step() { echo "dist: $* ($((SECONDS - start)) s)"; }

[ -f frontend/dist/index.html ] || { echo "dist: frontend/dist is not built (make dist builds it)" >&2; exit 1; }

step "staging version $version"
rm -rf "$stage" "$out"
mkdir -p "$stage/src" "$out"
{ git ls-files -z --cached --others --exclude-standard; find frontend/dist -type f -print0; } |
	while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
	tar --null -T - -cf - | tar -C "$stage/src" -xf -
src=$stage/src
# The version into the Windows resources (wails.json's productVersion must be
# numeric there; the text fields carry the full version).
sed -i "s/\"productVersion\": *\"[^\"]*\"/\"productVersion\": \"$winversion\"/" "$src/wails.json"
cat >"$src/build/windows/info.json" <<JSON
{
	"fixed": {"file_version": "$winversion"},
	"info": {
		"0000": {
			"ProductVersion": "$version",
			"FileVersion": "$version",
			"CompanyName": "Resonanz",
			"FileDescription": "Resonanz",
			"LegalCopyright": "Resonanz $version",
			"ProductName": "Resonanz",
			"Comments": "Consent-first newsletter desk"
		}
	}
}
JSON
cat >"$src/build/windows/installer/version.nsh" <<NSH
!define INFO_PRODUCTVERSION "$version"
!define INFO_NUMVERSION "$winversion"
!define INFO_COPYRIGHT "Resonanz $version"
NSH

cd "$src"
# The Linux builds use make build's flags, so after make build (or make test)
# the Go build cache has their dependencies (go-sqlite3, Wails' cgo parts);
# the Windows builds are -trimpath (no build paths in the programs).
step "Linux: window program (wails build)"
"$wails" build -s -skipbindings -tags webkit2_41 -ldflags "$ldflags" -o resonanz-desktop >"$stage/wails-linux.log" 2>&1 ||
	{ cat "$stage/wails-linux.log"; exit 1; }
step "Linux: command line (go build)"
go build -tags webkit2_41 -ldflags "-s -w $ldflags" -o build/bin/resonanz .

step "Windows: command line (go build, mingw-w64)"
# The icon for both programs (Wails takes build/windows/icon.ico when it
# exists), and the console program's icon and version resource as a .syso
# that only its build sees (Wails adds its own to the window program's).
convert build/appicon.png -define icon:auto-resize=256,64,48,32,16 build/windows/icon.ico
IFS=. read -r v1 v2 v3 v4 <<<"$winversion"
cat >"$stage/console.rc" <<RC
1 ICON "$src/build/windows/icon.ico"
1 VERSIONINFO
FILEVERSION $v1,$v2,$v3,$v4
PRODUCTVERSION $v1,$v2,$v3,$v4
FILEOS 0x40004
FILETYPE 0x1
BEGIN
  BLOCK "StringFileInfo"
  BEGIN
    BLOCK "040904B0"
    BEGIN
      VALUE "CompanyName", "Resonanz"
      VALUE "FileDescription", "Resonanz command line"
      VALUE "FileVersion", "$version"
      VALUE "InternalName", "resonanz"
      VALUE "OriginalFilename", "resonanz.exe"
      VALUE "ProductName", "Resonanz"
      VALUE "ProductVersion", "$version"
    END
  END
  BLOCK "VarFileInfo"
  BEGIN
    VALUE "Translation", 0x409, 1200
  END
END
RC
x86_64-w64-mingw32-windres -O coff -i "$stage/console.rc" -o console_windows_amd64.syso
CGO_ENABLED=1 CC=x86_64-w64-mingw32-gcc GOOS=windows GOARCH=amd64 \
	go build -trimpath -ldflags "-s -w $ldflags" -o build/bin/console/resonanz.exe .
rm console_windows_amd64.syso
step "Windows: window program and installer (wails build -nsis)"
CGO_ENABLED=1 CC=x86_64-w64-mingw32-gcc \
	"$wails" build -s -skipbindings -trimpath -platform windows/amd64 -nsis -ldflags "$ldflags" -o Resonanz.exe >"$stage/wails-windows.log" 2>&1 ||
	{ cat "$stage/wails-windows.log"; exit 1; }
setup=build/bin/Resonanz-$version-windows-amd64-setup.exe
[ -f "$setup" ] || { cat "$stage/wails-windows.log"; echo "dist: no installer $setup" >&2; exit 1; }
cp "$setup" "$out/"

step "Windows: ZIP"
mkdir -p "$stage/zip/Resonanz/bin"
cp build/bin/Resonanz.exe "$stage/zip/Resonanz/"
cp build/bin/console/resonanz.exe "$stage/zip/Resonanz/bin/"
cat >"$stage/zip/Resonanz/LIESMICH.txt" <<TXT
Resonanz $version

Resonanz.exe      das Fenster (braucht die WebView2-Laufzeit, in Windows 10/11 meist vorhanden)
bin\\resonanz.exe  die Kommandozeile (resonanz help)

Daten: %APPDATA%\\Resonanz

Resonanz.exe      the window (needs the WebView2 runtime, usually present on Windows 10/11)
bin\\resonanz.exe  the command line (resonanz help)

Data: %APPDATA%\\Resonanz
TXT
sed -i 's/$/\r/' "$stage/zip/Resonanz/LIESMICH.txt"
(cd "$stage/zip" && TZ=UTC zip -qrX "$out/Resonanz-$version-windows-amd64.zip" Resonanz)

step "Linux: .deb"
VERSION=$version DEBVERSION=$debversion "$root/scripts/deb.sh" "$src/build/bin" "$out"

cd "$out"
sha256sum -- * >SHA256SUMS
step "done"
ls -l "$out"
