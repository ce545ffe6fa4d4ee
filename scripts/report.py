#!/usr/bin/env python3
"""report.py (--run DIR | --runs DIR DIR... [--out DIR]) — a report for teaching.

Writes report.md, report.html (self-contained: every plot embedded as a data
URI, no external URL) and report.pdf (headless Chromium) into the run
directory, or with --runs into the comparison's directory (compare.py's
default, or --out). Each experiment gets a section: what it teaches, its
headline metric and its figures (the run's experiments.csv), each run's plot,
and a caption written from that run's summary.csv and raw.csv. captions.txt holds
the captions, one a line, for the tests. Bad input: exit status 2.
"""

import argparse
import base64
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import findings as findings_csv  # noqa: E402
import pbdata  # noqa: E402
from pbdata import DataError, fmt  # noqa: E402

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]
STYLE = """<style>
body { max-width: 60em; margin: 1em auto; padding: 0 1em; font-family: 'DejaVu Sans', sans-serif;
       font-size: 11pt; line-height: 1.4; }
h1 { font-size: 1.6em; } h2 { font-size: 1.3em; margin-top: 1.5em; }
img { max-width: 100%; height: auto; display: block; margin: 0.5em auto; }
table { border-collapse: collapse; font-size: 0.85em; margin: 0.5em 0; }
th, td { border: 1px solid #bbb; padding: 0.15em 0.4em; vertical-align: top; }
code { font-size: 0.9em; word-break: break-all; }
p.caption, .figcaption { font-size: 0.95em; color: #222; }
figure { margin: 0.5em 0; }
@media print { h2 { break-before: page; } body { max-width: none; } }
</style>
"""


def chromium_bin():
    for c in ("chromium", "chromium-browser", "google-chrome"):
        p = shutil.which(c)
        if p:
            return p
    return None


def data_uri(path):
    with open(path, "rb") as f:
        return "data:image/png;base64," + base64.b64encode(f.read()).decode()


def ensure_plots(run):
    """The run's own plots (<run>/plots/); drawn once if missing."""
    pdir = os.path.join(run.dir, "plots")
    if not os.path.isdir(pdir) or not any(f.endswith(".png") for f in os.listdir(pdir)):
        res = subprocess.run([os.path.join(pbdata.HERE, "plot.sh"), run.dir],
                             capture_output=True, text=True)
        if res.returncode != 0:
            print(f"report: warning: plot.sh {run.dir} failed:\n{res.stderr}", file=sys.stderr)
    return pdir


# --- captions from the numbers ------------------------------------------------

def noisy_cases(run, experiment):
    out = []
    for c, row in run.case_info.items():
        if row["experiment"] != experiment:
            continue
        m = run.headline(c)
        s = run.stat(c, m) if m else None
        if s and pbdata.noisy(s[2], s[3]):
            out.append(f"{c} ({m} max/min {s[3] / s[2]:.2f})")
    return out


def srow(run, case, metric):
    for r in run.summary:
        if r["case"] == case and r["metric"] == metric:
            return r
    return None


def tasks_caption(run):
    """Per workload: serial time, then each model at W = number of tasks."""
    parts = []
    models = ["fork", "threads", "threads-gil", "pool"]
    names = {"fork": "a process per task", "threads": "threads without a GIL",
             "threads-gil": "threads under the GIL", "pool": "a process pool"}
    for wl in ("io", "cpu"):
        serial = [c for c, r in run.case_info.items()
                  if r["experiment"] == "tasks" and r["model"] == "serial" and r["workload"] == wl]
        if not serial:
            continue
        sc = serial[0]
        n = pbdata.case_param(run, sc, "n")
        ms = run.case_info[sc]["param_value"]
        s = run.stat(sc, "wall_s")
        if not s:
            continue
        bits = []
        for m in models:
            cases = [(int(r["workers"]), c) for c, r in run.case_info.items()
                     if r["experiment"] == "tasks" and r["model"] == m and r["workload"] == wl]
            if not cases:
                continue
            at_n = [x for x in cases if x[0] == n]
            w, c = at_n[0] if at_n else max(cases)
            st = run.stat(c, "wall_s")
            sp = srow(run, c, "speedup")
            if not st:
                continue
            bits.append(f"{names[m]} {fmt(st[1])} s ({fmt(st[2])}–{fmt(st[3])})"
                        + (f", {sp['median']:.2f}× serial" if sp else "")
                        + ("" if at_n else f" with {w} workers"))
        head = (f"{n} {wl.upper()} tasks of {ms} ms take {fmt(s[1])} s "
                f"({fmt(s[2])}–{fmt(s[3])}) one after another")
        if bits:
            head += f"; with {n} workers: " + "; ".join(bits)
        parts.append(head + ".")
    return " ".join(parts)


