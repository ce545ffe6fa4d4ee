#!/usr/bin/env bash
# test_fidelity_faults.sh — planted faults flip the fidelity table's verdicts.
#
# parbench-fault (Makefile: lib/models/gil.c built with PB_FAULT_HOOKS) runs
# the quick profile's GIL rows' cases, C and CPython, with a fault planted
# in the C model: PB_FAULT_GIL=off runs threads-gil without the GIL,
# PB_FAULT_GIL=no-interval makes a waiter ask for the GIL at once (the
# switch interval ignored). The table must then say "differs" where the
# fault shows, each fault in at least the time slice, the convoy and the CPU
# threads' rows: without the GIL the slices (counted as gil.py counts them)
# shrink to nothing, the round trip waits for nobody, the CPU threads speed
# up and their hand-offs per second change; without the interval the slice
# shrinks, and the convoy and the hand-offs follow.
# A table that agrees with a broken model would fail here. Needs python3
# for the CPython side (skipped, as a pass, without one). Prints
# cmocka-style [  PASSED  ] / [  FAILED  ] lines.
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root" || exit 2
PYTHON=${PYTHON:-$(command -v /usr/bin/python3 || command -v python3)}
bin=${PARBENCH_BIN:-build/release-gcc/parbench}
bin=${bin%/*}/parbench-fault
tmp=$(mktemp -d "${TMPDIR:-/tmp}/parbench-fidelity.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
# shellcheck source=tests/testlib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../testlib.sh"

cases='^(tasks/(serial|threads-gil|cpython-serial|cpython-threads)/cpu/'
cases+='|gil-cores/(threads-gil|cpython-threads)/cpu/.*pus:2$'
cases+='|gil-convoy/(threads-gil|cpython-threads)/io/)'

# verdicts RUN_DIR: "<finding> <verdict>" for each fidelity row
verdicts() {
	"$PYTHON" - "$1" <<'PY'
import sys
sys.path.insert(0, "scripts")
import findings
for f in findings.read(sys.argv[1]):
    if f["id"].startswith("cpython.fidelity."):
        print(f["id"][len("cpython.fidelity."):], f["verdict"] or "-")
PY
}

# run FAULT ROW...: the rows that must say "differs" under FAULT
run() {
	local fault=$1 out run_dir v
	shift
	if ! PB_FAULT_GIL=$fault "$bin" --profile quick --filter "$cases" --reps 2 \
		--machine "$fault" --python "$PYTHON" --results "$tmp" >"$tmp/$fault.log" 2>&1; then
		bad "$fault: run" "parbench-fault failed: $(tail -3 "$tmp/$fault.log")"
		return
	fi
	run_dir=$(find "$tmp/$fault" -mindepth 1 -maxdepth 1 -type d | sort | tail -1)
	out=$(verdicts "$run_dir")
	for row in "$@"; do
		v=$(echo "$out" | sed -n "s/^$row //p")
		if [ "$v" = differs ]; then
			ok "PB_FAULT_GIL=$fault: $row differs"
		else
			bad "$fault: $row" "verdict '${v:-missing}', not 'differs'"
		fi
	done
}

if [ ! -x "$bin" ]; then
	bad "binary" "$bin missing (make $bin)"
	finish
fi
if [ -z "$PYTHON" ]; then
	ok "no python3: the CPython side cannot run (skipped)"
	finish
fi
run off gil_slice_2pus convoy_round_trip_k1_2pus convoy_round_trip_k1_1pu \
	tasks_cpu_threads_gil_speedup \
	tasks_cpu_threads_gil_switches
run no-interval gil_slice_2pus convoy_round_trip_k1_2pus convoy_round_trip_k1_1pu \
	tasks_cpu_threads_gil_switches
finish
