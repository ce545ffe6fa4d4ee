#!/usr/bin/env python3
"""merge_csv.py OUT.csv RUN_DIR... — every run's raw.csv in one CSV.

The layout is merged.csv's (README, "merged.csv"), written by the same
function as make compare's (pbdata.write_merged): the raw.csv columns, then
run_dir and the run's metadata as run_<key> columns.

Prints one line per run and a total. A run that cannot be read is named
with the reason and left out; exit status 1 when any run was left out or
none could be read, 2 on a usage error.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import pbdata  # noqa: E402


def main(argv):
    if len(argv) < 3:
        print(__doc__.strip().splitlines()[0], file=sys.stderr)
        return 2
    out_path, run_dirs = argv[1], argv[2:]
    runs, bad = [], 0
    for run_dir in run_dirs:
        try:
            run = pbdata.Run(run_dir)
        except pbdata.DataError as e:
            print(f"merge_csv: {e}", file=sys.stderr)
            bad += 1
            continue
        runs.append(run)
        print(f"merge_csv: {run_dir}: {len(run.rows)} rows, machine {run.machine}")
    if not runs:
        print("merge_csv: no run could be read", file=sys.stderr)
        return 1
    total = pbdata.write_merged(runs, out_path)
    print(f"merge_csv: {out_path}: {total} rows from {len(runs)} runs")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
