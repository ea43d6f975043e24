#!/bin/bash
# Map a kernel flavour to a Debian kernel image, its headers and the way to
# build kipc.ko against them; fetch and cache what is missing.
#
#   vm/kernel.sh list                      the flavours
#   vm/kernel.sh FLAVOUR fetch             make sure image + headers are cached
#                                          (debug, kcsan: build the kernel)
#   vm/kernel.sh FLAVOUR cached            exit 0 if fetch has nothing to do
#   vm/kernel.sh FLAVOUR vars              print KVER=, KDIR=, KERNEL_IMAGE=, ...
#                                          (shell assignments; fetches first)
#   vm/kernel.sh release TREE             the kernel release of a built tree
#   vm/kernel.sh FLAVOUR make [ARGS...]    make -C $KDIR M=<top> ARGS (default:
#                                          modules), on the host or in the
#                                          flavour's chroot; kipc.ko lands in <top>
#
# Flavours:
#   bookworm   Debian 12 (6.1), linux-image-amd64 + linux-headers-amd64
#              installed on the host (vm/deps.sh); the default
#   rt         Debian 12's PREEMPT_RT 6.1, linux-image-rt-amd64 +
#              linux-headers-rt-amd64, unpacked into the cache
#   backports  bookworm-backports (6.12), unpacked into the cache; built on
#              the host with bookworm's gcc-12 (the kernel was built with it),
#              needs the host's pahole (package pahole/dwarves)
#   sid        Debian unstable (7.x): its headers want sid's gcc and libc, so
#              the module is built in a debootstrap chroot of sid
#   debug      Debian's linux-source-6.1 built here with a minimal config of
#              our own (vm/debug.config) and the debugging options of
#              vm/debug-extra.config (KASAN, lockdep, kmemleak, UBSAN, ...):
#              `fetch` is a build, 10-20 minutes on 2 CPUs when cold
#   kcsan      the same source and vm/debug.config with the data-race
#              detector of vm/kcsan.config instead (KCSAN excludes KASAN):
#              a second kernel, built and cached the same way
#   arm64      Debian 12's arm64 kernel (linux-image-arm64 +
#              linux-headers-arm64 of bookworm and its security updates),
#              unpacked into the cache with the amd64 build of its
#              linux-kbuild (the headers' scripts/ then run on this host),
#              busybox-static and liburing-dev of arm64 for the guest and
#              the static test programs; everything is cross-built with
#              Debian's aarch64-linux-gnu-gcc and booted in
#              qemu-system-aarch64 (virt machine, TCG)
#
# Cache: $KIPC_CACHE (default /var/cache/kipc), never inside the repository:
#   apt/<suite>/                      private apt lists for suites the host's
#                                     sources lack (the host's apt is untouched)
#   <flavour>/<kver>/root/            unpacked image + headers (+ kbuild)
#   <flavour>/current -> <kver>       what 'vars' and 'make' use
#   chroot-<suite>/                   build chroots (made once, ~30 s + ~15 s)
#   debug/<srcver>-<hash>/            the debug kernel: src/ (built tree, the
#                                     KDIR), bzImage, kernelrelease, build.log;
#                                     <srcver> is linux-source-6.1's package
#                                     version, <hash> covers both fragments,
#                                     the compiler and the recipe
#   debug/current -> <srcver>-<hash>
#   kcsan/<srcver>-<hash>/, kcsan/current   the same for the KCSAN kernel
#   apt/bookworm-arm64/               private apt lists of arm64 (+ amd64 for
#                                     linux-kbuild) for the arm64 flavour
# Something cached is used as it is, without the network; KIPC_REFRESH=1
# resolves the archive's newest kernel again (and upgrades a chroot).
# Everything is made in a *.tmp directory and renamed when complete, so an
# interrupted run leaves nothing that looks finished.
# Package lists are split into words on purpose.
# shellcheck disable=SC2086,SC2016,SC2116
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cache=${KIPC_CACHE:-/var/cache/kipc}
mirror=${KIPC_MIRROR:-http://deb.debian.org/debian}
security=${KIPC_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
refresh=${KIPC_REFRESH:-}

die() { echo "vm/kernel.sh: $*" >&2; exit 1; }
say() { echo "vm/kernel.sh: $*" >&2; }

# flavour -> kind suite image-metapackage headers-metapackage
flavour_info() {
	case $1 in
	bookworm)  echo "host bookworm linux-image-amd64 linux-headers-amd64" ;;
	rt)        echo "extract bookworm linux-image-rt-amd64 linux-headers-rt-amd64" ;;
	backports) echo "extract bookworm-backports linux-image-amd64 linux-headers-amd64" ;;
	sid)       echo "chroot sid linux-image-amd64 linux-headers-amd64" ;;
	debug)     echo "build bookworm linux-source-6.1 -" ;;
	kcsan)     echo "build bookworm linux-source-6.1 -" ;;
	arm64)     echo "cross bookworm-arm64 linux-image-arm64 linux-headers-arm64" ;;
	*) return 1 ;;
	esac
}

