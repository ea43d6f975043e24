#!/bin/bash
# vm/kernel.sh records the debug kernel's release under `make check`, i.e.
# under a parent make whose MAKEFLAGS and MAKELEVEL make a sub-make print
# "Entering directory" lines: what it records must be the release alone
# (a cache once held "make[1]: Entering directory ..." and every later
# lane failed).  A tree whose release is malformed is refused.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/selftests/host/tap.bash"
# A stand-in kernel tree: `make kernelrelease` is all that is asked of it.
mkdir -p "$tmp/tree" "$tmp/bad"
printf 'kernelrelease:\n\t@echo 6.1.192-kipc-debug\n' > "$tmp/tree/Makefile"
printf 'kernelrelease:\n\t@echo "line 440: Entering: command not found"\n' > "$tmp/bad/Makefile"
# The parent make, as `make check` runs vm/kernel.sh from a recipe.
printf 'all:\n\t@"%s/vm/kernel.sh" release "$(TREE)" > "$(OUT)"\n' "$top" > "$tmp/parent.mk"
release_clean() {
	# No -s: a parent make run with -C passes "w" (print directory) down.
	make -C "$tmp" -f "$tmp/parent.mk" TREE="$tmp/tree" OUT="$tmp/rel" >/dev/null &&
	cat "$tmp/rel" && [ "$(cat "$tmp/rel")" = 6.1.192-kipc-debug ]
}
check "release recorded alone under a parent make" release_clean
release_bad() {
	! make -C "$tmp" -f "$tmp/parent.mk" TREE="$tmp/bad" OUT="$tmp/rel2" >/dev/null
}
check "a malformed release is refused" release_bad
