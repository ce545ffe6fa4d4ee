"""captions — sentences written from a run's findings.csv, for report.py.

A caption or a lesson is a list of sentence templates; each names the
figures it needs as {finding|figure}: the finding's id (without
"<experiment>." when it is the caption's own experiment; '*' matches any
characters, the first finding of the run that matches is taken) and the
figure's name as findings.csv has it, or @verdict for the finding's
verdict. A sentence whose figures the run does not hold (a quick run, a
filter) is left out, so that every sentence printed carries this run's
numbers and nothing else: no number is written here, and no case name.
The finding ids and figure names are findings.csv's contract (README).
"""

import fnmatch
import re

# parse-ok: the report's own sentence templates (caption_text.py), not run data
TOKEN = re.compile(r"\{([^{}|]+)\|([^{}]+)\}")
# How a unit reads after a number: "x" is a factor (4.35×), the rest follow
# with a space, "us" as µs.
UNIT_TEXT = {"x": "×", "": "", "count": "", "repetitions": "", "us": " µs",
             "ratio": ""}


def number(v):
    """Three significant digits (whole numbers from 1000 up), as a reader
    wants them; the tests match them back to findings.csv within that
    rounding."""
    if v != v:  # NaN
        return "–"
    a = abs(v)
    if a >= 1000:
        return "%.0f" % v
    if a == 0:
        return "0"
    text = "%.3g" % v
    return text if "e" not in text else "%.6f" % v


def quantity(fig):
    """A figure as text: its median and its unit."""
    unit = fig["unit"]
    return number(fig["median"]) + UNIT_TEXT.get(unit, " " + unit)


class Findings:
    """One run's findings, found by id (globs allowed) and figure name."""

    def __init__(self, rows):
        self.rows = rows
        self.by_id = {f["id"]: f for f in rows}

    def finding(self, pattern):
        if "*" not in pattern:
            return self.by_id.get(pattern)
        for f in self.rows:
            if fnmatch.fnmatchcase(f["id"], pattern):
                return f
        return None

    def figure(self, pattern, name):
        """The figure name of the first finding matching pattern that has it."""
        cands = [self.by_id.get(pattern)] if "*" not in pattern else \
            [f for f in self.rows if fnmatch.fnmatchcase(f["id"], pattern)]
        for f in cands:
            for g in (f["figures"] if f else []):
                if g["name"] == name:
                    return g
        return None

    def experiment(self, name):
        return [f for f in self.rows if f["experiment"] == name]


def fill(template, found, experiment=None):
    """The sentence with every {finding|figure} replaced, and the figures
    it used (for the tests), or (None, []) when one is missing."""
    used, missing = [], []

    def one(m):
        fid, name = m.group(1).strip(), m.group(2).strip()
        if experiment and "." not in fid:
            fid = f"{experiment}.{fid}"
        if name == "@verdict":
            f = found.finding(fid)
            if f is None or not f["verdict"]:
                missing.append(fid)
                return ""
            return f["verdict"]
        g = found.figure(fid, name)
        if g is None:
            missing.append(f"{fid}|{name}")
            return ""
        used.append(g)
        return quantity(g)

    text = TOKEN.sub(one, template)
    return (None, []) if missing else (text, used)


def sentences(templates, found, experiment=None, limit=4):
    """The templates that this run can fill, at most limit of them."""
    out = []
    for t in templates:
        text, _used = fill(t, found, experiment)
        if text:
            out.append(text)
        if len(out) == limit:
            break
    return out


def fallback(found, experiment, have):
    """Sentences from the findings themselves when the templates gave fewer
    than two: the claim, then its first figures (claims hold no case name)."""
    out = []
    for f in found.experiment(experiment):
        if len(have) + len(out) >= 2:
            break
        figs = [g for g in f["figures"]][:3]
        if not figs or "\n" in f["claim"]:
            continue
        text = "Also: " + f["claim"] + ": " + \
            ", ".join(f"{g['name']} {quantity(g)}" for g in figs)
        out.append(text + (f" ({f['verdict']})." if f["verdict"] else "."))
    return out


def caption(found, experiment):
    """Two to four sentences on the experiment, from its findings; "" when
    the run has no finding of it."""
    from caption_text import CAPTIONS
    have = sentences(CAPTIONS.get(experiment, []), found, experiment)
    if len(have) < 2:
        have += fallback(found, experiment, have)
    return " ".join(have)
