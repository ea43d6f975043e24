#!/bin/bash
# After a `make profile` VM run: turn the plugin's counts into instructions
# per round trip, per kernel function and per group, for every profiled
# mechanism side by side (bench/README.md, "Where the instructions go").
#
#   bench/prof/report.sh VM-LOG COUNTS SYMBOLS KIPC.KO [PROGRAM] > profile.txt
#
# VM-LOG   the serial console: which interval is which mechanism and length
#          ("=== KIPC-PROF interval K mechanism M round-trips N"), and
#          kipc-bench's own rows (the icount cross-check)
# COUNTS   the plugin's output (bench/prof/kipc-prof.c): per interval,
#          executions per guest instruction address
# SYMBOLS  what the guest wrote to its second serial port: its
#          /proc/kallsyms text symbols, kipc.ko's section addresses
# KIPC.KO  the module that ran, for addr2line (its own inlined functions)
# PROGRAM  optional: the (static, not position-independent) kipc-bench that
#          ran, whose symbols name the user-space addresses
#
# Per mechanism: (count at N2 - count at N1) / (N2 - N1), so boot, setup,
# the warm-up and the edges of the intervals cancel.  An address is
# attributed to the nearest symbol at or below it: the kernel's, or for
# user addresses (below 0xffff800000000000) PROGRAM's ("NAME [user]"), or
# "[vdso]" from 0x7f0000000000 up (a static program maps nothing else
# there but its stack), or "[user]" if no PROGRAM is given.
#
# PROF_MIN (default 2): functions below this many instructions per round
# trip in every column are summed into one line per group.
set -euo pipefail
log=${1:?usage: bench/prof/report.sh VM-LOG COUNTS SYMBOLS KIPC.KO}
counts=${2:?usage: bench/prof/report.sh VM-LOG COUNTS SYMBOLS KIPC.KO}
syms=${3:?usage: bench/prof/report.sh VM-LOG COUNTS SYMBOLS KIPC.KO}
ko=${4:?usage: bench/prof/report.sh VM-LOG COUNTS SYMBOLS KIPC.KO}
prog=${5:-}
min=${PROF_MIN:-2}
die() { echo "bench/prof/report.sh: $*" >&2; exit 1; }
export LC_ALL=C

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Which interval is which: "K MECH N", in the order the guest ran them.
tr -d '\r' < "$log" |
	sed -n 's/^=== KIPC-PROF interval \([0-9]*\) mechanism \([^ ]*\) round-trips \([0-9]*\)$/\1 \2 \3/p' \
	> "$tmp/labels"
[ -s "$tmp/labels" ] || die "no profiled intervals in $log"
if tr -d '\r' < "$log" | grep -q '^=== KIPC-PROF-FAILED'; then
	die "a profiled run failed (see $log)"
fi
nint=$(grep -c '^# end ' "$counts" || true)
[ "$nint" = "$(wc -l < "$tmp/labels")" ] ||
	die "$counts has $nint intervals, $log names $(wc -l < "$tmp/labels")"
# kipc-bench's mean for each run, in the order of the runs: the cross-check.
tr -d '\r' < "$log" | awk '
/^=== KIPC-PROF interval / { k = $4; m = $6; next }
k && $1 == m && $2 == "0" && $3 == "1" && NF >= 6 { print k, $6; k = 0 }' > "$tmp/means"

# Symbols: "ADDR S NAME MODULE", and kipc.ko's text sections.
tr -d '\r' < "$syms" | awk -v sec="$tmp/sections" '
$2 == "section" && $4 == "[kipc]" {	# "0xADDR section NAME [kipc]"
	a = $1
	sub(/^0x/, "", a)
	while (length(a) < 16)
		a = "0" a
	print a, $3 > sec
	next
}
$2 ~ /^[tTwW]$/ && $1 !~ /^0+$/ && length($1) == 16 {
	mod = NF >= 4 ? $4 : "[vmlinux]"
	gsub(/[][]/, "", mod)
	print $1, "S", $3, mod
}' > "$tmp/syms"
[ -s "$tmp/syms" ] || die "no symbols in $syms"
grep -q ' S kipc_' "$tmp/syms" || die "no kipc.ko symbols in $syms (was the module loaded?)"
if [ -n "$prog" ]; then
	nm --defined-only "$prog" | awk '$2 ~ /^[tTwW]$/ && length($1) == 16 { print $1, "S", $3, "user" }' \
		>> "$tmp/syms"
