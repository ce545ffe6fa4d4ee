#!/usr/bin/env bash
# deps.sh [build|test|bench|compare|report|lint|ci|slurm ...] — install the system packages parbench needs.
#
#   build    compilers, make, pkg-config, hwloc and google-benchmark headers
#   test     build + cmocka; and, best effort, what the compare and report
#            tests need (a failure there is a note, not a stop)
#   bench    build + gnuplot, lstopo; the peers perf, stress-ng, hyperfine best
#            effort (optional: the cases that run them are skipped without them)
#   compare  python3-scipy, gnuplot (make compare), libbenchmark-tools
#            (google-benchmark's compare.py, which the compare test checks
#            parbench's verdicts against)
#   report   compare + pandoc, chromium, poppler-utils (make report)
#   lint     clang-format, cppcheck, shellcheck, flake8 (make lint)
#   ci       valgrind and clang (libFuzzer), for .ci/run's memcheck and fuzz steps
#   slurm    slurm-wlm and munge, for `make slurm-check` only (never part of
#            build, test or bench)
#
# Default: build. Several modes may be given. Checks first and stays quiet
# (no apt call at all) when everything is present; otherwise installs the
# missing packages with apt-get (Debian 12 / Ubuntu 22.04+), printing one line
# per package. Without apt-get it lists what is missing and exits 1.
# Optional packages (the peers) never block: a failed install is a note, and it is
# tried once per machine (a marker in ~/.cache/parbench), not on every run.
# DEPS=0: install nothing; only say what is missing. sudo never prompts
# (sudo -n): without root or password-less sudo it prints the command to run.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

usage() {
	echo "usage: $0 [build|test|bench|compare|report|lint|ci|slurm ...]" >&2
	exit 2
}

want_build=0 want_test=0 want_bench=0 want_compare=0 want_report=0 want_slurm=0 want_ci=0
want_lint=0
[ $# -eq 0 ] && set -- build
for mode in "$@"; do
	case "$mode" in
	build) want_build=1 ;;
	test) want_build=1 want_test=1 ;;
	bench) want_build=1 want_bench=1 ;;
	compare) want_compare=1 ;;
	report) want_compare=1 want_report=1 ;;
	slurm) want_slurm=1 ;;
	lint) want_lint=1 ;;
	ci) want_ci=1 ;;
	-h | --help) usage ;;
	*)
		echo "deps: unknown mode '$mode'" >&2
		usage
		;;
	esac
done
# what missing_report_tools checks: make compare's tools, or make report's too
report_scope=compare
[ "$want_report" = 0 ] || report_scope=report

if [ "$(uname -s)" != Linux ]; then
	echo "deps: parbench needs Linux (pidfd, prctl, /proc, POSIX IPC); this is $(uname -s)." \
		"Run it on a Linux machine (Debian 12 or Ubuntu 22.04+ are tested)." >&2
	exit 1
fi

distro=unknown
if [ -r /etc/os-release ]; then
	# shellcheck disable=SC1091
	distro_id=$(. /etc/os-release && echo "${ID:-} ${ID_LIKE:-}")
	case " $distro_id " in
	*" ubuntu "*) distro=ubuntu ;;
	*" debian "*) distro=debian ;;
	esac
fi

missing_pkgs=() # packages to install (deduplicated)
missing_what=() # "thing (package)" for messages
optional_pkgs=() # best effort: failure to install is only a note
soft_pkgs=()     # best effort for make test: the compare and report tools

have_cmd() { command -v "$1" >/dev/null 2>&1; }
have_pc() { have_cmd pkg-config && pkg-config --exists "$1" 2>/dev/null; }

# need WHAT PACKAGE: record PACKAGE as needed for WHAT
need() {
	local p
	missing_what+=("$1 ($2)")
	for p in "${missing_pkgs[@]+"${missing_pkgs[@]}"}"; do
		[ "$p" = "$2" ] && return 0
	done
	missing_pkgs+=("$2")
}

check_cmd() { # check_cmd PACKAGE CMD [ALT_CMD...]
	local pkg=$1 c
	shift
	for c in "$@"; do
		have_cmd "$c" && return 0
	done
	need "command $1" "$pkg"
}

check_pc() { # check_pc PACKAGE MODULE
	have_pc "$2" || need "pkg-config module $2" "$1"
}

# Debian's python3 (not a pyenv/venv one first in PATH) is the one that
# sees python3-scipy; the Makefile runs the scripts with it.
have_scipy() {
	local py=/usr/bin/python3
	[ -x "$py" ] || py=python3
	"$py" -c 'import scipy.stats' >/dev/null 2>&1
}