# apt-get / apt-cache for one suite.  bookworm: the host's own apt (its
# sources have bookworm); anything else: private lists and cache under
# $cache/apt/SUITE that know only that suite, so candidates are its versions.
# bookworm-arm64: Debian 12 with its updates and security updates, as the
# host's apt has them, for arm64 (and amd64, the build architecture, for
# linux-kbuild).
papt() {	# papt SUITE apt-get|apt-cache ARGS...
	local suite=$1 tool=$2 d
	local -a arch=()
	shift 2
	if [ "$suite" = bookworm ]; then
		"$tool" -o APT::Sandbox::User=root "$@"
		return
	fi
	d=$cache/apt/$suite
	mkdir -p "$d/lists/partial" "$d/archives/partial"
	if [ ! -f "$d/sources.list" ]; then
		case $suite in
		*-arm64) printf '%s\n' "deb $mirror bookworm main" \
				"deb $mirror bookworm-updates main" \
				"deb $security bookworm-security main" ;;
		*) echo "deb $mirror $suite main" ;;
		esac > "$d/sources.list"
	fi
	case $suite in
	*-arm64) arch=(-o APT::Architecture=arm64 -o APT::Architectures::=arm64
		       -o APT::Architectures::=amd64) ;;
	esac
	[ -f "$d/status" ] || : > "$d/status"
	"$tool" "${arch[@]}" -o Dir::Etc::SourceList="$d/sources.list" \
		-o Dir::Etc::SourceParts=/dev/null \
		-o Dir::Etc::Preferences=/dev/null \
		-o Dir::Etc::PreferencesParts=/dev/null \
		-o Dir::State::Lists="$d/lists" -o Dir::State::status="$d/status" \
		-o Dir::Cache="$d" -o Dir::Cache::archives="$d/archives" \
		-o APT::Sandbox::User=root -o Acquire::Check-Valid-Until=false "$@"
}

# Direct dependencies of PKG that are versioned kernel packages (headers,
# common headers, kbuild, image, and 7.x's binary/base split); not
# linux-modules-* (110 MB, only the bench's binder row needs it), not
# linux-base (the unversioned helper), not compilers.
kdeps() {	# kdeps SUITE PKG
	papt "$1" apt-cache depends --no-recommends --no-suggests --no-conflicts \
		--no-breaks --no-replaces --no-enhances "$2" |
		sed -n 's/^ *|\{0,1\}Depends: \(linux-[a-z]*-[0-9][^ ]*\)$/\1/p' |
		grep -E '^linux-(headers|kbuild|image|binary|base)-[0-9]' | sort -u
}

# The closure of kdeps over PKG (a few levels at most).
kclosure() {	# kclosure SUITE PKG...
	local suite=$1 todo seen="" p d
	shift
	todo="$*"
	while [ -n "$todo" ]; do
		set -- $todo; p=$1; shift; todo="$*"
		case " $seen " in *" $p "*) continue ;; esac
		seen="$seen $p"
		for d in $(kdeps "$suite" "$p"); do
			case $d in *-unsigned) continue ;; esac	# signed image is enough
			todo="$todo $d"
		done
	done
	echo $seen
}

# The release (KVER) a headers metapackage points to.
meta_kver() {	# meta_kver SUITE PKG
	kdeps "$1" "$2" | sed -n 's/^linux-headers-//p' | head -n 1
}

