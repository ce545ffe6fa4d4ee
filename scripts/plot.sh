#!/usr/bin/env bash
# plot.sh [RUN_DIR | --newer FILE] — draw a run's plots with every plots/*.gp.
#
# RUN_DIR holds raw.csv and summary.csv; it defaults to the newest
# results/<machine>/<timestamp>/ (newest by timestamp name). With --newer
# FILE it is the run whose raw.csv was written after FILE (make bench touches
# FILE just before it runs parbench, so it plots the run it made). Plots go to
# RUN_DIR/plots/, so no run overwrites another's, or to $PARBENCH_PLOTS_OUT
# when set. Each plots/*.gp except plots/common.gp is run
# with gnuplot and these variables:
#   summary='<run>/summary.csv' raw='<run>/raw.csv' outdir='<out dir>'
#   params='<summary.csv's rows with their cases' parameters>' (plotdata.py)
#   figvars='<the figure's title, ranges and data files>' (figdata.py), when
#   it has them
#   machine='<machine>' cpu='<cpu_model>' plotdir='plots'
# and writes <outdir>/<name>.png and .svg. A failing .gp is reported and the
# others still run; the exit status is 1 if any failed.
set -euo pipefail

die() {
	local code=$1
	shift
	echo "plot.sh: $*" >&2
	exit "$code"
}

# Resolve paths given relative to the caller's directory before moving.
abspath() {
	case "$1" in
	/*) printf '%s\n' "$1" ;;
	*) printf '%s\n' "$PWD/$1" ;;
	esac
}

usage="usage: scripts/plot.sh [RUN_DIR | --newer FILE]"
newer=""
if [ "${1:-}" = --newer ]; then
	[ $# -eq 2 ] || die 2 "$usage"
	[ -e "$2" ] || die 2 "--newer: no such file: $2"
	newer=$(abspath "$2")
	shift 2
fi
[ $# -le 1 ] || die 2 "$usage"
run_dir=""
[ $# -eq 1 ] && run_dir=$(abspath "$1")
out_override=""
[ -n "${PARBENCH_PLOTS_OUT:-}" ] && out_override=$(abspath "$PARBENCH_PLOTS_OUT")

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

command -v gnuplot >/dev/null 2>&1 ||
	die 1 "gnuplot not found; install it (Debian/Ubuntu: gnuplot-nox, or run scripts/deps.sh bench)"

if [ -n "$newer" ]; then
	# The run made since FILE: raw.csv is written while the run goes on.
	run_dir=$(find results -mindepth 3 -maxdepth 3 -name raw.csv -newer "$newer" \
		-printf '%T@\t%h\n' 2>/dev/null | LC_ALL=C sort -n | tail -n 1 | cut -f 2)
	[ -n "$run_dir" ] || die 2 "no run directory under $root/results written after $newer"
	run_dir="$root/$run_dir"
elif [ -z "$run_dir" ]; then
	# Newest finished results/<machine>/<timestamp>/ by timestamp name (then
	# path): summary.csv is written when a run ends, so a run still being
	# written (raw.csv only) is passed over, and so is results/compare/.
	run_dir=$(
		for d in results/*/*/; do
			if [ ! -s "$d/raw.csv" ] || [ ! -s "$d/summary.csv" ]; then continue; fi
			d=${d%/}
			printf '%s\t%s\n' "${d##*/}" "$d"
		done | LC_ALL=C sort | tail -n 1 | cut -f 2
	)
	[ -n "$run_dir" ] || die 2 "no finished run (raw.csv and summary.csv) under $root/results/*/*/; pass RUN_DIR"
	run_dir="$root/$run_dir"
fi
run_dir=${run_dir%/}

[ -d "$run_dir" ] || die 2 "run directory not found: $run_dir"
summary="$run_dir/summary.csv"
raw="$run_dir/raw.csv"
[ -f "$summary" ] || die 2 "no summary.csv in $run_dir"
[ -s "$summary" ] || die 2 "summary.csv is empty: $summary"
[ -f "$raw" ] || echo "plot.sh: warning: no raw.csv in $run_dir" >&2

