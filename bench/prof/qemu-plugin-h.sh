#!/bin/bash
# Print the directory that holds qemu-plugin.h for the host's QEMU, fetching
# it first if it is not cached.
#
#   bench/prof/qemu-plugin-h.sh        -> /var/cache/kipc/qemu-plugin/7.2+dfsg
#
# Debian builds QEMU with plugin support (-plugin) but ships no
# qemu-plugin.h (bookworm's qemu lists it in debian/not-installed).  The
# header is part of QEMU's source, so this takes it from Debian's source
# package of the installed qemu-system-x86: `apt-get source --download-only`
# with private apt lists that know only deb-src lines for the host's suite
# (the host's apt configuration is untouched), then the one file out of the
# upstream tarball.  Cache (KIPC_CACHE, default /var/cache/kipc):
#
#   apt/<suite>-src/                  the private deb-src lists
#   qemu-plugin/<upstream version>/   qemu-plugin.h and SOURCE (the package
#                                     version it came from); the tarballs are
#                                     removed once the header is out
#
# The header is the same for every Debian revision of one upstream version,
# so if the installed revision has left the archive any revision of the same
# upstream version serves.  Needs root (the cache) and the network once.
set -euo pipefail
cache=${KIPC_CACHE:-/var/cache/kipc}
mirror=${KIPC_MIRROR:-http://deb.debian.org/debian}
security=${KIPC_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
die() { echo "bench/prof/qemu-plugin-h.sh: $*" >&2; exit 1; }

srcver=$(dpkg-query -W -f='${source:Version}' qemu-system-x86 2>/dev/null) ||
	die "qemu-system-x86 is not installed (apt-get install qemu-system-x86)"
up=${srcver#*:}		# no epoch
up=${up%-*}		# no Debian revision: 7.2+dfsg
dir=$cache/qemu-plugin/$up
if [ -f "$dir/qemu-plugin.h" ]; then
	echo "$dir"
	exit 0
fi

suite=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
a=$cache/apt/$suite-src
mkdir -p "$a/lists/partial" "$a/archives/partial"
[ -f "$a/sources.list" ] || cat > "$a/sources.list" <<LIST
deb-src $mirror $suite main
deb-src $mirror $suite-updates main
deb-src $security $suite-security main
LIST
[ -f "$a/status" ] || : > "$a/status"
papt() {
	"$@" -o Dir::Etc::SourceList="$a/sources.list" \
		-o Dir::Etc::SourceParts=/dev/null \
		-o Dir::Etc::Preferences=/dev/null \
		-o Dir::Etc::PreferencesParts=/dev/null \
		-o Dir::State::Lists="$a/lists" -o Dir::State::status="$a/status" \
		-o Dir::Cache="$a" -o Dir::Cache::archives="$a/archives" \
		-o APT::Sandbox::User=root
}
echo "bench/prof/qemu-plugin-h.sh: fetching qemu's source ($srcver) for qemu-plugin.h" >&2
papt apt-get update -qq >/dev/null || die "apt-get update (deb-src $suite) failed"
rm -rf "$dir.tmp"
mkdir -p "$dir.tmp"
(
	cd "$dir.tmp"
	papt apt-get source -qq --download-only "qemu=$srcver" >/dev/null 2>&1 || {
		# The installed revision may be gone: any one of the same upstream.
		v=$(papt apt-cache showsrc qemu 2>/dev/null |
		    awk -v up="$up" '$1 == "Version:" { v = $2; sub(/^[0-9]+:/, "", v); sub(/-[^-]*$/, "", v)
				       if (v == up) { print $2; exit } }')
		[ -n "$v" ] || die "no source package of qemu $up in $suite"
		papt apt-get source -qq --download-only "qemu=$v" >/dev/null
		srcver=$v
	}
	tarball=$(ls qemu_*.orig.tar.* | head -n 1)
	tar -xaf "$tarball" --no-same-owner --wildcards --no-anchored --strip-components=3 \
		'include/qemu/qemu-plugin.h'
	grep -q 'define QEMU_PLUGIN_VERSION' qemu-plugin.h || die "no plugin API in $tarball"
	echo "$srcver" > SOURCE
	find . -maxdepth 1 -type f ! -name qemu-plugin.h ! -name SOURCE -delete
)
rm -rf "$dir"
mv "$dir.tmp" "$dir"
echo "$dir"
