#!/usr/bin/env python3
"""compare.py RUN_DIR RUN_DIR... [--out DIR] — compare parbench runs.

Writes into DIR (default results/compare/<machine1>-vs-<machine2>[-...]/<UTC>/):
  merged.csv   every raw row of every run, with the run's metadata as columns
  compare.csv  per case and main metric present in the first run and another:
               medians with min-max, ratio, two-sided Mann-Whitney U p-value
  compare.md   the same for people: which runs, what differs, doubts first
  curves/<experiment>.png|svg  one line per run for each swept curve
The first run is the baseline; every other run is compared with it. A case
whose name exists in one run only (task counts and worker sweeps follow the
machine's PUs) is listed as such and drawn in the curves. Bad input: a
message naming the file and line, exit status 2.
"""

import argparse
import csv
import datetime
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pbdata  # noqa: E402
from pbdata import DataError, fmt  # noqa: E402

ALPHA = 0.05
META_COLS = ("machine", "cpu_model", "packages", "cores", "pus", "kernel", "profile", "pin",
             "reps", "git_rev", "started_utc")
SKIP_DIFF = ("started_utc", "command", "hostname", "calibration_ticks_per_ms",
             "calibration_tick_ns")


def u_test(a, b):
    """Two-sided Mann-Whitney U (scipy). Returns (p, verdict)."""
    from scipy.stats import mannwhitneyu
    if len(set(a)) == 1 and set(a) == set(b):
        p = 1.0
    else:
        p = float(mannwhitneyu(a, b, alternative="two-sided").pvalue)
    if min(len(a), len(b)) < pbdata.MIN_REPS:
        return p, "too few repetitions"
    if p != p:
        return p, "no test"
    return p, "significant" if p < ALPHA else "not significant"


def compare_pair(base, other):
    rows = []
    for case in base.cases():
        if case not in other.case_info:
            continue
        metric = base.headline(case)
        if metric is None or other.headline(case) != metric:
            continue
        a, b = base.values.get((case, metric)), other.values.get((case, metric))
        if not a or not b:
            continue
        p, verdict = u_test(a, b)
        sa, sb = base.stat(case, metric), other.stat(case, metric)
        row = pbdata.describe([base, other], base.case_info[case]["experiment"])
        rows.append({
            "case": case, "experiment": base.case_info[case]["experiment"],
            "metric": metric, "unit": base.units.get((case, metric), ""),
            "run_a": base.dir, "run_b": other.dir,
            "n_a": sa[0], "median_a": sa[1], "min_a": sa[2], "max_a": sa[3],
            "n_b": sb[0], "median_b": sb[1], "min_b": sb[2], "max_b": sb[3],
            "ratio": sb[1] / sa[1] if sa[1] else float("nan"),
            "p_value": p, "verdict": verdict,
            "direction": row["direction"] if row and row["headline_metric"] == metric else "",
        })
    return rows


def only_in(runs):
    """[(case, [run indexes that have it])] for cases not in every run."""
    allc = []
    for r in runs:
        for c in r.cases():
            if c not in allc:
                allc.append(c)
    out = []
    for c in allc:
        have = [i for i, r in enumerate(runs) if c in r.case_info]
        if len(have) < len(runs):
            out.append((c, have))
    return out


def meta_diff(runs):
    keys = []
    for r in runs:
        for k in r.meta:
            if k not in keys and k not in SKIP_DIFF:
                keys.append(k)
    return [(k, [r.meta.get(k, "-") for r in runs]) for k in keys
            if len({r.meta.get(k, "-") for r in runs}) > 1]


def doubts(runs):
    out = []
    for k, vals in meta_diff(runs):
        if k in pbdata.DOUBTFUL_KEYS:
            out.append(f"{k} differs ({' vs '.join(vals)})")
    return out


def write_merged(runs, path):
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["run_dir"] + [f"run_{k}" for k in META_COLS] + pbdata.RAW_HEADER)
        for r in runs:
            prefix = [r.dir] + [r.meta.get(k, "") for k in META_COLS]
            for row in r.rows:
                w.writerow(prefix + [row[c] for c in pbdata.RAW_HEADER])


