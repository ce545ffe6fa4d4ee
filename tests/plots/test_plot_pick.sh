#!/usr/bin/env bash
# scripts/plot.sh without RUN_DIR picks the newest FINISHED run: a run still
# being written (raw.csv, no summary.csv yet) is passed over, even when its
# stamp is newer. Runs plot.sh from a copy of the tree with a fake gnuplot
# (nothing is drawn); what it chose is the "plot.sh: run DIR" line.
set -u
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=tests/testlib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../testlib.sh"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/tree/scripts" "$tmp/tree/plots" "$tmp/bin"
cp scripts/plot.sh "$tmp/tree/scripts/"
printf '#!/bin/sh\nexit 0\n' >"$tmp/bin/gnuplot"
chmod +x "$tmp/bin/gnuplot"
run() { # run STAMP [summary]: a run directory, finished when "summary" is given
	local d="$tmp/tree/results/m/$1"
	mkdir -p "$d"
	printf '# machine=m\nmachine,case\nm,x\n' >"$d/raw.csv"
	[ "${2:-}" != summary ] || printf '# machine=m\nmachine,case\nm,x\n' >"$d/summary.csv"
}
pick() { PATH="$tmp/bin:$PATH" "$tmp/tree/scripts/plot.sh" 2>&1; }

run 20260101T000000Z summary
run 20260102T000000Z
out=$(pick)
if echo "$out" | grep -q "plot.sh: run .*/20260101T000000Z "; then
	ok "a run still being written is passed over"
else bad "unfinished run" "$out"; fi

run 20260103T000000Z summary
out=$(pick)
if echo "$out" | grep -q "plot.sh: run .*/20260103T000000Z "; then
	ok "the newest finished run is taken"
else bad "newest finished" "$out"; fi

rm -rf "$tmp/tree/results"
run 20260104T000000Z
out=$(pick)
rc=$?
if [ $rc -eq 2 ] && echo "$out" | grep -q "no finished run"; then
	ok "no finished run: exit 2, said"
else bad "none finished" "exit $rc: $out"; fi

finish