def generic_caption(run, experiment):
    meds = []
    for c, r in run.case_info.items():
        if r["experiment"] != experiment:
            continue
        m = run.headline(c)
        s = run.stat(c, m) if m else None
        if s:
            meds.append((s[1], c, m, run.units.get((c, m), "")))
    if not meds:
        return "No repetition of this experiment succeeded in this run."
    lo, hi = min(meds), max(meds)
    text = f"{len(meds)} case{'s' if len(meds) != 1 else ''}. "
    if lo[2] == hi[2] and lo is not hi:
        text += (f"Median {lo[2]} from {fmt(lo[0])} {lo[3]} ({lo[1]}) to {fmt(hi[0])} {hi[3]} "
                 f"({hi[1]}).")
    else:
        text += f"Median {lo[2]} {fmt(lo[0])} {lo[3]} ({lo[1]})."
    sp = run.summary_rows(experiment, "speedup")
    if sp:
        best = max(sp, key=lambda r: r["median"])
        text += f" Best speedup {best['median']:.2f}× ({best['case']})."
    return text


def findings(run):
    """The run's findings, grouped by the experiment that made each one: read
    from findings.csv (scripts/findings.py), rendered as summary.md has them."""
    return findings_csv.by_experiment(run.dir)


def caption(run, experiment):
    pus, pin = run.meta.get("pus", "?"), run.meta.get("pin", "?")
    reps = run.meta.get("reps", "?")
    body = tasks_caption(run) if experiment == "tasks" else ""
    body = body or generic_caption(run, experiment)
    text = (f"{run.machine} ({run.cpu}, {pus} PUs, pin {pin}, medians of {reps} repetitions "
            f"with min–max): {body}")
    nz = noisy_cases(run, experiment)
    text += (" Noisy (max/min > 1.25): " + "; ".join(nz) + ".") if nz else \
        " No case is noisy (max/min ≤ 1.25)."
    failed = [c for c in run.failed if run.case_info[c]["experiment"] == experiment]
    if failed:
        text += f" Failed repetitions in: {', '.join(failed)}."
    return text


# --- the document -----------------------------------------------------------------

MACHINE_KEYS = [("machine", "machine"), ("CPU", "cpu_model"), ("packages", "packages"),
                ("cores", "cores"), ("PUs", "pus"), ("caches", "caches"), ("kernel", "kernel"),
                ("OS", "os"), ("compiler", "compiler"), ("flags", "cflags"),
                ("profile", "profile"), ("pin", "pin"), ("repetitions", "reps"),
                ("date (UTC)", "started_utc"), ("revision", "git_rev"),
                ("run directory", None)]


def esc_md(s):
    """Text that pandoc must not read as markup (a * in "5 × 2" is fine; a
    leading # or a lone * would not be)."""
    return str(s).replace("\\", "\\\\").replace("*", "\\*").replace("_", "\\_")


def esc(s):
    return str(s).replace("|", "\\|")


def machine_table(runs):
    lines = ["| | " + " | ".join(f"run {i + 1}" for i in range(len(runs))) + " |",
             "|---|" + "---|" * len(runs)]
    for label, key in MACHINE_KEYS:
        vals = [r.dir if key is None else r.meta.get(key, "-") for r in runs]
        cells = [f"`{esc(v)}`" if key is None else esc(v) for v in vals]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return lines


def seed_map():
    """The README's "Where each seed program lives" table, as it is."""
    try:
        with open(os.path.join(pbdata.ROOT, "README.md"), encoding="utf-8") as f:
            lines = f.read().split("\n")
    except OSError:
        return ["(README.md not found)"]
    out, on = [], False
    for line in lines:
        if line.startswith("### Where each seed program lives"):
            on = True
            continue
        if on and line.startswith("#"):
            break
        if on:
            out.append(line)
    return out or ["(the README has no seed-to-case map)"]


