#!/usr/bin/env bash
# lint.sh — style and static checks for parbench's C, Python and shell code.
#
#   scripts/check_parsing.sh          no parsing of case names, --list output or Markdown
#                                     in plots/ and scripts/
#   scripts/check_layers.sh           the one-way includes of lib/core, lib/models and
#                                     lib/harness; file and function lengths; no arg[]
#   clang-format --dry-run --Werror  on lib/**/*.{c,h,cc} bench/**/*.{c,h} tests/*.c
#   cppcheck (warning, performance, portability) on lib bench tests
#   flake8 (pyflakes + pycodestyle; .flake8) on every Python file, and
#   the shellcheck tool on every shell script (*.sh, *.sbatch, a sh/bash #! line)
#
# The Python and shell files are the project's files (git ls-files, or every
# file outside build/ and results/ when the tree is not a git checkout).
# `make lint` installs the tools first (scripts/deps.sh lint).
# Every check always runs; the exit status is 1 if any found something
# (the summary line says which), 2 if a tool is missing.
# PARBENCH_LINT_ROOT=DIR checks DIR instead of the repository (for testing).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "${PARBENCH_LINT_ROOT:-$root}"

missing=()
command -v clang-format >/dev/null 2>&1 || missing+=(clang-format)
command -v cppcheck >/dev/null 2>&1 || missing+=(cppcheck)
command -v flake8 >/dev/null 2>&1 || missing+=(flake8)
command -v shellcheck >/dev/null 2>&1 || missing+=(shellcheck)
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

# project_files: every file of the checked tree, one a line.
project_files() {
	if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		git ls-files --cached --others --exclude-standard
	else
		find . \( -path ./build -o -path ./results -o -path ./.git \) -prune -o -type f -print |
			sed 's|^\./||'
	fi
}

# Sort the project's files into Python and shell by name, or else by #! line.
py_files=() sh_files=()
while IFS= read -r f; do
	[ -f "$f" ] || continue # deleted in the work tree, not yet in the index
	case "${f##*/}" in
	*.py) py_files+=("$f") ;;
	*.sh | *.sbatch) sh_files+=("$f") ;;
	*.*) ;;
	*)
		first=
		IFS= read -r first <"$f" || true
		if [[ $first =~ ^#!.*python ]]; then
			py_files+=("$f")
		elif [[ $first =~ ^#!.*[/[:space:]](ba|da)?sh([[:space:]]|$) ]]; then
			sh_files+=("$f")
		fi
		;;
	esac
done < <(project_files)

failed=()

if ! "$root/scripts/check_layers.sh"; then
	failed+=(layers)
fi
if ! "$root/scripts/check_parsing.sh"; then
	failed+=(parsing)
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

if [ ${#py_files[@]} -gt 0 ] && ! flake8 "${py_files[@]}"; then
	failed+=(flake8)
fi
if [ ${#sh_files[@]} -gt 0 ] && ! shellcheck "${sh_files[@]}"; then
	failed+=(shellcheck)
fi

if [ ${#failed[@]} -gt 0 ]; then
	echo "lint.sh: FAILED: ${failed[*]}" >&2
	exit 1
fi
echo "lint.sh: ok (${#files[@]} files formatted; cppcheck clean on ${dirs[*]:-nothing};" \
	"flake8 clean on ${#py_files[@]} Python files; shellcheck clean on ${#sh_files[@]} scripts)"
