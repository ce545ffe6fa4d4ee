#!/usr/bin/env bash
# submit.sh — `make slurm`: parbench on every node type of a Slurm cluster.
#
# Submits one job array, one task per partition or node, each task alone on
# its node (--exclusive, parbench.sbatch), then a merge job that runs after
# the array whatever became of it (--dependency=afterany, merge.sbatch).
# Settings come from the environment (the Makefile passes its variables):
#
#   PARTITIONS  words NAME[:MACHINE[:PIN]]: one task per partition, named
#               MACHINE (default: the node's name, $SLURMD_NODENAME)
#   NODES       words NODE[:MACHINE[:PIN]]: one task per node
#               (neither: one task in the default partition)
#   PROFILE PIN FILTER REPS ARGS   as for `make bench` (PIN: the default pin)
#   OUT         the results folder; it must be on a filesystem every node
#               sees (default: results/slurm/<UTC stamp> in this checkout)
#   NODE_BUILD  1: every task builds parbench on its node, in its own build
#               directory (nodes with different CPUs or libraries); default:
#               the binary built here, checked on each node before it runs
#   SBATCH_ARGS more sbatch options for every job, e.g. --account=proj
#
# Prints the job ids and where the results go; writes OUT/jobs.txt.
set -euo pipefail

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
here="$src/scripts/slurm"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
out=${OUT:-$src/results/slurm/$stamp}
case $out in /*) ;; *) out="$PWD/$out" ;; esac
pin=${PIN:-none}

die() {
	echo "make slurm: $*" >&2
	exit 1
}
command -v sbatch >/dev/null || die "no sbatch here: run this on a Slurm login node (or scripts/deps.sh slurm)"
mkdir -p "$out"/{runs,status,logs,bin} || die "cannot create $out"
[ -z "$(ls -A "$out/status")" ] || die "$out already holds a submission; give another OUT"

# The task table: one row per array task, read by parbench.sbatch and merge.sbatch.
tasks="$out/tasks.tsv"
printf 'task\tpartition\tnode\tmachine\tpin\n' >"$tasks"
n=0 parts=() labels=()
add_task() { # add_task PARTITION NODE SPEC: SPEC is NAME[:MACHINE[:PIN]]
	local machine pin_here
	IFS=: read -r _ machine pin_here <<<"$3"
	printf '%s\t%s\t%s\t%s\t%s\n' "$n" "$1" "$2" "${machine:--}" "${pin_here:-$pin}" >>"$tasks"
	local where="node $2"
	[ "$2" = - ] && where="partition $1"
	[ "$1$2" = -- ] && where="the default partition"
	labels+=("task $n: ${machine:-<node name>} on $where (pin ${pin_here:-$pin})")
	n=$((n + 1))
}
for spec in ${PARTITIONS:-}; do
	add_task "${spec%%:*}" - "$spec"
	parts+=("${spec%%:*}")
done
for spec in ${NODES:-}; do
	add_task - "${spec%%:*}" "$spec"
done
[ "$n" -gt 0 ] || add_task - - ""

if [ "${NODE_BUILD:-0}" != 1 ]; then
	[ -x "$src/bench/parbench" ] || die "no bench/parbench: run make build first"
	cp "$src/bench/parbench" "$out/bin/parbench"
fi

export PB_OUT="$out" PB_SRC="$src" PB_PROFILE="${PROFILE:-default}" PB_FILTER="${FILTER:-}" \
	PB_REPS="${REPS:-}" PB_ARGS="${ARGS:-}" PB_NODE_BUILD="${NODE_BUILD:-0}"
# shellcheck disable=SC2206 # SBATCH_ARGS is words on purpose
extra=(${SBATCH_ARGS:-})
part_opt=()
if [ ${#parts[@]} -gt 0 ]; then
	part_opt=(--partition="$(
		IFS=,
		echo "${parts[*]}"
	)")
fi

# The array is submitted held, so that each task can be sent to its own
# partition or node (a job array shares one set of options), then released.
array=$(sbatch --parsable --hold --array=0-$((n - 1)) "${part_opt[@]}" "${extra[@]}" \
	--output="$out/logs/task-%a.out" "$here/parbench.sbatch") || die "sbatch of the array failed"
array=${array%%;*}
cancel() {
	scancel "$array" 2>/dev/null
	die "$1 (array job $array cancelled)"
}
while IFS=$'\t' read -r task partition node _; do
	[ "$task" = task ] && continue
	if [ "$partition" != - ] && [ ${#parts[@]} -gt 1 ]; then
		scontrol update JobId="${array}_$task" Partition="$partition" ||
			cancel "cannot send task $task to partition $partition"
	fi
	if [ "$node" != - ]; then
		scontrol update JobId="${array}_$task" NodeList="$node" ||
			cancel "cannot send task $task to node $node"
	fi
done <"$tasks"

merge_part=()
[ ${#parts[@]} -gt 0 ] && merge_part=(--partition="${parts[0]}")
merge=$(PB_ARRAY=$array sbatch --parsable --dependency=afterany:"$array" --kill-on-invalid-dep=no \
	"${merge_part[@]}" "${extra[@]}" --output="$out/logs/merge.out" "$here/merge.sbatch") ||
	cancel "sbatch of the merge job failed"
merge=${merge%%;*}
scontrol release "$array" || cancel "cannot release the array"
printf 'array_job=%s\nmerge_job=%s\n' "$array" "$merge" >"$out/jobs.txt"

echo "make slurm: array job $array, $n task(s), each alone on its node:"
printf '  %s\n' "${labels[@]}"
echo "make slurm: merge job $merge runs after the array (afterany)"
echo "make slurm: results in $out/ (runs/, status/, logs/; merge.txt and merged.csv when job $merge ends)"
echo "  watch: squeue -j $array,$merge    then: cat $out/merge.txt"