def methods(runs):
    reps = sorted({r.meta.get("reps", "?") for r in runs})
    pins = sorted({r.meta.get("pin", "?") for r in runs})
    return [
        "## Methods", "",
        f"Every case ran {' or '.join(reps)} times, each repetition in a fresh process under "
        "a watchdog; every figure is the median of the repetitions with their minimum and "
        "maximum (min–max), and the raw repetitions are kept in `raw.csv`. Speedups are the "
        "serial median over the model's median, measured in the same run.",
        "",
        f"Pinning (`--pin`, here {', '.join(pins)}): `none` leaves placement to the kernel, "
        "`compact` fills one core's PUs first, `scatter` spreads workers over packages and "
        "cores, `single` puts every worker on one PU.",
        "",
        f"A case is *noisy* when the maximum of its repetitions is more than "
        f"{pbdata.NOISY} × the minimum; the captions name them. On a shared machine absolute "
        "times drift, so compare ratios measured within one run.",
        "",
        "Comparisons between runs use a two-sided Mann–Whitney U test on the repetitions "
        "(scipy), significant when p < 0.05, and are not judged when a run has fewer than "
        f"{pbdata.MIN_REPS} repetitions.",
        "",
    ]


def lesson(row):
    """What the experiment teaches and how it is judged, from its
    experiments.csv row (None: the run has no experiments.csv)."""
    if not row:
        return ["*What it teaches.* No description (the run has no experiments.csv).", ""]
    twin = row["cpython_twin"]
    return [f"*What it teaches.* {esc_md(row['teaches'])}", "",
            f"*Headline.* `{row['headline_metric']}` ({esc_md(row['headline_unit'])}), "
            f"{row['direction']} is better."
            + (f" CPython twin: `bench/cpython/{twin}`." if twin != "-" else ""), ""]


def build_markdown(runs, cmp_res, out):
    captions = []
    title = "parbench report: " + " vs ".join(r.machine for r in runs)
    md = [f"# {title}", "",
          "What the concurrency models of Python's multiprocessing and threading tutorials "
          "cost on these machines, measured by parbench. Every figure in the captions comes "
          "from the run named under it.", "", "## Machines", ""]
    md += machine_table(runs) + [""]
    exps = []
    for r in runs:
        for e in r.experiments():
            if e not in exps:
                exps.append(e)
    fig = 0
    for exp in exps:
        md += [f"## {exp}", ""]
        row = pbdata.describe(runs, exp)
        md += lesson(row)
        names = pbdata.figures(row) if row else []
        for r in runs:
            if exp not in r.experiments():
                continue
            cap = caption(r, exp)
            pdir = os.path.join(r.dir, "plots")
            pngs = [os.path.join(pdir, f"{n}.png") for n in names
                    if os.path.exists(os.path.join(pdir, f"{n}.png"))]
            for p in pngs:
                fig += 1
                md += [f"![Figure {fig}. {cap}]({data_uri(p)})", ""]
            if not pngs:
                md += [f"Numbers: {cap}", ""]
            captions.append(cap)
            found = findings(r).get(exp, [])
            if found:
                md += [f"*Findings on {r.machine}:*", ""] + [f"- {esc_md(t)}" for t in found] + [""]
    for r in runs:
        rest = {k: v for k, v in findings(r).items() if k not in exps}
        if rest:
            md += [f"## Other findings on {r.machine}", ""]
            md += [f"- {esc_md(t)}" for v in rest.values() for t in v] + [""]
    if cmp_res:
        import compare
        md += ["## Comparison", ""]
        md += [f"From `{cmp_res['out']}` (compare.md, compare.csv, merged.csv).", ""]
        if cmp_res["doubts"]:
            md += [f"**Doubtful comparison:** {'; '.join(cmp_res['doubts'])}.", ""]
        for j, rows in cmp_res["pairs"]:
            runs_ = cmp_res["runs"]
            nsig = sum(x["verdict"] == "significant" for x in rows)
            md += [f"### run 1 ({runs_[0].machine}) against run {j + 1} ({runs_[j].machine})",
                   "", f"{nsig} of {len(rows)} cases differ significantly "
                   "(Mann–Whitney U, p < 0.05).", ""]
            if rows:
                md += compare.md_table(rows, [runs_[0].machine, runs_[j].machine]) + [""]
        if cmp_res["only"]:
            md += ["Cases in some runs only: " + ", ".join(f"`{c}`" for c, _ in cmp_res["only"])
                   + ".", ""]
        for exp, metric, png in cmp_res["curves"]:
            fig += 1
            cap = (f"{exp}: {metric} against workers, one line per run ("
                   + "; ".join(r.label() for r in cmp_res["runs"]) + "), median with min–max.")
            md += [f"![Figure {fig}. {cap}]({data_uri(png)})", ""]
            captions.append(cap)
    md += methods(runs)
    md += ["## Where each seed program lives", ""] + seed_map() + [""]
    return title, md, captions


