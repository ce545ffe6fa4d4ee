#!/usr/bin/env bash
# check.sh — `make slurm-check`: `make slurm` against a real, throwaway,
# single-node Slurm cluster on this machine.
#
# Installs slurm-wlm and munge if they are missing (scripts/deps.sh slurm),
# then starts, all inside one temporary folder: munged with its own key and
# socket, slurmctld and slurmd from a generated slurm.conf (this machine as
# the one node, in two partitions pa and pb, on two free ports). Then:
#
#   1. make slurm PARTITIONS="pa:lab-a:single pb:lab-b:scatter": two array
#      tasks labelled as two machines; the merged CSV must hold both, with
#      the expected cases, pins and metadata columns.
#   2. make slurm NODES="<this host>:lab-a:single" PARTITIONS="pb:lab-b:bogus"
#      NODE_BUILD=1: each task builds parbench on the node in a build folder
#      of its own; task 0 (partitions come first) fails on purpose, with an unknown pin;
#      the merge must still run, name task 0 and lab-b as missing and why,
#      and merge lab-a.
#
# Everything started here is stopped by its pid file on the way out, pass or
# fail, and the check verifies that no slurmctld, slurmd, slurmstepd or
# munged it started is left and the queue is empty. When Slurm cannot start
# here (no packages and no way to install them, no permission), it prints
# one SKIP line and exits 0; PB_SLURM_REQUIRE=1 makes that a failure.
# PB_SLURM_KEEP=1 keeps the temporary folder.
set -euo pipefail

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$src"
t0=$(date +%s)
timeout_s=${PB_SLURM_TIMEOUT:-180} # per submission, until the merge job ends
filter='^tasks/(serial|fork)/io/'

say() { echo "slurm-check: $*"; }
fail() {
	echo "slurm-check: FAIL: $*" >&2
	exit 1
}
skip() {
	[ "${PB_SLURM_REQUIRE:-0}" = 1 ] && fail "cannot start Slurm here: $*"
	echo "slurm-check: SKIP: cannot start a Slurm cluster on this machine: $*"
	exit 0
}

scripts/deps.sh slurm || skip "slurm-wlm and munge are missing and could not be installed"
for c in slurmctld slurmd sbatch scontrol squeue munged mungekey munge python3; do
	command -v "$c" >/dev/null || skip "no $c after installing slurm-wlm and munge"
done

# daemons: the pids of every slurmctld, slurmd, slurmstepd and munged here.
daemons() { ps -eo pid=,comm= | awk '$2 ~ /^(slurmctld|slurmd|slurmstepd|munged)$/ { print $1 }' | sort; }
before=$(daemons)
tmp=$(mktemp -d /tmp/pbslurm.XXXXXX) # short: a unix socket path has ≤ 107 bytes
chmod 711 "$tmp" # munged wants its socket's folder searchable by all
export SLURM_CONF="$tmp/slurm.conf"

