"""report_doc — the report's Markdown, a lesson plan computed from a run.

Page 1 says what the machine taught (lessons.py), then a table of contents,
one numbered section per experiment in registry order (what it teaches,
its figures with a caption written from findings.csv that ends with the
count of its noisy cases, its findings as tables) and the appendices:
machine, methods, seed programs, noisy cases, and a quick run's findings.
Tables and figures are raw HTML in the Markdown; the headings are Markdown
so that pandoc numbers them and builds the table of contents.
"""

import os

import captions
import lessons
import report_run
from report_page import MIN_TEXT_PT, esc, figure_html, table, table_row, verdict_html

MACHINE_KEYS = [("machine", "machine"), ("CPU", "cpu_model"), ("packages", "packages"),
                ("cores", "cores"), ("PUs", "pus"), ("caches", "caches"), ("kernel", "kernel"),
                ("OS", "os"), ("compiler", "compiler"), ("flags", "cflags"),
                ("Python", "python"), ("profile", "profile"), ("pin", "pin"),
                ("repetitions", "reps"), ("interleaved", "interleave"),
                ("date (UTC)", "started_utc"), ("revision", "git_rev")]
FIDELITY = "cpython.fidelity."


class Doc:
    """The Markdown being written, with its figure count, the captions
    (for captions.txt and the tests) and the figures placed."""

    def __init__(self, text_px, base):
        self.md, self.captions, self.placed = [], [], []
        self.text_px, self.figures, self.base = text_px, 0, base
        # A quick run's findings, by experiment, for Appendix E:
        # (experiment, its grids, its other rows as one table or "", its
        # named blocks); None: in their sections.
        self.apart = None
        # A quick run's report is a handout (experiment_section)
        self.handout = False

    def add(self, *blocks):
        for b in blocks:
            self.md += [b, ""]


def figure_cells(f):
    """A finding's figures, medians only (findings.csv keeps the ranges),
    then its verdict (its reason is in summary.md; the fidelity table
    gives the reasons of the fidelity rows)."""
    text = "; ".join(f"{esc(g['name'])} <b>{esc(captions.quantity(g))}</b>"
                     for g in f["figures"])
    if f["verdict"]:
        text += (" — " if text else "") + verdict_html(f["verdict"])
    return text


def short_claim(exp, claim):
    """A claim without its experiment's name in front: the section's
    heading says it ("tasks fork, io: ..." under "tasks" is "fork, io: ...")."""
    for sep in (": ", ", ", " "):
        if claim.startswith(exp + sep) and len(claim) > len(exp + sep):
            return claim[len(exp + sep):]
    return claim


# A grid (one column per figure) for GRID_MIN_ROWS or more findings that
# share their figures'
# names, up to GRID_MAX_FIGURES figures (a header row costs less than the
# names repeated in every row); the others stay cells of text.
GRID_MAX_FIGURES = 6
GRID_MIN_ROWS = 4


def grid_groups(simple):
    """The findings with the same figure names, in order, as (names, rows)
    for each name list that two or more findings share; the rest."""
    groups = {}
    for f in simple:
        groups.setdefault(tuple(g["name"] for g in f["figures"]), []).append(f)
    grids = [(k, v) for k, v in groups.items()
             if len(v) >= GRID_MIN_ROWS and 0 < len(k) <= GRID_MAX_FIGURES]
    gridded = {id(f) for _k, v in grids for f in v}
    return grids, [f for f in simple if id(f) not in gridded]


def findings_grid(exp, names, rows):
    """Findings that share figure names as tables: the claim, one column
    per figure (its median), the verdict if any has one. Claims that say
    the same after their subject ("counter-procs (pin none), 2 workers: the
    cost of an increment, atomic against the locks") are one table whose
    header says it once, each row its subject (a grid's claims wrapped to
    two lines each, a default run's report a page longer)."""
    judged = any(f["verdict"] for f in rows)
    tails = {}
    for f in rows:
        subject, colon, tail = short_claim(exp, f["claim"]).partition(": ")
        tails.setdefault(tail if colon else "", []).append((subject if colon else "", f))
    if "" in tails or any(len(v) < 2 for v in tails.values()):
        tails = {"": [(short_claim(exp, f["claim"]), f) for f in rows]}
    out = []
    for tail, group in tails.items():
        head = [esc(tail) or "finding"] + [esc(n) for n in names] + \
            (["verdict"] if judged else [])
        body = [[esc(subject)] + [(f"{esc(captions.quantity(g))}", "num") for g in f["figures"]]
                + ([verdict_html(f["verdict"]) or "–"] if judged else [])
                for subject, f in group]
        out.append(table(head, body, "findings-grid"))
    return "".join(out)