# google-benchmark's compare.py (Debian's libbenchmark-tools); without dpkg
# there is no package to look for, and the compare test says it is missing.
have_gbench_tools() {
	have_cmd dpkg || return 0
	dpkg -s libbenchmark-tools >/dev/null 2>&1
}

# missing_report_tools [compare|report]: print the packages make compare
# (or make report, the default) lacks.
missing_report_tools() {
	have_scipy || echo python3-scipy
	have_cmd gnuplot || echo gnuplot-nox
	have_gbench_tools || echo libbenchmark-tools
	[ "${1:-}" = compare ] && return 0
	have_cmd pandoc || echo pandoc
	have_cmd chromium || have_cmd chromium-browser || echo chromium
	have_cmd pdftotext || echo poppler-utils
}

perf_works() {
	# Ubuntu's /usr/bin/perf is a wrapper that fails without the package for
	# the running kernel, so run it instead of only looking it up.
	have_cmd perf && perf --version >/dev/null 2>&1
}

if [ "$want_build" = 1 ]; then
	check_cmd build-essential cc gcc
	check_cmd build-essential c++ g++
	check_cmd build-essential make
	check_cmd pkg-config pkg-config
	check_pc libhwloc-dev hwloc
	check_pc libbenchmark-dev benchmark
fi
if [ "$want_test" = 1 ]; then
	check_pc libcmocka-dev cmocka
	mapfile -t soft_pkgs < <(missing_report_tools)
fi
if [ "$want_compare" = 1 ]; then
	for p in $(missing_report_tools "$report_scope"); do
		need "$p (make compare/report)" "$p"
	done
