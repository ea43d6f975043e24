#!/bin/bash
# Boot Debian's kernel in QEMU with an initramfs holding kipc.ko, the
# selftests, the examples and the benchmark; run vm/guest/<mode>.sh there.
#
#   vm/run.sh check|demo|bench|profile|ksft
#
# Environment: KVER (kernel version), VM_SMP (CPUs, default 2), VM_MEM (MiB),
# VM_TIMEOUT (whole run, seconds), VM_ICOUNT (icount shift; implies 1 CPU,
# guest time then counts instructions), VM_LOG (where the serial log goes),
# VM_TESTS (names of the selftests to run; default all), VM_PERF=1 (add
# perf and binder_linux.ko as the bench mode does), VM_APPEND (more kernel
# command line; name=value words that are no kernel parameter become the
# guest's environment, e.g. KIPC_FUZZ_CALLS=1000000), VM_QEMU_ARGS (more
# QEMU arguments, split on white space: the profile's -plugin and second
# -serial, bench/prof/profile.sh), VM_KSFT (ksft mode: the directory a
# kselftest install made, put at /ksft; selftests/host/kselftest.sh),
# VM_KO (the kipc.ko to load, default the tree's), VM_EXAMPLES (the folder
# of the example programs, default the build's; selftests/host/deb.sh
# boots the module and examples its packages built).
# A flavour may bring a profile (vm/kernel.sh FLAVOUR vars): KIPC_VM_MEM,
# KIPC_VM_SLOW (a slow kernel: the whole-run and per-binary timeouts are
# multiplied by it), KIPC_VM_APPEND (command line before VM_APPEND); a
# cross flavour (arm64) its build folder (KIPC_BUILD), busybox
# (KIPC_BUSYBOX), QEMU and machine (KIPC_QEMU) and console (KIPC_CONSOLE).
set -euo pipefail
mode=${1:?usage: vm/run.sh check|demo|bench|profile|ksft}
top=$(cd "$(dirname "$0")/.." && pwd)
# KERNEL=<flavour> (vm/kernel.sh list) picks the kernel: its KVER and image.
if [ -n "${KERNEL:-}" ]; then
	eval "$("$top/vm/kernel.sh" "$KERNEL" vars)"
fi
O=${KIPC_BUILD:-$top/build}
KVER=${KVER:-$("$top/vm/kver.sh")}
kernel=${KERNEL_IMAGE:-/boot/vmlinuz-$KVER}
slow=${KIPC_VM_SLOW:-1}
smp=${VM_SMP:-2}
mem=${VM_MEM:-${KIPC_VM_MEM:-1024}}
limit=${VM_TIMEOUT:-$((900 * slow))}
log=${VM_LOG:-$O/vm-$mode.log}

die() { echo "vm/run.sh: $*" >&2; exit 1; }
[ -r "$kernel" ] || die "no kernel image $kernel (apt-get install linux-image-amd64)"
ko=${VM_KO:-$top/kipc.ko}
[ -f "$ko" ] || die "$ko is not built (make)"
magic=$(modinfo -F vermagic "$ko" | cut -d' ' -f1)
[ "$magic" = "$KVER" ] || die "kipc.ko is built for $magic, the VM boots $KVER"
read -ra qemu <<<"${KIPC_QEMU:-qemu-system-x86_64}"
command -v "${qemu[0]}" >/dev/null || die "${qemu[0]} missing (make deps)"
busybox=${KIPC_BUSYBOX:-/bin/busybox}
[ -r "$busybox" ] || die "no $busybox (apt-get install busybox-static)"

