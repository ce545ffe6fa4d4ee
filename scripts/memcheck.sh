#!/usr/bin/env bash
# memcheck.sh [BUILD_DIR] — valgrind memcheck on the in-process test suites
# and a few fast cases of the real binary: a read of uninitialised memory, an
# invalid read or write fails the build (--error-exitcode). Run by .ci/run
# after `make test` (which builds BUILD_DIR, default build/release-gcc).
# Under valgrind pidfd_open is missing: the pool uses its fallback.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/release-gcc}
command -v valgrind >/dev/null || {
	echo "memcheck: valgrind is not installed (apt-get install valgrind)" >&2
	exit 1
}
vg=(valgrind -q --error-exitcode=99 --track-origins=yes --suppressions=tests/valgrind.supp)
# The suites that test C code in their own process (the ones that run the
# binary, runner, faults and contract, would only check the shell; test_coro
# counts the process's memory mappings, which valgrind changes).
suites=(test_stats test_csv test_cli test_topo test_ipcname test_harness test_pool
	test_pool_fallback test_channel test_counter test_gil test_tasks test_tqueue test_budget
	test_fuzz_corpus)
failed=()
for s in "${suites[@]}"; do
	[ -x "$build/tests/$s" ] || { echo "memcheck: $build/tests/$s is not built" >&2; exit 1; }
	echo "== memcheck $s"
	if ! PARBENCH_BIN="$build/parbench" "${vg[@]}" "$build/tests/$s" >"$build/memcheck-$s.log" 2>&1; then
		tail -n 40 "$build/memcheck-$s.log"
		failed+=("$s")
	fi
done
# A few fast cases, the case processes and their workers included (forks of
# parbench, so valgrind follows them).
echo "== memcheck parbench (fast cases)"
if ! "${vg[@]}" "$build/parbench" --profile quick --reps 1 --csv /dev/null \
	--filter '^(tasks/(serial|fork|pool)/io/n:5/w:1/|ipc-latency/pipe-vs-perf/-/pin:single)' \
	>"$build/memcheck-parbench.log" 2>&1; then
	tail -n 40 "$build/memcheck-parbench.log"
	failed+=(parbench)
fi
if [ ${#failed[@]} -gt 0 ]; then
	echo "memcheck: FAILED: ${failed[*]}" >&2
	exit 1
fi
echo "memcheck: clean (${#suites[@]} suites and the fast cases)"
