#!/usr/bin/env bash
# scripts/deps.sh with a fake apt-get and a perf that does not work (as on
# a machine that cannot run it): optional packages never block, apt is not
# called again once perf was tried, DEPS=0 installs nothing, offline is a
# clear message. Nothing is installed: apt-get is a stub that logs its calls.
set -u
cd "$(dirname "$0")/../.."
passed=0 failed=0
ok() { echo "[       OK ] $1"; passed=$((passed + 1)); }
bad() { echo "[  FAILED  ] $1: $2"; failed=$((failed + 1)); }
finish() {
	echo "[  PASSED  ] $passed test(s)."
	[ "$failed" -eq 0 ] || echo "[  FAILED  ] $failed test(s)."
	[ "$failed" -eq 0 ]
	exit $?
}
[ "$(uname -s)" = Linux ] || { echo "[  PASSED  ] 0 test(s)."; exit 0; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/bin" "$tmp/home"
# apt-get: logs; `update` fails when OFFLINE=1; install "succeeds" but
# installs nothing. perf: fails like Ubuntu's wrapper without its package.
cat >"$tmp/bin/apt-get" <<'STUB'
#!/bin/sh
echo "apt-get $*" >>"$APT_LOG"
case " $* " in *" update "*) [ "${OFFLINE:-0}" = 1 ] && { echo "offline" >&2; exit 100; } ;; esac
exit 0
STUB
printf '#!/bin/sh\nexit 1\n' >"$tmp/bin/perf"
chmod +x "$tmp/bin/apt-get" "$tmp/bin/perf"
export APT_LOG="$tmp/apt.log" HOME="$tmp/home" XDG_CACHE_HOME="$tmp/home/.cache"
deps() { PATH="$tmp/bin:$PATH" scripts/deps.sh "$@" >"$tmp/out" 2>&1; }

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
else bad "no apt when tried" "exit $rc, apt calls: $(cat "$APT_LOG")"; fi

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
else bad "all present" "exit $rc, apt calls: $(cat "$APT_LOG")"; fi

# 5. the peers stress-ng and hyperfine are optional too: missing and offline,
# the run goes on (a fake PATH without them)
mkdir -p "$tmp/nopeers"
for c in bash sh env cat grep sed id uname dirname mkdir touch rm mktemp tail dpkg \
	pkg-config gcc cc g++ c++ make gnuplot lstopo python3 tr cut sort; do
	p=$(command -v "$c" 2>/dev/null) && ln -sf "$p" "$tmp/nopeers/$c"
done
ln -sf "$tmp/bin/apt-get" "$tmp/nopeers/apt-get"
ln -sf "$tmp/bin/perf" "$tmp/nopeers/perf"
rm -rf "$XDG_CACHE_HOME"
: >"$APT_LOG"
OFFLINE=1 PATH="$tmp/nopeers" scripts/deps.sh bench >"$tmp/out" 2>&1
rc=$?
if [ $rc -eq 0 ] && grep -q "stress-ng" "$tmp/out" && grep -q "hyperfine" "$tmp/out"; then
	ok "stress-ng, hyperfine missing offline: optional, exit 0"
else bad "optional peers" "exit $rc: $(cat "$tmp/out")"; fi
finish
