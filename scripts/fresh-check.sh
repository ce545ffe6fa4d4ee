#!/usr/bin/env bash
# fresh-check.sh [test|bench|both|shell] — the README's two commands, tried as a
# newcomer would, on a bare Debian 12 (a debootstrap minbase system) from a clean
# clone of this checkout's HEAD. `make fresh-check` runs it; CI runs it when
# PB_FRESH_CHECK=1 (it needs the Debian mirror this machine's apt uses).
#
# The newcomer has done only `apt-get install git make`, as README says: every
# other package must come from the project's own scripts (scripts/deps.sh). The
# base system is built once (a few minutes) and cached in FRESH_DIR
# (default /var/tmp/parbench-fresh); each try starts from a fresh copy of it, so
# one try never sees what another installed. Committed changes only: it clones
# HEAD. FRESH_PROFILE (default quick) is the profile of `make bench`.
# Prints one line per step: its exit status and time; exits 1 if a step failed,
# 2 if it cannot start (not root, no mirror, debootstrap failed).
set -euo pipefail

what=${1:-both}
case $what in test | bench | both | shell) ;; *)
	echo "usage: $0 [test|bench|both|shell]" >&2
	exit 2
	;;
esac
profile=${FRESH_PROFILE:-quick}
[ -n "$profile" ] || profile=quick
case $profile in quick | default | full) ;; *)
	echo "fresh-check: FRESH_PROFILE must be quick, default or full (got '$profile')" >&2
	exit 2
	;;
esac
top=$(git -C "$(dirname "${BASH_SOURCE[0]}")" rev-parse --show-toplevel)
root=${FRESH_DIR:-/var/tmp/parbench-fresh}
base=$root/base
try=$root/try
[ "$(id -u)" = 0 ] || {
	echo "fresh-check: needs root (debootstrap, chroot, mount)" >&2
	exit 2
}

# The mirror this machine's apt uses (deb822 sources first, then the old list).
mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
[ -n "$mirror" ] || mirror=$(awk '$1 == "deb" {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
[ -n "$mirror" ] || {
	echo "fresh-check: no Debian mirror in this machine's apt sources" >&2
	exit 2
}

build_base() {
	command -v debootstrap >/dev/null || apt-get install -y -q debootstrap >/dev/null
	rm -rf "$base"
	mkdir -p "$base"
	echo "fresh-check: building a bookworm minbase system in $base (once)"
	if ! debootstrap --variant=minbase bookworm "$base" "$mirror" >"$root/debootstrap.log" 2>&1; then
		echo "fresh-check: debootstrap failed, see $root/debootstrap.log" >&2
		exit 2
	fi
	cp /etc/apt/sources.list.d/debian.sources "$base/etc/apt/sources.list.d/" 2>/dev/null || true
	cp /etc/apt/sources.list "$base/etc/apt/" 2>/dev/null || true
	touch "$base/.ready"
}

unmount_try() {
	local m
	for m in dev/shm dev/pts dev sys proc; do umount -l "$try/$m" 2>/dev/null || true; done
}

mkdir -p "$root"
[ -f "$base/.ready" ] || build_base
trap unmount_try EXIT
unmount_try
rm -rf "$try"
cp -a "$base" "$try"
git clone -q "$top" "$try/root/parbench"
mount -t proc proc "$try/proc"
mount -t sysfs sys "$try/sys"
mount --bind /dev "$try/dev"
mount --bind /dev/pts "$try/dev/pts"
mount -t tmpfs shm "$try/dev/shm"
cp /etc/resolv.conf "$try/etc/" 2>/dev/null || true

in_chroot() {
	chroot "$try" /usr/bin/env -i HOME=/root TERM=dumb PATH=/usr/sbin:/usr/bin:/sbin:/bin \
		/bin/bash -c "$1"
}

# step NAME COMMAND: run it in the chroot's clone, print its exit status and time
step() {
	local t0 rc log
	log="$root/$(echo "$1" | tr -c 'a-zA-Z0-9=\n' '-').log"
	t0=$(date +%s)
	set +e
	in_chroot "cd /root/parbench && $2" >"$log" 2>&1
	rc=$?
	set -e
	printf 'fresh-check: %-28s exit %d, %d s (log: %s)\n' "$1" "$rc" "$(($(date +%s) - t0))" "$log"
	tail -n 5 "$log" | sed 's/^/    /'
	return $rc
}

echo "fresh-check: $(git -C "$top" rev-parse --short HEAD) on a fresh bookworm minbase, $(nproc) PUs," \
	"$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)"
step "apt-get install git make" "apt-get update -q && apt-get install -y -q git make"
status=0
bench="make bench$([ "$profile" = default ] || echo " PROFILE=$profile")"
case $what in
shell) in_chroot "cd /root/parbench && exec bash -i" ;;
test) step "make test" "make test" || status=1 ;;
bench) step "$bench" "$bench" || status=1 ;;
both)
	step "make test" "make test" || status=1
	step "$bench" "$bench" || status=1
	;;
esac
exit $status
