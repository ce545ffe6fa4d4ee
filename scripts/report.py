#!/usr/bin/env python3
"""report.py (--run DIR | --runs DIR... [--out DIR]) [--paper a4|letter] — a teaching report.

Writes report.md (pandoc's input), report.html (self-contained: every figure
embedded as a data URI, SVG when the run has it, else PNG; no external URL)
and report.pdf (headless Chromium) into the run directory, or with --runs
into the comparison's directory (compare.py's default, or --out), with
captions.txt beside them (one line per caption: experiment, a tab, the
caption; for the tests). Page 1 is what the machine taught; then the table
of contents, a numbered section per experiment, the appendices (report_doc).
The paper is A4, or Letter when the locale asks (report_page). Bad input:
exit status 2, before anything is written.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pbdata  # noqa: E402
import report_doc  # noqa: E402
import report_page  # noqa: E402
from pbdata import DataError  # noqa: E402
from report_run import RunView, fitted  # noqa: E402

# One launch prints the page: a headless Chromium still starts a whole
# browser (about 3 s of the report's build on a loaded 2-PU machine, the
# same for a one-line page), so the flags turn off what a print does not
# need: extensions, the default apps, network chatter, crash reports.
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--disable-extensions",
                  "--disable-default-apps", "--disable-breakpad", "--mute-audio",
                  "--no-default-browser-check", "--generate-pdf-document-outline"]


# pandoc's HTML template, without its default style: the report's own CSS
# (report_page.style) is the whole look, in print as on screen.
TEMPLATE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>$pagetitle$</title>
$css$
</head><body>
<nav id="TOC" role="doc-toc">$table-of-contents$</nav>
$body$
</body></html>
"""
TOC_MARK = "<!-- the table of contents -->"


def chromium_bin():
    for c in ("chromium", "chromium-browser", "google-chrome"):
        p = shutil.which(c)
        if p:
            return p
    return None


def ensure_plots(run_dir):
    """The run's own plots (<run>/plots/); drawn once if missing."""
    pdir = os.path.join(run_dir, "plots")
    if not os.path.isdir(pdir) or not any(f.endswith((".png", ".svg")) for f in os.listdir(pdir)):
        res = subprocess.run([os.path.join(pbdata.HERE, "plot.sh"), run_dir],
                             capture_output=True, text=True)
        if res.returncode != 0:
            print(f"report: warning: plot.sh {run_dir} failed:\n{res.stderr}", file=sys.stderr)


def changed_findings(pair):
    """The side-by-side figures a reader is shown: a finding's verdict
    changed, or one of its figures moved by more than MIN_CHANGE and out
    of the range its repetitions span in either run (a move inside the
    spread is the runs' noise: two default runs of one machine moved 57 of
    117 findings by more than 5 %, run 20261207T213102Z against
    213539Z). A figure of one value (a ratio of two medians) has no range:
    it is shown only with a changed verdict."""
    mc = pair["min_change"]

    def moved(x):
        a, b, ra, rb = x["median_a"], x["median_b"], x.get("range_a"), x.get("range_b")
        if not ra or not rb:
            return False
        beyond = a != b if not a else abs(b / a - 1) > mc
        return beyond and (ra[1] < rb[0] or rb[1] < ra[0])
    ids = {x["finding"] for x in pair["findings"]
           if x["verdict_a"] != x["verdict_b"] or moved(x)}
    return [x for x in pair["findings"] if x["finding"] in ids]


def comparison(doc, cmp_res):
    """With --runs: the comparison's answer (compare.md's per pair: the
    headline, the speed factor, the experiments' geometric means, the
    differences called, the findings that changed) and the overlay plots
    of the experiments with a difference called; compare.md,
    compare.csv, findings_compare.csv and curves/ keep the rest."""
    import cmpstats
    import compare_md
    runs = cmp_res["runs"]
    doc.add("# Comparison {#comparison}",
            f"From `{cmp_res['out']}`: compare.md lists every change, compare.csv every case, "
            "findings_compare.csv every finding's figures; here, the answer.")
    if cmp_res["doubts"]:
        doc.add(f"**Doubtful comparison:** {'; '.join(cmp_res['doubts'])}.")
    shown = set()
    for j, pair in cmp_res["results"]:
        a, b = runs[0], runs[j]
        mc = cmpstats.pct(pair["min_change"])
        called = [r for r in pair["rows"] if r["verdict"] in compare_md.CALLED]
        changed = changed_findings(pair)
        shown |= {r["experiment"] for r in called}
        doc.add(f"## A = run 1 ({a.machine} {a.stamp}), B = run {j + 1} ({b.machine} {b.stamp})",
                f"**{compare_md.headline(pair, runs)}** "
                + compare_md.factor_sentence(pair["factor"]) + " "
                + compare_md.machine_sentence(pair, runs),
                "::: fine\n" + "\n".join(compare_md.experiments_table(pair)) + "\n:::")
        if called:
            doc.add("::: fine\n" + "\n".join(compare_md.md_table(
                called, [f"A: {a.machine}", f"B: {b.machine}"])) + "\n:::")
        nfind = len({x["finding"] for x in pair["findings"]})
        doc.add(f'<p class="fine">Not listed here: {len(pair["rows"]) - len(called)} case(s) '
                "not called a difference (compare.md gives those beyond the threshold with "
                f"their reason), and {nfind - len({x['finding'] for x in changed})} of the "
                f"{nfind} findings both runs have whose verdict is the same and whose figures "
                f"moved by ±{mc} or less or within their repetitions' range.</p>")
        if changed:
            doc.add("::: fine\n" + "\n".join(compare_md.findings_lines(
                dict(pair, findings=changed))) + "\n:::")
    curves = [c for c in cmp_res["curves"] if c[0] in shown]
    rest = [c[0] for c in cmp_res["curves"] if c[0] not in shown]
    if rest:
        doc.add(f'<p class="fine">Curves of the experiments without a difference called are in '
                f"curves/ beside compare.md: {', '.join(rest)}.</p>")
    for exp, metric, png in curves:
        svg = os.path.splitext(png)[0] + ".svg"
        path = svg if os.path.exists(svg) else png
        doc.figures += 1
        cap = (f"{exp}: {metric} against workers, one line per run ("
               + "; ".join(r.label() for r in runs) + "), median with min–max.")
        width, height, pt = fitted(path, doc.text_px, report_page.MIN_TEXT_PT + 0.05)
        doc.placed.append((path, width, pt))
        doc.add(report_page.figure_html(path, (width, height), doc.figures, cap, base=doc.base))
        doc.captions.append((exp, cap))


