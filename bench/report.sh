#!/bin/bash
# After a `make bench` or `make bench-smp` VM run: take the CSV the guest
# printed between markers, write it out, print the medians as one table per
# placement, plot them with gnuplot (SVG), print the ratio lines, and then,
# if the run had bulk rows (kipc-bench -B: more than 512 bytes), their
# table, their plot (BULK.svg; by default OUT.svg's directory, "latency"
# in its name replaced by "bulk") and the bulk target lines.
#
#   bench/report.sh VM-LOG OUT.csv OUT.svg [BULK.svg]
set -euo pipefail
usage="usage: bench/report.sh VM-LOG OUT.csv OUT.svg [BULK.svg]"
log=${1:?$usage}
csv=${2:?$usage}
svg=${3:?$usage}
bsvg=${4:-$(dirname "$svg")/$(basename "$svg" | sed 's/^latency/bulk/; t; s/^/bulk-/')}

mkdir -p "$(dirname "$csv")" "$(dirname "$svg")"
sed -n '/^=== KIPC-BENCH-CSV-BEGIN/,/^=== KIPC-BENCH-CSV-END/p' "$log" |
	grep -v '^===' | grep -a ',' > "$csv.tmp" || true
if ! head -n 1 "$csv.tmp" | grep -q '^mechanism,bytes,cpus,'; then
	rm -f "$csv.tmp"
	echo "bench/report.sh: no results in $log" >&2
	exit 1
fi
mv "$csv.tmp" "$csv"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
# The latency rows (payloads up to 512 bytes, and perf's) and the bulk rows
# (kipc-bench -B: more than 512 bytes each way) are reported apart.
lcsv=$dir/latency.csv
bcsv=$dir/bulk.csv
awk -F, 'NR == 1 || $2 <= 512' "$csv" > "$lcsv"
awk -F, 'NR == 1 || $2 > 512' "$csv" > "$bcsv"
# How the guest ran: "=== kipc-bench (1 CPUs, clocksource tsc, icount shift=1)".
how=$(sed -n 's/^=== kipc-bench (\(.*\))$/\1/p' "$log" | head -n 1)