def findings_parts(rows, exp="", grid=True):
    """The findings of one experiment, for Appendix E: (the grids of those
    that share their figures' names, one table of the others: each claim
    then its figures' medians and verdict, or "", the paragraphs naming a
    finding whose claim is a block of its own: price's table of every
    primitive, pages long, with where to read it)."""
    simple = [f for f in rows if "\n" not in f["claim"] and not f["id"].startswith(FIDELITY)]
    grids, rest = grid_groups(simple) if grid else ([], simple)
    # No header row for the others: it would head the first column only.
    cells = table([], [[f"{esc(short_claim(exp, f['claim']))}: {figure_cells(f)}"]
                       for f in rest], "findings") if rest else ""
    named = [f'<p class="fine">{esc(f["claim"].split(chr(10))[0])}: in the run\'s '
             f"summary.md (finding {esc(f['id'])}).</p>" for f in rows if "\n" in f["claim"]]
    return [findings_grid(exp, names, group) for names, group in grids], cells, named


def findings_appendix(apart):
    """Appendix E's body: the experiments' findings in three columns; an
    experiment with a grid spans the page (a grid is too wide for a
    column), its other rows in three columns under it."""
    out, flow = [], []

    def flush():
        if flow:
            out.append('<div class="findings-apart">' + "".join(flow) + "</div>")
            flow.clear()
    for exp, grids, cells, named in apart:
        head = f'<p class="fexp"><b>{esc(exp)}</b></p>'
        if not grids:
            flow.append(head + cells + "".join(named))
            continue
        flush()
        rest = f'<div class="findings-apart">{cells}</div>' if cells else ""
        out.append(head + "".join(grids) + rest + "".join(named))
    flush()
    return out


def fidelity_table(run):
    """Claim, C, CPython, CPython/C, verdict, and the reason under them: the
    fidelity rows. The reason spans the row's width on a line of its own
    (beside the claim, a column of reasons made most rows five lines
    high); a row and its reason are one block that print does not split."""
    rows = []
    for f in run.found.rows:
        if not f["id"].startswith(FIDELITY):
            continue
        figs = {g["name"]: g for g in f["figures"]}
        if "C" not in figs or "CPython" not in figs:
            continue
        ratio = figs.get("CPython/C")
        cells = [esc(f["claim"]), (esc(captions.quantity(figs["C"])), "num"),
                 (esc(captions.quantity(figs["CPython"])), "num"),
                 (esc(captions.quantity(ratio)) if ratio else "–", "num"),
                 verdict_html(f["verdict"] or "not judged")]
        why = f["reason"]
        rows.append(table_row(cells) + (f'<tr class="why"><td colspan="5"><span class="fine">'
                                        f"{esc(why)}</span></td></tr>" if why else ""))
    if not rows:
        return ""
    body = "".join(f'<tbody class="pair">{r}</tbody>' for r in rows)
    head = "".join(f"<th>{h}</th>" for h in ("claim (its reason below it)", "C", "CPython",
                                             "CPython/C", "verdict"))
    # one block with its lead-in: a figure floated to this page goes after
    # the table, never between the two
    return ('<div class="fidelity"><p><b>The fidelity table.</b> Claim by claim, the C '
            "model's figure, CPython's, their ratio and whether they agree; where they differ, "
            f'why.</p><table class="fidelity"><thead><tr>{head}</tr></thead>{body}</table></div>')


