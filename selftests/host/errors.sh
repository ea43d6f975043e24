#!/bin/bash
# The error table is one place (lib/errors.txt): the README's table and
# kipc(7)'s list are what `make docs` makes of it, and every errno the
# module returns is in it.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/selftests/host/tap.bash"
docs_current() {
	cp "$top/README.md" "$tmp/README.md" && cp "$top/man/kipc.7" "$tmp/kipc.7" &&
	sh "$top/tools/errors.sh" docs "$top/lib/errors.txt" "$tmp/README.md" "$tmp/kipc.7" &&
	diff -u "$top/README.md" "$tmp/README.md" && diff -u "$top/man/kipc.7" "$tmp/kipc.7"
}
check "README and kipc(7) list the errors of lib/errors.txt (else: make docs)" docs_current
all_listed() {
	local e missing=
	# Kernel-internal codes never reach user space (restarts, io_uring's
	# queued and the fast path's in-progress marks).
	for e in $(grep -ohE -- '-E[A-Z0-9]{2,}' "$top"/module/*.c "$top"/module/*.h | sort -u); do
		case ${e#-} in
		ERESTARTSYS|ERESTARTNOHAND|ERESTARTNOINTR|EIOCBQUEUED|EINPROGRESS) continue ;;
		esac
		grep -q "^${e#-}	" "$top/lib/errors.txt" || missing="$missing ${e#-}"
	done
	[ -z "$missing" ] || { echo "returned by module/ but not in lib/errors.txt:$missing"; return 1; }
}
check "every errno the module returns is in lib/errors.txt" all_listed
broken_doc() {
	# A stale document is caught: one meaning changed by hand.
	cp "$top/README.md" "$tmp/stale.md" && cp "$top/man/kipc.7" "$tmp/stale.7" &&
	sed -i 's/^| `EAGAIN` | .*/| `EAGAIN` | edited by hand |/' "$tmp/stale.md" &&
	! cmp -s "$top/README.md" "$tmp/stale.md" &&
	cp "$tmp/stale.md" "$tmp/fixed.md" &&
	sh "$top/tools/errors.sh" docs "$top/lib/errors.txt" "$tmp/fixed.md" "$tmp/stale.7" &&
	cmp -s "$top/README.md" "$tmp/fixed.md"
}
check "make docs puts a hand-edited meaning back" broken_doc