mkdir -p "$O"
work=$(mktemp -d "$O/vm.XXXXXX")
trap 'rm -rf "$work"' EXIT
root=$work/root
mkdir -p "$root"/{bin,proc,sys,dev,tmp,tests,examples,bench,tools,guest}
cp "$busybox" "$root/bin/busybox"
cp "$top/vm/guest/init" "$root/init"
chmod +x "$root/init"
cp "$top"/vm/guest/*.sh "$root/guest/"
cp "$ko" "$root/kipc.ko"
if [ -n "${VM_TESTS:-}" ]; then
	for t in $VM_TESTS; do cp "$O/selftests/$t" "$root/tests/"; done
else
	cp "$O"/selftests/* "$root/tests/" 2>/dev/null || true
fi
cp "${VM_EXAMPLES:-$O/examples}"/* "$root/examples/" 2>/dev/null || true
cp "$O"/tools/* "$root/tools/" 2>/dev/null || true
find "$O/bench" -maxdepth 1 -type f -perm -u+x -exec cp {} "$root/bench/" \; 2>/dev/null || true

# Copy a dynamically linked program to the same path in the initramfs, with
# the libraries ldd names and the dynamic loader (the rest is static).
add_dynamic() {	# add_dynamic PROGRAM PATH-IN-GUEST
	local lib
	install -D -m 755 "$1" "$root$2"
	for lib in $(ldd "$1" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }
				       $1 ~ /^\// { print $1 }'); do
		[ -e "$root$lib" ] || install -D -m 755 "$(readlink -f "$lib")" "$root$lib"
	done
}

# The benchmark's extras: Android binder (a module of Debian's kernel, with
# its dependencies, in load order in /modules/order) and perf, for `perf
# bench sched pipe` as a reference.  A missing piece only costs its row.
bench_extras() {
	local m path perf v mods
	if [ -n "${KIPC_ARCH:-}" ]; then
		echo "vm/run.sh: $KIPC_ARCH guest: no binder module or perf of its own here:" \
			"no binder or perf row" >&2
		return
	fi
	mkdir -p "$root/modules"
	if ! mods=$(modprobe -S "$KVER" --show-depends binder_linux 2>/dev/null |
		    awk '$1 == "insmod" { print $2 }'); then
		echo "vm/run.sh: no binder_linux module for $KVER: no binder row" >&2
		mods=""
	fi
	for path in $mods; do
		m=$(basename "$path"); m=${m%%.ko*}
		case $path in
		*.xz) xz -dc "$path" > "$root/modules/$m.ko" ;;
		*.zst) zstd -qdc "$path" > "$root/modules/$m.ko" ;;
		*) cp "$path" "$root/modules/$m.ko" ;;
		esac
		echo "$m" >> "$root/modules/order"
	done
	# Debian's /usr/bin/perf may be a wrapper script that execs perf_<version>.
	perf=$(command -v perf || true)
	if [ -n "$perf" ] && [ "$(head -c 4 "$perf" | od -An -tx1 | tr -d ' ')" != 7f454c46 ]; then
		v=$(echo "$KVER" | cut -d. -f1,2)
		perf=/usr/bin/perf_$v
		[ -x "$perf" ] || perf=$(ls /usr/bin/perf_* 2>/dev/null | sort -V | tail -n 1 || true)
	fi
	if [ -n "$perf" ] && [ -x "$perf" ]; then
		add_dynamic "$perf" /usr/bin/perf
	else
		echo "vm/run.sh: no perf (apt-get install linux-perf): no reference row" >&2
	fi
}
if [ "$mode" = ksft ]; then
	[ -x "${VM_KSFT:-}/run_kselftest.sh" ] || die "VM_KSFT=${VM_KSFT:-} holds no kselftest install"
	cp -r "$VM_KSFT" "$root/ksft"
fi
case $mode in
bench*) bench_extras ;;
*) [ -z "${VM_PERF:-}" ] || bench_extras ;;
esac
(cd "$root" && find . | cpio -o -H newc --quiet) > "$work/initramfs.cpio"

if [ -n "${VM_ICOUNT:-}" ]; then
	# The real-time clock follows the virtual one from a fixed date, so
	# nothing in the guest depends on when it was booted.
	cpu=(-accel tcg -icount "shift=$VM_ICOUNT,sleep=off" -smp 1
	     -rtc base=2024-01-01T00:00:00,clock=vm)
else
	cpu=(-accel tcg,thread=multi -smp "$smp")
fi
append="console=${KIPC_CONSOLE:-ttyS0} loglevel=4 panic=-1 oops=panic panic_on_warn=1"
# Without icount the guest's TSC runs with the host's clock: on a loaded
# host the clocksource watchdog marks it unstable mid-run, and the switch
# that follows patches kernel text under running virtual CPUs (a 7.2 guest
# died of an int3 Oops in sched_clock_cpu(), a 6.12 one panicked right
# after "Marking TSC unstable").  No guest here needs the watchdog.
[ -n "${VM_ICOUNT:-}" ] || [ -n "${KIPC_ARCH:-}" ] || append="$append tsc=reliable"
append="$append softlockup_panic=1 rdinit=/init kipcmode=$mode"
# On a panic, print the whole kernel log again, warnings included
# (loglevel=4 keeps them off the console while the tests run).
append="$append panic_print=0x20"
[ -z "${VM_ICOUNT:-}" ] || append="$append kipcicount=$VM_ICOUNT"
[ "$slow" = 1 ] || append="$append kipcslow=$slow KIPC_BIN_TIMEOUT=$((600 * slow))"
[ -z "${KIPC_VM_APPEND:-}" ] || append="$append $KIPC_VM_APPEND"
[ -z "${VM_APPEND:-}" ] || append="$append $VM_APPEND"

mkdir -p "$(dirname "$log")"
rm -f "$log.boot1"
boot() {
	set +e
	timeout -k 10 "$limit" "${qemu[@]}" "${cpu[@]}" -m "$mem" \
		-nodefaults -no-user-config -no-reboot -display none \
		-serial stdio -kernel "$kernel" -initrd "$work/initramfs.cpio" \
		-append "$append" ${VM_QEMU_ARGS:-} </dev/null | tr -d '\r' | tee "$log" |
		awk -v logf="$log" '/^=== KIPC-DMESG-BEGIN/ { skip = 1 }
		     /^=== KIPC-BENCH-CSV-BEGIN/ { skip = 2 }
		     !skip { print; fflush() }
		     /^=== KIPC-DMESG-END/ { skip = 0; print "(kernel log in " logf ")" }
		     /^=== KIPC-BENCH-CSV-END/ { skip = 0 }'
	rc=${PIPESTATUS[0]}
	set -e
	[ "$rc" = 124 ] && echo "=== KIPC-VM-TIMEOUT after ${limit}s" | tee -a "$log"
	return 0
}
boot
# A guest kernel that died while booting, before /init ran (nothing of
# kipc loaded yet: TCG has crashed Debian's kernels in text patching at
# boot, an int3 Oops in sched_clock_cpu()), boots once more; its log is
# kept beside the new one.  Anything after /init started counts, and so
# does a boot that ran into the time limit.
if [ "$rc" != 124 ] && ! grep -q 'KIPC-GUEST' "$log"; then
	mv "$log" "$log.boot1"
	echo "vm/run.sh: the guest kernel died while booting, before /init (log in $log.boot1):" \
		"booting once more"
	boot
fi
grep -q '^=== KIPC-GUEST-DONE' "$log" || { echo "vm/run.sh: the VM did not finish (rc=$rc)" >&2; exit 1; }
exit 0