# stop NAME: stop the daemon whose pid file is $tmp/NAME.pid (TERM, then KILL).
stop() {
	local pid i
	pid=$(cat "$tmp/$1.pid" 2>/dev/null) || return 0
	[ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$1" ] || return 0
	kill -TERM "$pid" 2>/dev/null
	for i in $(seq 50); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.2
	done
	echo "slurm-check: $1 ($pid) ignored SIGTERM; SIGKILL" >&2
	kill -KILL "$pid" 2>/dev/null
}

cleanup() {
	local rc=$? left i
	set +e
	if [ -f "$tmp/slurmctld.pid" ]; then
		squeue -h -o %i 2>/dev/null | xargs -r scancel 2>/dev/null
		for i in $(seq 50); do
			[ -z "$(squeue -h -o %i 2>/dev/null)" ] && break
			sleep 0.2
		done
		[ -n "$(squeue -h -o %i 2>/dev/null)" ] && echo "slurm-check: jobs still queued at exit" >&2 && rc=1
	fi
	stop slurmd
	stop slurmctld
	stop munged
	for i in $(seq 25); do # a daemon that failed to start may take a moment to go
		left=$(comm -13 <(echo "$before") <(daemons))
		[ -z "$left" ] && break
		sleep 0.2
	done
	if [ -n "$left" ]; then
		echo "slurm-check: FAIL: left running: $(ps -o pid=,comm= -p "${left//$'\n'/,}" | xargs)" >&2
		rc=1
	fi
	if [ "$rc" -eq 0 ] && [ "${passed:-0}" = 1 ]; then
		echo "slurm-check: passed in $(($(date +%s) - t0)) s; queue empty; no slurmctld, slurmd, slurmstepd or munged left"
	fi
	if [ "$rc" -ne 0 ]; then
		for f in "$tmp"/*.log "$tmp"/shared*/logs/*.out; do
			[ -f "$f" ] && echo "--- $f (last lines)" >&2 && tail -n 15 "$f" >&2
		done
	fi
	if [ "$rc" -ne 0 ] || [ "${PB_SLURM_KEEP:-0}" = 1 ]; then
		echo "slurm-check: kept $tmp" >&2
	else
		rm -rf "$tmp"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- munge: a key of our own and a daemon on our own socket.
mungekey --create --keyfile="$tmp/munge.key" 2>"$tmp/mungekey.err" || skip "mungekey: $(cat "$tmp/mungekey.err")"
chmod 400 "$tmp/munge.key"
munged --key-file="$tmp/munge.key" --socket="$tmp/munge.sock" --pid-file="$tmp/munged.pid" \
	--log-file="$tmp/munged.log" --seed-file="$tmp/munged.seed" 2>"$tmp/munged.err" ||
	skip "munged does not start: $(cat "$tmp/munged.err")"
munge -S "$tmp/munge.sock" -n | unmunge -S "$tmp/munge.sock" >/dev/null ||
	skip "munge does not verify its own credential"

# --- slurm.conf: this machine as one node in two partitions, on free ports.
host=$(hostname -s)
node=$(slurmd -C | sed -n 's/^\(NodeName=.*\)$/\1/p' | head -n 1)
[ -n "$node" ] || skip "slurmd -C printed no NodeName line"
read -r port_ctld port_d < <(python3 -c '
import socket
s = [socket.socket() for _ in range(2)]
for x in s: x.bind(("127.0.0.1", 0))
print(*[x.getsockname()[1] for x in s])')
user=$(id -un)
mkdir -p "$tmp/state" "$tmp/spool"
touch "$tmp/plugstack.conf"
cat >"$SLURM_CONF" <<EOF
# Generated by scripts/slurm/check.sh: a throwaway single-node cluster.
ClusterName=pbcheck
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$port_ctld
SlurmdPort=$port_d
SlurmUser=$user
SlurmdUser=$user
AuthType=auth/munge
AuthInfo=socket=$tmp/munge.sock
CredType=cred/munge
StateSaveLocation=$tmp/state
SlurmdSpoolDir=$tmp/spool
SlurmctldPidFile=$tmp/slurmctld.pid
SlurmdPidFile=$tmp/slurmd.pid
SlurmctldLogFile=$tmp/slurmctld.log
SlurmdLogFile=$tmp/slurmd.log
PlugStackConfig=$tmp/plugstack.conf
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/builtin
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
ReturnToService=2
$node NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=pa Nodes=$host Default=YES MaxTime=INFINITE State=UP
PartitionName=pb Nodes=$host MaxTime=INFINITE State=UP
EOF

slurmctld -f "$SLURM_CONF" 2>"$tmp/slurmctld.err" || skip "slurmctld does not start: $(cat "$tmp/slurmctld.err")"
slurmd -f "$SLURM_CONF" 2>"$tmp/slurmd.err" || skip "slurmd does not start: $(cat "$tmp/slurmd.err")"
for i in $(seq 60); do
	state=$(sinfo -h -n "$host" -o %t 2>/dev/null | head -n 1)
	[ "$state" = idle ] && break
	sleep 0.5
done
[ "$state" = idle ] || skip "the node did not become idle in 30 s (state '${state:-none}'; logs in $tmp)"
say "cluster up in $(($(date +%s) - t0)) s: $host in partitions pa and pb, $(scontrol --version)"

# submit NAME MAKE-ARGS...: make slurm into $tmp/NAME, wait for the merge job.
submit() {
	local name=$1 out="$tmp/$1" merge state i
	shift
	make --no-print-directory slurm OUT="$out" PROFILE=quick REPS=3 FILTER="$filter" "$@" ||
		fail "$name: make slurm failed"
	merge=$(sed -n 's/^merge_job=//p' "$out/jobs.txt")
	for ((i = 0; i < timeout_s; i++)); do
		state=$(scontrol -o show job "$merge" 2>/dev/null | sed -n 's/.*JobState=\([^ ]*\).*/\1/p')
		case $state in PENDING | RUNNING | CONFIGURING | COMPLETING | "") sleep 1 ;; *) break ;; esac
	done
	[ "$state" = COMPLETED ] || fail "$name: merge job $merge ended '$state' (or not within ${timeout_s} s)"
	[ -f "$out/merge.txt" ] || fail "$name: no merge.txt"
	echo "--- $name: merge.txt"
	cat "$out/merge.txt"
}

