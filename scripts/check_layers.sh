#!/usr/bin/env bash
# check_layers.sh — the house rules that a grep can check (README, "How it is built"):
#
#   lib/core/     includes only lib/core headers      (clock, stats, csv, topo, workload, ipcname)
#   lib/models/   includes lib/core and lib/models headers, never a harness or bench/ header
#   lib/harness/  includes lib/core and lib/harness headers, never a model or bench/ header
#   bench/common/ includes its own headers and lib/ headers
#   bench/<group>/ includes its own group's headers, bench/common/'s and lib/'s: never
#                 another group's (a helper two groups share goes to bench/common/)
#   no file in lib/ or bench/ over 500 lines, no C function over 60 lines
#   no positional case arguments (`arg[`) in lib/ or bench/
#
# Prints one line per broken rule (file:line: what) and exits 1 if there is any.
# PARBENCH_LINT_ROOT=DIR checks DIR instead of the repository (for the tests).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "${PARBENCH_LINT_ROOT:-$root}"
shopt -s nullglob globstar

MAX_FILE_LINES=500
MAX_FUNC_LINES=60
broken=0

headers_in() { # the basenames of the headers below the given directories
	local d f
	for d in "$@"; do
		for f in "$d"/**/*.h; do basename "$f"; done
	done
}

# check_includes LAYER_DIR WHAT ALLOWED_HEADERS... : every quoted include of a
# file below LAYER_DIR must name an allowed header (system <...> includes are
# free); WHAT says in words which headers those are.
check_includes() {
	local dir=$1 what=$2 f line n inc
	shift 2
	local allowed=" $* "
	for f in "$dir"/**/*.c "$dir"/**/*.cc "$dir"/**/*.h; do
		n=0
		while IFS= read -r line; do
			n=$((n + 1))
			[[ $line =~ ^[[:space:]]*#[[:space:]]*include[[:space:]]+\"([^\"]+)\" ]] || continue
			inc=$(basename "${BASH_REMATCH[1]}")
			if [[ $allowed != *" $inc "* ]]; then
				echo "$f:$n: includes \"$inc\", which $dir/ may not use (allowed: $what)"
				broken=1
			fi
		done <"$f"
	done
}

mapfile -t core_h < <(headers_in lib/core)
mapfile -t models_h < <(headers_in lib/models)
mapfile -t harness_h < <(headers_in lib/harness)
check_includes lib/core "lib/core's" "${core_h[@]}"
check_includes lib/models "lib/core's and lib/models'" "${core_h[@]}" "${models_h[@]}"
check_includes lib/harness "lib/core's, lib/harness' and gitrev.h" "${core_h[@]}" \
	"${harness_h[@]}" gitrev.h

mapfile -t common_h < <(headers_in bench/common)
for dir in bench/*/; do
	dir=${dir%/}
	mapfile -t own_h < <(headers_in "$dir")
	check_includes "$dir" "its own, bench/common/'s and lib/'s" "${own_h[@]}" "${common_h[@]}" \
		"${core_h[@]}" "${models_h[@]}" "${harness_h[@]}"
done

for f in lib/**/*.c lib/**/*.cc lib/**/*.h bench/**/*.c bench/**/*.h; do
	n=$(wc -l <"$f")
	if [ "$n" -gt "$MAX_FILE_LINES" ]; then
		echo "$f: $n lines (at most $MAX_FILE_LINES)"
		broken=1
	fi
	# Kernel style: a function body opens with "{" and closes with "}" in
	# column 0; its length counts the line before the "{" (the signature).
	if ! awk -v max="$MAX_FUNC_LINES" -v file="$f" '
		/^\{/ { start = FNR - 1; sig = prev }
		/^\}/ && start { len = FNR - start + 1
			if (len > max) { printf "%s:%d: function of %d lines (at most %d): %s\n", file, start, len, max, sig; bad = 1 }
			start = 0 }
		{ prev = $0 }
		END { exit bad }' "$f"; then
		broken=1
	fi
	if grep -n 'arg\[' "$f" | sed "s|^|$f:|; s|\$|  (positional case argument: use a named parameter)|"; then
		broken=1
	fi
done

exit "$broken"