def pandoc_html(md_path, html_path, title, css):
    if not shutil.which("pandoc"):
        raise DataError("pandoc not found (Debian/Ubuntu: apt-get install pandoc, "
                        "or run scripts/deps.sh report)")
    with tempfile.NamedTemporaryFile("w", suffix=".html", delete=False) as h:
        h.write(TEMPLATE.replace("$css$", css.replace("$", "$$")))
    try:
        res = subprocess.run(["pandoc", "-s", "-f", "markdown", "-t", "html5", "--toc",
                              "--toc-depth=1", "--number-sections", "--template", h.name,
                              "--metadata", f"pagetitle={title}",
                              "-o", html_path, md_path], capture_output=True, text=True)
    finally:
        os.unlink(h.name)
    if res.returncode != 0:
        raise DataError(f"pandoc failed on {md_path}: {res.stderr.strip()}")
    with open(html_path, encoding="utf-8") as f:
        text = f.read()
    text = report_page.embed(move_toc(text), os.path.dirname(html_path))
    with open(html_path, "w", encoding="utf-8") as f:
        f.write(text)


def move_toc(text):
    """pandoc puts the contents first; they go after page 1."""
    start = text.find('<nav id="TOC"')
    end = text.find("</nav>", start) + len("</nav>")
    marker = TOC_MARK
    if start < 0 or marker not in text:
        return text
    nav = text[start:end].replace('role="doc-toc">', 'role="doc-toc"><h1>Contents</h1>', 1)
    return (text[:start] + text[end:]).replace(marker, nav, 1)


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


def load(run_dir, run_dirs, out):
    """(the run the report is about, the comparison or None, the output dir)."""
    if run_dirs:
        import compare
        cmp_res = compare.compare(run_dirs, out)
        return RunView(run_dirs[0]), cmp_res, cmp_res["out"]
    if not run_dir:
        raise DataError("give a run: make report RUN=results/<machine>/<stamp> "
                        "or RUNS=\"DIR1 DIR2\"")
    run = RunView(run_dir)
    out = out or run.dir
    os.makedirs(out, exist_ok=True)
    return run, None, out


def report(run_dir=None, run_dirs=None, out=None, paper=None):
    size, text_px, page_px = report_page.paper(paper)
    run, cmp_res, out = load(run_dir, run_dirs, out)
    for d in (run_dirs or [run.dir]):
        ensure_plots(d)
    doc = report_doc.build(run, text_px, out)
    if cmp_res:
        comparison(doc, cmp_res)
    for path, pt in report_doc.legibility(doc):
        print(f"report: warning: {os.path.basename(path)}: its smallest text prints at "
              f"{pt:.1f} pt, under {report_page.MIN_TEXT_PT:g} pt, at the text width "
              f"({text_px:.0f} px): the figure is drawn too wide for its font",
              file=sys.stderr)
    md_path = os.path.join(out, "report.md")
    with open(md_path, "w", encoding="utf-8") as f:
        f.write("\n".join(doc.md) + "\n")
    with open(os.path.join(out, "captions.txt"), "w", encoding="utf-8") as f:
        f.write("".join(f"{e}\t{c}\n" for e, c in doc.captions))
    html = os.path.join(out, "report.html")
    pandoc_html(md_path, html, f"parbench report: {run.machine}",
                report_page.style(size, text_px, page_px))
    return out, chromium_pdf(html, os.path.join(out, "report.pdf"))


def main(argv):
    ap = argparse.ArgumentParser(prog="report.py", description=__doc__.split("\n")[0])
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--run", metavar="DIR")
    g.add_argument("--runs", nargs="+", metavar="DIR")
    ap.add_argument("--out", metavar="DIR")
    ap.add_argument("--paper", metavar="a4|letter")
    args = ap.parse_args(argv)
    try:
        out, pdf_ok = report(args.run, args.runs, args.out, args.paper)
    except DataError as e:
        pbdata.fail("report", e)
    print(f"report: {out}/report.html" + (f" and {out}/report.pdf" if pdf_ok else ""))
    return 0 if pdf_ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
