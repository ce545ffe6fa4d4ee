"""report_run — what the report reads of one run directory, and nothing more.

The report is built from the run's own exports: experiments.csv (the
registry rows, in registry order), findings.csv (every figure a caption or
a table prints), summary.csv (its metadata, and per case the `noisy` and
`status` rows) and plots/ (the figures). raw.csv is not read: it is the
largest file and the report needs none of its repetitions.
"""

import csv
import os
import re
import struct

import findings as findings_csv
import pbdata
from captions import Findings
from pbdata import DataError

PX_PER_PT = 96 / 72  # CSS: 1 px = 0.75 pt, in print as on screen


class RunView:
    """One run directory, read for the report."""

    def __init__(self, path):
        if not os.path.isdir(path):
            raise DataError(f"{path}: run directory not found")
        self.dir = os.path.normpath(path)
        self.registry = pbdata.read_experiments(os.path.join(path, "experiments.csv"))
        self.found = Findings(findings_csv.read(path))
        self.meta, self.noisy, self.failed, self.cases = {}, {}, {}, {}
        self._read_summary(os.path.join(path, "summary.csv"))

    def _read_summary(self, path):
        """Metadata, and per experiment its cases, the noisy ones and the
        ones with a failed repetition (summary.csv's flag rows)."""
        if not os.path.exists(path):
            raise DataError(f"{path}: no summary.csv (bench/parbench --summarize "
                            f"{self.dir} writes it from raw.csv)")
        with open(path, newline="", encoding="utf-8") as f:
            lines = [line for line in f if not self._meta_line(line)]
        rows = csv.reader(lines)
        header = next(rows, None)
        if header != pbdata.SUMMARY_HEADER:
            raise DataError(f"{path}: expected the summary.csv header "
                            f"'{','.join(pbdata.SUMMARY_HEADER)}'")
        for n, r in enumerate(rows, start=2):
            if len(r) != len(header):
                raise DataError(f"{path}: a row of {len(r)} columns after the header "
                                f"(row {n}), expected {len(header)}")
            case, exp, metric = r[1], r[2], r[9]
            if metric not in ("noisy", "status"):
                continue
            try:
                worst = float(r[13])
            except ValueError:
                raise DataError(f"{path}: {case} {metric}: max is not a number: {r[13]!r}")
            if metric == "status":
                self.cases.setdefault(exp, []).append(case)
                if worst > 0:
                    self.failed.setdefault(exp, []).append(case)
            elif worst > 0:
                self.noisy.setdefault(exp, []).append(case)

    def _meta_line(self, line):
        if not line.startswith("#"):
            return False
        k, sep, v = line[1:].strip().partition("=")
        if sep:
            self.meta[k.strip()] = v.strip()
        return True

    @property
    def machine(self):
        return self.meta.get("machine", "unknown")

    def experiments(self):
        """The run's experiments in registry order (experiments.csv)."""
        return list(self.registry)

    def figure_file(self, stem):
        """plots/<stem>.svg, else plots/<stem>.png, else None."""
        for ext in ("svg", "png"):
            p = os.path.join(self.dir, "plots", f"{stem}.{ext}")
            if os.path.exists(p):
                return p
        return None


# parse-ok: a figure's SVG, for its printed size; no run data comes from it
FONT_SIZE = re.compile(rb"font-size[=:]\s*\"?([0-9.]+)")
# An SVG's natural size: its width and height in px, else its viewBox's
# (gnuplot's "dynamic" SVG has only a viewBox); its font sizes are in the
# same units.
# parse-ok: the SVG's own size attributes, for its printed size
SVG_SIZE = re.compile(rb"<svg[^>]*?\s(?:width=\"([0-9.]+)(?:px)?\"\s+height=\"([0-9.]+)"
                      rb"(?:px)?\"|viewBox=\"[-0-9. ]+? [-0-9.]+ ([0-9.]+) ([0-9.]+)\")", re.S)


def figure_size(path):
    """(natural width and height in CSS px, smallest text in px or None) of
    a figure: an SVG's size and its smallest font-size, a PNG's pixels."""
    with open(path, "rb") as f:
        data = f.read()
    if path.endswith(".png"):
        if data[:8] != b"\x89PNG\r\n\x1a\n":
            raise DataError(f"{path}: not a PNG file")
        w, h = struct.unpack(">II", data[16:24])
        return w, h, None
    m = SVG_SIZE.search(data[:4000])
    if not m:
        raise DataError(f"{path}: an <svg> without a width and height in px or a viewBox")
    sizes = [float(x) for x in FONT_SIZE.findall(data)]
    w, h = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
    return float(w), float(h), (min(sizes) if sizes else None)


def placed(path, text_width_px):
    """How the report places a figure: (width, height in CSS px, its
    smallest text in pt at that width or None). A figure is never wider
    than the text and never shrunk below its natural size when it fits."""
    natural, height, font_px = figure_size(path)
    width = min(natural, text_width_px)
    scale = width / natural
    return width, height * scale, None if font_px is None else font_px * scale / PX_PER_PT


# A figure taller than this share of its width prints narrower than the
# text, as narrow as its smallest text allows (min_pt), and at least
# TALL_MIN_SHARE of the text's width: a figure at full width would take
# more of the page than its text needs (issue 20: 16 pages for a default run).
TALL_ASPECT = 0.35
TALL_MIN_SHARE = 0.7


def fitted(path, text_width_px, min_pt):
    """(width, height in CSS px, smallest text in pt or None) at which the
    report prints a figure: as placed(), but a tall figure whose text
    allows it prints narrower, its smallest text still at min_pt or more."""
    width, height, pt = placed(path, text_width_px)
    if pt is None or height <= TALL_ASPECT * width or pt <= min_pt:
        return width, height, pt
    scale = max(min_pt / pt, TALL_MIN_SHARE * text_width_px / width)
    if scale >= 1:
        return width, height, pt
    return width * scale, height * scale, pt * scale
