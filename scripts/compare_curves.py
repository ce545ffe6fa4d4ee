"""compare_curves — the overlay figures of make compare (plots/compare/overlay.gp).

Task counts and worker sweeps follow each machine's PUs, so a sweep is
compared as a curve, not case by case: one panel per curve (a case without
its n and workers, from cases.csv), one line per run. Every measured model
is drawn, a model with one point per run as a marker. This file prepares
each figure's data and labels; the .gp file only draws them.
"""

import os
import subprocess
import sys

import pbdata

ORDER = ["serial", "fork", "threads", "threads-gil", "pool", "coroutines", "ideal"]


def curve_metric(runs, experiment):
    """The experiment's headline metric (experiments.csv); for runs without
    the file, the metric its first case is compared by."""
    row = pbdata.describe(runs, experiment)
    if row:
        return row["headline_metric"]
    for r in runs:
        for c, case in r.case_info.items():
            if case["experiment"] == experiment:
                return r.headline(c)
    return None


def run_points(run, experiment, metric):
    """{curve: {workers: (median, min, max)}} from summary.csv (else raw.csv)."""
    rows = run.summary_rows(experiment, metric)
    if rows:
        src = [(r["case"], r["workers"], r["median"], r["min"], r["max"]) for r in rows]
    else:
        src = []
        for c, row in run.case_info.items():
            s = run.stat(c, metric)
            if row["experiment"] == experiment and s:
                src.append((c, int(row["workers"]), s[1], s[2], s[3]))
    pts = {}
    for case, workers, med, lo, hi in src:
        pts.setdefault(curve_of(run, case), []).append((case, workers, med, lo, hi))
    return {curve: {w: (med, lo, hi) for _case, w, med, lo, hi in lst}
            for curve, lst in pts.items()}


def curve_of(run, case):
    """A curve: (workload, model, the case's name without n and workers)."""
    c = pbdata.case_of(run, case)
    return (c.get("workload", ""), c.get("model", ""), pbdata.strip_sweep(run, case))


def curve_sort_key(curve):
    wl, model, name = curve
    return (wl, ORDER.index(model) if model in ORDER else len(ORDER), name)


def run_labels(runs):
    """Machine and stamp, then pin and profile where the runs differ in them."""
    vary = [k for k in ("pin", "profile") if len({r.meta.get(k, "?") for r in runs}) > 1]
    return [" ".join([r.machine, r.stamp] + [f"{k} {r.meta.get(k, '?')}" for k in vary])
            for r in runs]


def write_data(path, curves, per_run):
    """panel run x median min max, one block per (panel, run); returns the
    x range of each panel."""
    ranges = []
    with open(path, "w") as f:
        f.write("# panel run x median min max\n")
        for i, c in enumerate(curves, 1):
            xs = [x for pr in per_run for x in pr.get(c, {})]
            ranges.append((min(xs), max(xs)))
            for j, pr in enumerate(per_run, 1):
                for x in sorted(pr.get(c, {})):
                    med, lo, hi = pr[c][x]
                    f.write(f"{i} {j} {x} {med!r} {lo!r} {hi!r}\n")
                f.write("\n")
    return ranges


def metric_unit(runs, exp, metric):
    for r in runs:
        for (_c, m), u in r.units.items():
            if m == metric:
                return u
    return next((row["unit"] for r in runs for row in r.summary_rows(exp, metric)), "")


def start_one(runs, exp, metric, outdir):
    """Start gnuplot on the overlay of one experiment: the Popen, or None
    when the experiment has no sweep."""
    per_run = [run_points(r, exp, metric) for r in runs]
    if not any(len(byx) > 1 for pr in per_run for byx in pr.values()):
        return None
    curves = sorted({c for pr in per_run for c in pr}, key=curve_sort_key)
    dat = os.path.join(outdir, f"{exp}.dat")
    ranges = write_data(dat, curves, per_run)
    unit = metric_unit(runs, exp, metric)
    v = {"data": dat, "outdir": outdir, "name": exp, "plotdir": "plots",
         "page_title": f"parbench {exp}: {metric}, " + " vs ".join(run_labels(runs)),
         "npanels": len(curves), "nruns": len(runs), "ncols": min(4, len(curves)),
         "xlabel": "workers", "ylabel": f"{metric} ({unit})" if unit else metric}
    for i, c in enumerate(curves, 1):
        v[f"ptitle_{i}"] = c[2]
        v[f"xmin_{i}"], v[f"xmax_{i}"] = ranges[i - 1]
    for j, label in enumerate(run_labels(runs), 1):
        v[f"rlabel_{j}"] = label
    expr = "; ".join(f"{k}={val}" if isinstance(val, (int, float)) else f"{k}={pbdata.gq(val)}"
                     for k, val in v.items())
    return subprocess.Popen(["gnuplot", "-e", expr, "plots/compare/overlay.gp"],
                            cwd=pbdata.ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def draw_curves(runs, outdir):
    """One overlay per experiment with a sweep, drawn side by side:
    [(experiment, metric, png)]."""
    os.makedirs(outdir, exist_ok=True)
    exps = []
    for r in runs:
        exps += [e for e in r.experiments() if e not in exps]
    started = []
    for exp in exps:
        metric = curve_metric(runs, exp)
        proc = start_one(runs, exp, metric, outdir) if metric else None
        if proc:
            started.append((exp, metric, proc))
    done = []
    for exp, metric, proc in started:
        _out, err = proc.communicate()
        png = os.path.join(outdir, f"{exp}.png")
        if proc.returncode != 0 or not os.path.exists(png):
            print(f"compare: warning: overlay for {exp} failed:\n{err}", file=sys.stderr)
            continue
        done.append((exp, metric, png))
    return done
