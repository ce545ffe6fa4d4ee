#!/usr/bin/env python3
"""findings.py [--check] RUN_DIR — a run's findings, read from findings.csv.

parbench writes one row per (finding, figure) into findings.csv (README, "The
CSV contract"); summary.md's "## Findings" bullets are a rendering of those
rows. Tools read the findings here, as data, and never parse the Markdown
back. render() is the same rendering as lib/harness/findings.c's: with
--check, the run's summary.md must hold exactly the rendering of its
findings.csv (exit 1 when it does not), which is how the tests prove that the
CSV carries everything the prose says. Bad input: exit status 2.
"""

import csv
import io
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pbdata import DataError  # noqa: E402

HEADER = "experiment,finding,claim,figure,median,min,max,n,unit,verdict,reason".split(",")
SCHEMA_VERSION = "1"


def _float(path, row, key):
    try:
        return float(row[key])
    except ValueError:
        raise DataError(f"{path}: finding {row['finding']}: {key} is not a number: "
                        f"{row[key]!r}")


def read(run_dir):
    """The findings of a run, in the order parbench made them: a list of
    dicts (experiment, id, claim, verdict, reason, figures: a list of
    dicts name, median, min, max, n, unit). [] when the run has no
    findings.csv (a run made before it existed)."""
    path = os.path.join(run_dir, "findings.csv")
    if not os.path.exists(path):
        return []
    with open(path, newline="", encoding="utf-8") as f:
        text = f.read()
    meta, body = {}, []
    lines = text.splitlines(keepends=True)
    while lines and lines[0].startswith("#"):
        k, _, v = lines.pop(0)[1:].strip().partition("=")
        meta[k.strip()] = v.strip()
    if meta.get("schema_version") != SCHEMA_VERSION:
        raise DataError(f"{path}: schema_version {meta.get('schema_version')!r}, this "
                        f"script reads {SCHEMA_VERSION}")
    body = "".join(lines)
    try:
        rows = list(csv.reader(io.StringIO(body, newline=""), strict=True))
    except csv.Error as e:
        raise DataError(f"{path}: bad CSV: {e}")
    if not rows or rows[0] != HEADER:
        raise DataError(f"{path}: expected the findings header '{','.join(HEADER)}'")
    out, by_id = [], {}
    for fields in rows[1:]:
        if len(fields) != len(HEADER):
            raise DataError(f"{path}: {len(fields)} columns, expected {len(HEADER)}")
        row = dict(zip(HEADER, fields))
        f = by_id.get(row["finding"])
        if f is None:
            f = {"experiment": row["experiment"], "id": row["finding"], "claim": row["claim"],
                 "verdict": row["verdict"], "reason": row["reason"], "figures": []}
            by_id[row["finding"]] = f
            out.append(f)
        if row["figure"]:
            f["figures"].append({"name": row["figure"], "unit": row["unit"],
                                 "median": _float(path, row, "median"),
                                 "min": _float(path, row, "min"),
                                 "max": _float(path, row, "max"),
                                 "n": int(row["n"])})
    return out


def number(v):
    """findings.c's number(): %.4g, whole numbers from 10^4 up."""
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    if 1e4 <= abs(v) < 1e15:
        return "%.0f" % v
    return "%.4g" % v


def render_figure(g):
    sep = "" if g["unit"] in ("x", "") else " "
    text = f"{g['name']} {number(g['median'])}{sep}{g['unit']}"
    if g["n"] > 1:
        text += f" ({number(g['min'])}–{number(g['max'])}, n={g['n']})"
    return text


def render(f):
    """One finding as one line of prose, as summary.md has it."""
    text = f["claim"]
    if f["figures"]:
        text += ": " + "; ".join(render_figure(g) for g in f["figures"])
    if f["verdict"] or f["reason"]:
        text += " — " + f["verdict"]
        if f["verdict"] and f["reason"]:
            text += ": "
        text += f["reason"]
    return text


def by_experiment(run_dir):
    """{experiment: [rendered finding, ...]}, in the run's order."""
    groups = {}
    for f in read(run_dir):
        groups.setdefault(f["experiment"], []).append(render(f))
    return groups


def summary_md_section(run_dir):
    """summary.md's "## Findings" section after its heading, as text (for
    --check only: no tool reads the findings from the Markdown). A claim may
    span lines (price's table), so the section is compared whole."""
    with open(os.path.join(run_dir, "summary.md"), encoding="utf-8") as f:
        text = f.read()
    head = "\n## Findings\n\n"
    return text[text.index(head) + len(head):] if head in text else ""


def main(argv):
    check = "--check" in argv
    args = [a for a in argv if a != "--check"]
    if len(args) != 1:
        print(__doc__.split("\n")[0], file=sys.stderr)
        return 2
    try:
        lines = [render(f) for f in read(args[0])]
        if not check:
            print("\n".join(lines))
            return 0
        md = summary_md_section(args[0])
    except (DataError, OSError) as e:
        print(f"findings: {e}", file=sys.stderr)
        return 2
    want = "".join(f"- {line}\n" for line in lines)
    if md == want:
        print(f"findings: summary.md holds the rendering of findings.csv ({len(lines)} findings)")
        return 0
    a, b = md.split("\n"), want.split("\n")
    i = next((k for k in range(max(len(a), len(b)))
              if k >= len(a) or k >= len(b) or a[k] != b[k]), 0)
    print(f"findings: line {i + 1} of the findings differs:\n"
          f"  summary.md:   {a[i] if i < len(a) else '(end)'}\n"
          f"  findings.csv: {b[i] if i < len(b) else '(end)'}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