CSV_COLS = ("case", "experiment", "metric", "unit", "run_a", "run_b", "n_a", "median_a",
            "min_a", "max_a", "n_b", "median_b", "min_b", "max_b", "ratio", "p_value",
            "verdict")


def write_csv(rows, path):
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=CSV_COLS, lineterminator="\n", extrasaction="ignore")
        w.writeheader()
        for r in rows:
            w.writerow({k: (repr(v) if isinstance(v, float) else v) for k, v in r.items()})


# --- curves --------------------------------------------------------------------

def curve_metric(runs, experiment):
    """The experiment's headline metric (experiments.csv); for a run that has
    none, the headline its first case is compared by."""
    row = pbdata.describe(runs, experiment)
    if row:
        return row["headline_metric"]
    for r in runs:
        for c, case in r.case_info.items():
            if case["experiment"] == experiment:
                return r.headline(c)
    return None


def run_points(run, experiment, metric):
    """{curve (curve_of): {x: (median, min, max)}} from summary.csv (or raw.csv)."""
    pts = {}
    rows = run.summary_rows(experiment, metric)
    if rows:
        src = [(r["case"], r["workers"], r["median"], r["min"], r["max"]) for r in rows]
    else:
        src = []
        for c, row in run.case_info.items():
            s = run.stat(c, metric)
            if row["experiment"] == experiment and s:
                src.append((c, int(row["workers"]), s[1], s[2], s[3]))
    for case, workers, med, lo, hi in src:
        pts.setdefault(curve_of(run, case), []).append((case, workers, med, lo, hi))
    out = {}
    for curve, lst in pts.items():
        ws = {w for _, w, *_ in lst}
        byx = {}
        for case, w, med, lo, hi in lst:
            x = w if len(ws) > 1 else (pbdata.case_param(run, case, "n") or w)
            byx[x] = (med, lo, hi)
        out[curve] = byx
    return out


def curve_of(run, case):
    """A curve: (workload, model, the case's name without n and workers), from cases.csv."""
    c = pbdata.case_of(run, case)
    return (c.get("workload", ""), c.get("model", ""), pbdata.strip_sweep(run, case))


def curve_sort_key(curve):
    order = ["serial", "fork", "threads", "threads-gil", "pool", "ideal"]
    wl, model, name = curve
    return (wl, order.index(model) if model in order else len(order), name)


def draw_curves(runs, outdir):
    """One overlay per experiment with a sweep. Returns [(experiment, metric, png)]."""
    os.makedirs(outdir, exist_ok=True)
    done = []
    exps = []
    for r in runs:
        for e in r.experiments():
            if e not in exps:
                exps.append(e)
    for exp in exps:
        metric = curve_metric(runs, exp)
        if not metric:
            continue
        per_run = [run_points(r, exp, metric) for r in runs]
        curves = sorted({c for pr in per_run for c, byx in pr.items() if len(byx) > 1},
                        key=curve_sort_key)
        if not curves:
            continue
        dat = os.path.join(outdir, f"{exp}.dat")
        with open(dat, "w") as f:
            f.write("# panel run x median min max\n")
            for i, c in enumerate(curves, 1):
                for j, pr in enumerate(per_run, 1):
                    for x in sorted(pr.get(c, {})):
                        med, lo, hi = pr[c][x]
                        f.write(f"{i} {j} {x} {med!r} {lo!r} {hi!r}\n")
                    f.write("\n")
        unit = ""
        for r in runs:
            for (c, m), u in r.units.items():
                if m == metric:
                    unit = u
        if not unit:
            unit = next((row["unit"] for r in runs for row in r.summary_rows(exp, metric)), "")
        anyx = any(len({row["workers"] for row in r.summary_rows(exp, metric)}) > 1
                   for r in runs) or not any(r.summary_rows(exp, metric) for r in runs)
        v = {"data": dat, "outdir": outdir, "name": exp, "plotdir": "plots",
             "page_title": f"parbench {exp} — {metric} — " +
                           " vs ".join(r.machine for r in runs),
             "npanels": len(curves), "nruns": len(runs), "ncols": min(4, len(curves)),
             "xlabel": "workers" if anyx else "tasks",
             "ylabel": f"{metric} ({unit})" if unit else metric}
        for i, c in enumerate(curves, 1):
            v[f"ptitle_{i}"] = c[2]
        for j, r in enumerate(runs, 1):
            v[f"rlabel_{j}"] = (f"{r.machine} — {r.cpu}, {r.meta.get('pus', '?')} PUs, "
                                f"pin {r.meta.get('pin', '?')}, {r.meta.get('profile', '?')}")
        expr = "; ".join(f"{k}={val}" if isinstance(val, int) else f"{k}={pbdata.gq(val)}"
                         for k, val in v.items())
        res = subprocess.run(["gnuplot", "-e", expr, "plots/compare/overlay.gp"],
                             cwd=pbdata.ROOT, capture_output=True, text=True)
        png = os.path.join(outdir, f"{exp}.png")
        if res.returncode != 0 or not os.path.exists(png):
            print(f"compare: warning: overlay for {exp} failed:\n{res.stderr}", file=sys.stderr)
            continue
        done.append((exp, metric, png))
    return done


