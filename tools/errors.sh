#!/bin/sh
# The error table (lib/errors.txt) as C, markdown or roff.
#   tools/errors.sh c    lib/errors.txt  > kipc-errors.h  (kipc_strerror's cases)
#   tools/errors.sh md   lib/errors.txt  (the README's table rows)
#   tools/errors.sh man  lib/errors.txt  (kipc(7)'s list under ERRORS)
#   tools/errors.sh docs lib/errors.txt README.md man/kipc.7
#       rewrites the generated parts of both documents in place: the lines
#       between a line that starts "<!-- errors" (README) or '.\" errors'
#       (kipc.7) and the line "<!-- /errors -->" or '.\" /errors'.
set -eu
mode=$1 table=$2

gen() {
	awk -F '\t' -v mode="$1" '
	/^#/ || NF == 0 { next }
	NF != 3 { printf "errors.txt:%d: 3 tab-separated fields expected\n", NR > "/dev/stderr"; bad = 1; exit 1 }
	mode == "c" {
		s = $2; gsub(/\\/, "\\\\", s); gsub(/"/, "\\\"", s)
		printf "\tcase %s:\n\t\treturn \"%s\";\n", $1, s
	}
	mode == "md" && !head++ { print "| errno | meaning |"; print "|---|---|" }
	mode == "md" {
		m = $3; gsub(/\|/, "\\|", m)
		printf "| `%s` | %s |\n", $1, m
	}
	mode == "man" {
		m = $3
		gsub(/\\/, "\\e", m)
		# `code` in bold, *term* in italics; no line may start with a dot
		while (match(m, /`[^`]*`/))
			m = substr(m, 1, RSTART - 1) "\\fB" substr(m, RSTART + 1, RLENGTH - 2) "\\fP" substr(m, RSTART + RLENGTH)
		while (match(m, /\*[^*]+\*/))
			m = substr(m, 1, RSTART - 1) "\\fI" substr(m, RSTART + 1, RLENGTH - 2) "\\fP" substr(m, RSTART + RLENGTH)
		gsub(/-/, "\\-", m)
		printf ".TP\n.B %s\n%s\n", $1, m
	}' "$table"
}

# replace FILE BEGIN-PREFIX END-LINE MODE
replace() {
	gen "$4" > "$1.errors.tmp"
	BEGIN_MARK=$2 END_MARK=$3 GEN=$1.errors.tmp awk '
	BEGIN { begin = ENVIRON["BEGIN_MARK"]; end = ENVIRON["END_MARK"]; gen = ENVIRON["GEN"] }
	index($0, begin) == 1 { print; while ((getline l < gen) > 0) print l; skip = 1; found++; next }
	$0 == end { skip = 0 }
	!skip { print }
	END { if (found != 1) { print FILENAME ": no single generated errors section" > "/dev/stderr"; exit 1 } }
	' "$1" > "$1.tmp"
	rm -f "$1.errors.tmp"
	mv "$1.tmp" "$1"
}

case $mode in
c)	echo "/* Generated from lib/errors.txt by tools/errors.sh: do not edit. */"
	gen c ;;
md|man)	gen "$mode" ;;
docs)	replace "$3" '<!-- errors' '<!-- /errors -->' md
	replace "$4" '.\" errors' '.\" /errors' man ;;
*)	echo "usage: $0 c|md|man|docs TABLE [README MANPAGE]" >&2; exit 2 ;;
esac
