#!/bin/bash
# Boot Debian's kernel in QEMU with an initramfs holding kipc.ko, the
# selftests, the examples and the benchmark; run vm/guest/<mode>.sh there.
#
#   vm/run.sh check|demo|bench
#
# Environment: KVER (kernel version), VM_SMP (CPUs, default 2), VM_MEM (MiB),
# VM_TIMEOUT (whole run, seconds), VM_ICOUNT (icount shift; implies 1 CPU,
# guest time then counts instructions), VM_LOG (where the serial log goes),
# VM_TESTS (names of the selftests to run; default all).
set -euo pipefail
mode=${1:?usage: vm/run.sh check|demo|bench}
top=$(cd "$(dirname "$0")/.." && pwd)
O=$top/build
KVER=${KVER:-$("$top/vm/kver.sh")}
kernel=${KERNEL_IMAGE:-/boot/vmlinuz-$KVER}
smp=${VM_SMP:-2}
mem=${VM_MEM:-1024}
limit=${VM_TIMEOUT:-900}
log=${VM_LOG:-$O/vm-$mode.log}

die() { echo "vm/run.sh: $*" >&2; exit 1; }
[ -r "$kernel" ] || die "no kernel image $kernel (apt-get install linux-image-amd64)"
[ -f "$top/kipc.ko" ] || die "kipc.ko is not built (make)"
magic=$(modinfo -F vermagic "$top/kipc.ko" | cut -d' ' -f1)
[ "$magic" = "$KVER" ] || die "kipc.ko is built for $magic, the VM boots $KVER"
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 missing (make deps)"

mkdir -p "$O"
work=$(mktemp -d "$O/vm.XXXXXX")
trap 'rm -rf "$work"' EXIT
root=$work/root
mkdir -p "$root"/{bin,proc,sys,dev,tmp,tests,examples,bench,tools,guest}
cp /bin/busybox "$root/bin/busybox"
cp "$top/vm/guest/init" "$root/init"
chmod +x "$root/init"
cp "$top"/vm/guest/*.sh "$root/guest/"
cp "$top/kipc.ko" "$root/"
if [ -n "${VM_TESTS:-}" ]; then
	for t in $VM_TESTS; do cp "$O/selftests/$t" "$root/tests/"; done
else
	cp "$O"/selftests/* "$root/tests/" 2>/dev/null || true
fi
cp "$O"/examples/* "$root/examples/" 2>/dev/null || true
cp "$O"/tools/* "$root/tools/" 2>/dev/null || true
cp "$O"/bench/* "$root/bench/" 2>/dev/null || true
(cd "$root" && find . | cpio -o -H newc --quiet) > "$work/initramfs.cpio"

if [ -n "${VM_ICOUNT:-}" ]; then
	cpu=(-accel tcg -icount "shift=$VM_ICOUNT,sleep=off" -smp 1)
else
	cpu=(-accel tcg,thread=multi -smp "$smp")
fi
append="console=ttyS0 loglevel=4 panic=-1 oops=panic panic_on_warn=1"
append="$append softlockup_panic=1 rdinit=/init kipcmode=$mode"

mkdir -p "$(dirname "$log")"
set +e
timeout -k 10 "$limit" qemu-system-x86_64 "${cpu[@]}" -m "$mem" \
	-nodefaults -no-user-config -no-reboot -display none \
	-serial stdio -kernel "$kernel" -initrd "$work/initramfs.cpio" \
	-append "$append" </dev/null | tr -d '\r' | tee "$log" |
	awk -v logf="$log" '/^=== KIPC-DMESG-BEGIN/ { skip = 1 }
	     !skip { print; fflush() }
	     /^=== KIPC-DMESG-END/ { skip = 0; print "(kernel log in " logf ")" }'
rc=${PIPESTATUS[0]}
set -e
[ "$rc" = 124 ] && echo "=== KIPC-VM-TIMEOUT after ${limit}s" | tee -a "$log"
grep -q '^=== KIPC-GUEST-DONE' "$log" || { echo "vm/run.sh: the VM did not finish (rc=$rc)" >&2; exit 1; }
exit 0