def costs_note(run):
    """CPython's own costs and the charges of the C models, as sentences."""
    out = []
    for f in run.found.rows:
        if f["id"].startswith(FIDELITY) and f["figures"] and "C" not in \
                {g["name"] for g in f["figures"]}:
            figs = ", ".join(f"{g['name']} {captions.quantity(g)}" for g in f["figures"])
            out.append(f"<p><b>{esc(f['claim'][0].upper() + f['claim'][1:])}:</b> "
                       f"{esc(figs)}.</p>")
    return out


def lessons_page(doc, run):
    """Page 1: the five lessons, this run's figures against CPython's."""
    m = run.meta
    rows = []
    for title, sentence, cpy, verdict in lessons.lessons(run.found):
        rows.append([f"<b>{esc(title)}.</b> " + esc(sentence or "Not measured in this run."),
                     esc(cpy or "–"), esc(verdict)])
    doc.add('<div class="page1">',
            f'<h1 class="title">What {esc(run.machine)} taught: Python\'s concurrency '
            "models, measured</h1>",
            f"<p>{esc(m.get('cpu_model', '?'))}, {esc(m.get('pus', '?'))} PUs, "
            f"{esc(m.get('os', ''))}; profile <b>{esc(m.get('profile', '?'))}</b>, "
            f"{esc(m.get('reps', '?'))} repetitions, pin {esc(m.get('pin', '?'))}; run "
            f"{esc(os.path.basename(run.dir))}.</p>",
            "<p>The five lessons of the tutorials parbench was built from, as this machine "
            "measured them. Each sentence gives the figure of parbench's C model of the "
            "Python construct (median of the repetitions); beside it, the same program run "
            "by CPython, and whether the two agree (section \u201ccpython\u201d gives every "
            "claim).</p>",
            table(["lesson, with this run's figure", "CPython", "C model and CPython"], rows,
                  "lessons"),
            "<p class=\"fine\">Each experiment's section states its own lesson with the "
            "run's figures, under its figure; the appendices hold the machine, the methods, "
            "the seed programs and the cases whose repetitions spread by more than 25 %"
            + (", and the lessons' findings with their figures (Appendix E)"
               if doc.apart is not None
               else "") + ".</p>",
            "</div>", "<!-- the table of contents -->")


def place_figures(doc, run, exp, stems, caption, mark):
    html = []
    for i, stem in enumerate(stems):
        path = run.figure_file(stem)
        if not path:
            continue
        doc.figures += 1
        width, height, font_pt = report_run.fitted(path, doc.text_px, MIN_TEXT_PT + 0.05)
        doc.placed.append((path, width, font_pt))
        text = caption if not html else "From the same run."
        html.append(figure_html(path, (width, height), doc.figures, text,
                                mark if not html else "", doc.base, exp))
    return html


def noisy_note(run, exp):
    """How many of the section's cases are noisy or failed, as the end of
    its caption: a line of its own would cost each section a line."""
    cases = run.cases.get(exp, [])
    noisy, failed = run.noisy.get(exp, []), run.failed.get(exp, [])
    if not noisy and not failed:
        return ""
    # What "noisy" means is said once, in Appendix B.
    bits = []
    if noisy:
        bits.append(f"{len(noisy)} of {len(cases)} cases are noisy")
    if failed:
        bits.append(f"{len(failed)} had a failed repetition")
    return f' <span class="note">({"; ".join(bits)}: Appendix D.)</span>'