# One table per placement: mechanisms down, payload sizes across, then the
# CPU time per round trip (client + server) at the smallest size.  perf's
# row (a 4-byte int, mean only) goes in the first column.  Then the CPU
# time at that size on one CPU against two.  A CSV from before the CPU time
# column (8th) shows none.
awk -F, -v how="$how" '
function us(ns) {
	ns /= 1000
	return sprintf(ns < 100 ? "%.2f" : ns < 1000 ? "%.1f" : "%.0f", ns)
}
NR == 1 { next }
{
	m = $1; b = $2; c = $3
	if (!(m in seen)) { seen[m] = 1; order[++nm] = m }
	if (!(c in cseen)) { cseen[c] = 1; cpus[++nc] = c }
	if (m == "perf_sched_pipe") {
		perf[c] = us($6) " mean"
		next
	}
	if (!(b in bseen)) { bseen[b] = 1; sizes[++ns] = b }
	v[m, c, b] = us($4) " (" us($5) ")"
	if ($8 != "")
		cpu[m, c, b] = $8
}
END {
	for (i = 1; i <= ns; i++)
		for (j = i + 1; j <= ns; j++)
			if (sizes[j] + 0 < sizes[i] + 0) { t = sizes[i]; sizes[i] = sizes[j]; sizes[j] = t }
	s0 = sizes[1]
	print ""
	print "== round trip in us: median (p99); cpu: CPU time (user + system) of client"
	print "   and server per round trip at " s0 " B" (how != "" ? "; " how : "")
	for (k = 1; k <= nc; k++) {
		c = cpus[k]
		print ""
		if (c == 1)
			print "-- one CPU: client and server on CPU 0"
		else
			print "-- two CPUs: client on CPU 0, server on CPU 1"
		printf "%-16s", "mechanism"
		for (i = 1; i <= ns; i++)
			printf " %16s", sizes[i] " B"
		printf " %8s\n", "cpu"
		for (o = 1; o <= nm; o++) {
			m = order[o]
			if (m == "perf_sched_pipe") {
				if (c in perf)
					printf "%-16s %16s\n", m, perf[c]
				continue
			}
			line = ""
			for (i = 1; i <= ns; i++)
				line = line sprintf(" %16s", ((m, c, sizes[i]) in v) ? v[m, c, sizes[i]] : "")
			# a row without payload has its one figure (and CPU time) at 0 B
			sz = ((m, c, s0) in cpu) ? s0 : 0
			line = line sprintf(" %8s", ((m, c, sz) in cpu) ? us(cpu[m, c, sz]) : "")
			sub(/ +$/, "", line)
			if (line ~ /[0-9]/)
				printf "%-16s%s\n", m, line
		}
	}
	# The CPU time on one CPU against two (bench-smp; the issue asks for
	# kipc_call at 2 CPUs <= 1.2 x 1 CPU).
	n2 = 0
	for (o = 1; o <= nm; o++)
		if ((order[o], 1, s0) in cpu && (order[o], 2, s0) in cpu)
			n2++
	if (n2) {
		print ""
		print "== CPU time per round trip at " s0 " B, client + server, us"
		printf "%-16s %10s %10s %10s\n", "mechanism", "1 CPU", "2 CPUs", "2/1"
		for (o = 1; o <= nm; o++) {
			m = order[o]
			if (!((m, 1, s0) in cpu && (m, 2, s0) in cpu))
				continue
			printf "%-16s %10s %10s %10s\n", m, us(cpu[m, 1, s0]), us(cpu[m, 2, s0]),
				(cpu[m, 1, s0] > 0 ? sprintf("%.2f", cpu[m, 2, s0] / cpu[m, 1, s0]) : "-")
		}
	}
	print ""
	print "sched_yield, null_syscall, null_ioctl and kipc_recv_eagain carry no payload;"
	print "perf_sched_pipe moves a 4-byte"
	print "int each way and reports only its mean (its 2-CPU row: both CPUs allowed, the"
	print "scheduler places its two processes)."
}' "$lcsv"

