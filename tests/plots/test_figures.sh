#!/usr/bin/env bash
# test_figures.sh — every figure of a real run whole and named after the registry.
#
# A small real run (quick profile, one repetition, the tasks and
# pool-manager-queue experiments) is drawn by scripts/plot.sh, then
# scripts/figcheck.py must pass on it: each experiment draws a figure or is
# table only, each figure is named after its experiment and written as .svg
# and .png, and no PNG has a pixel drawn within 2 px of its border. The
# checker is checked too: a clipped image, a stray file, a figure with the
# wrong name and an experiment with no figure must each fail it.
# PB_FIGURE_RUNS="DIR..." checks those run directories' plots as well (the
# acceptance of a quick and a default run; they are drawn first).
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root" || exit 1
PYTHON=${PYTHON:-$(command -v /usr/bin/python3 || command -v python3)}
PARBENCH=${PARBENCH_BIN:-bench/parbench}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/parbench-figures.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
# shellcheck source=tests/testlib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../testlib.sh"

command -v gnuplot >/dev/null || {
	bad "tools" "gnuplot not found (scripts/deps.sh bench)"
	finish
}
check() { "$PYTHON" scripts/figcheck.py "$@" 2>&1; }

if ! "$PARBENCH" --profile quick --reps 1 --machine fig --results "$tmp/results" \
	--filter '^(tasks|pool-manager-queue)/' >"$tmp/bench.log" 2>&1; then
	bad "run" "parbench failed: $(tail -3 "$tmp/bench.log")"
	finish
fi
runs=("$tmp"/results/fig/*/)
run=${runs[-1]%/}
if scripts/plot.sh "$run" >"$tmp/plot.log" 2>&1; then
	ok "plot.sh draws the run"
else bad "plot.sh" "$(tail -5 "$tmp/plot.log")"; fi
for stem in tasks tasks-sweep pool-manager-queue; do
	if [ -s "$run/plots/$stem.svg" ] && [ -s "$run/plots/$stem.png" ]; then
		ok "$stem.svg and $stem.png written"
	else bad "$stem" "missing: $(ls "$run/plots")"; fi
done
if out=$(check "$run"); then
	ok "figcheck passes on a real run"
else bad "figcheck" "$out"; fi

# The checker fails where it should: each broken copy on its own.
broken() { # broken NAME: a fresh copy of the run in $tmp/NAME
	rm -rf "${tmp:?}/$1"
	cp -r "$run" "$tmp/$1"
	printf '%s\n' "$tmp/$1"
}
# expect_fail NAME DIR PATTERN WHAT: the check must fail on DIR with a
# message matching PATTERN
expect_fail() {
	local out
	if out=$(check "$2"); then
		bad "$1" "passed, where this must fail: $4 ($out)"
	elif echo "$out" | grep -q "$3"; then
		ok "$4"
	else bad "$1" "$out"; fi
}

d=$(broken clipped)
gnuplot -e "set terminal pngcairo size 300,200; set output '$d/plots/tasks.png'; \
	unset border; unset tics; set lmargin at screen 0; set rmargin at screen 1; \
	plot [0:1] 0.5 notitle lw 3" 2>/dev/null
expect_fail clipped "$d" "tasks.png: .*within 2 px of the border" "a line drawn to the border fails it"

d=$(broken exponent)
sed -i 's/>[^<>]*ideal[^<>]*</>1e+06</' "$d/plots/tasks.svg"
expect_fail exponent "$d" "tasks.svg: a number written with an exponent: '1e+06'" "a tick written 1e+06 fails it"

d=$(broken stray)
cp "$d/plots/tasks.png" "$d/plots/pool-tasks.png"
expect_fail stray "$d" "pool-tasks.png: not a figure" "a file no experiment names fails it"

# set_figures FILE EXPERIMENT VALUE: experiments.csv with that row's figures
set_figures() {
	"$PYTHON" - "$@" <<'PY'
import csv, sys
path, name, value = sys.argv[1:]
lines = open(path).read().splitlines(keepends=True)
meta = [x for x in lines if x.startswith("#")]
rows = list(csv.reader(x for x in lines if not x.startswith("#")))
i = rows[0].index("figures")
for r in rows[1:]:
    if r[0] == name:
        r[i] = value
with open(path, "w", newline="") as f:
    f.writelines(meta)
    csv.writer(f, lineterminator="\n").writerows(rows)
PY
}

d=$(broken misnamed)
set_figures "$d/experiments.csv" tasks "tasks pool-tasks"
expect_fail misnamed "$d" "figure pool-tasks is not named after the experiment" "a figure not named after its experiment fails it"

d=$(broken nofigure)
set_figures "$d/experiments.csv" pool-manager-queue ""
expect_fail nofigure "$d" "pool-manager-queue: no figure and not declared table only" "an experiment with neither a figure nor table only fails it"

for r in ${PB_FIGURE_RUNS:-}; do
	if ! scripts/plot.sh "$r" >"$tmp/plot.log" 2>&1; then
		bad "plot $r" "$(tail -5 "$tmp/plot.log")"
	elif out=$(check "$r"); then
		ok "figcheck passes on $r"
	else bad "figcheck $r" "$out"; fi
done
finish