# --- compare.md ------------------------------------------------------------------

def md_cell(r, side):
    """One side's median (min–max, n) of a comparison row, for the Markdown table."""
    return (f"{fmt(r['median_' + side])} ({fmt(r['min_' + side])}–{fmt(r['max_' + side])}, "
            f"n={r['n_' + side]})")


def md_table(rows, labels):
    out = ["| case | metric | " + " | ".join(labels) + " | ratio | p (U test) | verdict |",
           "|---|---|" + "---|" * len(labels) + "---|---|---|"]
    for r in rows:
        p = "-" if r["p_value"] != r["p_value"] else f"{r['p_value']:.3g}"
        verdict = f"**{r['verdict']}**" if r["verdict"] == "significant" else r["verdict"]
        if r["verdict"] == "significant" and r.get("direction"):
            better = (r["ratio"] < 1) == (r["direction"] == "lower")
            verdict += f", {'better' if better else 'worse'} ({r['direction']} is better)"
        out.append(f"| `{r['case']}` | {r['metric']} | {md_cell(r, 'a')} | {md_cell(r, 'b')} | "
                   f"{r['ratio']:.3f}× | {p} | {verdict} |")
    return out


def run_line(i, r):
    m = r.meta
    return (f"- run {i + 1}: `{r.dir}` — machine **{r.machine}**, {r.cpu}, "
            f"{m.get('packages', '?')} package(s) / {m.get('cores', '?')} cores / "
            f"{m.get('pus', '?')} PUs, profile {m.get('profile', '?')}, pin {m.get('pin', '?')}, "
            f"{m.get('reps', '?')} repetitions, git {m.get('git_rev', '?')}, "
            f"started {m.get('started_utc', '?')}")


