#!/usr/bin/env python3
"""figcheck.py RUN_DIR... — are a run's figures whole and named after the registry?

For each run directory (after scripts/plot.sh drew it):
- every experiment of experiments.csv draws a figure or is declared table only
  (`-`), and each figure is named after it: `<experiment>` or
  `<experiment>-<what>`;
- every figure it names is in plots/ as both .svg and .png, and every file in
  plots/ is one of them;
- nothing is clipped: in each PNG no pixel within 2 px of the border differs
  from the white background. gnuplot reads the border strips back (the
  project's plotting dependency; nothing else is installed for this);
- no text of an SVG writes a number with an exponent (1e+06, 2.5e-05):
  ticks and titles write 1 ms, 1M, 1234× (issue 20).

Prints one line per problem and exits 1 if there is any, 2 on bad input.
"""

import os
import re
import subprocess
import sys

import pbdata

MARGIN = 2  # px that must stay background along each edge
WHITE = (255, 255, 255)
# parse-ok: a figure's own drawn text, checked for how it writes numbers
SVG_TEXT = re.compile(r"<text\b[^>]*>(.*?)</text>", re.S)
TAG = re.compile(r"<[^>]*>")  # parse-ok: the SVG's markup around that text
EXPONENT = re.compile(r"\d[eE][+-]?\d")  # parse-ok: a number as drawn, 1e+06


def png_size(path):
    """(width, height) from the PNG's IHDR chunk."""
    with open(path, "rb") as f:
        head = f.read(24)
    if head[:8] != b"\x89PNG\r\n\x1a\n":
        raise pbdata.DataError(f"{path}: not a PNG")
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")


def border_pixels(path):
    """The non-background pixels (x, y, r, g, b) within MARGIN of the edges."""
    w, h = png_size(path)
    m = MARGIN - 1
    # every point_incr:block_incr:start_point:start_block:end_point:end_block
    strips = [f"1:1:0:0:{w - 1}:{m}", f"1:1:0:{h - 1 - m}:{w - 1}:{h - 1}",
              f"1:1:0:0:{m}:{h - 1}", f"1:1:{w - 1 - m}:0:{w - 1}:{h - 1}"]
    q = path.replace("'", "''")
    cmds = (["set table $px"] + [f"plot '{q}' binary filetype=png every {s} "
                                 "using 1:2:3 with rgbimage" for s in strips]
            + ["unset table", "set print '-'", "print $px"])
    res = subprocess.run(["gnuplot", "-e", "; ".join(cmds)], capture_output=True, text=True)
    if res.returncode != 0:
        raise pbdata.DataError(f"{path}: gnuplot could not read it: {res.stderr.strip()}")
    out = []
    for line in res.stdout.splitlines():
        f = line.split()
        if len(f) < 5 or line.startswith("#"):
            continue
        px = tuple(int(float(v)) for v in f[:5])
        if px[2:] != WHITE:
            out.append(px)
    return out


class Plots:
    """A run directory as this check sees it: experiments.csv and plots/
    (raw.csv is not read: a default run's takes seconds)."""

    def __init__(self, path):
        if not os.path.isdir(path):
            raise pbdata.DataError(f"{path}: run directory not found")
        self.dir = os.path.normpath(path)
        self.registry = pbdata.read_experiments(os.path.join(path, "experiments.csv"))


def check_names(run):
    """Problems with experiments.csv's figures column."""
    bad = []
    for name, row in run.registry.items():
        figs = row["figures"].split()
        if not figs:
            bad.append(f"{name}: no figure and not declared table only ('-')")
        for fig in pbdata.figures(row):
            if fig != name and not fig.startswith(name + "-"):
                bad.append(f"{name}: figure {fig} is not named after the experiment")
    return bad


def check_files(run):
    """Problems with the files in plots/: missing, unexpected or clipped."""
    pdir = os.path.join(run.dir, "plots")
    want = {f for row in run.registry.values() for f in pbdata.figures(row)}
    have = os.listdir(pdir) if os.path.isdir(pdir) else []
    bad = []
    for fig in sorted(want):
        for ext in ("svg", "png"):
            if f"{fig}.{ext}" not in have:
                bad.append(f"plots/{fig}.{ext}: missing")
    for f in sorted(have):
        stem, ext = os.path.splitext(f)
        if stem not in want or ext not in (".svg", ".png"):
            bad.append(f"plots/{f}: not a figure of experiments.csv")
        elif ext == ".svg":
            with open(os.path.join(pdir, f), encoding="utf-8", errors="replace") as svg:
                texts = [t for t in (TAG.sub("", x) for x in SVG_TEXT.findall(svg.read()))
                         if EXPONENT.search(t)]
            if texts:
                bad.append(f"plots/{f}: a number written with an exponent: "
                           f"'{texts[0].strip()}'")
        elif ext == ".png":
            px = border_pixels(os.path.join(pdir, f))
            if px:
                x, y = px[0][:2]
                bad.append(f"plots/{f}: {len(px)} pixel(s) drawn within {MARGIN} px of the "
                           f"border (clipped?), e.g. at x={x} y={y}")
    return bad


def main(argv):
    if len(argv) < 2:
        print("usage: figcheck.py RUN_DIR...", file=sys.stderr)
        return 2
    problems = 0
    for d in argv[1:]:
        try:
            run = Plots(d)
            if not run.registry:
                raise pbdata.DataError(f"{d}: no experiments.csv")
            bad = check_names(run) + check_files(run)
        except pbdata.DataError as e:
            print(f"figcheck: {e}", file=sys.stderr)
            return 2
        for b in bad:
            print(f"{d}: {b}")
        problems += len(bad)
        print(f"{d}: {'ok' if not bad else f'{len(bad)} problem(s)'}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
