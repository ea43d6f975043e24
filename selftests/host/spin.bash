# Shared by the Promela model tests (model-pi.sh, model-bulk.sh): source it,
# then run_models MODEL.pml NAME CHECK..., each CHECK "EXPECT|DESCRIPTION|DEFINES"
# with EXPECT "clean" (the run must verify with "errors: 0") or the start
# of the assertion a bug variant must violate.  TAP output; skipped
# without spin.
run_models() {
	local model=$1 name=$2 cc tmp n=0 c expect desc defs d ok
	shift 2
	if ! command -v spin >/dev/null 2>&1; then
		echo "ok 1 $name model: spin (Promela) # SKIP spin is not installed (apt-get install spin)"
		return 0
	fi
	cc=$(command -v clang || echo gcc)
	tmp=$(mktemp -d)
	for c in "$@"; do
		IFS='|' read -r expect desc defs <<<"$c"
		n=$((n + 1))
		d=$tmp/$n
		mkdir -p "$d"
		cp "$top/module/$model" "$d/"
		# shellcheck disable=SC2086
		(cd "$d" && spin $defs -a "$model" && "$cc" -O0 -DSAFETY -DMEMLIM=2048 -o pan pan.c &&
		 ./pan -m100000) >"$d/out" 2>&1
		ok=0
		if grep -q 'max search depth too small\|reached -DMEMLIM\|out of memory' "$d/out"; then
			ok=0
		elif [ "$expect" = clean ]; then
			grep -q 'errors: 0$' "$d/out" && ok=1
		else
			grep '^pan:1: ' "$d/out" | grep -qF "pan:1: $expect" && ok=1
		fi
		if [ $ok = 1 ]; then
			echo "ok $n $name model: $desc"
			echo "#   $(awk '/states, stored/ { print $1; exit }' "$d/out") states"
		else
			grep -E 'pan|errors:|rror' "$d/out" | head -n 10 | sed 's/^/# /'
			echo "not ok $n $name model: $desc"
		fi
	done
	rm -rf "$tmp"
}