# Unpack debs into ROOT and make the headers tree usable from there: Debian's
# arch headers Makefile includes /usr/src/linux-headers-*-common by an
# absolute path; point it at the unpacked copy, by the path ROOT will have
# once it is renamed into place (FINAL).
unpack() {	# unpack ROOT FINAL DEB...
	local root=$1 final=$2 deb mk
	shift 2
	for deb in "$@"; do dpkg-deb -x "$deb" "$root"; done
	for mk in "$root"/usr/src/linux-headers-*/Makefile; do
		[ -f "$mk" ] || continue
		sed -i "s|^include /usr/src/|include $final/usr/src/|" "$mk"
	done
}

# The packages a cross flavour (SUITE ends in -arch) takes instead of PKGS:
# the kernel's own, but linux-kbuild in the build architecture's version
# of the same release (its scripts/ run on this host; Debian's headers
# point at it by a relative link), and the guest's busybox and the static
# liburing of the target architecture.
cross_pkgs() {	# cross_pkgs SUITE PKGS...
	local suite=$1 p v
	shift
	for p in "$@"; do
		case $p in
		linux-kbuild-*)
			v=$(papt "$suite" apt-cache show --no-all-versions "$p:$(dpkg --print-architecture)" |
				sed -n 's/^Version: //p' | head -n 1)
			[ -n "$v" ] || die "$suite: no $p for $(dpkg --print-architecture)"
			echo "$p:$(dpkg --print-architecture)=$v" ;;
		*) echo "$p" ;;
		esac
	done
	echo busybox-static liburing-dev
}