# The plot: median by payload, one line per mechanism; the rows without a
# payload (the floor, the null system call, perf's pipe) as dashed levels.
plot() {
	local c n=0
	for c in $(awk -F, 'NR > 1 { print $3 }' "$lcsv" | sort -u); do
		n=$((n + 1))
		awk -F, -v c="$c" -v dir="$dir" '
		NR == 1 { next }
		!($1 in gidx) { gidx[$1] = ++ng }	# one colour per mechanism in all panels
		$3 != c { next }
		$1 == "sched_yield" || $1 == "null_syscall" || $1 == "null_ioctl" ||
		$1 == "kipc_recv_eagain" || $1 == "perf_sched_pipe" {
			lvl[$1] = ($4 != "" ? $4 : $6) / 1000
			if (!($1 in lseen)) { lseen[$1] = 1; lorder[++nl] = $1 }
			next
		}
		{
			if (!($1 in seen)) { seen[$1] = 1; order[++nm] = $1 }
			if (!($2 in bseen)) { bseen[$2] = 1; sizes[++ns] = $2 }
			v[$1, $2] = $4 / 1000
		}
		END {
			for (i = 1; i <= ns; i++)
				for (j = i + 1; j <= ns; j++)
					if (sizes[j] + 0 < sizes[i] + 0) { t = sizes[i]; sizes[i] = sizes[j]; sizes[j] = t }
			f = dir "/mech." c
			printf "x" > f
			for (o = 1; o <= nm; o++) printf " %s", order[o] > f
			printf "\n" > f
			for (i = 1; i <= ns; i++) {
				printf "%d", i - 1 > f
				for (o = 1; o <= nm; o++)
					printf " %s", ((order[o], sizes[i]) in v) ? v[order[o], sizes[i]] : "NaN" > f
				printf "\n" > f
			}
			f = dir "/level." c
			printf "x" > f
			for (o = 1; o <= nl; o++) printf " %s", lorder[o] > f
			printf "\n" > f
			for (i = 1; i <= ns; i++) {
				printf "%d", i - 1 > f
				for (o = 1; o <= nl; o++) printf " %s", lvl[lorder[o]] > f
				printf "\n" > f
			}
			xt = ""
			for (i = 1; i <= ns; i++)
				xt = xt (i > 1 ? ", " : "") "\"" sizes[i] "\" " (i - 1)
			print "set xtics (" xt ")" > (dir "/xtics." c)
			print "set xrange [-0.2:" (ns - 1 + 0.2) "]" >> (dir "/xtics." c)
			th = ""
			for (o = 1; o <= nm; o++) th = th " " (order[o] ~ /^kipc/ ? 1 : 0)
			print "thick = \"" th "\"" >> (dir "/xtics." c)
			lt = ""
			for (o = 1; o <= nm; o++) lt = lt " " gidx[order[o]]
			print "lts = \"" lt "\"" >> (dir "/xtics." c)
			lt = ""
			for (o = 1; o <= nl; o++) lt = lt " " gidx[lorder[o]]
			print "llts = \"" lt "\"" >> (dir "/xtics." c)
		}' "$lcsv"
	done
	{
		echo "set terminal svg size $((560 * n)),500 dynamic noenhanced font 'sans,11'"
		# twelve distinguishable colours, so no two rows share one
		i=0
		for col in '#d62728' '#ff7f0e' '#1f77b4' '#2ca02c' '#9467bd' '#8c564b' \
			   '#e377c2' '#17becf' '#bcbd22' '#000000' '#7f7f7f' '#aec7e8'; do
			i=$((i + 1))
			echo "set linetype $i lc rgb '$col' lw 1.2"
		done
		echo "set output '$svg'"
		echo "set datafile missing 'NaN'"
		echo "set logscale y"
		echo "set grid ytics mytics"
		echo "set key outside bottom center horizontal maxrows 4 font 'sans,9'"
		echo "set xlabel 'payload each way (bytes)'"
		echo "set ylabel 'round trip, median (us)'"
		echo "set multiplot layout 1,$n title 'kipc-bench${how:+: $how}'"
		for c in $(awk -F, 'NR > 1 { print $3 }' "$lcsv" | sort -u); do
			if [ "$c" = 1 ]; then
				echo "set title 'one CPU: client and server on CPU 0'"
			else
				echo "set title 'two CPUs: client on CPU 0, server on CPU 1'"
			fi
			cat "$dir/xtics.$c"
			echo "nm = words(system(\"head -n 1 $dir/mech.$c\")) - 1"
			echo "nl = words(system(\"head -n 1 $dir/level.$c\")) - 1"
			echo "plot for [i=2:nm+1] '$dir/mech.$c' using 1:i with linespoints lt word(lts, i-1)+0 \\"
			echo "         lw (word(thick, i-1) eq '1' ? 2.5 : 1.2) pt 7 ps 0.6 title columnhead(i), \\"
			echo "     for [i=2:nl+1] '$dir/level.$c' using 1:i with lines lt word(llts, i-1)+0 dt 2 lw 1.5 \\"
			echo "         title columnhead(i)"
		done
		echo "unset multiplot"
	} > "$dir/plot.gp"
	gnuplot "$dir/plot.gp"
}
if command -v gnuplot >/dev/null; then
	if plot; then
		echo "wrote $csv and $svg"
	else
		echo "bench/report.sh: gnuplot failed; wrote $csv" >&2
	fi
else
	echo "wrote $csv (no plot: gnuplot missing, apt-get install gnuplot-nox)"
fi