fi

# Counts: "ADDR P INTERVAL COUNT"; then one sweep over symbols and counts
# in address order gives each address its function.
awk '/^# interval / { k = $3; next } /^#/ { next } { print $1, "P", k, $2 }' "$counts" > "$tmp/pcs"
sort -k1,1 -k2,2r "$tmp/syms" "$tmp/pcs" | awk -v kp="$tmp/kipc-pcs" '
$2 == "S" { fn = $3; mod = $4; start = $1; next }
{
	if (substr($1, 1, 4) != "ffff")
		f = $1 >= "00007f0000000000" ? "[vdso]" : (mod == "user" ? fn "@user" : "[user]")
	else if (fn == "" || mod == "user")
		f = "[unknown]"
	else
		f = fn
	sum[$3, f] += $4
	if ($1 == start)	# the first instruction: calls (unless a loop returns there)
		calls[$3, f] += $4
	if (!(f in where))
		where[f] = substr($1, 1, 4) != "ffff" ? "user" : (fn == "" || mod == "user" ? "?" : mod)
	if (mod == "kipc" && substr($1, 1, 4) == "ffff")
		print $1, $3, $4 > kp
}
END {
	for (kf in sum) {
		split(kf, a, SUBSEP)
		print a[1], a[2], where[a[2]], sum[kf], calls[kf] + 0
	}
}' > "$tmp/funcs"	# "INTERVAL FUNCTION MODULE COUNT CALLS"
touch "$tmp/kipc-pcs"

