"""cmpstats — the statistics of make compare, kept apart from its files.

Two runs' repetitions of one case are compared as a ratio B/A of their
medians. Its 95 % interval is the Hodges-Lehmann interval of the shift of
the logarithms: the pairwise differences log b - log a, cut at the
critical value of the exact Mann-Whitney U distribution. That interval is
the U test turned around (without ties, it excludes 1 exactly when the
exact two-sided test has p < 0.05), so the interval and the verdict never
disagree, and it needs no random numbers. The p value itself is scipy's
mannwhitneyu, two-sided, the same call google-benchmark's compare.py
makes, so the two tools agree on the same numbers.
"""

import functools
import math

ALPHA = 0.05
MIN_REPS = 5  # the least repetitions per run for a verdict (pbdata.MIN_REPS)


@functools.lru_cache(maxsize=None)
def _u_counts(n, m):
    """How many of the C(n+m, n) orderings give U = 0, 1, ..., n*m."""
    if n == 0 or m == 0:
        return (1,)
    # The largest value either ends the sequence as an a (it beats all m b's)
    # or as a b (it adds nothing).
    with_a = _u_counts(n - 1, m)
    with_b = _u_counts(n, m - 1)
    out = [0] * (n * m + 1)
    for u, c in enumerate(with_a):
        out[u + m] += c
    for u, c in enumerate(with_b):
        out[u] += c
    return tuple(out)


def u_critical(n, m, alpha=ALPHA):
    """The largest c with P(U <= c) <= alpha/2 under the null, or -1 when
    no c qualifies (too few repetitions for any interval at this level)."""
    counts = _u_counts(n, m)
    total = sum(counts)
    cum, c = 0, -1
    for u, k in enumerate(counts):
        cum += k
        if cum / total > alpha / 2:
            break
        c = u
    return c


def hl_interval(a, b, alpha=ALPHA):
    """The (1 - alpha) interval of B/A from the log-shift (Hodges-Lehmann),
    or None when a value is not positive or there are too few repetitions."""
    if min(a + b) <= 0:
        return None
    c = u_critical(len(a), len(b), alpha)
    if c < 0:
        return None
    d = sorted(math.log(y) - math.log(x) for x in a for y in b)
    return math.exp(d[c]), math.exp(d[len(d) - 1 - c])


def u_p(a, b):
    """Two-sided Mann-Whitney U p value, as scipy (and google-benchmark)
    computes it; 1.0 for two identical constant samples (scipy gives nan)."""
    from scipy.stats import mannwhitneyu
    if len(set(a)) == 1 and set(a) == set(b):
        return 1.0
    return float(mannwhitneyu(a, b, alternative="two-sided").pvalue)


def spread(values):
    """How much the repetitions vary: max/min - 1 of the middle ones (0.25 =
    they span 25 %), the fastest and the slowest fifth left out (one of
    five, two of ten), so that one repetition a busy machine disturbed does
    not make the whole case too noisy to compare."""
    v = sorted(values)
    k = len(v) // 5
    v = v[k:len(v) - k]
    return v[-1] / v[0] - 1 if v[0] > 0 else math.inf


def gmean_interval(ratios, alpha=ALPHA):
    """Geometric mean of ratios with a (1 - alpha) t interval over them on
    the log scale: (g, lo, hi); lo = hi = None with fewer than two."""
    logs = [math.log(r) for r in ratios]
    k = len(logs)
    mean = sum(logs) / k
    if k < 2:
        return math.exp(mean), None, None
    from scipy.stats import t
    sd = math.sqrt(sum((x - mean) ** 2 for x in logs) / (k - 1))
    half = t.ppf(1 - alpha / 2, k - 1) * sd / math.sqrt(k)
    return math.exp(mean), math.exp(mean - half), math.exp(mean + half)


def band(center, min_change):
    """The ratios within min_change of center: [center/(1+c), center*(1+c)]."""
    return center / (1 + min_change), center * (1 + min_change)


def inside(iv, bnd):
    return bnd[0] <= iv[0] and iv[1] <= bnd[1]


def meets(iv, bnd):
    return iv[0] <= bnd[1] and bnd[0] <= iv[1]


def judge(a, b, min_change, expected=1.0):
    """The verdict on one case: a dict with ratio (B/A of the medians),
    ci (lo, hi) or None, p, spread (the larger of the two runs'), verdict
    and reason. expected is B/A that the run-wide speed factor predicts for
    this metric (1 for a metric it does not move). Verdicts, in the order
    they are tried:
      no verdict        a run has fewer than MIN_REPS repetitions
      no ratio          a value is zero or negative (a ratio means nothing)
      same              the interval lies inside +-min_change
      not significant   U test p >= ALPHA
      too noisy         the change is no larger than the repetitions' spread
                        (spread(): the middle ones' max/min)
      run-wide          the interval meets expected +-min_change
      small             the interval reaches inside +-min_change
      different         none of the above: a difference of the runs
    """
    ma, mb = median(a), median(b)
    out = {"ratio": mb / ma if ma > 0 else math.nan, "ci": None, "p": math.nan,
           "spread": max(spread(a), spread(b))}
    if min(len(a), len(b)) < MIN_REPS:
        return dict(out, verdict="no verdict",
                    reason=f"{min(len(a), len(b))} repetitions; a verdict needs {MIN_REPS}")
    out["p"] = u_p(a, b)
    if min(a + b) <= 0:
        if set(a) == set(b) and len(set(a)) == 1:
            return dict(out, ratio=1.0, ci=(1.0, 1.0), verdict="same",
                        reason=f"every repetition is {a[0]:g} in both runs")
        return dict(out, verdict="no ratio", reason="a value is zero or negative")
    iv = out["ci"] = hl_interval(a, b)
    return dict(out, **_classify(out, iv, min_change, expected))


def _classify(out, iv, min_change, expected):
    """judge's verdict for a testable case with an interval iv."""
    r, p, s = out["ratio"], out["p"], out["spread"]
    change = abs(math.log(r))
    if inside(iv, band(1.0, min_change)):
        return {"verdict": "same", "reason": f"interval inside ±{pct(min_change)}"}
    if p >= ALPHA:
        return {"verdict": "not significant", "reason": f"p = {p:.2g}"}
    if change <= math.log1p(s):
        return {"verdict": "too noisy",
                "reason": f"the middle repetitions vary {pct(s)}, the change is "
                          f"{pct(math.exp(change) - 1)}"}
    if expected != 1.0 and meets(iv, band(expected, min_change)):
        return {"verdict": "run-wide",
                "reason": f"in line with the run-wide speed factor ({expected:.3g}× "
                          f"expected, ±{pct(min_change)})"}
    if meets(iv, band(1.0, min_change)):
        return {"verdict": "small",
                "reason": f"significant (p = {p:.2g}), but the interval reaches inside "
                          f"±{pct(min_change)}"}
    return {"verdict": "different", "reason": f"p = {p:.2g}"}


def median(v):
    s = sorted(v)
    k = len(s)
    return s[k // 2] if k % 2 else (s[k // 2 - 1] + s[k // 2]) / 2


def pct(x):
    """0.253 -> '25 %', 0.0712 -> '7.1 %'."""
    x *= 100
    return f"{x:.2g} %" if abs(x) < 10 else f"{x:.0f} %"