# The ratios of medians at 0 bytes on one CPU.
status=0
awk -F, '
$2 == 0 && $3 == 1 && $4 != "" { med[$1] = $4 }
END {
	bad = 0
	split("pipe sched_yield", den, " ")
	split("pipe floor", lab, " ")
	for (i = 1; i <= 2; i++) {
		if (("kipc_call" in med) && med[den[i]] > 0)
			printf "kipc_call/%s round-trip ratio: %.2f\n", lab[i], med["kipc_call"] / med[den[i]]
		else {
			printf "kipc_call/%s round-trip ratio: n/a (no 0-byte 1-CPU rows)\n", lab[i]
			bad = 1
		}
	}
	# What kipc adds to entering it, without a partner.
	if (("kipc_recv_eagain" in med) && med["null_ioctl"] > 0)
		printf "kipc_recv_eagain/null_ioctl ratio: %.2f\n", med["kipc_recv_eagain"] / med["null_ioctl"]
	# One-way messages each way: four entries, and two (send_recv).
	if (med["sched_yield"] > 0) {
		if ("kipc_send" in med)
			printf "kipc_send/floor round-trip ratio: %.2f\n", med["kipc_send"] / med["sched_yield"]
		if ("kipc_send_recv" in med)
			printf "kipc_send_recv/floor round-trip ratio: %.2f\n", med["kipc_send_recv"] / med["sched_yield"]
	}
	exit bad
}' "$lcsv" || status=$?

# The bulk rows (kipc-bench -B), if any: a table of medians and throughputs
# per placement, the plot, the target lines.
[ "$(wc -l < "$bcsv")" -gt 1 ] || exit "$status"

# Sizes as people write them; throughput in decimal units.
awkfn='
function size(b) {
	if (b % 1073741824 == 0)
		return b / 1073741824 " GiB"
	if (b % 1048576 == 0)
		return b / 1048576 " MiB"
	return b % 1024 == 0 ? b / 1024 " KiB" : b " B"
}
function tput(bps) {
	return bps >= 1e9 ? sprintf("%.2f GB/s", bps / 1e9) : sprintf("%.0f MB/s", bps / 1e6)
}
function dur(ns) {
	if (ns >= 1e6)
		return sprintf(ns >= 1e7 ? "%.1f ms" : "%.2f ms", ns / 1e6)
	return sprintf(ns >= 1e5 ? "%.0f us" : "%.1f us", ns / 1e3)
}
# Bytes per second of a row: a request and an answer of $2 bytes per round
# trip; process_vm_read1 moves its $2 bytes once.
function bps(m, b, med) {
	return (m == "process_vm_read1" ? 1 : 2) * b * 1e9 / med
}'
echo
echo "== bulk: a request of BYTES and an answer of BYTES; median round trip and"
echo "   throughput 2 x BYTES / median (MB/s, GB/s: 10^6, 10^9 bytes per second)"
awk -F, "$awkfn"'
NR == 1 { next }
{
	m = $1; b = $2; c = $3
	if (!(m in seen)) { seen[m] = 1; order[++nm] = m }
	if (!(c in cseen)) { cseen[c] = 1; cpus[++nc] = c }
	if (!(b in bseen)) { bseen[b] = 1; sizes[++ns] = b }
	v[m, c, b] = dur($4) " " tput(bps(m, b, $4))
}
END {
	for (i = 1; i <= ns; i++)
		for (j = i + 1; j <= ns; j++)
			if (sizes[j] + 0 < sizes[i] + 0) { t = sizes[i]; sizes[i] = sizes[j]; sizes[j] = t }
	for (k = 1; k <= nc; k++) {
		c = cpus[k]
		print ""
		if (c == 1)
			print "-- one CPU: client and server on CPU 0"
		else
			print "-- two CPUs: client on CPU 0, server on CPU 1"
		printf "%-17s", "mechanism"
		for (i = 1; i <= ns; i++)
			printf " %19s", size(sizes[i])
		printf "\n"
		for (o = 1; o <= nm; o++) {
			m = order[o]
			line = ""
			for (i = 1; i <= ns; i++)
				line = line sprintf(" %19s", ((m, c, sizes[i]) in v) ? v[m, c, sizes[i]] : "")
			sub(/ +$/, "", line)
			if (line != "")
				printf "%-17s%s\n", m, line
		}
	}
	print ""
	print "process_vm_read1 is one process_vm_readv of BYTES (no answer): BYTES / median."
}' "$bcsv"