fi
perf_note=""
if [ "$want_bench" = 1 ]; then
	check_cmd gnuplot-nox gnuplot
	check_cmd hwloc lstopo
	tried_mark="${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/parbench/optional-peers-tried"
	peers_missing=()
	have_cmd stress-ng || peers_missing+=(stress-ng)
	have_cmd hyperfine || peers_missing+=(hyperfine)
	perf_works || peers_missing+=(perf)
	if [ ${#peers_missing[@]} -gt 0 ] && [ -e "$tried_mark" ]; then
		echo "deps: note: ${peers_missing[*]} not available (install tried before: rm" \
			"$tried_mark to try again); the cases that run them are skipped" >&2
	elif [ ${#peers_missing[@]} -gt 0 ]; then
		have_cmd stress-ng || optional_pkgs+=(stress-ng)
		have_cmd hyperfine || optional_pkgs+=(hyperfine)
	fi
	if ! perf_works && [ ! -e "$tried_mark" ]; then
		if [ "$distro" = ubuntu ]; then
			kpkg="linux-tools-$(uname -r)"
			perf_note="perf: linux-tools-common + $kpkg (best effort)"
			if dpkg -s linux-tools-common >/dev/null 2>&1; then
				# Tried before (or a kernel without its tools package,
				# e.g. a container): don't call apt every time.
				echo "deps: note: perf does not work for kernel $(uname -r)" \
					"(install $kpkg if it exists); benchmarks run without perf" >&2
			else
				optional_pkgs+=(linux-tools-common "$kpkg")
			fi
		else
			perf_note="perf: linux-perf (best effort)"
			optional_pkgs+=(linux-perf)
		fi
	fi
fi

# Lint tools: all four from Debian (ruff is not packaged in Debian 12; flake8 is).
LINT_TOOLS=(clang-format cppcheck shellcheck flake8)
if [ "$want_lint" = 1 ]; then
	for c in "${LINT_TOOLS[@]}"; do
		check_cmd "$c" "$c"
	done
fi
if [ "$want_ci" = 1 ]; then
	check_cmd valgrind valgrind
	check_cmd clang clang
fi
if [ "$want_slurm" = 1 ]; then
	for c in slurmctld slurmd sbatch; do
		check_cmd slurm-wlm "$c"
	done
	check_cmd munge munged
fi

# Nothing to do: stay quiet.
if [ ${#missing_pkgs[@]} -eq 0 ] && [ ${#optional_pkgs[@]} -eq 0 ] && [ ${#soft_pkgs[@]} -eq 0 ]; then
	exit 0
fi

all=("${missing_pkgs[@]+"${missing_pkgs[@]}"}" "${optional_pkgs[@]+"${optional_pkgs[@]}"}"
	"${soft_pkgs[@]+"${soft_pkgs[@]}"}")
if [ "${DEPS:-1}" = 0 ]; then
	echo "deps: DEPS=0: installing nothing; missing: ${all[*]}" >&2
	exit 0
fi

if ! have_cmd apt-get; then
	echo "deps: no apt-get on this system; install these yourself:" >&2
	for w in "${missing_what[@]+"${missing_what[@]}"}"; do
		echo "  missing: $w" >&2
	done
	[ -n "$perf_note" ] && echo "  missing: command perf ($perf_note)" >&2
	for p in "${soft_pkgs[@]+"${soft_pkgs[@]}"}"; do
		echo "  missing (compare/report tests): $p" >&2
	done
	echo "deps: (package names are Debian/Ubuntu's; use your distribution's equivalents)" >&2
	exit 1
fi

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
	if have_cmd sudo && sudo -n true 2>/dev/null; then
		SUDO=(sudo -n)
	else
		echo "deps: need to install: ${all[*]}" >&2
		echo "deps: not root, and sudo is missing or wants a password; run as root:" >&2
		echo "  apt-get update && apt-get install -y --no-install-recommends ${all[*]}" >&2
		exit 1
	fi
fi

export DEBIAN_FRONTEND=noninteractive
log=$(mktemp "${TMPDIR:-/tmp}/parbench-deps.XXXXXX")
trap 'rm -f "$log"' EXIT

run_apt() {
	"${SUDO[@]+"${SUDO[@]}"}" env DEBIAN_FRONTEND=noninteractive apt-get "$@"
}

# Only optional packages missing: not worth failing over.
only_optional=0
[ ${#missing_pkgs[@]} -eq 0 ] && [ ${#soft_pkgs[@]} -eq 0 ] && only_optional=1
if [ ${#optional_pkgs[@]} -gt 0 ]; then
	# best effort: a read-only home only means the install is tried again
	if mkdir -p "$(dirname "$tried_mark")" 2>/dev/null; then
		touch "$tried_mark" 2>/dev/null || true
	fi
fi

if ! run_apt -q update >"$log" 2>&1; then
	tail -n 5 "$log" >&2
	if [ "$only_optional" = 1 ]; then
		echo "deps: note: apt-get update failed (offline?); going on without" \
			"${optional_pkgs[*]}" >&2
		exit 0
	fi
	echo "deps: apt-get update failed (offline, or no access to the mirrors?);" \
		"install these by hand: apt-get install ${all[*]}" >&2
	exit 1
fi

install_pkgs() {
	run_apt -y -q --no-install-recommends install "$@" >"$log" 2>&1
}

if [ ${#missing_pkgs[@]} -gt 0 ]; then
	if ! install_pkgs "${missing_pkgs[@]}"; then
		echo "deps: apt-get install failed for: ${missing_pkgs[*]}" >&2
		tail -n 20 "$log" >&2
		exit 1
	fi
	for p in "${missing_pkgs[@]}"; do
		echo "deps: installed $p"
	done
fi

if [ ${#optional_pkgs[@]} -gt 0 ]; then
	# one at a time: a package missing from the mirror does not stop the others
	for p in "${optional_pkgs[@]}"; do
		if install_pkgs "$p"; then
			echo "deps: installed $p"
		else
			echo "deps: note: could not install $p (optional); the cases that need" \
				"it are skipped" >&2
		fi
	done
fi

if [ ${#soft_pkgs[@]} -gt 0 ]; then
	if install_pkgs "${soft_pkgs[@]}"; then
		for p in "${soft_pkgs[@]}"; do
			echo "deps: installed $p"
		done
	else
		echo "deps: note: could not install ${soft_pkgs[*]}; the compare and report" \
			"tests will fail until they are there" >&2
	fi
fi

# Verify: everything that was missing must be there now.
still=()
have_cmd cc || have_cmd gcc || [ "$want_build" = 0 ] || still+=(cc)
have_cmd c++ || have_cmd g++ || [ "$want_build" = 0 ] || still+=(c++)
have_cmd make || [ "$want_build" = 0 ] || still+=(make)
if [ "$want_build" = 1 ]; then
	have_pc hwloc || still+=("pkg-config hwloc")
	have_pc benchmark || still+=("pkg-config benchmark")
fi
if [ "$want_test" = 1 ]; then
	have_pc cmocka || still+=("pkg-config cmocka")
fi
if [ "$want_bench" = 1 ]; then
	for c in gnuplot lstopo; do
		have_cmd "$c" || still+=("$c")
	done
fi
if [ "$want_compare" = 1 ]; then
	mapfile -t -O ${#still[@]} still < <(missing_report_tools "$report_scope")
fi
if [ "$want_lint" = 1 ]; then
	for c in "${LINT_TOOLS[@]}"; do
		have_cmd "$c" || still+=("$c")
	done
fi
if [ "$want_ci" = 1 ]; then
	for c in valgrind clang; do
		have_cmd "$c" || still+=("$c")
	done
fi
if [ "$want_slurm" = 1 ]; then
	for c in slurmctld slurmd sbatch munged; do
		have_cmd "$c" || still+=("$c")
	done
fi
if [ ${#still[@]} -gt 0 ]; then
	echo "deps: still missing after install: ${still[*]}" >&2
	exit 1
fi