# Image + headers of SUITE unpacked into $cache/FLAVOUR/KVER/root (kinds
# extract and cross).
fetch_extract() {	# fetch_extract FLAVOUR SUITE IMAGE-META HEADERS-META
	local fl=$1 suite=$2 img=$3 hdr=$4 kver dir pkgs
	if [ -z "$refresh" ] && [ -e "$cache/$fl/current/.ready" ]; then
		return
	fi
	if [ "$suite" != bookworm ] || [ -n "$refresh" ]; then
		papt "$suite" apt-get update -qq >/dev/null
	fi
	kver=$(meta_kver "$suite" "$hdr")
	if [ -z "$kver" ] && [ "$suite" = bookworm ] && [ -z "$refresh" ]; then
		papt "$suite" apt-get update -qq >/dev/null	# lists missing or old
		kver=$(meta_kver "$suite" "$hdr")
	fi
	[ -n "$kver" ] || die "$suite: cannot resolve $hdr"
	dir=$cache/$fl/$kver
	if [ ! -e "$dir/.ready" ]; then
		pkgs=$(kclosure "$suite" "$img" "$hdr")
		case $suite in
		*-arm64) pkgs=$(cross_pkgs "$suite" $pkgs) ;;
		esac
		say "$fl: fetching $kver:" $pkgs
		rm -rf "$dir.tmp"
		mkdir -p "$dir.tmp/debs" "$dir.tmp/root"
		(cd "$dir.tmp/debs" && papt "$suite" apt-get download -qq $pkgs)
		unpack "$dir.tmp/root" "$dir/root" "$dir.tmp"/debs/*.deb
		rm -rf "$dir.tmp/debs"	# KIPC_KEEP_DEBS=1 to keep them
		touch "$dir.tmp/.ready"
		rm -rf "$dir"
		mv "$dir.tmp" "$dir"
	fi
	ln -sfn "$kver" "$cache/$fl/current"
}

# Run a command in CHROOT with /proc mounted (objtool of 7.x reads /proc),
# in a private mount namespace: every mount goes away with the command,
# also when it is interrupted.  BIND (optional) is mounted at the same path.
in_chroot() {	# in_chroot CHROOT BIND|"" CMD...
	local c=$1 bind=$2
	shift 2
	unshare -m --propagation private /bin/sh -ec '
		c=$1 bind=$2; shift 2
		mount -t proc proc "$c/proc"
		mount -t devpts -o newinstance,ptmxmode=0666 devpts "$c/dev/pts"
		if [ -n "$bind" ]; then
			mkdir -p "$c$bind"
			mount --bind "$bind" "$c$bind"
		fi
		# A clean environment, but the make flags (W=1, -k, ...) go in.
		exec chroot "$c" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
			HOME=/root LC_ALL=C.UTF-8 DEBIAN_FRONTEND=noninteractive \
			"MAKEFLAGS=${MAKEFLAGS:-}" "$@"' sh "$c" "$bind" "$@"
}

# A minimal chroot of SUITE with make and the suite's headers metapackage.
fetch_chroot() {	# fetch_chroot FLAVOUR SUITE IMAGE-META HEADERS-META
	local fl=$1 suite=$2 img=$3 hdr=$4 c=$cache/chroot-$2 kver dir pkgs
	if [ ! -e "$c/.ready" ]; then
		command -v debootstrap >/dev/null || die "debootstrap missing (apt-get install debootstrap)"
		say "$fl: creating $c (debootstrap $suite)"
		rm -rf "$c.tmp"
		debootstrap --variant=minbase "$suite" "$c.tmp" "$mirror" >"$cache/debootstrap-$suite.log" 2>&1 ||
			die "debootstrap failed, see $cache/debootstrap-$suite.log"
		# The archive this host reaches may be a frozen copy whose Release
		# files have expired: accept them, as the host's apt does.
		printf '%s\n' 'Acquire::Check-Valid-Until "false";' \
			'Acquire::Check-Date "false";' \
			'APT::Install-Recommends "false";' > "$c.tmp/etc/apt/apt.conf.d/99kipc"
		in_chroot "$c.tmp" "" sh -ec "apt-get update -qq
			apt-get install -y -qq make $hdr >/dev/null
			apt-get clean"
		touch "$c.tmp/.ready"
		mv "$c.tmp" "$c"
	elif [ -n "$refresh" ]; then
		in_chroot "$c" "" sh -ec "apt-get update -qq
			apt-get install -y -qq make $hdr >/dev/null
			apt-get autoremove -y -qq --purge >/dev/null; apt-get clean"
	fi
	kver=$(chroot "$c" dpkg-query -W -f='${Depends}' "$hdr" |
		tr ',' '\n' | sed -n 's/^ *linux-headers-\([^ ]*\).*/\1/p' | head -n 1)
	[ -n "$kver" ] || die "no $hdr in $c"
	dir=$cache/$fl/$kver
	if [ ! -e "$dir/.ready" ]; then
		# The image from the chroot's own apt lists, so it matches the headers.
		pkgs=$(in_chroot "$c" "" sh -c "apt-cache depends --no-recommends $img linux-image-$kver 2>/dev/null" |
			sed -n 's/^ *|\{0,1\}Depends: \(linux-\(image\|binary\)-[0-9][^ ]*\)$/\1/p' |
			grep -v -- -unsigned | sort -u)
		say "$fl: fetching image $kver:" $pkgs
		rm -rf "$dir.tmp" "$c/tmp/kipc-debs"
		mkdir -p "$dir.tmp/root" "$c/tmp/kipc-debs"
		in_chroot "$c" "" sh -ec "cd /tmp/kipc-debs &&
			apt-get download -qq -o APT::Sandbox::User=root $(echo $pkgs)"
		unpack "$dir.tmp/root" "$dir/root" "$c"/tmp/kipc-debs/*.deb
		rm -rf "$c/tmp/kipc-debs" "$c"/var/cache/apt/*.bin
		touch "$dir.tmp/.ready"
		rm -rf "$dir"
		mv "$dir.tmp" "$dir"
	fi
	ln -sfn "$kver" "$cache/$fl/current"
}

# The kernels built here (kind "build"): debug and kcsan, both from
# linux-source-6.1 with vm/debug.config and one fragment of their own.
# Bump the recipe when the build steps below change what they make.
debug_recipe=1
build_frags() {	# build_frags FLAVOUR: its config fragments, in merge order
	case $1 in
	debug) echo "$top/vm/debug.config $top/vm/debug-extra.config" ;;
	kcsan) echo "$top/vm/debug.config $top/vm/kcsan.config" ;;
	*) die "$1: no config fragments" ;;
	esac
}

# Variables for the kernel's own make (not for kipc's M= build).  kcsan:
# KCSAN instruments no access of the kernel, only kipc.ko's, whose build
# does not get this (why: vm/kcsan.config).  CFLAGS_KCSAN is what kbuild
# adds to every object KCSAN may instrument (scripts/Makefile.kcsan,
# Makefile.lib); in its place only -D__KCSAN_INSTRUMENT_BARRIERS__, as
# kernel/sched's Makefile asks for the scheduler: the barriers of the
# kernel still tell KCSAN's weak-memory modelling where an access of
# kipc's can no longer be reordered (the release in an out-of-line
# spin_unlock(), say).  Objects KCSAN must not touch (the vDSO, the boot
# code) stay without it.
build_args() {	# build_args FLAVOUR
	case $1 in
	kcsan) echo "CFLAGS_KCSAN=-D__KCSAN_INSTRUMENT_BARRIERS__" ;;
	esac
}

# Key of a built kernel: the source package's version, then a hash of the
# flavour's config fragments, the compiler, the recipe and the make
# variables (if any: debug's key stays what it was before there were any).
debug_key() {	# debug_key FLAVOUR SRC-PKG
	local v frags args
	frags=$(build_frags "$1")
	args=$(build_args "$1")
	v=$(dpkg-query -W -f='${Version}' "$2" 2>/dev/null) || v=""
	[ -n "$v" ] || die "$2 is not installed"
	echo "$v-$({ cat $frags; "${CC:-gcc}" --version | head -n 1
		  echo "recipe $debug_recipe"
		  [ -z "$args" ] || echo "make $args"; } | sha256sum | cut -c1-12)"
}

# Every line of the fragments as .config has it after olddefconfig: options
# asked for =y/=value must be there verbatim, "is not set" ones must not be
# set (absent is fine: a disabled dependency hides them).  A later fragment
# overrides an earlier one (merge_config.sh does so), so for an option set
# in both (kcsan's LOCALVERSION) the last line is the one checked.
debug_verify() {	# debug_verify FLAVOUR .CONFIG
	local fl=$1 cfg=$2 line sym missing="" frags
	local -A want=()
	local -a order=()
	frags=$(build_frags "$fl")
	while IFS= read -r line; do
		case $line in
		"# CONFIG_"*" is not set") sym=${line#\# }; sym=${sym%% *} ;;
		CONFIG_*=*) sym=${line%%=*} ;;
		*) continue ;;
		esac
		[ -n "${want[$sym]+set}" ] || order+=("$sym")
		want[$sym]=$line
	done < <(cat $frags)
	for sym in "${order[@]}"; do
		line=${want[$sym]}
		case $line in
		"# "*)
			grep -q "^$sym=" "$cfg" && missing="$missing
  want: $line, have: $(grep "^$sym=" "$cfg")" ;;
		*)
			grep -qxF -- "$line" "$cfg" || missing="$missing
  want: $line, have: $(grep -E "^(# )?${sym}[= ]" "$cfg" || echo '(absent: a dependency is off)')" ;;
		esac
	done
	[ -z "$missing" ] || die "$fl: the config lost options of$(for f in $frags; do
		printf ' vm/%s' "${f##*/}"; done):$missing"
}

