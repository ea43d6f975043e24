#!/bin/bash
# After a `make bench` or `make bench-smp` VM run: take the CSV the guest
# printed between markers, write it out, print the medians as one table per
# placement, plot them with gnuplot (SVG) and end with the ratio lines.
#
#   bench/report.sh VM-LOG OUT.csv OUT.svg
set -euo pipefail
log=${1:?usage: bench/report.sh VM-LOG OUT.csv OUT.svg}
csv=${2:?usage: bench/report.sh VM-LOG OUT.csv OUT.svg}
svg=${3:?usage: bench/report.sh VM-LOG OUT.csv OUT.svg}

mkdir -p "$(dirname "$csv")" "$(dirname "$svg")"
sed -n '/^=== KIPC-BENCH-CSV-BEGIN/,/^=== KIPC-BENCH-CSV-END/p' "$log" |
	grep -v '^===' | grep -a ',' > "$csv.tmp" || true
if ! head -n 1 "$csv.tmp" | grep -q '^mechanism,bytes,cpus,'; then
	rm -f "$csv.tmp"
	echo "bench/report.sh: no results in $log" >&2
	exit 1
fi
mv "$csv.tmp" "$csv"
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
}' "$csv"

# The plot: median by payload, one line per mechanism; the rows without a
# payload (the floor, the null system call, perf's pipe) as dashed levels.
plot() {
	local c n=0
	for c in $(awk -F, 'NR > 1 { print $3 }' "$csv" | sort -u); do
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
		}' "$csv"
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
		for c in $(awk -F, 'NR > 1 { print $3 }' "$csv" | sort -u); do
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
	dir=$(mktemp -d)
	trap 'rm -rf "$dir"' EXIT
	if plot; then
		echo "wrote $csv and $svg"
	else
		echo "bench/report.sh: gnuplot failed; wrote $csv" >&2
	fi
else
	echo "wrote $csv (no plot: gnuplot missing, apt-get install gnuplot-nox)"
fi

# Last: the ratios of medians at 0 bytes on one CPU.
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
}' "$csv"
