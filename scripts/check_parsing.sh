#!/usr/bin/env bash
# check_parsing.sh — the tools downstream of a run read facts from the files
# parbench writes for them (cases.csv, experiments.csv, findings.csv,
# summary.csv, raw.csv), never by parsing a case name, `parbench --list`
# output or Markdown back (README, "The CSV contract"). A grep catches the
# usual ways of doing that in plots/ and scripts/:
#
#   strstrt(            gnuplot: a substring search, how a .gp file takes a name apart
#   split("/")          Python: a case name cut at its slashes
#   re.<function>(      Python: a regular expression (over a name, --list or Markdown)
#   --list ... |        shell: --list output piped into a parser
#
# A hit that parses none of those (a gnuplot word-list lookup, a machine name
# made safe for a path) stays when the line, or the line above it, explains
# it with a comment holding "parse-ok:" and the reason. Hits not yet fixed in
# a file someone else is changing are counted in scripts/parse_pending.txt
# ("path count  # why"); a count larger than the file's hits is an error too,
# so that the list only shrinks.
#
# Prints one line per unexplained hit and exits 1 if there is any.
# PARBENCH_LINT_ROOT=DIR checks DIR instead of the repository (for the tests).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "${PARBENCH_LINT_ROOT:-$root}"
shopt -s nullglob globstar

pending_file=scripts/parse_pending.txt
pattern='strstrt\(|split\(["'"'"']/["'"'"']\)|(^|[^A-Za-z0-9_.])re\.[a-z_]+\(|--list[^|#]*\|[^|]'
broken=0

# hits FILE: "LINE<TAB>TEXT" for each hit no parse-ok comment explains.
hits() {
	awk -v pat="$pattern" '
		$0 ~ pat && $0 !~ /parse-ok:/ && prev !~ /parse-ok:/ { printf "%d\t%s\n", FNR, $0 }
		{ prev = $0 }' "$1"
}

# pending FILE: the hits scripts/parse_pending.txt still allows in FILE (0).
pending() {
	[ -f "$pending_file" ] || {
		echo 0
		return
	}
	awk -v f="$1" '$1 == f { n = $2 } END { print n + 0 }' "$pending_file"
}

for f in plots/**/*.gp plots/**/*.gpi scripts/**/*.py scripts/**/*.sh scripts/**/*.sbatch; do
	[ "$f" != scripts/check_parsing.sh ] || continue # its own pattern and help
	found=$(hits "$f")
	n=0
	[ -z "$found" ] || n=$(printf '%s\n' "$found" | wc -l)
	allowed=$(pending "$f")
	if [ "$n" -gt "$allowed" ]; then
		printf '%s\n' "$found" | while IFS=$'\t' read -r line text; do
			echo "$f:$line: parses a name, --list output or Markdown: ${text#"${text%%[![:space:]]*}"}"
		done
		echo "$f: read the fact from cases.csv, experiments.csv or findings.csv instead, or" \
			"explain the line with a '# parse-ok: why' comment"
		broken=1
	elif [ "$n" -lt "$allowed" ]; then
		echo "$pending_file: $f has $n such line(s), not $allowed: lower its count"
		broken=1
	fi
done
if [ -f "$pending_file" ]; then
	while read -r f _; do
		case $f in '' | '#'*) continue ;; esac
		if [ ! -f "$f" ]; then
			echo "$pending_file: $f does not exist: remove its line"
			broken=1
		fi
	done <"$pending_file"
fi
exit "$broken"