# kipc.ko's own functions, inlined ones included: the innermost function of
# kipc's source (module/) that each address belongs to, by addr2line.
# Address -> section + offset with kipc.ko's section addresses (offsets
# are small: the low 32 bits are enough, and exact in any awk).
: > "$tmp/inl"
if [ -s "$tmp/kipc-pcs" ] && [ -s "$tmp/sections" ] && command -v addr2line >/dev/null; then
	awk -v secf="$tmp/sections" '
	function hex(s,   i, v) {
		v = 0
		s = tolower(substr(s, length(s) - 7))
		for (i = 1; i <= length(s); i++)
			v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
		return v
	}
	BEGIN {
		while ((getline line < secf) > 0) {
			split(line, a, " ")
			ns++; sa[ns] = a[1]; sn[ns] = a[2]
		}
	}
	{
		best = 0
		for (i = 1; i <= ns; i++)
			if (sa[i] <= $1 && (!best || sa[i] > sa[best]))
				best = i
		if (!best)
			next
		off = hex($1) - hex(sa[best])
		if (off < 0)
			off += 4294967296
		printf "%s %s 0x%x %s %s\n", $1, sn[best], off, $2, $3
	}' "$tmp/kipc-pcs" > "$tmp/kipc-off"	# ADDR SECTION OFFSET INTERVAL COUNT
	for s in $(awk '{ print $2 }' "$tmp/kipc-off" | sort -u); do
		awk -v s="$s" '$2 == s { print $3 }' "$tmp/kipc-off" | sort -u > "$tmp/offs"
		# -a: the address heads each group of (function, file:line) pairs,
		# innermost inlined function first.
		addr2line -a -f -i -j "$s" -e "$ko" < "$tmp/offs" | awk -v s="$s" '
		/^0x[0-9a-f]+$/ { flush(); a = $1; sub(/^0x0*/, "", a); a = "0x" (a == "" ? "0" : a); fn = ""; odd = 0; next }
		{
			odd = !odd
			if (odd) { cur = $0; next }
			if (fn == "" && $0 ~ /(^|\/)module\//)
				fn = cur
			last = cur	# the outermost so far
		}
		function flush() { if (a != "") print s, a, (fn == "" ? last : fn) }
		END { flush() }'
	done > "$tmp/a2l"	# SECTION OFFSET FUNCTION
	awk 'NR == FNR { fn[$1, $2] = $3; next }
	     { f = (($2, $3) in fn) ? fn[$2, $3] : "?"; sum[$4, f] += $5 }
	     END { for (k in sum) { split(k, a, SUBSEP); print a[1], a[2], sum[k] } }' \
		"$tmp/a2l" "$tmp/kipc-off" > "$tmp/inl"	# INTERVAL FUNCTION COUNT
fi

# The functions kipc.ko calls in the kernel (its undefined symbols), and
# map_id_up, which from_kuid_munged()/from_kgid_munged() call to do the
# work.
{ nm -u "$ko" | awk '{ print $2 }'; echo map_id_up; } > "$tmp/imports"

# The tables.
awk -v min="$min" -v labels="$tmp/labels" -v means="$tmp/means" -v inlf="$tmp/inl" \
    -v ko="$ko" -v imports="$tmp/imports" '
# The groups, by function name, first match wins (the table by function
# shows the group of each function, so a misfiled one shows):
# - syscall entry and exit, with the work done on the way back to user
#   space (rseq, FPU state restore), paid by every system call;
# - the ioctl path proper: the ioctl system call, the fd lookup, VFS, the
#   LSM hooks (TOMOYO, BPF LSM);
# - copies from and to user memory (the ioctl argument; rseq in the floor);
# - kipc.ko itself;
# - the scheduler and the context switch (kernel/sched/, switch_to, the
#   mm switch, the clock it reads);
# - other kernel functions that kipc.ko calls (its imports), whoever calls
#   them: locks, RCU, list checks, credentials;
# - everything else (interrupts, timers, ...); user space.
function group(f, mod) {
	if (mod == "user") return "user space"
	if (mod == "kipc") return "kipc.ko"
	if (f ~ /^(entry_SYSCALL|entry_SYSRETQ|syscall_return_via_sysret|do_syscall_64|x64_sys_call|syscall_enter_from_user_mode|syscall_exit_to_user_mode|exit_to_user_mode|syscall_trace_enter|amd_clear_divider|fpregs_assert_state_consistent|switch_fpu_return|restore_fpregs_from_fpstate|__rseq_handle_notify_resume|rseq_|mem_cgroup_handle_over_high|blkcg_maybe_throttle_current)/)
		return "syscall entry/exit"
	if (f ~ /^(__x64_sys_ioctl|__se_sys_ioctl|__do_sys_ioctl|do_vfs_ioctl|vfs_ioctl|__fdget|__fget|fdget|fput|__fput|security_file_ioctl|tomoyo_|apparmor_|selinux_|bpf_lsm_|landlock_)/)
		return "ioctl: fd, VFS, LSM"
	if (f ~ /^(_copy_from_user|_copy_to_user|copy_user_|__copy_user|rep_movs_alternative|__check_object_size|check_stack_object|__get_user_|__put_user_)/)
		return "user copies"
	if (f ~ /^((__)?schedule|(do_|__)?sched_|__x64_sys_sched_yield|yield|native_sched_clock|(__)?switch_to|switch_mm|switch_ldt|load_new_mm_cr3|cr4_update_irqsoff|invalidate_user_asid|native_load_(gs_index|tls)|asm_load_gs_index|save_fpregs_to_fpstate|(prepare|finish)_task_switch|context_switch|raw_spin_rq_|update_curr|update_min_vruntime|update_rq_clock|(__)?update_load_avg|update_cfs|update_blocked|(__)?pick_next|pick_|put_prev|set_next|check_preempt|check_spread|check_cfs_rq_runtime|clear_buddies|resched_curr|__calc_delta|place_entity|reweight|(__)?enqueue|(__)?dequeue|ttwu|try_to_wake_up|wake_up_process|wake_up_q|psi_|cpuacct_|rcu_note_context_switch|hrtick|select_task_rq|select_idle|account_|single_task_running|task_tick|__cgroup_account)/)
		return "scheduler, switch"
	if (f in imported) return "kernel calls of kipc"
	return "other"
}
function fmt(v) { return sprintf("%.1f", v) }
BEGIN {
	while ((getline line < imports) > 0)
		imported[line] = 1
	while ((getline line < labels) > 0) {
		split(line, a, " ")
		k = a[1]; m = a[2]; n = a[3]
		if (!(m in seen)) { seen[m] = 1; mech[++nm] = m }
		if (!((m, 1) in ki)) { ki[m, 1] = k; kn[m, 1] = n }
		else { ki[m, 2] = k; kn[m, 2] = n }
	}
	while ((getline line < means) > 0) {
		split(line, a, " ")
		mean[a[1]] = a[2]
	}
	for (i = 1; i <= nm; i++) {
		m = mech[i]
		if (!((m, 2) in ki)) {
			print "bench/prof/report.sh: " m " has one run, need two" > "/dev/stderr"
			exit 1
		}
		if (kn[m, 2] + 0 < kn[m, 1] + 0) {
			t = ki[m, 1]; ki[m, 1] = ki[m, 2]; ki[m, 2] = t
			t = kn[m, 1]; kn[m, 1] = kn[m, 2]; kn[m, 2] = t
		}
		d[m] = kn[m, 2] - kn[m, 1]
		kof[ki[m, 1]] = m; kof[ki[m, 2]] = m
		sgn[ki[m, 1]] = -1; sgn[ki[m, 2]] = 1
		if (mech[i] == "sched_yield") floor = m
		else if (subj == "") subj = m
	}
	while ((getline line < inlf) > 0) {
		split(line, a, " ")
		if (a[1] in kof) {
			m = kof[a[1]]
			inl[m, a[2]] += sgn[a[1]] * a[3] / d[m]
			if (!(a[2] in iseen)) { iseen[a[2]] = 1; ifn[++ni] = a[2] }
		}
	}
}
{	# INTERVAL FUNCTION MODULE COUNT CALLS
	if (!($1 in kof))
		next
	m = kof[$1]
	f = $2
	if (!(f in fseen)) { fseen[f] = 1; fn[++nf] = f; grp[f] = group(f, $3); fmod[f] = $3 }
	v[m, f] += sgn[$1] * $4 / d[m]
	c[m, f] += sgn[$1] * $5 / d[m]
	raw[$1] += $4
}
END {
	printf "Instructions per round trip under icount (QEMU TCG plugin bench/prof/kipc-prof.c),\n"
	printf "0-byte payload, client and server on one CPU; each column is\n"
	printf "(count at N2 - count at N1) / (N2 - N1) round trips:\n"
	for (i = 1; i <= nm; i++)
		printf "  %-14s N1 = %d, N2 = %d\n", mech[i], kn[mech[i], 1], kn[mech[i], 2]
	printf "\n"
	hdr = sprintf("%-34s %-22s", "function", "group")
	for (i = 1; i <= nm; i++)
		hdr = hdr sprintf(" %12s", mech[i])
	if (subj != "" && floor != "")
		hdr = hdr sprintf(" %12s", subj "-floor")
	hdr = hdr sprintf(" %9s", "calls")

	# Totals and the check against the clock: the mean round trip of the
	# N2 run, at 2 ns per instruction, includes the N2 run edges.
	for (i = 1; i <= nm; i++) {
		m = mech[i]
		for (j = 1; j <= nf; j++) {
			tot[m] += v[m, fn[j]]
			gt[m, grp[fn[j]]] += v[m, fn[j]]
		}
	}
	ng = split("syscall entry/exit|ioctl: fd, VFS, LSM|user copies|kipc.ko|kernel calls of kipc|scheduler, switch|other|user space", gl, "|")
	printf "== by group\n"
	printf "%-34s", "group"
	for (i = 1; i <= nm; i++) printf " %12s", mech[i]
	if (subj != "" && floor != "") printf " %12s", subj "-floor"
	printf "\n"
	for (g = 1; g <= ng; g++) {
		printf "%-34s", gl[g]
		for (i = 1; i <= nm; i++) printf " %12s", fmt(gt[mech[i], gl[g]])
		if (subj != "" && floor != "") printf " %12s", fmt(gt[subj, gl[g]] - gt[floor, gl[g]])
		printf "\n"
	}
	printf "%-34s", "total"
	for (i = 1; i <= nm; i++) printf " %12s", fmt(tot[mech[i]])
	if (subj != "" && floor != "") printf " %12s", fmt(tot[subj] - tot[floor])
	printf "\n"
	printf "%-34s", "kernel (total less user space)"
	for (i = 1; i <= nm; i++) printf " %12s", fmt(tot[mech[i]] - gt[mech[i], "user space"])
	if (subj != "" && floor != "")
		printf " %12s", fmt(tot[subj] - gt[subj, "user space"] - tot[floor] + gt[floor, "user space"])
	printf "\n"
	printf "%-34s", "check: N2 run, all / N2"
	for (i = 1; i <= nm; i++) printf " %12s", fmt(raw[ki[mech[i], 2]] / kn[mech[i], 2])
	printf "\n"
	printf "%-34s", "check: kipc-bench mean / 2 ns"
	for (i = 1; i <= nm; i++) {
		k = ki[mech[i], 2]
		printf " %12s", (k in mean) ? fmt(mean[k] * 1000 / 2) : "-"
	}
	printf "\n"
	# How often the expensive things happen, per round trip.
	nc = split("__schedule __switch_to_asm yield __x64_sys_sched_yield __x64_sys_ioctl sysvec_apic_timer_interrupt", cf, " ")
	for (j = 1; j <= nc; j++) {
		printf "%-34s", "calls: " cf[j]
		for (i = 1; i <= nm; i++) printf " %12s", sprintf("%.3f", c[mech[i], cf[j]])
		printf "\n"
	}
	printf "\n"

	# Functions: by the first column, largest first, those below min in
	# every column folded into their group.
	cm = subj != "" ? subj : mech[1]
	printf "== by function (below %s in every column: one line per group); calls: how\n", min
	printf "== often %s enters the function per round trip (its first instruction)\n", cm
	print hdr
	for (j = 1; j <= nf; j++) {
		f = fn[j]
		key[j] = v[mech[1], f]
	}
	for (j = 1; j <= nf; j++) order[j] = j
	# insertion sort on key, descending (a few thousand functions at most)
	for (j = 2; j <= nf; j++) {
		t = order[j]
		for (i = j - 1; i >= 1 && key[order[i]] < key[t]; i--)
			order[i + 1] = order[i]
		order[i + 1] = t
	}
	for (jj = 1; jj <= nf; jj++) {
		f = fn[order[jj]]
		big = 0
		for (i = 1; i <= nm; i++)
			if (v[mech[i], f] >= min || v[mech[i], f] <= -min) big = 1
		if (!big) {
			for (i = 1; i <= nm; i++) small[mech[i], grp[f]] += v[mech[i], f]
			nsmall[grp[f]]++
			continue
		}
		name = f (fmod[f] != "vmlinux" && fmod[f] != "user" ? " [" fmod[f] "]" : "")
		sub(/@user$/, " [user]", name)	# a function of PROGRAM (keys have no spaces)
		printf "%-34s %-22s", name, grp[f]
		for (i = 1; i <= nm; i++) printf " %12s", fmt(v[mech[i], f])
		if (subj != "" && floor != "") printf " %12s", fmt(v[subj, f] - v[floor, f])
		printf " %9s\n", sprintf("%.2f", c[cm, f])
	}
	for (g = 1; g <= ng; g++) {
		if (!nsmall[gl[g]]) continue
		printf "%-34s %-22s", "(" nsmall[gl[g]] " more)", gl[g]
		for (i = 1; i <= nm; i++) printf " %12s", fmt(small[mech[i], gl[g]])
		if (subj != "" && floor != "") printf " %12s", fmt(small[subj, gl[g]] - small[floor, gl[g]])
		printf "\n"
	}

	# kipc.ko by its own (mostly inlined) functions.
	if (ni) {
		koname = ko; sub(/.*\//, "", koname)
		printf "\n== kipc.ko by source function, inlined ones included (addr2line -i on %s):\n", koname
		printf "== each address goes to the innermost function of module/ it was inlined from\n"
		for (j = 1; j <= ni; j++) { io[j] = j; ik[j] = 0
			for (i = 1; i <= nm; i++) ik[j] += inl[mech[i], ifn[j]] }
		for (j = 2; j <= ni; j++) {
			t = io[j]
			for (i = j - 1; i >= 1 && ik[io[i]] < ik[t]; i--)
				io[i + 1] = io[i]
			io[i + 1] = t
		}
		# the mechanisms that run kipc.ko at all
		nk = 0
		for (i = 1; i <= nm; i++) {
			t = 0
			for (j = 1; j <= ni; j++) t += inl[mech[i], ifn[j]]
			if (t >= 0.5) { km[++nk] = mech[i]; kt[nk] = t }
		}
		printf "%-34s", "function"
		for (i = 1; i <= nk; i++) printf " %12s", km[i]
		printf "\n"
		for (jj = 1; jj <= ni; jj++) {
			f = ifn[io[jj]]
			big = 0
			for (i = 1; i <= nk; i++)
				if (inl[km[i], f] >= 0.5 || inl[km[i], f] <= -0.5) big = 1
			if (!big) continue
			printf "%-34s", f
			for (i = 1; i <= nk; i++) printf " %12s", fmt(inl[km[i], f])
			printf "\n"
		}
		printf "%-34s", "total (the kipc.ko group)"
		for (i = 1; i <= nk; i++) printf " %12s", fmt(kt[i])
		printf "\n"
	}
}' "$tmp/funcs"
