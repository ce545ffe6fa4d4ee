# testlib.sh — what every shell test shares: cmocka-style result lines, which
# the Makefile adds up. Source it, call ok/bad per check, end with finish.
# shellcheck shell=bash
passed=0 failed=0
ok() { echo "[       OK ] $1"; passed=$((passed + 1)); }
bad() { echo "[  FAILED  ] $1: $2"; failed=$((failed + 1)); }
finish() {
	echo "[  PASSED  ] $passed test(s)."
	[ "$failed" -eq 0 ] || echo "[  FAILED  ] $failed test(s)."
	[ "$failed" -eq 0 ]
	exit $?
}
