#!/usr/bin/env python3
"""merge_csv.py OUT.csv RUN_DIR... — every run's raw.csv in one CSV.

Each raw.csv opens with `# key=value` metadata lines (machine, cpu_model, pus,
kernel, profile, pin, git_rev, started_utc, ...), then the schema-1 columns.
The merged file has the schema-1 columns, then one column per metadata key
(the union over all runs, in the order first seen; a run without the key
leaves it empty), then run_dir. A key that is also a schema column (machine,
pin) is kept as run_<key>, so a row's own value is never overwritten.

Prints one line per run and a total; exit status 1 when a run cannot be read
or the runs disagree on the schema columns.
"""
import csv
import sys


def read_run(run_dir):
    """Return (metadata dict, header list, rows) of RUN_DIR/raw.csv."""
    meta, lines = {}, []
    with open(f"{run_dir}/raw.csv", newline="") as f:
        for line in f:
            if line.startswith("# ") and "=" in line and not lines:
                key, _, value = line[2:].rstrip("\n").partition("=")
                meta[key.strip()] = value
            else:
                lines.append(line)
    table = list(csv.reader(lines))
    if not table:
        raise ValueError("no header line after the metadata")
    return meta, table[0], table[1:]


def main(argv):
    if len(argv) < 3:
        print(__doc__.strip().splitlines()[0], file=sys.stderr)
        return 2
    out_path, run_dirs = argv[1], argv[2:]
    runs, header, keys, bad = [], None, [], 0
    for run_dir in run_dirs:
        try:
            meta, cols, rows = read_run(run_dir)
        except (OSError, ValueError, csv.Error) as e:
            print(f"merge_csv: {run_dir}: {e}", file=sys.stderr)
            bad += 1
            continue
        if header is None:
            header = cols
        elif cols != header:
            print(f"merge_csv: {run_dir}: columns {cols} differ from {header}", file=sys.stderr)
            bad += 1
            continue
        keys += [k for k in meta if k not in keys]
        runs.append((run_dir, meta, rows))
        print(f"merge_csv: {run_dir}: {len(rows)} rows, machine {meta.get('machine', '?')}")
    if header is None:
        print("merge_csv: no run could be read", file=sys.stderr)
        return 1
    names = [f"run_{k}" if k in header else k for k in keys]
    total = 0
    with open(out_path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header + names + ["run_dir"])
        for run_dir, meta, rows in runs:
            extra = [meta.get(k, "") for k in keys] + [run_dir]
            for row in rows:
                w.writerow(row + extra)
            total += len(rows)
    print(f"merge_csv: {out_path}: {total} rows from {len(runs)} runs")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
