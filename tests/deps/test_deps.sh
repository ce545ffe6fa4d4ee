#!/usr/bin/env bash
# scripts/deps.sh against a world the test makes: a PATH of fakes (compilers,
# pkg-config, gnuplot, lstopo, the peers, a perf that fails like Ubuntu's
# wrapper without its package, an apt-get that logs its calls and installs
# nothing) and the host's plain utilities. What the host has installed never
# changes the result: a fresh machine and a full one see the same fakes.
# Checked: optional packages never block, apt is not called again once perf
# was tried, DEPS=0 installs nothing, offline is a clear message, a missing
# required package is named and stops the script.
set -u
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=tests/testlib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../testlib.sh"
[ "$(uname -s)" = Linux ] || { echo "[  PASSED  ] 0 test(s)."; exit 0; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/home"
export APT_LOG="$tmp/apt.log" HOME="$tmp/home" XDG_CACHE_HOME="$tmp/home/.cache"

# The plain utilities deps.sh runs, taken from the host (every Debian has them).
UTILS="bash sh env cat grep sed id uname dirname mkdir touch rm mktemp tail tr cut sort"

# world DIR TOOL...: a PATH directory holding the host's utilities and a fake
# of each TOOL that exits 0. pkg-config answers --exists for the modules in
# $FAKE_PC (space-separated); apt-get logs and fails `update` when OFFLINE=1;
# perf and dpkg always fail.
world() {
	local dir=$1 c p
	shift
	rm -rf "$dir"
	mkdir -p "$dir"
	for c in $UTILS; do
		p=$(command -v "$c") || { echo "test_deps: no $c on this host" >&2; exit 1; }
		ln -s "$p" "$dir/$c"
	done
	for c in "$@"; do
		printf '#!/bin/sh\nexit 0\n' >"$dir/$c"
	done
	cat >"$dir/pkg-config" <<'STUB'
#!/bin/sh
[ "$1" = --exists ] || exit 1
for m in $FAKE_PC; do [ "$m" = "$2" ] && exit 0; done
exit 1
STUB
	cat >"$dir/apt-get" <<'STUB'
#!/bin/sh
echo "apt-get $*" >>"$APT_LOG"
case " $* " in *" update "*) [ "${OFFLINE:-0}" = 1 ] && { echo "offline" >&2; exit 100; } ;; esac
exit 0
STUB
	printf '#!/bin/sh\nexit 1\n' >"$dir/perf"
	# dpkg -s (Ubuntu's perf check): no package is installed in this world
	printf '#!/bin/sh\nexit 1\n' >"$dir/dpkg"
	chmod +x "$dir"/*
}

# Everything make bench needs, as fakes; the peers stress-ng and hyperfine too.
FULL=(gcc cc g++ c++ make gnuplot lstopo stress-ng hyperfine)
export FAKE_PC="hwloc benchmark cmocka"
world "$tmp/full" "${FULL[@]}"
# deps [VAR=VALUE...] MODE...: scripts/deps.sh in the world $W, output in $tmp/out
W="$tmp/full"
deps() { PATH="$W" scripts/deps.sh "$@" >"$tmp/out" 2>&1; }

if [ "$(id -u)" -ne 0 ] && ! sudo -n true 2>/dev/null; then
	# without root the stub apt-get is never reached: the message must say so
	deps bench
	rc=$?
	if grep -q "run as root" "$tmp/out" || [ $rc -eq 0 ]; then ok "no root: a clear message"
	else bad "no root" "exit $rc: $(cat "$tmp/out")"; fi
	finish
fi

# 1. offline, only perf (optional) missing: the run goes on (exit 0)
: >"$APT_LOG"
OFFLINE=1 deps bench
rc=$?
if [ $rc -eq 0 ] && grep -q "offline" "$tmp/out"; then ok "offline, perf missing: exit 0 with a note"
else bad "offline optional" "exit $rc: $(cat "$tmp/out")"; fi

# 2. tried once: no apt-get call at all the next time
: >"$APT_LOG"
deps bench
rc=$?
if [ $rc -eq 0 ] && [ ! -s "$APT_LOG" ] && grep -q "perf not available" "$tmp/out"; then
	ok "perf tried before: no apt-get call, a note"
else bad "no apt when tried" "exit $rc, apt calls: $(cat "$APT_LOG"), $(cat "$tmp/out")"; fi

# 3. DEPS=0: installs nothing, says what is missing
rm -rf "$XDG_CACHE_HOME"
: >"$APT_LOG"
DEPS=0 deps bench
rc=$?
if [ $rc -eq 0 ] && [ ! -s "$APT_LOG" ] && grep -q "DEPS=0" "$tmp/out"; then ok "DEPS=0: no apt-get"
else bad "DEPS=0" "exit $rc, apt calls: $(cat "$APT_LOG"), $(cat "$tmp/out")"; fi

# 4. nothing missing for make build: quiet, no apt-get
: >"$APT_LOG"
deps build
rc=$?
if [ $rc -eq 0 ] && [ ! -s "$APT_LOG" ] && [ ! -s "$tmp/out" ]; then ok "all present: quiet, no apt-get"
else bad "all present" "exit $rc, apt calls: $(cat "$APT_LOG"), $(cat "$tmp/out")"; fi

# 5. the peers stress-ng and hyperfine are optional too: missing and offline,
# the run goes on
world "$tmp/nopeers" gcc cc g++ c++ make gnuplot lstopo
W="$tmp/nopeers"
rm -rf "$XDG_CACHE_HOME"
: >"$APT_LOG"
OFFLINE=1 deps bench
rc=$?
if [ $rc -eq 0 ] && grep -q "stress-ng" "$tmp/out" && grep -q "hyperfine" "$tmp/out"; then
	ok "stress-ng, hyperfine missing offline: optional, exit 0"
else bad "optional peers" "exit $rc: $(cat "$tmp/out")"; fi

# 6. a required package missing (lstopo, hwloc's tool) and offline: exit 1,
# the message names the package to install
world "$tmp/nolstopo" gcc cc g++ c++ make gnuplot stress-ng hyperfine
W="$tmp/nolstopo"
rm -rf "$XDG_CACHE_HOME"
: >"$APT_LOG"
OFFLINE=1 deps bench
rc=$?
if [ $rc -eq 1 ] && grep -q "apt-get install.*hwloc" "$tmp/out"; then
	ok "required hwloc missing offline: exit 1, names the package"
else bad "required missing" "exit $rc: $(cat "$tmp/out")"; fi

# 7. a required library missing (no pkg-config module benchmark), online:
# apt-get installs libbenchmark-dev, and the check after it (still no module,
# as the fake installs nothing) says what is still missing
W="$tmp/full"
: >"$APT_LOG"
FAKE_PC="hwloc cmocka" deps build
rc=$?
if [ $rc -eq 1 ] && grep -q "install.*libbenchmark-dev" "$APT_LOG" &&
	grep -q "still missing after install: pkg-config benchmark" "$tmp/out"; then
	ok "required library: apt-get install, then verified"
else bad "required library" "exit $rc, apt calls: $(cat "$APT_LOG"), $(cat "$tmp/out")"; fi

# 8. make lint's tools: missing, DEPS=0 names all four; present, quiet
: >"$APT_LOG"
DEPS=0 deps lint
rc=$?
if [ $rc -eq 0 ] && [ ! -s "$APT_LOG" ] &&
	grep -q "missing: clang-format cppcheck shellcheck flake8" "$tmp/out"; then
	ok "lint: the four tools named when missing"
else bad "lint missing" "exit $rc: $(cat "$tmp/out")"; fi
world "$tmp/lint" clang-format cppcheck shellcheck flake8
W="$tmp/lint"
deps lint
rc=$?
if [ $rc -eq 0 ] && [ ! -s "$APT_LOG" ] && [ ! -s "$tmp/out" ]; then ok "lint: all present, quiet"
else bad "lint present" "exit $rc, apt calls: $(cat "$APT_LOG"), $(cat "$tmp/out")"; fi
finish