# The plot: throughput against size, log-log, one line per mechanism (the
# one-way process_vm_read1 left out), one panel per placement.
bulk_plot() {
	local c n=0
	for c in $(awk -F, 'NR > 1 { print $3 }' "$bcsv" | sort -u); do
		n=$((n + 1))
		awk -F, -v c="$c" -v dir="$dir" '
		NR == 1 || $1 == "process_vm_read1" { next }
		!($1 in gidx) { gidx[$1] = ++ng }	# one colour per mechanism in all panels
		$3 != c { next }
		{
			if (!($1 in seen)) { seen[$1] = 1; order[++nm] = $1 }
			if (!($2 in bseen)) { bseen[$2] = 1; sizes[++ns] = $2 }
			v[$1, $2] = 2 * $2 * 1e9 / $4
		}
		END {
			for (i = 1; i <= ns; i++)
				for (j = i + 1; j <= ns; j++)
					if (sizes[j] + 0 < sizes[i] + 0) { t = sizes[i]; sizes[i] = sizes[j]; sizes[j] = t }
			f = dir "/bulk." c
			printf "bytes" > f
			for (o = 1; o <= nm; o++) printf " %s", order[o] > f
			printf "\n" > f
			for (i = 1; i <= ns; i++) {
				printf "%s", sizes[i] > f
				for (o = 1; o <= nm; o++)
					printf " %s", ((order[o], sizes[i]) in v) ? v[order[o], sizes[i]] : "NaN" > f
				printf "\n" > f
			}
			th = lt = ""
			for (o = 1; o <= nm; o++) {
				th = th " " (order[o] ~ /^kipc/ ? 1 : 0)
				lt = lt " " gidx[order[o]]
			}
			f = dir "/bulkvars." c
			print "thick = \"" th "\"" > f
			print "lts = \"" lt "\"" > f
			xt = ""
			for (i = 1; i <= ns; i++) {
				b = sizes[i]
				l = b % 1048576 == 0 ? b / 1048576 " MiB" : b % 1024 == 0 ? b / 1024 " KiB" : b
				xt = xt (i > 1 ? ", " : "") "\"" l "\" " b
			}
			print "set xtics (" xt ")" > f
			print "set xrange [" sizes[1] / 1.5 ":" sizes[ns] * 1.5 "]" > f
		}' "$bcsv"
	done
	{
		echo "set terminal svg size $((560 * n)),500 dynamic noenhanced font 'sans,11'"
		i=0
		for col in '#d62728' '#ff7f0e' '#1f77b4' '#2ca02c' '#9467bd' '#8c564b' \
			   '#e377c2' '#17becf' '#bcbd22' '#000000' '#7f7f7f' '#aec7e8'; do
			i=$((i + 1))
			echo "set linetype $i lc rgb '$col' lw 1.2"
		done
		echo "set output '$bsvg'"
		echo "set datafile missing 'NaN'"
		echo "set logscale xy"
		echo "set format y '%.0s %cB/s'"
		echo "set grid xtics ytics mytics"
		echo "set key outside bottom center horizontal maxrows 4 font 'sans,9'"
		echo "set xlabel 'request = answer (bytes)'"
		echo "set ylabel 'throughput: 2 x bytes / median round trip'"
		echo "set multiplot layout 1,$n title 'kipc-bench -B${how:+: $how}'"
		for c in $(awk -F, 'NR > 1 { print $3 }' "$bcsv" | sort -u); do
			if [ "$c" = 1 ]; then
				echo "set title 'one CPU: client and server on CPU 0'"
			else
				echo "set title 'two CPUs: client on CPU 0, server on CPU 1'"
			fi
			cat "$dir/bulkvars.$c"
			echo "nm = words(system(\"head -n 1 $dir/bulk.$c\")) - 1"
			echo "plot for [i=2:nm+1] '$dir/bulk.$c' using 1:i with linespoints lt word(lts, i-1)+0 \\"
			echo "         lw (word(thick, i-1) eq '1' ? 2.5 : 1.2) pt 7 ps 0.6 title columnhead(i)"
		done
		echo "unset multiplot"
	} > "$dir/bulk.gp"
	gnuplot "$dir/bulk.gp"
}
if command -v gnuplot >/dev/null; then
	if bulk_plot; then
		echo "wrote $bsvg"
	else
		echo "bench/report.sh: gnuplot failed on $bsvg" >&2
	fi