# The release string of a built tree, alone: a parent make (make check)
# exports MAKEFLAGS/MAKELEVEL, and a sub-make then prints "Entering
# directory" lines into what we capture, so run it without them and check
# that one well-formed line came out.
kernel_release() {	# kernel_release SRC-DIR
	local r
	r=$(cd "$1" && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES \
		make -s --no-print-directory kernelrelease) || return 1
	[[ $r =~ ^[0-9]+\.[0-9]+[0-9A-Za-z.+_~-]*$ ]] || return 1
	echo "$r"
}

# Extract linux-source-6.1, configure (allnoconfig + the flavour's
# fragments), build bzImage and the (few) modules with Module.symvers, so
# that src/ is a prepared tree for M= builds.  In $cache/FLAVOUR/KEY.tmp,
# renamed when done.
fetch_build() {	# fetch_build FLAVOUR SRC-PKG
	local fl=$1 pkg=$2 tarball key dir jobs t0 t1 log old frags margs
	tarball=/usr/src/$pkg.tar.xz
	if [ ! -r "$tarball" ]; then
		say "$fl: installing $pkg"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$pkg" >/dev/null ||
			die "cannot install $pkg"
	fi
	for t in flex bison bc; do
		command -v $t >/dev/null || die "$t missing (vm/deps.sh check with KERNEL=$fl installs it)"
	done
	[ -e /usr/include/libelf.h ] || die "libelf-dev missing (objtool needs it; vm/deps.sh installs it)"
	frags=$(build_frags "$fl")
	key=$(debug_key "$fl" "$pkg")
	dir=$cache/$fl/$key
	if [ -e "$dir/.ready" ]; then
		# A cache written before kernel_release() may hold make's
		# chatter instead of the release: repair it from the tree.
		if ! [[ $(cat "$dir/kernelrelease") =~ ^[0-9]+\.[0-9]+[^[:space:]]*$ ]]; then
			say "$fl: repairing the kernel release of $dir"
			kernel_release "$dir/src" > "$dir/kernelrelease.new" ||
				die "$fl: no kernel release from $dir/src"
			mv "$dir/kernelrelease.new" "$dir/kernelrelease"
		fi
		ln -sfn "$key" "$cache/$fl/current"
		return
	fi
	jobs=${KIPC_DEBUG_JOBS:-$(nproc)}
	log=$dir.tmp/build.log
	rm -rf "$dir.tmp"
	mkdir -p "$dir.tmp"
	say "$fl: building the $fl kernel $key with -j$jobs (cold cache:" \
		"10-20 minutes; log in $dir/build.log)"
	t0=$(date +%s)
	tar -xJf "$tarball" -C "$dir.tmp"
	mv "$dir.tmp/$pkg" "$dir.tmp/src"
	(
		echo "kipc $fl kernel $key, load before: $(cut -d' ' -f1-3 /proc/loadavg)"
		cd "$dir.tmp/src"
		# allnoconfig with the fragments forced, then the defaults of
		# whatever the fragments' options pulled in.
		scripts/kconfig/merge_config.sh -n $frags
		make olddefconfig
	) >"$log" 2>&1 || { tail -n 30 "$log" >&2; die "$fl: configuring failed ($log)"; }
	debug_verify "$fl" "$dir.tmp/src/.config"
	read -ra margs <<<"$(build_args "$fl")"
	if ! (cd "$dir.tmp/src" && make -j"$jobs" "${margs[@]}" bzImage modules) >>"$log" 2>&1; then
		grep -E 'error|Error' "$log" | head -n 20 >&2
		die "$fl: the kernel build failed, see $log"
	fi
	t1=$(date +%s)
	kernel_release "$dir.tmp/src" > "$dir.tmp/kernelrelease" ||
		die "$fl: no kernel release from $dir.tmp/src"
	cp "$dir.tmp/src/arch/x86/boot/bzImage" "$dir.tmp/bzImage"
	# M= builds need headers, scripts, objtool, .config and Module.symvers,
	# not the kernel's own objects: drop those (~1 GB) but keep vmlinux
	# (and System.map) for decoding reports.
	find "$dir.tmp/src" -name '*.o' ! -path '*/scripts/*' ! -path '*/tools/*' -delete
	rm -f "$dir.tmp/src/vmlinux.o" "$dir.tmp/src/vmlinux.a"
	echo "kipc: built in $((t1 - t0)) s with -j$jobs, load after:" \
		"$(cut -d' ' -f1-3 /proc/loadavg)" >> "$log"
	touch "$dir.tmp/.ready"
	rm -rf "$dir"
	mv "$dir.tmp" "$dir"
	ln -sfn "$key" "$cache/$fl/current"
	say "$fl: built $(cat "$dir/kernelrelease") in $((t1 - t0)) s"
	# Keep this build and the one before it; older ones only take space.
	for old in $(find "$cache/$fl" -mindepth 1 -maxdepth 1 -type d ! -name '*.tmp' \
			-printf '%T@ %p\n' | sort -rn | tail -n +3 | cut -d' ' -f2-); do
		say "$fl: removing the old build $old"
		rm -rf "$old"
	done
}