def experiment_section(doc, run, exp):
    row = run.registry[exp]
    doc.add(f"# {exp} {{#exp-{exp}}}", f"<p><b>What it teaches.</b> {esc(row['teaches'])}</p>")
    cap = captions.caption(run.found, exp)
    note = noisy_note(run, exp)
    stems = [] if row["figures"].strip() == "-" else row["figures"].split()
    # A quick run's report is a handout of ten pages: the first figure of
    # each experiment the lessons on page 1 come from (its lesson; tasks'
    # sweep is its second); the captions name the figures not drawn (a
    # quick run with all 28 experiments' drew 17 pages)
    brief = doc.handout and exp not in lessons.LESSON_EXPERIMENTS
    drawn = [] if brief or not cap else stems[:1] if doc.handout else stems
    named = [x for x in stems if x not in drawn]
    if named:
        note += (' <span class="note">(Figure: ' + ", ".join(
            f"plots/{esc(x)}.svg" for x in named) + ".)</span>")
    figs = place_figures(doc, run, exp, drawn, cap, note) if drawn else []
    # The figure and its caption (the lesson) first, then the findings (a
    # quick run's in Appendix E: its sections are what each experiment
    # teaches, the figure and its caption); a figure that does not fit what
    # is left of the page floats past the text after it (report_page's
    # script), never past the section.
    if cap:
        doc.captions.append((exp, cap))
        doc.add(*(figs or [f'<p class="caption"><b>In numbers.</b> {esc(cap)}{note}</p>']))
    elif note:
        doc.add(f'<p class="caption">{note}</p>')
    # Appendix E is three columns of text, too narrow for a grid
    grids, cells, named = findings_parts(run.found.experiment(exp), exp, doc.apart is None)
    if doc.apart is None:
        # the others in two columns of the page: a claim and its figures
        # fill the lines they take, where two table columns leave the
        # shorter one half empty
        doc.add(*grids, *([f'<div class="findings">{cells}</div>'] if cells else []), *named)
    elif (grids or cells or named) and not brief:
        doc.apart.append((exp, grids, cells, named))
    if exp == "cpython":
        doc.add(fidelity_table(run), *costs_note(run))


def seed_map(run):
    """Each experiment and the seed programs it re-creates: experiments.csv's
    seeds column (bench/registry.c's pb_seeds), in two columns."""
    rows = [f"<p><b>{esc(e)}</b>: {esc(r['seeds'])}</p>" for e, r in run.registry.items()
            if r["seeds"] and r["seeds"] != "-"]
    if not rows:
        return ["<p>This run's experiments.csv names no seed programs (a run made before "
                "its seeds column, schema 2).</p>"]
    return ["<p>The tutorials' programs parbench re-creates, and what each tutorial "
            "printed, by experiment (the run's experiments.csv).</p>",
            '<div class="seeds">' + "".join(rows) + "</div>"]


def unprefixed(exp, case):
    """A case's name under its experiment's heading: without the "exp/" it
    starts with (the list prints the heading with its slash)."""
    return case[len(exp) + 1:] if case.startswith(exp + "/") else case


def braced(names):
    """Case names written short, as a shell writes braces: names that
    differ in one '/'-separated part only become one name whose part lists
    theirs ("counter-procs/{unlocked,spin}/w:1"), the part that joins the
    most names first, until no two join; expanding the braces gives every
    name back once (Appendix D's 187 noisy names of a default run take a
    third of the lines). A name with a brace or a comma of its own stays
    as it is."""
    # The names written shorter for reading: no fact is read from their parts
    # parse-ok: test_braced checks that expanding the braces gives them back
    rows = [n.split("/") for n in names if not set("{},") & set(n)]
    kept = [n for n in names if set("{},") & set(n)]
    while True:
        best = None
        for i in range(max((len(r) for r in rows), default=0)):
            groups = {}
            for r in rows:
                if len(r) > i:
                    groups.setdefault((len(r), tuple(r[:i]), tuple(r[i + 1:])), []).append(r)
            joined = sum(len(g) - 1 for g in groups.values())
            if joined and (best is None or joined > best[0]):
                best = (joined, i, groups)
        if best is None:
            return ["/".join(r) for r in rows] + kept
        rows = joined_rows(rows, *best[1:])


def joined_rows(rows, i, groups):
    """rows with each group (rows alike but for part i) made one row, where
    its first row was, part i listing the group's parts in braces: after
    their common "key:" when they share one ("w:{1,2}")."""
    out, seen = [], set()
    for r in rows:
        key = (len(r), tuple(r[:i]), tuple(r[i + 1:]))
        if len(r) <= i or key in seen:
            out += [r] if len(r) <= i else []
            continue
        seen.add(key)
        split = [brace_items(g[i]) for g in groups[key]]
        heads = {h for h, _ in split}
        if len(heads) == 1:
            items = [x for _, xs in split for x in xs]
            part = heads.pop() + ("{" + ",".join(items) + "}" if len(items) > 1 else items[0])
        else:
            part = "{" + ",".join(h + x for h, xs in split for x in xs) + "}"
        out.append(r[:i] + [part] + r[i + 1:])
    return out