fi

# The targets of the bulk data issue, one CPU, medians (bench/README.md,
# "Bulk data"):
#  1. kipc_window at 1 MiB <= 1.2 x (2 x process_vm_read1 at 1 MiB +
#     kipc_call at 0 B): a kipc_window round trip makes one call and two
#     copies of 1 MiB (the request out of the client, the answer into it);
#     the issue's bound is per 1 MiB copied: one process_vm_readv of 1 MiB
#     plus an empty kipc_call, the call counted once;
#  2. at 64 KiB and above, kipc_window's throughput >= 2 x pipe's;
#  3. at 4 KiB, kipc_window's round trip <= 0.5 x pipe's.
echo
awk -F, "$awkfn"'
function verdict(ok) { return ok ? "met" : "NOT met" }
FNR == 1 { file++; next }
$3 != 1 || $4 == "" { next }
file == 1 && $2 == 0 { call0[$1] = $4; next }
file == 2 { med[$1, $2] = $4; sz[$2] = 1 }
END {
	mib = 1048576
	if (("kipc_window", mib) in med && ("process_vm_read1", mib) in med && ("kipc_call" in call0)) {
		w = med["kipc_window", mib]; r = med["process_vm_read1", mib]; k = call0["kipc_call"]
		lim = 1.2 * (2 * r + k)
		printf "bulk target 1 MiB kipc_window <= 1.2 x (2 x process_vm_read1 + kipc_call 0 B): measured %.2f us (target <= %.2f us = 1.2 x (2 x %.2f + %.2f)): %s\n",
			w / 1e3, lim / 1e3, r / 1e3, k / 1e3, verdict(w <= lim)
	} else
		print "bulk target 1 MiB kipc_window <= 1.2 x (2 x process_vm_read1 + kipc_call 0 B): n/a (rows missing)"
	if (("kipc_window", mib) in med && ("process_vm", mib) in med)
		printf "bulk 1 MiB kipc_window/process_vm (the same round trip, process_vm_readv and _writev for the window copies): %.2f\n",
			med["kipc_window", mib] / med["process_vm", mib]
	n = 0
	for (b in sz)
		if (b + 0 >= 65536)
			big[++n] = b + 0
	for (i = 1; i <= n; i++)
		for (j = i + 1; j <= n; j++)
			if (big[j] < big[i]) { t = big[i]; big[i] = big[j]; big[j] = t }
	shown = 0
	for (i = 1; i <= n; i++) {
		b = big[i]
		if (!(("kipc_window", b) in med && ("pipe", b) in med))
			continue
		shown++
		w = bps("kipc_window", b, med["kipc_window", b]); p = bps("pipe", b, med["pipe", b])
		printf "bulk target %s kipc_window throughput >= 2 x pipe: measured %s = %.2f x pipe (target >= %s = 2 x %s): %s\n",
			size(b), tput(w), w / p, tput(2 * p), tput(p), verdict(w >= 2 * p)
	}
	if (!shown)
		print "bulk target kipc_window throughput >= 2 x pipe at 64 KiB and above: n/a (rows missing)"
	if (("kipc_window", 4096) in med && ("pipe", 4096) in med) {
		w = med["kipc_window", 4096]; p = med["pipe", 4096]
		printf "bulk target 4 KiB kipc_window round trip <= 0.5 x pipe: measured %.2f us = %.2f x pipe (target <= %.2f us = 0.5 x %.2f): %s\n",
			w / 1e3, w / p, p / 2e3, p / 1e3, verdict(w <= p / 2)
	} else
		print "bulk target 4 KiB kipc_window round trip <= 0.5 x pipe: n/a (rows missing)"
}' "$lcsv" "$bcsv"
exit "$status"