fetch() {	# fetch FLAVOUR
	local kind suite img hdr
	read -r kind suite img hdr <<<"$(flavour_info "$1")"
	[ "$kind" = host ] && return	# vm/deps.sh installs linux-{image,headers}-amd64
	mkdir -p "$cache"
	if [ "$kind" = build ]; then
		# Its own lock: a 15-minute build must not hold up other flavours.
		exec 8>"$cache/.lock-$1"
		flock 8
		fetch_build "$1" "$img"
		return
	fi
	# One fetch at a time (two `make check` of one flavour would race on
	# the *.tmp directories); the lock goes with the process.
	exec 9>"$cache/.lock"
	flock 9
	case $kind in
	extract|cross) fetch_extract "$1" "$suite" "$img" "$hdr" ;;
	chroot) fetch_chroot "$1" "$suite" "$img" "$hdr" ;;
	esac
}

# Find the vmlinuz in an unpacked root: /boot up to 6.x, /usr/lib/modules
# from 7.x on (linux-binary-*).
find_image() {	# find_image ROOT KVER
	local f
	for f in "$1/boot/vmlinuz-$2" "$1/usr/lib/modules/$2/vmlinuz" "$1/lib/modules/$2/vmlinuz"; do
		[ -r "$f" ] && { echo "$f"; return; }
	done
	die "no vmlinuz for $2 under $1"
}

