#!/usr/bin/env python3
"""plotdata.py RUN_DIR OUT.csv — the data file the plots draw, prepared once.

Beside OUT.csv, one OUT-<figure>.csv per figure that experiments.csv names:
the same columns, only the rows of the experiments that draw that figure. A
figure's gnuplot `stats` passes then scan its own rows, not the whole run's
(on a quick run of 2 PUs, 4,000 rows: plot.sh took 12 s, most of it there).
And OUT-<figure>.gp for the figures figdata.py has a builder for: the
figure's title stating its finding with this run's numbers, its axis ranges
and the paths of its own data files (OUT-<figure>.<what>.dat), as gnuplot
variables that plots/<figure>.gp loads (plot.sh passes it as `figvars`).

summary.csv's rows with their columns unchanged (1 machine ... 15 unit), then one
column per parameter of the run's cases, read from cases.csv: param_<name>
(param_n, param_gap_ns, param_pin, ...), empty where a case has no such
parameter. param_pin holds the pin a case fixes in its name, and is empty for a
case under the run's --pin (summary.csv's pin column says which pin that was).
A .gp file selects rows by these columns (column('param_n'),
strcol('param_pin')), never by parsing a case name (STYLE.md, "The data path").

Exit status 0, or 2 with a message naming the file (pbdata.DataError).
"""

import csv
import os
import sys

import figdata
import findings
import pbdata

# Parameters summary.csv already has a column for.
OWN_COLUMNS = ("model", "workload", "workers")


def case_columns(case):
    """{param_<name>: value text} of one case (pbdata.Case)."""
    cols = {}
    for p, value, _unit, _type, key in case.rows:
        if p in OWN_COLUMNS:
            continue
        if p == "pin" and key == "-":
            continue  # the run's --pin, not one the case fixes
        cols["param_" + p] = value
    return cols


def figure_experiments(run):
    """{figure: set of the experiments that draw it}, from experiments.csv."""
    out = {}
    for name, row in run.registry.items():
        for fig in pbdata.figures(row):
            out.setdefault(fig, set()).add(name)
    return out


def prepare(run_dir, out_path):
    run = pbdata.Run(run_dir)
    cases = pbdata.run_cases(run)
    per_case = {name: case_columns(c) for name, c in cases.items()}
    names = sorted({k for cols in per_case.values() for k in cols})
    rows = []
    for r in run.summary:
        cols = per_case.get(r["case"])
        if cols is None:
            raise pbdata.DataError(f"{os.path.join(run.dir, 'cases.csv')}: "
                                   f"no rows for case {r['case']}")
        rows.append((r["experiment"],
                     [r[h] for h in pbdata.SUMMARY_HEADER] + [cols.get(n, "") for n in names]))
    write(out_path, names, (row for _, row in rows))
    stem, ext = os.path.splitext(out_path)
    figs = figure_experiments(run)
    for fig, exps in figs.items():
        write(f"{stem}-{fig}{ext}", names, (row for exp, row in rows if exp in exps))
    figdata.prepare(run, findings.read(run_dir), stem, sorted(figs))


def write(path, names, rows):
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(pbdata.SUMMARY_HEADER + names)
        w.writerows(rows)


def main(argv):
    if len(argv) != 3:
        print("usage: plotdata.py RUN_DIR OUT.csv", file=sys.stderr)
        return 2
    try:
        prepare(argv[1], argv[2])
    except pbdata.DataError as e:
        print(f"plotdata: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
