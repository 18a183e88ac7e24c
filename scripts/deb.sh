#!/bin/bash
# deb.sh BINDIR OUTDIR: resonanz_DEBVERSION_amd64.deb from BINDIR/resonanz and
# BINDIR/resonanz-desktop (called by scripts/dist.sh; VERSION and DEBVERSION in
# the environment). Runtime dependencies come from dpkg-shlibdeps: the
# WebKitGTK 4.1 / GTK 3 runtime libraries, never their -dev packages.
set -euo pipefail
bindir=$1 out=$2
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pkg=$work/pkg
umask 022
install -d "$pkg/DEBIAN" "$pkg/usr/bin" "$pkg/usr/share/applications" "$pkg/usr/share/doc/resonanz"
install -m 0755 "$bindir/resonanz" "$bindir/resonanz-desktop" "$pkg/usr/bin/"
install -m 0644 "$root/build/linux/resonanz.desktop" "$pkg/usr/share/applications/"
for size in 16 32 48 64 128 256 512; do
	d=$pkg/usr/share/icons/hicolor/${size}x${size}/apps
	install -d "$d"
	convert "$root/build/appicon.png" -resize "${size}x${size}" -strip "$d/resonanz.png"
	chmod 0644 "$d/resonanz.png"
done
install -m 0644 "$root/build/linux/copyright" "$pkg/usr/share/doc/resonanz/copyright"
# the relay's systemd unit, to copy to /etc/systemd/system on a small host
install -d "$pkg/usr/share/doc/resonanz/examples"
install -m 0644 "$root/deploy/relay/resonanz-relay.service" "$pkg/usr/share/doc/resonanz/examples/"
# The manual page is the program's own help text.
install -d "$pkg/usr/share/man/man1"
{
	printf '.TH RESONANZ 1 "" "Resonanz %s" "User Commands"\n' "$VERSION"
	printf '.SH NAME\nresonanz, resonanz-desktop \\- consent-first newsletter desk\n'
	printf '.SH DESCRIPTION\n'
	printf 'resonanz is the command line; resonanz-desktop is the window, which resonanz opens when given no command.\n'
	printf 'Data: ~/.local/share/resonanz (or $XDG_DATA_HOME/resonanz, or --data).\n.PP\n.nf\n'
	"$bindir/resonanz" help | sed 's/\\/\\e/g; s/^[.'"'"']/\\\&&/'
	printf '.fi\n'
} | gzip -9n >"$pkg/usr/share/man/man1/resonanz.1.gz"
ln -s resonanz.1.gz "$pkg/usr/share/man/man1/resonanz-desktop.1.gz"
chmod 0644 "$pkg/usr/share/man/man1/resonanz.1.gz"
date=$(git -C "$root" log -1 --format=%aD 2>/dev/null || date -R)
printf 'resonanz (%s) unstable; urgency=medium\n\n  * Release %s.\n\n -- Resonanz <dev@resonanz.invalid>  %s\n' \
	"$DEBVERSION" "$VERSION" "$date" | gzip -9n >"$pkg/usr/share/doc/resonanz/changelog.gz"
chmod 0644 "$pkg/usr/share/doc/resonanz/changelog.gz"

# dpkg-shlibdeps wants a source package's debian/control.
mkdir -p "$work/debian"
printf 'Source: resonanz\n\nPackage: resonanz\nArchitecture: amd64\n' >"$work/debian/control"
depends=$(cd "$work" && dpkg-shlibdeps -O "$pkg/usr/bin/resonanz" "$pkg/usr/bin/resonanz-desktop" 2>/dev/null |
	sed -n 's/^shlibs:Depends=//p')
case "$depends" in *libwebkit2gtk-4.1-0*libgtk-3-0*|*libgtk-3-0*libwebkit2gtk-4.1-0*) ;;
*) echo "deb: unexpected dependencies: $depends" >&2; exit 1 ;; esac
rm -rf "$work/debian"
size=$(du -sk --exclude=DEBIAN "$pkg" | cut -f1)
cat >"$pkg/DEBIAN/control" <<CTL
Package: resonanz
Version: $DEBVERSION
Architecture: amd64
Maintainer: Resonanz <dev@resonanz.invalid>
Installed-Size: $size
Depends: $depends
Section: mail
Priority: optional
Homepage: https://github.com/resonanz/resonanz
Description: consent-first newsletter desk for small businesses
 Resonanz keeps recipients, lists and an append-only consent ledger in a
 local SQLite file, writes mailings in Markdown with German and English
 salutations, sends them through your own SMTP provider and analyses opens,
 clicks and provider reaction logs locally.
 .
 resonanz-desktop is the window (WebKitGTK); resonanz is the command line
 and, without a command, starts the window.
CTL
dpkg-deb --root-owner-group -Zxz --build "$pkg" "$out/resonanz_${DEBVERSION}_amd64.deb" >/dev/null