# The KCSAN lane's VM profile (vm/run.sh, vm/check.sh).  The whole suite,
# the stress test and the fuzzer (its default 350000 calls) with it, runs
# once, on 4 CPUs: races want CPUs that really run at once.  Only kipc.ko
# is instrumented, so a watchpoint every 50 of its accesses at most
# (kcsan.skip_watch=50; the default 4000 is tuned for a whole kernel)
# costs little: measured with the same tests, a run set up 636000
# watchpoints instead of 9000 and found 6 racing function pairs instead of
# 2, in 147 s instead of 80.  The stress test runs 60 s instead of 30, as
# the delays slow its calls (the lane as it is: 1.3 million watchpoints,
# 200 s in the VM).  KCSAN needs no shadow memory: the default
# memory does.  The timeouts stretch as in the debug lane (kipcslow=4).
# panic_on_warn=0 (the last value on the command line wins over
# vm/run.sh's 1): a KCSAN report counts as a warning, and panicking on the
# first would hide every race after it; each report still fails the lane
# (vm/check.sh counts "BUG: KCSAN:" lines), and an oops still panics.
# KIPC_KO_CALLS: vm/check.sh fails unless kipc.ko calls KCSAN's __tsan_*
# hooks, i.e. the module itself is instrumented.
kcsan_profile() {
	echo "KIPC_VM_MEM=1024"
	echo "KIPC_VM_SLOW=4"
	echo "KIPC_VM_SMP_RUNS='4'"
	echo "KIPC_VM_APPEND='kcsan.skip_watch=50 KIPC_STRESS_SECONDS=60 log_buf_len=8M panic_on_warn=0'"
	echo "KIPC_KO_CALLS=__tsan_"
}

vars() {	# vars FLAVOUR
	local fl=$1 kind suite img hdr kver root
	read -r kind suite img hdr <<<"$(flavour_info "$fl")"
	case $kind in
	host)
		kver=${KVER:-$("$top/vm/kver.sh")}
		echo "KIPC_KERNEL=$fl"
		echo "KVER=$kver"
		echo "KDIR=${KDIR:-/lib/modules/$kver/build}"
		echo "KERNEL_IMAGE=/boot/vmlinuz-$kver"
		echo "KIPC_CHROOT="
		echo "KIPC_MODROOT=/"
		return ;;
	esac
	fetch "$fl"
	if [ "$kind" = build ]; then
		root=$(cd "$cache/$fl/current" && pwd -P)
		echo "KIPC_KERNEL=$fl"
		echo "KVER=$(cat "$root/kernelrelease")"
		echo "KDIR=$root/src"
		echo "KIPC_CHROOT="
		echo "KERNEL_IMAGE=$root/bzImage"
		echo "KIPC_MODROOT="
		if [ "$fl" = kcsan ]; then
			kcsan_profile
			return
		fi
		# The lane's VM profile (vm/run.sh, vm/check.sh): KASAN's shadow
		# and quarantine want memory; everything runs several times
		# slower, so timeouts stretch (kipcslow also tells the tests);
		# the whole suite runs on 2 CPUs with a fuzzer of a million
		# calls, the stress test and the fuzzer again on 4 CPUs.  There
		# the fuzzer makes 100000 calls: 4 emulated CPUs on 2 busy host
		# cores managed fewer than 770 a second (200000 timed out); the
		# functional tests stay on 2 CPUs, where the suite already
		# runs once in full.
		# A big log buffer keeps every report.
		echo "KIPC_VM_MEM=2048"
		echo "KIPC_VM_SLOW=4"
		echo "KIPC_VM_SMP_RUNS='2 4:stress,fuzz,fuzz_async,fuzz_slots,cancel:KIPC_FUZZ_CALLS=100000'"
		echo "KIPC_VM_APPEND='KIPC_FUZZ_CALLS=1000000 log_buf_len=8M'"
		return
	fi
	root=$(cd "$cache/$fl/current" && pwd -P)/root
	kver=$(basename "$(dirname "$root")")
	echo "KIPC_KERNEL=$fl"
	echo "KVER=$kver"
	if [ "$kind" = chroot ]; then
		echo "KDIR=/usr/src/linux-headers-$kver"	# inside the chroot
		echo "KIPC_CHROOT=$cache/chroot-$suite"
	else
		echo "KDIR=$root/usr/src/linux-headers-$kver"
		echo "KIPC_CHROOT="
	fi
	echo "KERNEL_IMAGE=$(find_image "$root" "$kver")"
	echo "KIPC_MODROOT=$root"	# modprobe -d, for the bench's binder row
	[ "$kind" = cross ] && cross_profile "$root"
	return 0
}

