#!/usr/bin/env bash
# lint.sh — style and static checks for parbench's C sources.
#
#   scripts/check_layers.sh           the one-way includes of lib/core, lib/models and
#                                     lib/harness; file and function lengths; no arg[]
#   clang-format --dry-run --Werror  on lib/**/*.{c,h,cc} bench/**/*.{c,h} tests/*.c
#   cppcheck (warning, performance, portability) on lib bench tests
#
# Every check always runs; the exit status is 1 if any found something
# (the summary line says which), 2 if a tool is missing.
# PARBENCH_LINT_ROOT=DIR checks DIR instead of the repository (for testing).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "${PARBENCH_LINT_ROOT:-$root}"

missing=()
command -v clang-format >/dev/null 2>&1 || missing+=(clang-format)
command -v cppcheck >/dev/null 2>&1 || missing+=(cppcheck)
if [ ${#missing[@]} -gt 0 ]; then
	echo "lint.sh: missing: ${missing[*]} (Debian/Ubuntu: apt-get install ${missing[*]})" >&2
	exit 2
fi

shopt -s nullglob globstar
files=(lib/**/*.c lib/**/*.h lib/**/*.cc bench/**/*.c bench/**/*.h tests/*.c)
incs=()
for d in lib/*/ lib/models/*/ bench/*/; do
	incs+=("-I${d%/}")
done
shopt -u nullglob

failed=()

if ! "$root/scripts/check_layers.sh"; then
	failed+=(layers)
fi

if [ ${#files[@]} -gt 0 ]; then
	# The style is the .clang-format in the checked tree (or above it).
	if ! clang-format --dry-run --Werror "${files[@]}"; then
		failed+=(clang-format)
		echo "lint.sh: clang-format: fix with: clang-format -i ${files[*]}" >&2
	fi
else
	echo "lint.sh: no C sources to format-check"
fi

dirs=()
for d in lib bench tests; do
	[ -d "$d" ] && dirs+=("$d")
done
if [ ${#dirs[@]} -gt 0 ]; then
	cache=$(mktemp -d "${TMPDIR:-/tmp}/parbench-lint.XXXXXX")
	trap 'rm -rf "$cache"' EXIT
	jobs=$(nproc 2>/dev/null || echo 1)
	if ! cppcheck --enable=warning,performance,portability --error-exitcode=1 \
		--inline-suppr --quiet --suppress=missingIncludeSystem \
		-j "$jobs" --cppcheck-build-dir="$cache" \
		"${incs[@]}" "${dirs[@]}"; then
		failed+=(cppcheck)
	fi
fi

if [ ${#failed[@]} -gt 0 ]; then
	echo "lint.sh: FAILED: ${failed[*]}" >&2
	exit 1
fi
echo "lint.sh: ok (${#files[@]} files formatted; cppcheck clean on ${dirs[*]:-nothing})"
