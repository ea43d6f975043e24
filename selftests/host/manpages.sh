#!/bin/bash
# Every public function of libkipc (the shared library's symbols, the
# inline functions of kipc.h and the helpers of kipc_uring.h) has a man
# page, liburing style: its group's page or a .so link to it; each page
# renders without a warning.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/selftests/host/tap.bash"
functions() {
	{
		sed -n 's/^[[:space:]]*\(kipc_[a-z_0-9]*\);$/\1/p' "$top/lib/libkipc.map"
		grep -ohE '^(static inline )?[a-z_0-9 ]+[ *]kipc_[a-z_0-9]+\(' \
			"$top/lib/include/kipc.h" "$top/lib/include/kipc_uring.h" |
			grep -oE 'kipc_[a-z_0-9]+\($' | tr -d '('
	} | grep -v '^kipc__' | sort -u
}
every_function() {
	local f n=0 missing=
	for f in $(functions); do
		n=$((n + 1))
		[ -f "$top/man/$f.3" ] || missing="$missing $f"
	done
	echo "$n public functions"
	[ "$n" -gt 50 ] && [ -z "$missing" ] || { echo "no page:$missing"; return 1; }
}
check "every public function has a man page" every_function
links_resolve() {
	local f t bad=
	for f in "$top"/man/*.3; do
		t=$(sed -n 's|^\.so man3/\(.*\)$|\1|p' "$f")
		[ -z "$t" ] || [ -f "$top/man/$t" ] && ! head -1 "$top/man/$t" | grep -q '^\.so' ||
			bad="$bad $(basename "$f")"
	done
	[ -z "$bad" ] || { echo "a .so link to nothing or to a link:$bad"; return 1; }
}
check "every .so link names a page" links_resolve
if command -v groff >/dev/null 2>&1; then
	render() {
		local f out bad=
		for f in "$top"/man/*.1 "$top"/man/*.3 "$top"/man/*.7 "$top"/man/*.8; do
			head -1 "$f" | grep -q '^\.so' && continue
			out=$(LC_ALL=C.UTF-8 groff -man -ww -z "$f" 2>&1)
			[ -z "$out" ] || { bad=1; echo "$(basename "$f"): $out"; }
		done
		[ -z "$bad" ]
	}
	check "every page renders without a warning (groff -ww)" render
else
	n=$((n + 1)); echo "ok $n every page renders # SKIP groff is not installed"
fi