# expect_csv DIR MACHINE:PIN...: merged.csv has exactly these machines, each
# with its pin, both cases, and the metadata columns.
expect_csv() {
	python3 - "$@" <<'EOF' || fail "$1: merged.csv is not what was expected"
import csv, sys
out, want = sys.argv[1], dict(a.split(":") for a in sys.argv[2:])
rows = list(csv.DictReader(line for line in open(f"{out}/merged.csv") if not line.startswith("#")))
bad = []
machines = {r["machine"] for r in rows}
if machines != set(want):
    bad.append(f"machines {sorted(machines)}, expected {sorted(want)}")
for col in ("run_cpu_model", "run_pus", "run_kernel", "run_profile", "run_pin", "run_git_rev",
            "run_started_utc", "run_dir"):
    if not rows or col not in rows[0] or not all(r[col] for r in rows):
        bad.append(f"metadata column {col} missing or empty")
for m, pin in want.items():
    mine = [r for r in rows if r["machine"] == m]
    for model in ("serial", "fork"):
        if not any(r["case"].startswith(f"tasks/{model}/io/") and r["metric"] == "wall_s" for r in mine):
            bad.append(f"{m}: no wall_s row of tasks/{model}/io")
    if {r["pin"] for r in mine} != {pin} or {r["run_pin"] for r in mine} != {pin}:
        bad.append(f"{m}: pins {sorted({r['pin'] for r in mine})}, expected {pin}")
    if any(r["run_profile"] != "quick" for r in mine):
        bad.append(f"{m}: profile is not quick")
for b in bad:
    print(f"slurm-check: {out}: {b}", file=sys.stderr)
print(f"slurm-check: {out}/merged.csv: {len(rows)} rows, machines {sorted(machines)}")
sys.exit(1 if bad else 0)
EOF
}

t1=$(date +%s)
submit ok PARTITIONS="pa:lab-a:single pb:lab-b:scatter"
grep -q '^merged: 2 (lab-a lab-b); missing: 0' "$tmp/ok/merge.txt" || fail "ok: merge.txt does not say both merged"
expect_csv "$tmp/ok" lab-a:single lab-b:scatter
for f in compare/compare.md compare/compare.csv report/report.html report/report.pdf; do
	[ -s "$tmp/ok/$f" ] || fail "ok: the merge job wrote no $f"
done
say "PASS: two array tasks, two machines merged ($(($(date +%s) - t1)) s)"

t1=$(date +%s)
submit failure NODES="$host:lab-a:single" PARTITIONS="pb:lab-b:bogus" NODE_BUILD=1
grep -q "^task 0 lab-b: MISSING .*unknown policy 'bogus'" "$tmp/failure/merge.txt" ||
	fail "failure: merge.txt does not name task 0 (lab-b) as missing with its reason"
grep -q '^merged: 1 (lab-a); missing: 1 (lab-b)' "$tmp/failure/merge.txt" ||
	fail "failure: merge.txt does not say lab-a merged and lab-b missing"
expect_csv "$tmp/failure" lab-a:single
[ -s "$tmp/failure/report/report.html" ] || fail "failure: no report of the one run that finished"
[ -x "$tmp/failure/build/task-1-$host/parbench" ] || fail "failure: NODE_BUILD=1 built no binary for task 1"
say "PASS: failed task 0 (lab-b) named, lab-a still merged ($(($(date +%s) - t1)) s)"

[ -z "$(squeue -h -o %i)" ] || fail "jobs left in the queue: $(squeue -h -o '%i %T' | xargs)"
passed=1