def brace_items(part):
    """("key:", [values]) of a name's part: "w:{1,2}" -> ("w:", ["1", "2"]),
    "n:10" -> ("n:", ["10"]), "{a,b}" -> ("", ["a", "b"])."""
    head, brace, items = part.partition("{")
    if brace:
        return head, items.rstrip("}").split(",")
    head, colon, value = part.rpartition(":")
    return (head + colon, [value]) if colon else ("", [part])


def appendices(doc, run):
    m = run.meta
    cells = [[esc(k), esc(m.get(key, "–"))] for k, key in MACHINE_KEYS]
    cells.append(["run directory", f"<code>{esc(run.dir)}</code>"])
    half = (len(cells) + 1) // 2
    rows = [a + (cells[half + i] if half + i < len(cells) else ["", ""])
            for i, a in enumerate(cells[:half])]
    doc.add("# Appendix A: the machine {.unnumbered #app-machine}",
            table(["", "", "", ""], rows, "machine"))
    doc.add("# Appendix B: methods {.unnumbered #app-methods}", *METHODS)
    doc.add("# Appendix C: the seed programs {.unnumbered #app-seeds}", *seed_map(run))
    doc.add("# Appendix D: noisy cases {.unnumbered #app-noisy}")
    body = []
    for exp in run.experiments():
        noisy, failed = run.noisy.get(exp, []), run.failed.get(exp, [])
        if noisy or failed:
            short = [(n, "") for n in braced([unprefixed(exp, c) for c in noisy])]
            short += [(n, " (failed)") for n in braced([unprefixed(exp, c) for c in failed])]
            body.append(f"<p><b>{esc(exp)}/</b> ({len(noisy) + len(failed)}): "
                        + ", ".join(f"<code>{esc(n)}</code>{f}" for n, f in short) + "</p>")
    doc.add('<div class="noisy-list">' + "".join(body) + "</div>" if body else
            "<p>No case of this run is noisy.</p>")
    if doc.apart:
        doc.add("# Appendix E: the findings {.unnumbered #app-findings}",
                "<p>The findings of the experiments page 1's lessons come from, by "
                "experiment: each claim with its figures (medians of the repetitions) and its "
                "verdict; findings.csv and summary.md give every experiment's, with the minima "
                "and maxima.</p>",
                *findings_appendix(doc.apart))


METHODS = [
    "Every case runs its repetitions each in a fresh process under a watchdog; every figure "
    "is the median of the repetitions, with their minimum and maximum where a table gives a "
    "range. With --interleave (the default of make bench) the repetitions run in rounds, so "
    "that two cases a ratio compares see the same drift of the machine, and a ratio of two "
    "cases is taken repetition by repetition. Speedups are the serial median over the "
    "model's, measured in the same run. On a shared machine absolute times drift: compare "
    "ratios measured within one run.",
    "A case is noisy when the largest of its repetitions is more than 1.25 times the "
    "smallest (or a repetition flagged itself); its figures are kept, and Appendix D names "
    "it. A section's precision note gives the median of its cases' coefficients of variation "
    "(CV: the sample standard deviation of a case's successful repetitions over their "
    "mean). The C models mirror CPython's sources (Python/ceval_gil.c, multiprocessing's "
    "pool.py, queues.py, connection.py); the cpython-* cases run the same work in CPython, "
    "and the fidelity table says claim by claim whether the two agree.",
    "Every sentence and table of this report is computed from the run's findings.csv, "
    "summary.csv and experiments.csv (README, the CSV contract); the figures are the run's "
    "plots/.",
]


def legibility(doc):
    """Figures whose smallest text prints below MIN_TEXT_PT: (file, pt)."""
    return [(p, pt) for p, _w, pt in doc.placed if pt is not None and pt < MIN_TEXT_PT]


def build(run, text_px, base):
    """The report's Doc; figures are named relative to base (its directory)."""
    doc = Doc(text_px, base)
    if run.meta.get("profile") == "quick":
        doc.apart, doc.handout = [], True
    lessons_page(doc, run)
    for exp in run.experiments():
        experiment_section(doc, run, exp)
    appendices(doc, run)
    return doc
