#!/usr/bin/env python3
"""compare.py RUN_DIR RUN_DIR... [--out DIR] [--min-change 5%] — compare parbench runs.

Writes into DIR (default results/compare/<machine1>-vs-<machine2>[-...]/<UTC>/):
  merged.csv           every raw row of every run, with the run's metadata
                       (pbdata.write_merged, the Slurm merge's layout too)
  compare.csv          per case both runs have, on its experiment's headline
                       metric: medians with min-max, B/A with its 95 % interval,
                       the U test's p, the verdict and its reason
  findings_compare.csv the dimensionless figures of the findings both runs have
  compare.md           the answer for people: per pair a headline, the run-wide
                       speed factor, per experiment geometric means, the cases
                       that differ by effect, the findings side by side
  curves/<experiment>.png|svg  one line (or marker) per run and model
The first run is the baseline A; every other run is a B compared with it.
The statistics are cmpstats.py's, the conclusions comparison.py's, the
prose compare_md.py's. Bad input: a message naming the file and line, exit
status 2, before anything is written.
"""

import argparse
import csv
import datetime
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cmpstats  # noqa: E402
import compare_curves  # noqa: E402
import compare_md  # noqa: E402
import comparison  # noqa: E402
import pbdata  # noqa: E402
from compare_md import md_table  # noqa: E402,F401  (report.py renders rows with it)
from pbdata import DataError  # noqa: E402

ALPHA = cmpstats.ALPHA
DEFAULT_MIN_CHANGE = 0.05
BUSY = 0.5  # busy_share_start above this: parbench warned "the machine is busy"
SKIP_DIFF = ("started_utc", "command", "hostname", "calibration_ticks_per_ms",
             "calibration_tick_ns", "load_avg_start", "busy_share_start")
CSV_COLS = ("case", "experiment", "metric", "unit", "direction", "run_a", "run_b", "n_a",
            "median_a", "min_a", "max_a", "n_b", "median_b", "min_b", "max_b", "ratio",
            "ci_lo", "ci_hi", "p_value", "significant", "spread", "verdict", "reason", "change",
            "metric_note")
FINDINGS_COLS = ("run_a", "run_b", "finding", "figure", "unit", "median_a", "median_b",
                 "verdict_a", "verdict_b")


def parse_min_change(text):
    """'5%' or '5' -> 0.05, '2.5%' -> 0.025; DataError for anything else."""
    # parse-ok: the user's MIN_CHANGE option, a number with an optional %, not a name
    m = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*%?\s*", str(text))
    if not m or not 0 <= float(m.group(1)) < 100:
        raise DataError(f"MIN_CHANGE {text!r}: give a percentage from 0 to 100, e.g. 5% or 2.5")
    return float(m.group(1)) / 100


def only_in(runs):
    """[(case, [run indexes that have it])] for cases not in every run."""
    allc = []
    for r in runs:
        allc += [c for c in r.cases() if c not in allc]
    out = []
    for c in allc:
        have = [i for i, r in enumerate(runs) if c in r.case_info]
        if len(have) < len(runs):
            out.append((c, have))
    return out


def meta_diff(runs):
    keys = []
    for r in runs:
        keys += [k for k in r.meta if k not in keys and k not in SKIP_DIFF]
    return [(k, [r.meta.get(k, "-") for r in runs]) for k in keys
            if len({r.meta.get(k, "-") for r in runs}) > 1]


def doubts(runs):
    out = [f"{k} differs ({' vs '.join(vals)})" for k, vals in meta_diff(runs)
           if k in pbdata.DOUBTFUL_KEYS]
    for i, r in enumerate(runs):
        busy = busy_share(r)
        if busy is not None and busy > BUSY:
            out.append(f"run {i + 1} ({r.machine} {r.stamp}) started on a busy machine "
                       f"({busy:.0%} of its PUs' time was other work, load average "
                       f"{r.meta.get('load_avg_start', '?').split(' ')[0]} on "
                       f"{r.meta.get('pus', '?')} PUs): its timings measure that load as well "
                       "as the machine")
    return out


def busy_share(run):
    """busy_share_start from the run's metadata, or None."""
    try:
        return float(run.meta["busy_share_start"])
    except (KeyError, ValueError):
        return None


def write_rows(path, cols, rows):
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=cols, lineterminator="\n", extrasaction="ignore")
        w.writeheader()
        for r in rows:
            w.writerow({k: (repr(v) if isinstance(v, float) else v) for k, v in r.items()})


def run_line(i, r):
    m = r.meta
    return (f"- run {i + 1}: `{r.dir}` — machine **{r.machine}**, {r.cpu}, "
            f"{m.get('packages', '?')} package(s) / {m.get('cores', '?')} cores / "
            f"{m.get('pus', '?')} PUs, profile {m.get('profile', '?')}, pin {m.get('pin', '?')}, "
            f"{m.get('reps', '?')} repetitions, git {m.get('git_rev', '?')}, "
            f"started {m.get('started_utc', '?')}")