# A cross flavour's build and VM (arm64, the only one): the kernel's make
# and the Makefile's programs use the cross compiler; the programs go to
# build/arm64 (the Makefile's O for KERNEL=arm64), link the unpacked static
# liburing (KIPC_SYSROOT) and run under qemu-system-aarch64's virt machine,
# whose console is the PL011 UART.  -cpu max: the newest architecture
# QEMU has (LSE atomics, so the kernel's atomics and locks take their
# ARMv8.1 form), with the cheap implementation-defined pointer
# authentication (the architected one costs TCG much time).  The serial
# console is slower than x86's: loglevel stays 4 as on x86.
cross_profile() {	# cross_profile ROOT
	echo "KIPC_ARCH=arm64"
	echo "KIPC_CROSS=aarch64-linux-gnu-"
	echo "KIPC_SYSROOT=$1"
	echo "KIPC_BUILD=$top/build/arm64"
	echo "KIPC_BUSYBOX=$1/bin/busybox"
	echo "KIPC_QEMU='qemu-system-aarch64 -M virt -cpu max,pauth-impdef=on'"
	echo "KIPC_CONSOLE=ttyAMA0"
}

cached() {	# cached FLAVOUR
	local kind suite img hdr key
	read -r kind suite img hdr <<<"$(flavour_info "$1")"
	case $kind in
	host) return 0 ;;
	build)
		key=$(debug_key "$1" "$img" 2>/dev/null) || return 1
		[ -e "$cache/$1/$key/.ready" ] ;;
	chroot) [ -e "$cache/chroot-$suite/.ready" ] && [ -e "$cache/$1/current/.ready" ] ;;
	*) [ -e "$cache/$1/current/.ready" ] ;;
	esac
}

kmake() {	# kmake FLAVOUR [ARGS...]
	local fl=$1
	shift
	[ $# -gt 0 ] || set -- modules
	eval "$(vars "$fl")"
	if [ -n "$KIPC_CHROOT" ]; then
		in_chroot "$KIPC_CHROOT" "$top" make -C "$KDIR" M="$top" "$@"
	elif [ -n "${KIPC_CROSS:-}" ]; then
		[ -d "$KDIR" ] || die "no kernel build tree at $KDIR"
		command -v "${KIPC_CROSS}gcc" >/dev/null ||
			die "${KIPC_CROSS}gcc missing (KERNEL=$fl vm/deps.sh check installs it)"
		make -C "$KDIR" M="$top" ARCH="$KIPC_ARCH" CROSS_COMPILE="$KIPC_CROSS" "$@"
	else
		[ -d "$KDIR" ] || die "no kernel build tree at $KDIR"
		make -C "$KDIR" M="$top" "$@"
	fi
}

cmd=${1:?usage: vm/kernel.sh list | FLAVOUR fetch|cached|vars|make [ARGS...]}
if [ "$cmd" = list ]; then
	echo "bookworm rt backports sid arm64 debug kcsan"
	exit 0
fi
# The release string of a built kernel tree, as the debug cache records it
# (selftests/host/kernelrelease.sh runs it under a parent make).
if [ "$cmd" = release ]; then
	kernel_release "${2:?usage: vm/kernel.sh release KERNEL-TREE}"
	exit
fi
flavour_info "$cmd" >/dev/null || die "unknown flavour '$cmd' (vm/kernel.sh list)"
[ "$(id -u)" = 0 ] || [ "${2:-}" = vars ] || [ "${2:-}" = cached ] ||
	die "needs root (apt, debootstrap, chroot)"
case ${2:?usage: vm/kernel.sh FLAVOUR fetch|cached|vars|make} in
fetch) fetch "$cmd" ;;
cached) cached "$cmd" ;;
vars) vars "$cmd" ;;
make) shift 2; kmake "$cmd" "$@" ;;
*) die "unknown command '$2'" ;;
esac
