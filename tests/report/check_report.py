#!/usr/bin/env python3
"""check_report.py RUN_DIR PDF_TEXT [PAGE1_TEXT] — is the report a lesson plan?

Reads what report.py wrote into RUN_DIR (captions.txt) and the PDF's text
(pdftotext) and checks, against the run's own files:
  - every experiment of experiments.csv has a caption, and the PDF holds it;
  - every caption holds a number that is a figure of findings.csv (within
    the rounding the caption shows), and no case name of cases.csv;
  - every figure lies in its own experiment's section or, floated to the
    top of a page, in one of the next two (report_page's float rule), and
    then its label names its section;
  - page 1 (PAGE1_TEXT) states the five lessons, each with a verdict.
Prints one line per failure and exits 1 on any; --self-check first proves,
on altered copies of the captions, that each check can fail.
"""

import csv
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "scripts"))
import findings as findings_csv  # noqa: E402
import lessons  # noqa: E402
import pbdata  # noqa: E402

NUMBER = re.compile(r"(?<![\w.])\d+(?:\.\d+)?")


def norm(s):
    """Without whitespace and hyphens: pdftotext breaks lines where the
    layout did, and may drop the space or the hyphen at a break."""
    return "".join(s.replace("\u00ad", "").replace("-", "").split())


def read_captions(run_dir):
    out = {}
    with open(os.path.join(run_dir, "captions.txt"), encoding="utf-8") as f:
        for line in f:
            exp, sep, cap = line.rstrip("\n").partition("\t")
            if sep:
                out.setdefault(exp, cap)
    return out


def figure_values(run_dir):
    vals = []
    for f in findings_csv.read(run_dir):
        for g in f["figures"]:
            vals += [g["median"], g["min"], g["max"]]
    return vals


def shown(token, values):
    """Whether the number token (as printed) is one of values, rounded as
    printed: within half a unit of its last digit, or 0.5 % for whole
    numbers of 4 digits or more (3 significant digits are shown)."""
    x = float(token)
    decimals = len(token.split(".")[1]) if "." in token else 0
    tol = 0.5 * 10 ** -decimals
    return any(abs(v - x) <= max(tol, 1e-12) for v in values)


def case_names(run_dir):
    with open(os.path.join(run_dir, "cases.csv"), newline="", encoding="utf-8") as f:
        rows = csv.reader(line for line in f if not line.startswith("#"))
        next(rows, None)
        return {r[0] for r in rows if r}


def check_captions(run_dir, caps, pdf_text, values, names):
    bad = []
    exps = list(pbdata.read_experiments(os.path.join(run_dir, "experiments.csv")))
    # a caption may run across a page break, past the page's footer
    text = norm(re.sub(r"page \d+ of \d+", "", pdf_text))
    for exp in exps:
        cap = caps.get(exp)
        if not cap:
            bad.append(f"{exp}: no caption")
            continue
        if norm(cap) not in text:
            bad.append(f"{exp}: its caption is not in the PDF's text: {cap[:80]}")
        nums = NUMBER.findall(cap)
        if not any(shown(t, values) for t in nums):
            bad.append(f"{exp}: no number of findings.csv in its caption ({nums[:6]})")
        named = [n for n in names if n in cap]
        if named:
            bad.append(f"{exp}: its caption names case {named[0]}")
        sentences = [s for s in re.split(r"(?<=[.!?])\s+(?=[A-Z\"(])", cap) if s]
        if not 1 <= len(sentences) <= 5:
            bad.append(f"{exp}: {len(sentences)} sentences in its caption")
    return bad


def check_sections(pdf_text, exps):
    """Every figure ("Figure N (exp)." or, away from it, "Figure N (exp,
    section K).") lies in its experiment's section or one of the next two:
    of the numbered headings ("K exp" on a line of its own) before it, one
    of the nearest three is its own, the nearest when the label names no
    section. The contents list the same lines, before any figure."""
    heads = [(m.start(), m.group(2)) for m in
             re.finditer(r"^\f?(\d+) (\S+)$", pdf_text, re.M) if m.group(2) in exps]
    number = {e: n.group(1) for e in exps
              for n in re.finditer(r"^\f?(\d+) " + re.escape(e) + "$", pdf_text, re.M)}
    # a label may break at its hyphen: compared without what is not a letter
    letters = {re.sub(r"[^a-z]", "", e): e for e in exps}
    bad = []
    for m in re.finditer(r"Figure (\d+) \(([^),]+)(?:, section (\d+))?\)\.", pdf_text):
        exp = letters.get(re.sub(r"[^a-z]", "", m.group(2)), m.group(2))
        before = [e for pos, e in heads if pos < m.start()]
        if exp not in before[-3:] or (exp != before[-1]) != bool(m.group(3)) \
                or (m.group(3) and m.group(3) != number.get(exp)):
            bad.append(f"figure {m.group(1)} ({exp}) lies in section "
                       f"{before[-1] if before else 'none'}")
    return bad


def check_page1(page1):
    bad = []
    text = norm(page1)
    for title, _templates, _pairs in lessons.LESSONS:
        if norm(title) not in text:
            bad.append(f"page 1 does not state the lesson '{title}'")
    if not re.search(r"agrees|differs|not judged", page1):
        bad.append("page 1 gives no verdict (agrees / differs)")
    return bad


def self_check(run_dir, caps, pdf_text, values, names):
    """Each check fails on a caption altered to break it."""
    exp = next(iter(caps))
    altered = [
        ("a case name", dict(caps, **{exp: caps[exp] + " " + next(iter(names)) + "."})),
        ("no figure", dict(caps, **{exp: "A caption with 123456.789 and nothing of the run."})),
        ("a missing caption", {k: v for k, v in caps.items() if k != exp}),
    ]
    for what, c in altered:
        text = pdf_text if what != "no figure" else pdf_text + c[exp]
        if not check_captions(run_dir, c, text, values, names):
            return [f"self-check: a caption with {what} passed"]
    exps = list(pbdata.read_experiments(os.path.join(run_dir, "experiments.csv")))
    three_on = f"\n97 {exps[2]}\n98 {exps[1]}\n99 {exps[0]}\nFigure 99 ({exps[-1]})."
    if not check_sections(pdf_text + three_on, exps):
        return ["self-check: a figure in another experiment's section passed"]
    return []


def main(argv):
    selfcheck = "--self-check" in argv
    args = [a for a in argv if a != "--self-check"]
    if len(args) not in (2, 3):
        print(__doc__.split("\n")[0], file=sys.stderr)
        return 2
    run_dir = args[0]
    with open(args[1], encoding="utf-8") as f:
        pdf_text = f.read()
    caps, values, names = read_captions(run_dir), figure_values(run_dir), case_names(run_dir)
    bad = self_check(run_dir, caps, pdf_text, values, names) if selfcheck else []
    bad += check_captions(run_dir, caps, pdf_text, values, names)
    bad += check_sections(pdf_text, list(pbdata.read_experiments(
        os.path.join(run_dir, "experiments.csv"))))
    if len(args) == 3:
        with open(args[2], encoding="utf-8") as f:
            bad += check_page1(f.read())
    for b in bad:
        print(b)
    if not bad:
        print(f"{len(caps)} captions: in the PDF, each with a figure of findings.csv, "
              "no case name; every figure in its own section or named"
              + ("; page 1 states the five lessons" if len(args) == 3 else ""))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
