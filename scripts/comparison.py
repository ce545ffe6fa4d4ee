"""comparison — what make compare concludes, as data (compare.py writes it).

For a baseline run A and another run B: each case both ran, on its
experiment's headline metric (experiments.csv) where the case records it,
else on wall_s; the run-wide speed factor (calibration and the price list);
per experiment, the geometric mean of the cases' ratios; and the findings
both runs have, side by side. Rendering is compare_md.py's; statistics are
cmpstats.py's.
"""

import math

import cmpstats
import findings as findings_mod

TIME_UNITS = ("s", "ms", "us", "ns")
RATE_UNITS = ("B/s", "msg/s", "1/s", "ticks/s", "1/ms")
# The facts that say which machine a run ran on: when all agree, two runs
# are of one machine and no difference between them is the machine's.
MACHINE_KEYS = ("hostname", "cpu_model", "packages", "cores", "pus", "numa_nodes", "caches",
                "kernel")
# Settings that change what a case does on the same machine.
SETTING_KEYS = ("pin", "profile", "interleave", "git_rev")
DIMENSIONLESS = ("x", "ratio", "%")  # the findings' units that are lessons, not timings
PRICE = "price"  # the experiment whose cases price the OS's primitives
PRICE_METRIC = "op_ns_p50"


def case_metric(run, case):
    """(metric, direction, note) a case is compared on: its experiment's
    headline where raw.csv records it, else wall_s (lower is better) with
    the reason in note; None when it records neither."""
    exp = run.case_info[case]["experiment"]
    row = run.experiment(exp)
    metric = run.headline(case)
    if metric is None:
        return None
    if row and row["headline_metric"] == metric:
        return metric, row["direction"], ""
    why = (f"the headline {row['headline_metric']} is not a raw.csv metric of this case"
           if row else "the run has no experiments.csv row for it")
    return metric, "lower", why


def speed_factor(base, other):
    """The run-wide speed factor B/A of time (>1: B ran slower): the
    geometric mean of the calibration tick's ratio (metadata) and of the
    price list's (the price cases' op_ns_p50 medians), where each exists."""
    parts = {}
    try:
        ta = float(base.meta["calibration_tick_ns"])
        tb = float(other.meta["calibration_tick_ns"])
        if ta > 0 and tb > 0:
            parts["calibration tick"] = (tb / ta, 1)
    except (KeyError, ValueError):
        pass
    price = []
    for case in base.cases():
        if base.case_info[case]["experiment"] != PRICE or case not in other.case_info:
            continue
        sa, sb = base.stat(case, PRICE_METRIC), other.stat(case, PRICE_METRIC)
        if sa and sb and sa[1] > 0 and sb[1] > 0:
            price.append(sb[1] / sa[1])
    if price:
        parts["price list"] = (cmpstats.gmean_interval(price)[0], len(price))
    if not parts:
        return {"factor": 1.0, "parts": {}}
    g = math.exp(sum(math.log(r) for r, _ in parts.values()) / len(parts))
    return {"factor": g, "parts": parts}


def expected_ratio(unit, factor):
    """B/A the run-wide factor predicts for a metric in this unit: a time
    scales with it, a rate against it, a ratio or a count not at all."""
    if unit in TIME_UNITS:
        return factor
    if unit in RATE_UNITS:
        return 1 / factor
    return 1.0


def words(ratio, direction, unit):
    """'B 1.84× faster', 'B 1.12× slower', 'B 1.3× worse' (a count or a
    share, where faster means nothing), 'B the same' (1.00× to 3 digits)."""
    if not ratio or ratio != ratio:
        return "-"
    good = ratio if direction == "higher" else 1 / ratio
    if f"{max(good, 1 / good):.3g}" == "1":
        return "B the same"  # within 0.05 %: "B 1× slower" would say nothing
    timed = unit in TIME_UNITS or unit in RATE_UNITS or unit == "x"
    up, down = ("faster", "slower") if timed else ("better", "worse")
    return f"B {max(good, 1 / good):.3g}× {up if good > 1 else down}"