# meta FILE KEY: value of a "# KEY=value" line among FILE's leading # lines.
meta() {
	[ -f "$1" ] || return 0
	awk -v key="$2" '
		!/^#/ { exit }
		{
			line = $0
			sub(/^#[ \t]*/, "", line)
			eq = index(line, "=")
			if (eq && substr(line, 1, eq - 1) == key) {
				val = substr(line, eq + 1)
				sub(/[ \t\r]+$/, "", val)
				print val
				exit
			}
		}' "$1"
}

machine=$(meta "$raw" machine)
[ -n "$machine" ] || machine=$(meta "$summary" machine)
if [ -z "$machine" ]; then
	# first data row's machine column
	machine=$(awk -F, '!/^#/ && !/^machine,/ && NF { print $1; exit }' "$summary")
fi
[ -n "$machine" ] || die 2 "cannot tell the machine: no '# machine=' in $raw"
cpu=$(meta "$raw" cpu_model)
[ -n "$cpu" ] || cpu=$(meta "$summary" cpu_model)
[ -n "$cpu" ] || cpu="unknown CPU"

outdir=${out_override:-$run_dir/plots}
mkdir -p "$outdir"

# gnuplot single-quoted string: a quote is written twice.
gq() { printf "'%s'" "${1//\'/\'\'}"; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/parbench-plot.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# The data the plots draw: summary.csv's rows with every case's parameters
# from cases.csv (scripts/plotdata.py); '' when the run has none, and the
# plots that need it say they skipped.
params="$tmp/params.csv"
# (and params-<figure>.csv: the rows of the experiments that draw it). Debian's
# python3 when there is one: a pyenv shim first in PATH costs a tenth of a second.
py=python3
[ -x /usr/bin/python3 ] && py=/usr/bin/python3
if ! "$py" scripts/plotdata.py "$run_dir" "$params" 2>"$tmp/plotdata.err"; then
	echo "plot.sh: warning: $(cat "$tmp/plotdata.err")" >&2
	params=""
fi

vars="summary=$(gq "$summary"); raw=$(gq "$raw"); params=$(gq "$params"); params_all=$(gq "$params")"
vars="$vars; outdir=$(gq "$outdir")"
vars="$vars; machine=$(gq "$machine"); cpu=$(gq "$cpu"); plotdir='plots'"

echo "plot.sh: run $run_dir ($machine, $cpu) -> $outdir/"

# draw NAME: run plots/NAME.gp into $tmp/NAME.out, its exit status into
# $tmp/NAME.rc; $tmp/NAME.marker is older than whatever it writes.
draw() {
	local name=$1 status=0
	touch "$tmp/$name.marker"
	sleep 0.01 # let "newer than marker" be strict even on coarse clocks
	local v=$vars
	# the figure's own rows when plotdata.py wrote them
	[ -n "$params" ] && [ -f "$tmp/params-$name.csv" ] &&
		v="$v; params=$(gq "$tmp/params-$name.csv")"
	# its title, ranges and data files (figdata.py), when it has a builder
	[ -n "$params" ] && [ -f "$tmp/params-$name.gp" ] &&
		v="$v; figvars=$(gq "$tmp/params-$name.gp")"
	gnuplot -e "$v" "plots/$name.gp" >"$tmp/$name.out" 2>&1 || status=$?
	echo "$status" >"$tmp/$name.rc"
}

# report NAME: what draw did, in plot order; false when it failed.
report() {
	local name=$1 gp="plots/$1.gp" status f ext
	local written=()
	status=$(cat "$tmp/$name.rc")
	for ext in png svg; do
		f="$outdir/$name.$ext"
		[ -f "$f" ] && [ "$f" -nt "$tmp/$name.marker" ] && written+=("$f")
	done
	if [ "$status" -ne 0 ]; then
		echo "  $gp: FAILED (gnuplot exit $status)" >&2
		sed 's/^/    /' "$tmp/$name.out" >&2
		return 1
	fi
	if grep -q 'skipped' "$tmp/$name.out" && [ ${#written[@]} -eq 0 ]; then
		echo "  $gp: $(grep -m1 'skipped' "$tmp/$name.out")"
		return 0
	fi
	if [ ${#written[@]} -eq 0 ]; then
		echo "  $gp: FAILED (wrote neither $outdir/$name.png nor .svg)" >&2
		sed 's/^/    /' "$tmp/$name.out" >&2
		return 1
	fi
	# Pass on gnuplot's warnings, not its "wrote" lines.
	grep -v '^wrote ' "$tmp/$name.out" | sed "s|^|  $gp: |" >&2 || true
	for f in "${written[@]}"; do
		echo "  wrote $f"
	done
}

# The measurement is over: draw on every PU at once, report in order.
names=()
for gp in plots/*.gp; do
	[ -f "$gp" ] || continue
	name=$(basename "$gp" .gp)
	[ "$name" = common ] || names+=("$name")
done
ran=${#names[@]}
jobs_max=$(nproc 2>/dev/null || echo 1)
for name in "${names[@]}"; do
	while [ "$(jobs -rp | wc -l)" -ge "$jobs_max" ]; do
		wait -n || true
	done
	draw "$name" &
done
wait
failed=()
for name in "${names[@]}"; do
	report "$name" || failed+=("plots/$name.gp")
done

[ "$ran" -gt 0 ] || die 1 "no plots/*.gp scripts found in $root/plots"
if [ ${#failed[@]} -gt 0 ]; then
	die 1 "${#failed[@]} of $ran plot script(s) failed: ${failed[*]}"
fi