def document(runs, results, only, curves, outdir, min_change):
    """compare.md's lines."""
    lines = [f"# Comparison: {' vs '.join(r.machine for r in runs)}", ""]
    d = doubts(runs)
    if d:
        lines += [f"**Doubtful comparison:** {'; '.join(d)}. The same case name may "
                  "not mean the same work, nor the same machine state; read the differences "
                  "below with care.", ""]
    lines += [run_line(i, r) for i, r in enumerate(runs)] + [""]
    diff = meta_diff(runs)
    if diff:
        lines += ["What differs in their metadata:", "",
                  "| key | " + " | ".join(f"run {i + 1}" for i in range(len(runs))) + " |",
                  "|---|" + "---|" * len(runs)]
        lines += [f"| {k} | " + " | ".join(vals) + " |" for k, vals in diff]
    else:
        lines += ["Their metadata is the same (start time, load and calibration aside)."]
    lines += [""] + compare_md.method_lines(min_change)
    for j, pair in results:
        lines += compare_md.pair_lines(pair, runs, j)
    lines += ["## Cases in some runs only", ""] + compare_md.only_lines(runs, only)
    return lines + ["", "## Curves", ""] + compare_md.curve_lines(curves, outdir)


def default_out(runs):
    # parse-ok: a machine name made safe for a directory name, not parsed
    names = "-vs-".join(re.sub(r"[^A-Za-z0-9._-]", "_", r.machine) for r in runs)
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    return os.path.join("results", "compare", names, stamp)


def shown(pair):
    """The rows a reader is shown: every verdict but same and no verdict."""
    return [r for r in pair["rows"] if r["verdict"] not in compare_md.HIDDEN + ("no verdict",)]


def compare(dirs, out=None, min_change=DEFAULT_MIN_CHANGE):
    """Compare run directories. Returns a dict: out, runs, results [(j,
    pair)] (comparison.compare_pair's dicts), pairs [(j, the rows shown)],
    only, curves, doubts, lines (compare.md), headlines [(j, sentence)]."""
    if len(dirs) < 2:
        raise DataError("need at least two run directories to compare "
                        f"(got {len(dirs)}); usage: make compare RUNS=\"DIR1 DIR2\"")
    pbdata.ensure_scipy()
    runs = pbdata.load_runs(dirs)
    results = [(j, comparison.compare_pair(runs[0], runs[j], min_change))
               for j in range(1, len(runs))]
    out = out or default_out(runs)
    try:
        os.makedirs(out, exist_ok=True)
    except OSError as e:
        raise DataError(f"{out}: cannot create the output directory: {e.strerror}")
    out = os.path.abspath(out)
    only = only_in(runs)
    curves = compare_curves.draw_curves(runs, os.path.join(out, "curves"))
    pbdata.write_merged(runs, os.path.join(out, "merged.csv"))
    write_rows(os.path.join(out, "compare.csv"), CSV_COLS,
               [r for _, p in results for r in p["rows"]])
    write_rows(os.path.join(out, "findings_compare.csv"), FINDINGS_COLS,
               [dict(f, run_a=runs[0].dir, run_b=runs[j].dir)
                for j, p in results for f in p["findings"]])
    lines = document(runs, results, only, curves, out, min_change)
    with open(os.path.join(out, "compare.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    return {"out": out, "runs": runs, "results": results,
            "pairs": [(j, shown(p)) for j, p in results], "only": only, "curves": curves,
            "doubts": doubts(runs), "lines": lines,
            "headlines": [(j, compare_md.headline(p, runs)) for j, p in results]}


def main(argv):
    ap = argparse.ArgumentParser(prog="compare.py", description=__doc__.split("\n")[0])
    ap.add_argument("runs", nargs="*", metavar="RUN_DIR")
    ap.add_argument("--out", metavar="DIR")
    ap.add_argument("--min-change", metavar="PCT", default="5%",
                    help="hide cases whose 95%% interval lies inside +-PCT (default 5%%)")
    args = ap.parse_args(argv)
    try:
        res = compare(args.runs, args.out, parse_min_change(args.min_change))
    except DataError as e:
        pbdata.fail("compare", e)
    out = os.path.relpath(res["out"])
    if out.startswith(".."):
        out = res["out"]
    print(f"compare: {' vs '.join(r.machine for r in res['runs'])} -> {out}/ "
          f"(compare.md, compare.csv, merged.csv, {len(res['curves'])} overlay plot(s))")
    for d in res["doubts"]:
        print(f"compare: doubtful: {d}")
    for (j, pair), (_, text) in zip(res["results"], res["headlines"]):
        print(f"compare: run 1 vs run {j + 1}: {text}")
        print(f"compare: {compare_md.factor_sentence(pair['factor'])}")
    if res["only"]:
        print(f"compare: {len(res['only'])} case(s) in some runs only (see compare.md)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