def compare_case(base, other, case, min_change, factor):
    """One row of compare.csv, or None when the two runs cannot compare it."""
    got = case_metric(base, case)
    if got is None or case_metric(other, case) is None or case_metric(other, case)[0] != got[0]:
        return None
    metric, direction, note = got
    a, b = base.values.get((case, metric)), other.values.get((case, metric))
    if not a or not b:
        return None
    unit = base.units.get((case, metric), "")
    j = cmpstats.judge(a, b, min_change, expected_ratio(unit, factor))
    ci = j["ci"] or (math.nan, math.nan)
    row = {"case": case, "experiment": base.case_info[case]["experiment"], "metric": metric,
           "unit": unit, "direction": direction, "metric_note": note,
           "run_a": base.dir, "run_b": other.dir, "ratio": j["ratio"], "ci_lo": ci[0],
           "ci_hi": ci[1], "p_value": j["p"], "spread": j["spread"],
           "significant": "" if j["p"] != j["p"] else ("yes" if j["p"] < cmpstats.ALPHA
                                                       else "no"),
           "verdict": j["verdict"], "reason": j["reason"],
           "change": words(j["ratio"], direction, unit)}
    for side, st in (("a", base.stat(case, metric)), ("b", other.stat(case, metric))):
        row.update({f"n_{side}": st[0], f"median_{side}": st[1], f"min_{side}": st[2],
                    f"max_{side}": st[3]})
    return row


def effect(row):
    """How big a row's change is, for sorting: |log ratio| (0 when none)."""
    r = row["ratio"]
    return abs(math.log(r)) if r and r == r and r > 0 else 0.0


def per_experiment(rows):
    """Per (experiment, metric): the geometric mean of the cases' ratios
    with its interval, in words by the metric's direction."""
    groups = {}
    for r in rows:
        if r["ratio"] == r["ratio"] and r["ratio"] > 0:
            groups.setdefault((r["experiment"], r["metric"]), []).append(r)
    out = []
    for (exp, metric), rs in groups.items():
        g, lo, hi = cmpstats.gmean_interval([r["ratio"] for r in rs])
        d, unit = rs[0]["direction"], rs[0]["unit"]
        out.append({"experiment": exp, "metric": metric, "unit": unit, "direction": d,
                    "cases": len(rs), "gmean": g, "lo": lo, "hi": hi,
                    "change": words(g, d, unit),
                    "verdicts": {v: sum(r["verdict"] == v for r in rs)
                                 for v in {r["verdict"] for r in rs}}})
    return sorted(out, key=lambda e: -abs(math.log(e["gmean"])))


def same_machine(base, other):
    """True when every fact of MACHINE_KEYS both runs record agrees."""
    keys = [k for k in MACHINE_KEYS if k in base.meta and k in other.meta]
    return bool(keys) and all(base.meta[k] == other.meta[k] for k in keys)


def setting_diffs(base, other):
    return [(k, base.meta.get(k, "-"), other.meta.get(k, "-")) for k in SETTING_KEYS
            if base.meta.get(k, "-") != other.meta.get(k, "-")]


def spread(fig):
    """A figure's (min, max) over its repetitions, or None for a figure of
    one value (a ratio of two medians)."""
    n, lo, hi = fig.get("n"), fig.get("min"), fig.get("max")
    return (lo, hi) if n and n > 1 and lo is not None and hi is not None else None


def findings_side_by_side(base, other):
    """The dimensionless figures (speedups, ratios, shares) of the findings
    both runs have: one dict per (finding, figure), those whose verdict
    changed first."""
    fa = {f["id"]: f for f in findings_mod.read(base.dir)}
    fb = {f["id"]: f for f in findings_mod.read(other.dir)}
    out = []
    for fid, f in fa.items():
        g = fb.get(fid)
        if not g:
            continue
        figs_b = {x["name"]: x for x in g["figures"]}
        for x in f["figures"]:
            y = figs_b.get(x["name"])
            if y is None or x["unit"] not in DIMENSIONLESS or x["unit"] != y["unit"]:
                continue
            out.append({"finding": fid, "claim": f["claim"], "figure": x["name"],
                        "unit": x["unit"], "median_a": x["median"], "median_b": y["median"],
                        "range_a": spread(x), "range_b": spread(y),
                        "verdict_a": f["verdict"], "verdict_b": g["verdict"]})
    return sorted(out, key=lambda r: r["verdict_a"] == r["verdict_b"])


def compare_pair(base, other, min_change):
    """Everything compare says about run B (other) against run A (base)."""
    sf = speed_factor(base, other)
    rows = [r for r in (compare_case(base, other, c, min_change, sf["factor"])
                        for c in base.cases() if c in other.case_info) if r]
    rows.sort(key=effect, reverse=True)
    return {"rows": rows, "factor": sf, "experiments": per_experiment(rows),
            "same_machine": same_machine(base, other), "settings": setting_diffs(base, other),
            "findings": findings_side_by_side(base, other), "min_change": min_change,
            "counts": counts(rows)}


def counts(rows):
    """{verdict: number of cases}; 'testable' is every case with a verdict."""
    c = {}
    for r in rows:
        c[r["verdict"]] = c.get(r["verdict"], 0) + 1
    c["testable"] = len(rows) - c.get("no verdict", 0)
    return c
