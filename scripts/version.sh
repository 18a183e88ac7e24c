#!/bin/sh
# The release version, from git describe (used by make build and make dist):
#   version.sh        1.2.0 on the tag v1.2.0; 1.2.0-5-gabc1234 five commits after it;
#                     -dirty appended with uncommitted changes. Before the first
#                     tag, wails.json's productVersion counts as tagged on the first
#                     commit: 0.1.0-239-g98ceb3f.
#   version.sh deb    the same as a Debian version: 1.2.0, 1.2.0+5.gabc1234(.dirty)
#   version.sh win    four numbers for Windows version resources: 1.2.0.5
set -eu
cd "$(dirname "$0")/.."
if v=$(git describe --tags --match 'v[0-9]*' --dirty 2>/dev/null); then
	v=${v#v}
elif h=$(git rev-parse --short HEAD 2>/dev/null); then
	base=$(sed -n 's/.*"productVersion": *"\([0-9][0-9.]*\)".*/\1/p' wails.json)
	v="$base-$(git rev-list --count HEAD)-g$h"
	git diff --quiet HEAD -- 2>/dev/null || v="$v-dirty"
else
	v="0.0.0-dev"
fi
base=${v%%-*}
rest=${v#"$base"}
case "${1:-}" in
"") echo "$v" ;;
deb) echo "$base$(echo "$rest" | sed 's/^-/+/; s/-/./g')" ;;
win)
	n=$(echo "$rest" | sed -n 's/^-\([0-9][0-9]*\)-g.*/\1/p')
	[ "${n:-0}" -le 65535 ] || n=65535
	echo "$base.${n:-0}"
	;;
*) echo "usage: version.sh [deb|win]" >&2; exit 2 ;;
esac