def summary_lines(runs, pairs, only, curves, outdir):
    lines = [f"# Comparison: {' vs '.join(r.machine for r in runs)}", ""]
    d = doubts(runs)
    if d:
        lines += [f"**Doubtful comparison:** {'; '.join(d)}. The same case name may "
                  "not mean the same work; read the ratios with care.", ""]
    lines += [run_line(i, r) for i, r in enumerate(runs)] + [""]
    diff = meta_diff(runs)
    if diff:
        lines += ["What differs in their metadata:", "",
                  "| key | " + " | ".join(f"run {i + 1}" for i in range(len(runs))) + " |",
                  "|---|" + "---|" * len(runs)]
        lines += [f"| {k} | " + " | ".join(vals) + " |" for k, vals in diff]
    else:
        lines += ["Their metadata is the same (start time and command aside)."]
    lines += ["", f"Each row: median (min–max, n repetitions) of the case's main metric in "
              f"each run, the ratio of the medians (later run / run 1), and a two-sided "
              f"Mann–Whitney U test on the repetitions (scipy); significant when p < {ALPHA}, "
              f"too few repetitions when a run has fewer than {pbdata.MIN_REPS}. The main "
              f"metric is the experiment's headline (the runs' experiments.csv) where the "
              f"case records it, else wall_s; a significant headline says whether the later "
              f"run is better or worse by the experiment's direction.", ""]
    for j, rows in pairs:
        lines += [f"## run 1 ({runs[0].machine}) against run {j + 1} ({runs[j].machine})", ""]
        if rows:
            lines += md_table(rows, [f"run 1 {runs[0].machine}", f"run {j + 1} {runs[j].machine}"])
            nsig = sum(r["verdict"] == "significant" for r in rows)
            lines += ["", f"{nsig} of {len(rows)} cases differ significantly."]
        else:
            lines += ["No case with the same name (the same work) in both runs."]
        lines += [""]
    lines += ["## Cases in some runs only", ""]
    if only:
        lines += ["Task counts and worker sweeps follow each machine's PUs, so these are "
                  "compared as curves below, not row by row.", ""]
        lines += [f"- `{c}`: only in " + ", ".join(f"run {i + 1} ({runs[i].machine})" for i in have)
                  for c, have in only]
    else:
        lines += ["None: every case is in every run."]
    lines += ["", "## Curves", ""]
    if curves:
        for exp, metric, png in curves:
            rel = os.path.relpath(png, outdir)
            lines += [f"![{exp}: {metric} against workers, one line per run]({rel})", ""]
    else:
        lines += ["No experiment with a sweep in these runs."]
    return lines


def default_out(runs):
    # parse-ok: a machine name made safe for a directory name, not parsed
    names = "-vs-".join(re.sub(r"[^A-Za-z0-9._-]", "_", r.machine) for r in runs)
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    return os.path.join("results", "compare", names, stamp)


def compare(dirs, out=None):
    """Compare run directories; returns a dict for report.py."""
    if len(dirs) < 2:
        raise DataError("need at least two run directories to compare "
                        f"(got {len(dirs)}); usage: make compare RUNS=\"DIR1 DIR2\"")
    pbdata.ensure_scipy()
    runs = pbdata.load_runs(dirs)
    out = out or default_out(runs)
    try:
        os.makedirs(out, exist_ok=True)
    except OSError as e:
        raise DataError(f"{out}: cannot create the output directory: {e.strerror}")
    out = os.path.abspath(out)
    pairs = [(j, compare_pair(runs[0], runs[j])) for j in range(1, len(runs))]
    only = only_in(runs)
    curves = draw_curves(runs, os.path.join(out, "curves"))
    write_merged(runs, os.path.join(out, "merged.csv"))
    write_csv([r for _, rows in pairs for r in rows], os.path.join(out, "compare.csv"))
    lines = summary_lines(runs, pairs, only, curves, out)
    with open(os.path.join(out, "compare.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    return {"out": out, "runs": runs, "pairs": pairs, "only": only, "curves": curves,
            "doubts": doubts(runs), "lines": lines}


def main(argv):
    ap = argparse.ArgumentParser(prog="compare.py", description=__doc__.split("\n")[0])
    ap.add_argument("runs", nargs="*", metavar="RUN_DIR")
    ap.add_argument("--out", metavar="DIR")
    args = ap.parse_args(argv)
    try:
        res = compare(args.runs, args.out)
    except DataError as e:
        pbdata.fail("compare", e)
    out = os.path.relpath(res["out"])
    if out.startswith(".."):
        out = res["out"]
    print(f"compare: {' vs '.join(r.machine for r in res['runs'])} -> {out}/ "
          f"(merged.csv, compare.csv, compare.md, {len(res['curves'])} overlay plot(s))")
    for d in res["doubts"]:
        print(f"compare: doubtful: {d}")
    for j, rows in res["pairs"]:
        nsig = sum(r["verdict"] == "significant" for r in rows)
        print(f"compare: run 1 vs run {j + 1}: {nsig} of {len(rows)} cases differ "
              f"significantly (Mann-Whitney U, p < {ALPHA})")
    if res["only"]:
        print(f"compare: {len(res['only'])} case(s) in some runs only (see compare.md)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
