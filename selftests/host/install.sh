#!/bin/bash
# make install / modules_install into scratch roots: the header, libraries
# and pkg-config file land where they should, a program builds against them
# with pkg-config and links to versioned symbols, and modprobe finds kipc.ko.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
kver=$("$top/vm/kver.sh")
. "$top/selftests/host/tap.bash"
cd "$top"
check "make install DESTDIR" make -s install DESTDIR="$tmp/root" PREFIX=/usr
check "installed files" test -f "$tmp/root/usr/include/kipc.h" -a \
	-f "$tmp/root/usr/include/kipc_uring.h" -a \
	-f "$tmp/root/usr/include/linux/kipc.h" -a -f "$tmp/root/usr/lib/libkipc.a" -a \
	-L "$tmp/root/usr/lib/libkipc.so.1" -a -f "$tmp/root/usr/lib/pkgconfig/libkipc.pc" -a \
	-f "$tmp/root/usr/share/man/man7/kipc.7" -a -x "$tmp/root/usr/sbin/kipcctl" -a \
	-x "$tmp/root/usr/bin/kipc-bench" -a -f "$tmp/root/usr/share/man/man1/kipc-bench.1" -a \
	-f "$tmp/root/usr/share/man/man3/kipc_call.3" -a -f "$tmp/root/usr/share/man/man3/kipc_msg_get_str.3"
cat > "$tmp/prog.c" <<'C'
#include <kipc.h>
int main(void)
{
	struct kipc_ctx c;
	return kipc_ctx_open(&c) == 0 ? kipc_call(&c, 3, KIPC_TAG(1, 0), 0) : 1;
}
C
build_prog() {
	local flags
	flags=$(PKG_CONFIG_ALLOW_SYSTEM_CFLAGS=1 PKG_CONFIG_ALLOW_SYSTEM_LIBS=1 \
		PKG_CONFIG_SYSROOT_DIR="$tmp/root" \
		PKG_CONFIG_LIBDIR="$tmp/root/usr/lib/pkgconfig" pkg-config --cflags --libs libkipc) &&
	cc -Wall -Werror -o "$tmp/prog" "$tmp/prog.c" $flags
}
check "program builds with pkg-config --cflags --libs libkipc" build_prog
versioned() { readelf --dyn-syms -W "$tmp/prog" | grep -q 'kipc_ctx_open@LIBKIPC_1.0'; }
check "it links to the versioned symbol kipc_ctx_open@LIBKIPC_1.0" versioned
exports() { ! readelf --dyn-syms -W "$tmp/root/usr/lib/libkipc.so.1" |
	awk '$5 == "GLOBAL" && $7 != "UND" { print $8 }' |
	grep -Ev '^kipc_[a-z_]+@@LIBKIPC_1\.[0-5]$|^LIBKIPC_1\.[0-5]$' | grep .; }
check "libkipc.so exports only versioned kipc_* symbols" exports
v11() { readelf --dyn-syms -W "$tmp/root/usr/lib/libkipc.so.1" | grep -q 'kipc_lookup@@LIBKIPC_1.1'; }
check "the 1.1 functions are versioned LIBKIPC_1.1" v11
v13() { readelf --dyn-syms -W "$tmp/root/usr/lib/libkipc.so.1" | grep -q 'kipc_pool_open@@LIBKIPC_1.3'; }
check "the 1.3 functions are versioned LIBKIPC_1.3" v13
v14() { readelf --dyn-syms -W "$tmp/root/usr/lib/libkipc.so.1" | grep -q 'kipc_ep_create_floor@@LIBKIPC_1.4'; }
check "the 1.4 functions are versioned LIBKIPC_1.4" v14
v15() { readelf --dyn-syms -W "$tmp/root/usr/lib/libkipc.so.1" | grep -q 'kipc_region_put@@LIBKIPC_1.5'; }
check "the 1.5 functions are versioned LIBKIPC_1.5" v15
if [ -d "/lib/modules/$kver/build" ]; then
	check "make modules_install INSTALL_MOD_PATH" make -s modules_install INSTALL_MOD_PATH="$tmp/mod"
	found() { modprobe -d "$tmp/mod" -S "$kver" --show-depends kipc | grep -q "/lib/modules/$kver/updates/kipc.ko"; }
	check "modprobe finds kipc in /lib/modules/$kver/updates" found
fi
