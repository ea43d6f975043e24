#!/bin/bash
# The Debian packages, installed as a user would: `make deb` (lintian with
# no error), then apt installs them into a clean Debian 12 chroot that has
# the headers of the kernel this lane boots (linux-headers-$KVER): dkms
# builds kipc.ko on install, modinfo shows it, pkg-config finds libkipc,
# the examples build against the installed library; the VM then boots with
# the module the package built and runs the echo demo with those examples;
# purging the packages leaves no file of theirs behind.
#
# The chroot (debootstrap minbase of bookworm with its updates and security
# updates, dkms, gcc, make, pkg-config, liburing-dev and the headers) is
# cached in $KIPC_CACHE/chroot-bookworm-pkg; each run works on an overlay
# of it (a copy where overlayfs is missing), so the cache stays clean.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/selftests/host/tap.bash"
cache=${KIPC_CACHE:-/var/cache/kipc}
mirror=${KIPC_MIRROR:-http://deb.debian.org/debian}
security=${KIPC_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
kver=$("$top/vm/kver.sh")
base=$cache/chroot-bookworm-pkg
pkgs="kipc-dkms libkipc1 libkipc-dev kipc-tools"
if [ "$(id -u)" != 0 ] || ! command -v debootstrap >/dev/null || ! command -v dpkg-buildpackage >/dev/null; then
	echo "ok 1 Debian packages # SKIP needs root, debootstrap and dpkg-dev"
	exit 0
fi

# One version everywhere: the packages', the library's and dkms's.
versions() {
	local deb mk dk
	deb=$(cd "$top" && dpkg-parsechangelog -S Version)
	mk=$(sed -n 's/^VERSION[[:space:]]*:= *//p' "$top/Makefile")
	dk=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$top/dkms.conf")
	echo "debian/changelog $deb, Makefile $mk, dkms.conf $dk"
	[ "$deb" = "$mk" ] && [ "$mk" = "$dk" ]
}
check "the package, library and dkms versions agree" versions

build() {
	make -s -C "$top" deb >"$tmp/deb.log" 2>&1 || { tail -n 20 "$tmp/deb.log"; return 1; }
	grep -E '^[EW]: ' "$tmp/deb.log"
	for p in $pkgs; do
		ls "$top"/build/deb/"${p}"_*.deb >/dev/null || { echo "no $p"; return 1; }
	done
}
check "make deb: $pkgs, lintian reports no error" build || exit 0

# The cached chroot, made once (about 3 minutes with the downloads); a
# new kernel release only adds its headers.
in_root() {	# in_root ROOT CMD...: in ROOT with /proc and /dev/pts
	local r=$1
	shift
	unshare -m --propagation private /bin/sh -ec '
		r=$1; shift
		mount -t proc proc "$r/proc"
		mount -t devpts -o newinstance,ptmxmode=0666 devpts "$r/dev/pts"
		exec chroot "$r" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
			HOME=/root LC_ALL=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"' sh "$r" "$@"
}
make_base() {
	local deps="dkms gcc libc6-dev make pkg-config liburing-dev linux-headers-$kver"
	if [ ! -e "$base/.ready" ]; then
		mkdir -p "$cache"
		rm -rf "$base.tmp"
		debootstrap --variant=minbase bookworm "$base.tmp" "$mirror" \
			>"$cache/debootstrap-bookworm-pkg.log" 2>&1 ||
			{ tail -n 5 "$cache/debootstrap-bookworm-pkg.log"; return 1; }
		printf '%s\n' "deb $mirror bookworm main" "deb $mirror bookworm-updates main" \
			"deb $security bookworm-security main" > "$base.tmp/etc/apt/sources.list"
		printf '%s\n' 'Acquire::Check-Valid-Until "false";' 'Acquire::Check-Date "false";' \
			'APT::Install-Recommends "false";' > "$base.tmp/etc/apt/apt.conf.d/99kipc"
		in_root "$base.tmp" sh -ec "apt-get update -qq; apt-get install -y -qq $deps >/dev/null
			apt-get clean" || return 1
		touch "$base.tmp/.ready"
		mv "$base.tmp" "$base"
	elif [ ! -d "$base/usr/src/linux-headers-$kver" ]; then
		in_root "$base" sh -ec "apt-get update -qq; apt-get install -y -qq $deps >/dev/null
			apt-get clean" || return 1
	fi
	[ -d "$base/usr/src/linux-headers-$kver" ]
}
check "a Debian 12 chroot with linux-headers-$kver (cached in $base)" make_base || exit 0

# Every file and directory but what apt, dpkg, man-db, ldconfig, depmod
# (its indexes, which gone() reads) and the shell change anyway.
listing() {
	(cd "$1" && find . -xdev \( -path ./proc -o -path ./dev -o -path ./sys -o -path ./tmp \
		-o -path ./run -o -path ./var/lib/apt -o -path ./var/lib/dpkg -o -path ./var/cache \
		-o -path ./var/log -o -path ./root -o -path ./etc/ld.so.cache \
		-o -path './usr/lib/modules/*/modules.*' \) -prune -o -print) |
		LC_ALL=C sort
}

# The test proper, in a mount namespace of its own: the overlay (or the
# copy), the chroot's /proc, all gone when it ends.
root=$tmp/root
mkdir -p "$root" "$tmp/upper" "$tmp/work" "$tmp/res"
cat > "$tmp/inside.sh" <<'EOF'
#!/bin/sh
# Runs in the chroot: install, look, build the examples, save what the VM needs.
set -e
kver=$1
cd /tmp/debs
apt-get install -y -qq ./kipc-dkms_*.deb ./libkipc1_*.deb ./libkipc-dev_*.deb \
	./kipc-tools_*.deb > /tmp/out/apt-install.log 2>&1
dkms status kipc > /tmp/out/dkms-status 2>&1 || true
modinfo -F vermagic "/lib/modules/$kver/updates/dkms/kipc.ko" > /tmp/out/vermagic 2>&1 || true
pkg-config --libs libkipc > /tmp/out/pkg-libs 2>&1 || true
pkg-config --cflags libkipc > /tmp/out/pkg-cflags 2>&1 || true
cd /tmp/ex
ok=1
for p in echo-server echo-client name-server name-client file-server; do
	# Static for the VM (its initramfs has no libc), dynamic to show the
	# shared library is the one installed.
	gcc -O2 -Wall -Werror -static -o "/tmp/out/$p" "$p.c" \
		$(pkg-config --cflags --libs --static libkipc) >> /tmp/out/cc.log 2>&1 || ok=0
	gcc -O2 -Wall -Werror -o "/tmp/out/$p.dyn" "$p.c" \
		$(pkg-config --cflags --libs libkipc) >> /tmp/out/cc.log 2>&1 || ok=0
done
gcc -O2 -Wall -Werror -static -o /tmp/out/uring-server uring-server.c \
	$(pkg-config --cflags --libs --static libkipc) -luring >> /tmp/out/cc.log 2>&1 || ok=0
[ "$ok" = 1 ] && echo built > /tmp/out/examples
ldd /tmp/out/echo-client.dyn > /tmp/out/ldd 2>&1 || true
cp "/lib/modules/$kver/updates/dkms/kipc.ko" /tmp/out/ 2>/dev/null || true
kipcctl --help > /tmp/out/kipcctl 2>&1 || true
kipc-bench -h > /tmp/out/kipc-bench 2>&1 || true
EOF
cat > "$tmp/purge.sh" <<'EOF'
#!/bin/sh
set -e
apt-get purge -y -qq kipc-dkms libkipc1 libkipc-dev kipc-tools > /tmp/out/apt-purge.log 2>&1
dkms status kipc > /tmp/out/dkms-after 2>&1 || true
cat /lib/modules/*/modules.dep > /tmp/out/modules.dep 2>/dev/null || true
EOF
ns() {
	unshare -m --propagation private /bin/bash -e -c '
	top=$1 base=$2 tmp=$3 kver=$4 root=$tmp/root
	if ! mount -t overlay overlay -o "lowerdir=$base,upperdir=$tmp/upper,workdir=$tmp/work" \
			"$root" 2>/dev/null; then
		echo "(no overlayfs: a copy of the chroot)" > "$tmp/res/how"
		cp -a "$base/." "$root/"
	fi
	mkdir -p "$root/tmp/debs" "$root/tmp/ex" "$root/tmp/out"
	cp "$top"/build/deb/*.deb "$root/tmp/debs/"
	cp "$top"/examples/*.c "$top"/examples/bootstrap.h "$root/tmp/ex/"
	cp "$tmp/inside.sh" "$tmp/purge.sh" "$root/tmp/"
	mount --bind "$tmp/res" "$root/tmp/out"
	mount -t proc proc "$root/proc"
	mount -t devpts -o newinstance,ptmxmode=0666 devpts "$root/dev/pts"
	run() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
		LC_ALL=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"; }
	'"$(declare -f listing)"'
	listing "$root" > "$tmp/res/before"
	run sh /tmp/inside.sh "$kver"
	run sh /tmp/purge.sh
	rm -rf "$root/tmp/debs" "$root/tmp/ex" "$root/tmp/inside.sh" "$root/tmp/purge.sh"
	umount "$root/tmp/out" "$root/proc" "$root/dev/pts"
	listing "$root" > "$tmp/res/after"
	' sh "$top" "$base" "$tmp" "$kver"
}
if ! ns > "$tmp/ns.log" 2>&1; then
	tail -n 20 "$tmp/ns.log" | sed 's/^/# /'
	tail -n 20 "$tmp/res/apt-install.log" 2>/dev/null | sed 's/^/# /'
fi
res=$tmp/res
installed() { grep -q '^kipc/.*installed' "$res/dkms-status" && cat "$res/dkms-status"; }
check "apt installs the packages; dkms builds and installs kipc for $kver" installed
vermagic() { [ "$(cut -d' ' -f1 "$res/vermagic")" = "$kver" ]; }
check "modinfo shows the module dkms built, for $kver" vermagic
pc() { cat "$res/pkg-libs"; grep -qw -- -lkipc "$res/pkg-libs"; }
check "pkg-config --libs libkipc works" pc
examples() { [ -f "$res/examples" ] || { cat "$res/cc.log"; return 1; }; }
check "the examples build against the installed headers and libraries (static and shared)" examples
shared() { grep -q 'libkipc.so.1 => /usr/lib/x86_64-linux-gnu/libkipc.so.1\|libkipc.so.1 => /lib/x86_64-linux-gnu/libkipc.so.1' "$res/ldd"; }
check "a dynamic example uses the installed libkipc.so.1" shared
tools() { grep -q 'usage' "$res/kipcctl" && grep -q 'usage: kipc-bench' "$res/kipc-bench"; }
check "kipcctl and kipc-bench run" tools

# The echo demo in the VM, with the module and the examples from above.
demo() {
	[ -f "$res/kipc.ko" ] && [ -x "$res/echo-server" ] || return 1
	VM_KO=$res/kipc.ko VM_EXAMPLES=$res VM_APPEND="KIPC_DEMO_BENCH=0" VM_LOG=$tmp/vm.log \
		"$top/vm/run.sh" demo >/dev/null 2>&1
	grep -E '^(echo-client|demo):' "$tmp/vm.log"
	grep -q 'demo: echo-server exited with status 0' "$tmp/vm.log" &&
		grep -q '^echo-client: sent "from uid 1000"' "$tmp/vm.log"
}
check "the VM boots with the package's module and runs the echo demo" demo

gone() {
	local left
	[ -s "$res/after" ] || return 1
	left=$(diff "$res/before" "$res/after" | grep '^[<>]')
	[ -z "$left" ] || { echo "after purge, changed:"; printf '%s\n' "$left" | head -n 20; return 1; }
	! grep -q kipc "$res/dkms-after" || { cat "$res/dkms-after"; return 1; }
	! grep -q kipc "$res/modules.dep" || { echo "depmod still knows kipc.ko"; return 1; }
}
check "apt purge leaves nothing of the packages behind" gone