def pandoc_html(md_path, html_path, title):
    if not shutil.which("pandoc"):
        raise DataError("pandoc not found (Debian/Ubuntu: apt-get install pandoc, "
                        "or run scripts/deps.sh report)")
    with tempfile.NamedTemporaryFile("w", suffix=".html", delete=False) as h:
        h.write(STYLE)
    try:
        res = subprocess.run(["pandoc", "-s", "-f", "markdown",
                              "-t", "html5", "--metadata", f"pagetitle={title}", "-H", h.name,
                              "-o", html_path, md_path], capture_output=True, text=True)
    finally:
        os.unlink(h.name)
    if res.returncode != 0:
        raise DataError(f"pandoc failed on {md_path}: {res.stderr.strip()}")


def chromium_pdf(html_path, pdf_path):
    chrome = chromium_bin()
    if not chrome:
        print("report: chromium not found, no report.pdf (Debian: apt-get install chromium, "
              "or run scripts/deps.sh report)", file=sys.stderr)
        return False
    with tempfile.TemporaryDirectory(prefix="parbench-chromium.") as prof:
        cmd = [chrome] + CHROMIUM_FLAGS + [f"--user-data-dir={prof}", "--no-pdf-header-footer",
                                           f"--print-to-pdf={pdf_path}",
                                           "file://" + os.path.abspath(html_path)]
        try:
            res = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        except subprocess.TimeoutExpired:
            print("report: chromium did not finish in 120 s; no report.pdf", file=sys.stderr)
            return False
    if res.returncode != 0 or not os.path.exists(pdf_path):
        print(f"report: chromium --print-to-pdf failed:\n{res.stderr[-2000:]}", file=sys.stderr)
        return False
    return True


def report(run_dir=None, run_dirs=None, out=None):
    cmp_res = None
    if run_dirs:
        import compare
        cmp_res = compare.compare(run_dirs, out)
        runs, out = cmp_res["runs"], cmp_res["out"]
    else:
        if not run_dir:
            raise DataError("give a run: make report RUN=results/<machine>/<stamp> "
                            "or RUNS=\"DIR1 DIR2\"")
        runs = [pbdata.Run(run_dir)]
        out = out or runs[0].dir
        os.makedirs(out, exist_ok=True)
    for r in runs:
        ensure_plots(r)
    title, md, captions = build_markdown(runs, cmp_res, out)
    md_path = os.path.join(out, "report.md")
    with open(md_path, "w", encoding="utf-8") as f:
        f.write("\n".join(md) + "\n")
    with open(os.path.join(out, "captions.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(captions) + "\n")
    html = os.path.join(out, "report.html")
    pandoc_html(md_path, html, title)
    pdf_ok = chromium_pdf(html, os.path.join(out, "report.pdf"))
    return out, pdf_ok


def main(argv):
    ap = argparse.ArgumentParser(prog="report.py", description=__doc__.split("\n")[0])
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--run", metavar="DIR")
    g.add_argument("--runs", nargs="+", metavar="DIR")
    ap.add_argument("--out", metavar="DIR")
    args = ap.parse_args(argv)
    try:
        out, pdf_ok = report(args.run, args.runs, args.out)
    except DataError as e:
        pbdata.fail("report", e)
    print(f"report: {out}/report.html" + (f" and {out}/report.pdf" if pdf_ok else ""))
    return 0 if pdf_ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
