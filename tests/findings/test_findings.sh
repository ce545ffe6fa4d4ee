#!/usr/bin/env bash
# test_findings.sh — findings.csv of a small real run, read as data.
#
# parbench runs io tasks serially and a process each (quick profile); its
# findings.csv must carry the schema line, the structured finding
# tasks.io_fork_speedup with a speedup figure and a verdict, and
# summary.md's findings must be exactly scripts/findings.py's rendering of
# the CSV (the checker itself is checked on a tampered copy). --summarize
# rebuilds the same findings.csv from raw.csv. Prints cmocka-style
# [  PASSED  ] / [  FAILED  ] lines.
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root" || exit 2
PYTHON=${PYTHON:-$(command -v /usr/bin/python3 || command -v python3)}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/parbench-findings.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
# shellcheck source=tests/testlib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../testlib.sh"

if ! bench/parbench --profile quick --filter '^tasks/(serial|fork)/io/' --reps 2 --machine fnd \
	--results "$tmp/results" >"$tmp/bench.log" 2>&1; then
	bad "run" "parbench failed: $(tail -3 "$tmp/bench.log")"
	finish
fi
run=$(find "$tmp/results/fnd" -mindepth 1 -maxdepth 1 -type d | sort | tail -1)
run=${run%/}

if [ "$(head -2 "$run/findings.csv")" = "# schema_version=1
experiment,finding,claim,figure,median,min,max,n,unit,verdict,reason" ]; then
	ok "findings.csv starts with its schema version and header"
else
	bad "schema" "$(head -2 "$run/findings.csv")"
fi

# Read as data: the figure by its name, never from the prose.
if out=$("$PYTHON" - "$run" 2>&1 <<'PY'
import sys
sys.path.insert(0, "scripts")
import findings
f = {x["id"]: x for x in findings.read(sys.argv[1])}["tasks.io_fork_speedup"]
sp = {g["name"]: g for g in f["figures"]}["speedup"]
assert sp["unit"] == "x" and sp["n"] == 2 and sp["min"] <= sp["median"] <= sp["max"], sp
assert f["verdict"] in ("scales", "scales partly", "does not scale"), f["verdict"]
PY
); then
	ok "tasks.io_fork_speedup has a speedup figure over 2 repetitions and a verdict"
else
	bad "structured" "$out"
fi

if out=$("$PYTHON" scripts/findings.py --check "$run" 2>&1); then
	ok "summary.md's findings are the rendering of findings.csv ($out)"
else
	bad "rendering" "$out"
fi

cp -r "$run" "$tmp/tampered"
sed -i 's/^- tasks fork, io: /- tasks fork, IO: /' "$tmp/tampered/summary.md"
if "$PYTHON" scripts/findings.py --check "$tmp/tampered" >/dev/null 2>&1; then
	bad "checker" "a changed summary.md still passed --check"
else
	ok "the check catches a summary.md that says something else"
fi

cp "$run/findings.csv" "$tmp/first.csv"
if bench/parbench --summarize "$run" >"$tmp/sum.log" 2>&1 && cmp -s "$tmp/first.csv" "$run/findings.csv"; then
	ok "--summarize rebuilds the same findings.csv from raw.csv"
else
	bad "summarize" "$(diff "$tmp/first.csv" "$run/findings.csv" | head -5) $(tail -2 "$tmp/sum.log")"
fi
finish
