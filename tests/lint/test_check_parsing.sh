#!/usr/bin/env bash
# scripts/check_parsing.sh (run by make lint) on small trees made here: a
# clean tree passes; a gnuplot strstrt, a Python re.<function>( or
# split("/"), and --list piped into a parser are each caught and named; a
# "parse-ok:" comment on the line or the line above explains one away; and
# scripts/parse_pending.txt allows exactly the hits it counts, no more and no
# fewer, for files that exist.
set -u
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=tests/testlib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../testlib.sh"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/plots" "$tmp/scripts"
check() { PARBENCH_LINT_ROOT=$tmp scripts/check_parsing.sh 2>&1; }
put() { printf '%b' "$2" >"$tmp/$1"; }

put plots/a.gp "plot 'data' using 1:2\n"
put scripts/a.py "import csv\nrows = list(csv.reader(open('cases.csv')))\n"
put scripts/a.sh "#!/bin/sh\nbench/parbench --list >/dev/null || exit 1\n"
if out=$(check); then ok "a clean tree passes"; else bad "clean tree" "$out"; fi

expect_hit() { # expect_hit WHAT FILE TEXT LINE
	put "$2" "$3"
	if out=$(check); then
		bad "$1" "passed: $out"
	elif echo "$out" | grep -q "^$2:$4: parses a name"; then
		ok "$1 is caught at $2:$4"
	else bad "$1" "$out"; fi
	put "$2" "\n"
}
expect_hit "a gnuplot strstrt" plots/b.gp "x = 1\nm = strstrt(name, 'procs')\n" 2
expect_hit "a Python re.match" scripts/b.py "import re\nre.match(r'w:(\\\\d+)', name)\n" 2
expect_hit "a split(\"/\")" scripts/b.py "parts = name.split(\"/\")\n" 1
expect_hit "--list piped into a parser" scripts/b.sh "#!/bin/sh\nparbench --list | awk '{print \$1}'\n" 2

put plots/b.gp "# parse-ok: a lookup in a word list this file built\nhas(k) = strstrt(list, k) > 0\n"
put scripts/b.py "n = re.sub('x', '_', s)  # parse-ok: a machine name made safe for a path\n"
if out=$(check); then ok "a parse-ok comment explains a hit"; else bad "parse-ok" "$out"; fi

put plots/b.gp "m = strstrt(name, 'a')\nn = strstrt(name, 'b')\n"
put scripts/parse_pending.txt "# comment\nplots/b.gp 2\n"
if out=$(check); then ok "parse_pending.txt allows the hits it counts"; else bad "pending" "$out"; fi
put scripts/parse_pending.txt "plots/b.gp 3\n"
if out=$(check) || ! echo "$out" | grep -q "plots/b.gp has 2 such line(s), not 3"; then
	bad "a count too large" "$out"
else ok "a count larger than the hits is refused (the list only shrinks)"; fi
put scripts/parse_pending.txt "plots/b.gp 1\n"
if out=$(check) || ! echo "$out" | grep -q "^plots/b.gp:2: parses"; then
	bad "a count too small" "$out"
else ok "a hit beyond the count fails"; fi
put scripts/parse_pending.txt "plots/b.gp 2\nplots/gone.gp 1\n"
if out=$(check) || ! echo "$out" | grep -q "plots/gone.gp does not exist"; then
	bad "a line for a missing file" "$out"
else ok "a line for a file that is gone is refused"; fi
finish
