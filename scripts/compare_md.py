"""compare_md — compare.md, the comparison for people, from comparison.py's data.

Every sentence here is filled from the pair's rows, factor and findings;
nothing is a figure of its own. report.py may call headline() and
md_table() to say the same in the report.
"""

import os

import cmpstats
from pbdata import fmt

CALLED = ("different",)
NOT_CALLED = ("not significant", "too noisy", "run-wide", "small", "no ratio")
HIDDEN = ("same",)


def pct_signed(r):
    """B/A 1.072 -> '+7.2 %'."""
    return ("+" if r >= 1 else "−") + cmpstats.pct(abs(r - 1))


def factor_sentence(sf):
    """'B's machine ran 7.2 % slower overall (calibration tick +7.2 %; price
    list, 20 cases: +5.1 %)'."""
    f = sf["factor"]
    if not sf["parts"]:
        return "No run-wide speed factor: neither run records a calibration or prices."
    parts = "; ".join(f"{name} {pct_signed(r)}" + (f" over {k} cases" if k > 1 else "")
                      for name, (r, k) in sf["parts"].items())
    if abs(f - 1) < 0.0005:
        how = "at the same speed overall"
    else:
        how = f"{cmpstats.pct(abs(f - 1))} {'slower' if f > 1 else 'faster'} overall"
    return f"B's machine ran {how} (time B/A: {parts})."


def no_verdict_reason(runs):
    """Why cases have no verdict: which run has how few repetitions."""
    few = list({r.dir: r for r in runs if _reps(r) < cmpstats.MIN_REPS}.values())
    if not few:
        return f"a case has fewer than {cmpstats.MIN_REPS} successful repetitions in a run"
    text = ", ".join(f"{r.machine} {r.stamp} has {_reps(r)} repetitions "
                     f"(profile {r.meta.get('profile', '?')})" for r in few)
    return (f"{text}; a verdict needs {cmpstats.MIN_REPS}: use the default profile "
            f"or --reps {cmpstats.MIN_REPS}")


def _reps(run):
    try:
        return int(run.meta.get("reps", "0"))
    except ValueError:
        return 0


def headline(pair, runs):
    """The one-line answer: how many testable cases differ beyond MIN_CHANGE."""
    c, mc = pair["counts"], cmpstats.pct(pair["min_change"])
    rows = pair["rows"]
    diff = [r for r in rows if r["verdict"] in CALLED]
    faster = sum(1 for r in diff if r["change"].endswith(("faster", "better")))
    text = (f"{len(diff)} of {c['testable']} testable cases differ beyond ±{mc}"
            + (f" ({faster} B better, {len(diff) - faster} B worse)" if diff else ""))
    text += f"; {c.get('same', 0)} the same within ±{mc}"
    others = [f"{c[v]} {v}" for v in NOT_CALLED if c.get(v)]
    if others:
        text += "; " + ", ".join(others)
    if c.get("no verdict"):
        text += (f". {c['no verdict']} of {len(rows)} cases have no verdict: "
                 f"{no_verdict_reason(runs)}")
    return text + "."


def machine_sentence(pair, runs):
    settings = ", ".join(f"{k} {a} vs {b}" for k, a, b in pair["settings"])
    if pair["same_machine"]:
        return ("Both runs are of one machine (same host, CPU, PUs, caches, kernel): no "
                "difference below is the machines'; it is the runs' "
                + (f"({settings})." if settings else "(drift or load: nothing else differs).")
                + calibration_note(pair))
    return ("Different machines" + (f", and settings differ too ({settings}): a difference "
                                    "may be either's." if settings else "."))


def calibration_note(pair):
    """On one machine the start-up calibration should agree; when it does
    not, calibrated cpu work (task_ms times the ticks per ms measured at
    start-up) is not the same work in both runs."""
    tick = pair["factor"]["parts"].get("calibration tick")
    if not tick or cmpstats.inside((tick[0], tick[0]), cmpstats.band(1.0, pair["min_change"])):
        return ""
    return (f" Their start-up calibrations differ ({pct_signed(tick[0])} per tick), so a "
            "case's calibrated cpu work (its milliseconds times the ticks per millisecond "
            "measured at start-up) is not the same work in both runs.")


def ratio_cell(r):
    ci = "" if r["ci_lo"] != r["ci_lo"] else f" [{r['ci_lo']:.3g}–{r['ci_hi']:.3g}]"
    return f"{r['ratio']:.3g}{ci}" if r["ratio"] == r["ratio"] else "-"


def md_cell(r, side):
    """One side's median (min–max, n) of a comparison row."""
    return (f"{fmt(r['median_' + side])} ({fmt(r['min_' + side])}–{fmt(r['max_' + side])}, "
            f"n={r['n_' + side]})")


def md_table(rows, labels):
    """A table of comparison rows: medians, B/A with its 95 % interval, p,
    the change in words and the verdict with its reason."""
    out = ["| case | metric | " + " | ".join(labels) + " | B/A [95 % CI] | p | verdict |",
           "|---|---|" + "---|" * len(labels) + "---|---|---|"]
    for r in rows:
        p = "-" if r["p_value"] != r["p_value"] else f"{r['p_value']:.2g}"
        v = f"**{r['change']}**" if r["verdict"] in CALLED else f"{r['verdict']}: {r['reason']}"
        out.append(f"| `{r['case']}` | {r['metric']} | {md_cell(r, 'a')} | {md_cell(r, 'b')} | "
                   f"{ratio_cell(r)} | {p} | {v} |")
    return out


def experiments_table(pair):
    out = ["| experiment | metric (better) | cases | B/A geometric mean [95 % CI] | in words | "
           "verdicts |", "|---|---|---|---|---|---|"]
    for e in pair["experiments"]:
        ci = "" if e["lo"] is None else f" [{e['lo']:.3g}–{e['hi']:.3g}]"
        verdicts = ", ".join(f"{n} {v}" for v, n in sorted(e["verdicts"].items()))
        out.append(f"| {e['experiment']} | {e['metric']} ({e['direction']}) | {e['cases']} | "
                   f"{e['gmean']:.3g}{ci} | {e['change']} | {verdicts} |")
    return out


def metric_notes(pair):
    """One line per experiment whose cases are not compared on its headline."""
    seen = {}
    for r in pair["rows"]:
        if r["metric_note"]:
            seen.setdefault((r["experiment"], r["metric"], r["metric_note"]), 0)
            seen[(r["experiment"], r["metric"], r["metric_note"])] += 1
    return [f"- {exp}: {n} case(s) compared on {m}, lower is better: {note}."
            for (exp, m, note), n in seen.items()]


def findings_lines(pair):
    """One row per finding both runs have: its dimensionless figures on A
    and on B (a figure equal in both, a setting such as the ideal, left
    out), and its verdict, changed ones first."""
    by_id = {}
    for r in pair["findings"]:
        by_id.setdefault(r["finding"], []).append(r)
    if not by_id:
        return ["No finding with a dimensionless figure (×, ratio, %) in both runs."]
    out = ["The findings both runs have, by their dimensionless figures (speedups, ratios, "
           "shares; findings_compare.csv has each); those whose verdict changed first.", "",
           "| finding | A → B | verdict A → B |", "|---|---|---|"]
    for fid, figs in by_id.items():
        cells = [f"{x['figure']} {fig_value(x, 'a')} → {fig_value(x, 'b')}" for x in figs
                 if x["median_a"] != x["median_b"]]
        va, vb = figs[0]["verdict_a"] or "-", figs[0]["verdict_b"] or "-"
        verdict = va if va == vb else f"**{va} → {vb}**"
        out.append(f"| {figs[0]['claim']} (`{fid}`) | {'; '.join(cells) or 'the same'} | "
                   f"{verdict} |")
    return out


def fig_value(x, side):
    unit = "×" if x["unit"] == "x" else f" {x['unit']}"
    return f"{fmt(x['median_' + side])}{unit}"


def pair_lines(pair, runs, j):
    """The section of compare.md for run j+1 against run 1."""
    a, b = runs[0], runs[j]
    rows = pair["rows"]
    labels = [f"A: {a.machine} {a.stamp}", f"B: {b.machine} {b.stamp}"]
    mc = cmpstats.pct(pair["min_change"])
    out = [f"## A = run 1 ({a.machine} {a.stamp}), B = run {j + 1} ({b.machine} {b.stamp})", "",
           f"**{headline(pair, runs)}**", "", factor_sentence(pair["factor"]) + " " +
           machine_sentence(pair, runs), "", "### Per experiment", ""]
    out += experiments_table(pair) + [""] + metric_notes(pair) + [""]
    called = [r for r in rows if r["verdict"] in CALLED]
    out += [f"### Differences beyond ±{mc}, by effect", ""]
    out += (md_table(called, labels) if called else ["None."]) + [""]
    band = cmpstats.band(1.0, pair["min_change"])
    rest = [r for r in rows if r["verdict"] in NOT_CALLED and not band[0] <= r["ratio"] <= band[1]]
    out += [f"### Changes beyond ±{mc} not called a difference, by effect", ""]
    out += (md_table(rest, labels) if rest else ["None."]) + [""]
    hidden = sum(r["verdict"] in HIDDEN for r in rows)
    quiet = sum(r["verdict"] in NOT_CALLED for r in rows) - len(rest)
    out += [f"Not listed: {hidden} case(s) the same (interval inside ±{mc}) and {quiet} "
            f"whose change is within ±{mc} but whose interval is wider (too few or too "
            "varied repetitions to say); compare.csv has every case.", "",
            "### What the comparison teaches", ""]
    return out + findings_lines(pair) + [""]


def method_lines(min_change):
    mc = cmpstats.pct(min_change)
    return [
        "Each case is compared on its experiment's headline metric (the runs' "
        "experiments.csv, in its direction) where the case records it in raw.csv, else on "
        "wall_s. B/A is the ratio of the medians; its 95 % interval is the Hodges–Lehmann "
        "interval of the shift of the logarithms (the exact Mann–Whitney U test turned "
        f"around); p is the two-sided U test (scipy). A verdict needs {cmpstats.MIN_REPS} "
        f"repetitions in each run. A case is called different only when p < "
        f"{cmpstats.ALPHA}, its interval lies beyond ±{mc} (MIN_CHANGE) of no change and of "
        "the run-wide speed factor (for times and rates), and its change is larger than "
        "its repetitions' own spread in either run (max/min of the middle repetitions, "
        "the fastest and slowest fifth left out).", ""]


def curve_lines(curves, outdir):
    if not curves:
        return ["No experiment with a sweep in these runs."]
    return [f"![{exp}: {metric}, one line or marker per run and model]"
            f"({os.path.relpath(png, outdir)})\n" for exp, metric, png in curves]


def only_lines(runs, only):
    if not only:
        return ["None: every case is in every run."]
    return (["Task counts and worker sweeps follow each machine's PUs, so these are "
             "compared as curves below, not row by row.", ""] +
            [f"- `{c}`: only in " + ", ".join(f"run {i + 1} ({runs[i].machine})" for i in have)
             for c, have in only])
