#!/usr/bin/env python3
"""make compare on hand-made runs with known repetitions: the statistics,
the verdicts and their words, the run-wide factor, MIN_CHANGE, findings side
by side, cases in one run only, malformed input (real runs:
test_compare_real.py). Plain unittest; prints cmocka-style
[  PASSED  ] / [  FAILED  ] lines for the Makefile's accounting."""

import csv
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COMPARE = os.path.join(ROOT, "scripts", "compare.py")
sys.path.insert(0, os.path.join(ROOT, "scripts"))
HEADER = ("machine,case,experiment,model,workload,workers,param,param_value,pin,rep,"
          "metric,value,unit")


def run_compare(*args):
    return subprocess.run([sys.executable, COMPARE, *args], capture_output=True, text=True,
                          cwd=ROOT)


def write_run(root, machine, cases, meta=None):
    """A run directory with raw.csv: cases = {case: [wall_s values]}."""
    d = os.path.join(root, machine, "20260101T000000Z")
    os.makedirs(d, exist_ok=True)
    m = {"schema_version": "1", "machine": machine, "cpu_model": "Test CPU", "pus": "2",
         "profile": "quick", "pin": "none", "git_rev": "abc1234", "reps": "5"}
    m.update(meta or {})
    with open(os.path.join(d, "raw.csv"), "w") as f:
        for k, v in m.items():
            f.write(f"# {k}={v}\n")
        f.write(HEADER + "\n")
        for case, vals in cases.items():
            exp, model, wl = case.split("/")[:3]
            w = [p for p in case.split("/") if p.startswith("w:")][0][2:]
            for i, v in enumerate(vals):
                pre = f"{machine},{case},{exp},{model},{wl},{w},task_ms,100,none,{i}"
                f.write(f"{pre},wall_s,{v!r},s\n{pre},status,0,ok\n")
    write_cases(d, cases)
    return d


def write_experiments(d, rows):
    """experiments.csv in run directory d: rows = {name: (headline, unit, direction)}."""
    with open(os.path.join(d, "experiments.csv"), "w", newline="") as f:
        f.write("# schema_version=1\n")
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["name", "summary", "teaches", "headline_metric", "headline_unit",
                    "direction", "figures", "cpython_twin"])
        for name, (metric, unit, direction) in rows.items():
            w.writerow([name, "a summary, with a comma", "what it teaches", metric, unit,
                        direction, "-", "-"])


def add_metric(d, metric, values, unit):
    """Append rows of metric (one per repetition, in order) to every case of
    the run d that write_run made."""
    path = os.path.join(d, "raw.csv")
    lines = slurp(path).splitlines()
    extra = []
    for line in lines:
        f = line.split(",")
        if len(f) == 13 and f[10] == "wall_s":
            extra.append(",".join(f[:10] + [metric, repr(values[int(f[9])]), unit]))
    with open(path, "a") as out:
        out.write("\n".join(extra) + "\n")


def write_cases(d, cases):
    """cases.csv for write_run's made-up names, as parbench would write it."""
    with open(os.path.join(d, "cases.csv"), "w") as f:
        f.write("# schema_version=1\ncase,experiment,parameter,value,unit,type,name_key\n")
        for case in cases:
            exp, model, wl, *rest = case.split("/")
            rows = [("model", model, "enum", "="), ("workload", wl, "enum", "=")]
            for part in rest:
                k, v = part.split(":")
                rows.append(("workers" if k == "w" else k, v, "integer", k))
            rows.append(("pin", "none", "enum", "-"))
            for p, v, t, key in rows:
                f.write(f"{case},{exp},{p},{v},,{t},{key}\n")


def slurp(path):
    with open(path) as f:
        return f.read()


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def read_csv_body(path):
    """A parbench CSV's rows after its '# key=value' lines."""
    with open(path, newline="") as f:
        return list(csv.DictReader(line for line in f if not line.startswith("#")))


class KnownRepetitions(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="parbench-cmp.")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_p_value_matches_scipy(self):
        from scipy.stats import mannwhitneyu
        a = {"t/fork/cpu/n:2/w:2/x:1": [0.20, 0.21, 0.19, 0.22, 0.205],
             "t/fork/io/n:5/w:5/x:1": [0.101, 0.103, 0.102, 0.104, 0.100],
             "t/fork/io/n:5/w:1/x:1": [0.5, 0.51, 0.52]}
        b = {"t/fork/cpu/n:2/w:2/x:1": [0.10, 0.11, 0.105, 0.12, 0.099],
             "t/fork/io/n:5/w:5/x:1": [0.1025, 0.1005, 0.1035, 0.1015, 0.1045],
             "t/fork/io/n:5/w:1/x:1": [0.5, 0.51, 0.53]}
        da, db = write_run(self.tmp, "m1", a), write_run(self.tmp, "m2", b)
        res = run_compare(da, db, "--out", os.path.join(self.tmp, "out"))
        self.assertEqual(res.returncode, 0, res.stderr)
        rows = {r["case"]: r for r in read_csv(os.path.join(self.tmp, "out", "compare.csv"))}
        for case, verdict in (("t/fork/cpu/n:2/w:2/x:1", "different"),
                              ("t/fork/io/n:5/w:5/x:1", "same"),
                              ("t/fork/io/n:5/w:1/x:1", "no verdict")):
            if verdict != "no verdict":
                want = mannwhitneyu(a[case], b[case], alternative="two-sided").pvalue
                self.assertAlmostEqual(float(rows[case]["p_value"]), want, places=12)
            self.assertEqual(rows[case]["verdict"], verdict)
        cpu = rows["t/fork/cpu/n:2/w:2/x:1"]
        self.assertAlmostEqual(float(cpu["ratio"]), 0.105 / 0.205)
        self.assertEqual(cpu["change"], "B 1.95× faster")
        self.assertTrue(float(cpu["ci_lo"]) <= 0.105 / 0.205 <= float(cpu["ci_hi"]) < 0.95)
        self.assertIn("1 of 2 testable cases differ beyond ±5 % (1 B better, 0 B worse)",
                      res.stdout)

    def test_headline_from_experiments_csv(self):
        """The metric compared is the experiment's headline in experiments.csv,
        not wall_s, when the case records it."""
        a = {"t/fork/cpu/n:2/w:2/x:1": [1, 1, 1, 1, 1]}
        da, db = write_run(self.tmp, "m1", a), write_run(self.tmp, "m2", a)
        add_metric(da, "per_task_us", [10, 11, 12, 13, 14], "us")
        add_metric(db, "per_task_us", [20, 21, 22, 23, 24], "us")
        for d in (da, db):
            write_experiments(d, {"t": ("per_task_us", "us", "lower")})
        res = run_compare(da, db, "--out", os.path.join(self.tmp, "out"))
        self.assertEqual(res.returncode, 0, res.stderr)
        rows = read_csv(os.path.join(self.tmp, "out", "compare.csv"))
        self.assertEqual([(r["metric"], r["unit"], r["verdict"], r["change"]) for r in rows],
                         [("per_task_us", "us", "different", "B 1.83× slower")])
        md = slurp(os.path.join(self.tmp, "out", "compare.md"))
        self.assertIn("**B 1.83× slower**", md)
        self.assertIn("| t | per_task_us (lower) | 1 | 1.83 | B 1.83× slower | 1 different |", md)

    def test_bad_experiments_csv(self):
        d = write_run(self.tmp, "m1", {"t/a/b/w:1": [1, 2, 3, 4, 5]})
        write_experiments(d, {"t": ("wall_s", "s", "sideways")})
        res = run_compare(d, d, "--out", os.path.join(self.tmp, "out"))
        self.assertEqual(res.returncode, 2)
        self.assertIn("experiments.csv:3: direction is 'sideways'", res.stderr)

    def test_case_in_one_run_is_listed(self):
        da = write_run(self.tmp, "m1", {"t/fork/cpu/n:2/w:2/x:1": [1, 2, 3, 4, 5]})
        db = write_run(self.tmp, "m2", {"t/fork/cpu/n:2/w:2/x:1": [1, 2, 3, 4, 5],
                                        "t/fork/cpu/n:4/w:4/x:1": [1, 2, 3, 4, 5]})
        res = run_compare(da, db, "--out", os.path.join(self.tmp, "out"))
        self.assertEqual(res.returncode, 0, res.stderr)
        md = slurp(os.path.join(self.tmp, "out", "compare.md"))
        self.assertIn("- `t/fork/cpu/n:4/w:4/x:1`: only in run 2 (m2)", md)
        self.assertNotIn("`t/fork/cpu/n:2/w:2/x:1`: only", md)

    def test_doubtful_metadata_flagged_first(self):
        da = write_run(self.tmp, "m1", {"t/a/b/w:1": [1, 2, 3, 4, 5]})
        db = write_run(self.tmp, "m2", {"t/a/b/w:1": [1, 2, 3, 4, 5]},
                       {"profile": "default", "git_rev": "def5678"})
        res = run_compare(da, db, "--out", os.path.join(self.tmp, "out"))
        self.assertEqual(res.returncode, 0, res.stderr)
        lines = slurp(os.path.join(self.tmp, "out", "compare.md")).split("\n")
        self.assertTrue(lines[2].startswith("**Doubtful comparison:**"), lines[:4])
        self.assertIn("profile differs (quick vs default)", lines[2])
        self.assertIn("git_rev differs", lines[2])


class Statistics(unittest.TestCase):
    """cmpstats: the interval is the exact U test turned around."""

    def test_critical_values(self):
        import cmpstats
        # P(U <= 2) = 4/252 <= 0.025 < P(U <= 3) = 7/252 for five against five;
        # three against three cannot reach 0.025 at all (P(U = 0) = 1/20).
        self.assertEqual(cmpstats.u_critical(5, 5), 2)
        self.assertEqual(cmpstats.u_critical(3, 3), -1)
        self.assertIsNone(cmpstats.hl_interval([1, 2, 3], [1, 2, 3]))

    def test_interval_and_test_agree(self):
        """Without ties, the interval excludes 1 exactly when p < 0.05."""
        import random
        import cmpstats
        from scipy.stats import mannwhitneyu
        rng = random.Random(21)
        for n, m in ((5, 5), (5, 6), (6, 7)):
            for _ in range(200):
                a = [rng.uniform(1, 2) for _ in range(n)]
                shift = rng.choice((1.0, 1.2, 1.5))
                b = [rng.uniform(1, 2) * shift for _ in range(m)]
                lo, hi = cmpstats.hl_interval(a, b)
                p = mannwhitneyu(a, b, alternative="two-sided").pvalue
                self.assertEqual(not lo <= 1 <= hi, p < 0.05, (a, b, lo, hi, p))

    def test_spread_leaves_out_a_fifth(self):
        import cmpstats
        self.assertAlmostEqual(cmpstats.spread([1.0, 1.1, 1.2, 1.21, 9.0]), 0.1)
        self.assertAlmostEqual(cmpstats.spread([1.0, 2.0]), 1.0)


class Verdicts(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="parbench-cmp.")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def compare(self, a, b, meta_a=None, meta_b=None, *args):
        da = write_run(self.tmp, "m1", a, meta_a)
        db = write_run(self.tmp, "m2", b, meta_b)
        out = os.path.join(self.tmp, "out")
        res = run_compare(da, db, "--out", out, *args)
        self.assertEqual(res.returncode, 0, res.stderr)
        rows = {r["case"]: r for r in read_csv(os.path.join(out, "compare.csv"))}
        return res, rows, slurp(os.path.join(out, "compare.md"))

    def test_quick_runs_have_no_verdict(self):
        case = "t/fork/cpu/n:2/w:2/x:1"
        res, rows, md = self.compare({case: [1, 1.1, 1.2]}, {case: [2, 2.1, 2.2]},
                                     {"reps": "3"}, {"reps": "3"})
        self.assertEqual(rows[case]["verdict"], "no verdict")
        self.assertIn("0 of 0 testable cases differ", res.stdout)
        self.assertIn("has 3 repetitions (profile quick); a verdict needs 5: use the default "
                      "profile", md)

    def test_too_noisy(self):
        """Separated, p < 0.05, but B's own repetitions vary 42 %: a 7 % change
        cannot be told from that."""
        case = "t/fork/cpu/n:2/w:2/x:1"
        res, rows, md = self.compare({case: [0.98, 0.99, 1.0, 1.01, 1.02]},
                                     {case: [1.05, 1.06, 1.07, 1.5, 1.6]})
        self.assertLess(float(rows[case]["p_value"]), 0.05)
        self.assertEqual(rows[case]["verdict"], "too noisy")
        self.assertIn("the middle repetitions vary 42 %", rows[case]["reason"])

    def test_run_wide_factor(self):
        """B's calibration tick is 10 % longer and its cpu case 10 % slower:
        the machine, not the case; a case 10 % faster is a difference."""
        slow, fast = "t/fork/cpu/n:2/w:2/x:1", "t/fork/io/n:5/w:5/x:1"
        a = [1.0, 1.01, 1.02, 1.03, 1.04]
        res, rows, md = self.compare({slow: a, fast: a},
                                     {slow: [v * 1.1 for v in a], fast: [v / 1.1 for v in a]},
                                     {"calibration_tick_ns": "20"}, {"calibration_tick_ns": "22"})
        self.assertEqual(rows[slow]["verdict"], "run-wide")
        self.assertEqual(rows[fast]["verdict"], "different")
        self.assertIn("B's machine ran 10 % slower overall (time B/A: calibration tick +10 %)",
                      md)
        # the same CPU and PUs: one machine, whose calibration should not move
        self.assertIn("Their start-up calibrations differ (+10 % per tick)", md)

    def test_min_change(self):
        case = "t/fork/cpu/n:2/w:2/x:1"
        a = [1.0, 1.01, 1.02, 1.03, 1.04]
        b = [v * 1.3 for v in a]
        for opt, verdict in (("5%", "different"), ("50", "same")):
            _res, rows, _md = self.compare({case: a}, {case: b}, None, None, "--min-change", opt)
            self.assertEqual(rows[case]["verdict"], verdict, opt)

    def test_bad_min_change(self):
        d = write_run(self.tmp, "m1", {"t/a/b/w:1": [1, 2, 3, 4, 5]})
        out = os.path.join(self.tmp, "never")
        res = run_compare(d, d, "--out", out, "--min-change", "lots")
        self.assertEqual(res.returncode, 2)
        self.assertIn("MIN_CHANGE 'lots': give a percentage from 0 to 100", res.stderr)
        self.assertFalse(os.path.exists(out))

    def test_findings_side_by_side(self):
        case = "t/fork/cpu/n:2/w:2/x:1"
        da = write_run(self.tmp, "m1", {case: [1, 1, 1, 1, 1]})
        db = write_run(self.tmp, "m2", {case: [1, 1, 1, 1, 1]})
        for d, speedup, verdict in ((da, 1.96, "scales"), (db, 0.99, "does not scale")):
            with open(os.path.join(d, "findings.csv"), "w") as f:
                f.write("# schema_version=1\n"
                        "experiment,finding,claim,figure,median,min,max,n,unit,verdict,reason\n"
                        f"t,t.cpu_fork,CPU processes,speedup,{speedup},1,2,5,x,{verdict},\n"
                        f"t,t.cpu_fork,CPU processes,wall_s,0.1,0.1,0.1,5,s,{verdict},\n")
        out = os.path.join(self.tmp, "out")
        self.assertEqual(run_compare(da, db, "--out", out).returncode, 0)
        md = slurp(os.path.join(out, "compare.md"))
        self.assertIn("| CPU processes (`t.cpu_fork`) | speedup 1.96× → 0.99× | "
                      "**scales → does not scale** |", md)
        self.assertNotIn("wall_s 0.1", md)  # a timing, not a lesson
        rows = read_csv(os.path.join(out, "findings_compare.csv"))
        self.assertEqual([(r["figure"], r["median_a"], r["median_b"]) for r in rows],
                         [("speedup", "1.96", "0.99")])


class ReportFindings(unittest.TestCase):
    """The two-run report shows a finding whose verdict changed, or whose
    figure moved beyond MIN_CHANGE and out of both runs' ranges; a move
    inside a run's spread, or a one-value figure, stays in compare's
    files."""

    def test_changed_findings(self):
        import report

        def row(fid, a, b, ra, rb, va="x", vb="x"):
            return {"finding": fid, "figure": "f", "median_a": a, "median_b": b,
                    "range_a": ra, "range_b": rb, "verdict_a": va, "verdict_b": vb}
        pair = {"min_change": 0.05, "findings": [
            row("verdict", 1.0, 1.01, (0.9, 1.1), (0.9, 1.1), "scales", "does not scale"),
            row("inside", 1.0, 1.3, (0.8, 1.4), (1.2, 1.5)),
            row("beyond", 1.0, 1.3, (0.95, 1.05), (1.25, 1.35)),
            row("small", 1.0, 1.04, (0.99, 1.01), (1.03, 1.05)),
            row("one_value", 1.0, 2.0, None, None)]}
        self.assertEqual([x["finding"] for x in report.changed_findings(pair)],
                         ["verdict", "beyond"])


class BadInput(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="parbench-cmp.")
        self.good = write_run(self.tmp, "ok", {"t/a/b/w:1": [1, 2, 3, 4, 5]})

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def bad_run(self, text):
        d = os.path.join(self.tmp, "bad")
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "raw.csv"), "w") as f:
            f.write(text)
        return d

    def assert_error(self, res, where):
        self.assertEqual(res.returncode, 2, res.stdout + res.stderr)
        self.assertIn(where, res.stderr)
        self.assertNotIn("Traceback", res.stderr)

    def test_truncated(self):
        good = slurp(os.path.join(self.good, "raw.csv"))
        d = self.bad_run(good[:-7])  # cut in the middle of the last row
        n = good[:-7].count("\n") + 1
        self.assert_error(run_compare(self.good, d), f"bad/raw.csv:{n}: truncated")

    def test_wrong_column_count(self):
        d = self.bad_run("# machine=x\n" + HEADER + "\nx,t/a/b/w:1,t,a,b,1,-,0,none,0,wall_s\n")
        self.assert_error(run_compare(self.good, d), "bad/raw.csv:3: 11 columns, expected 13")

    def test_not_a_number(self):
        d = self.bad_run("# machine=x\n" + HEADER +
                         "\nx,t/a/b/w:1,t,a,b,1,-,0,none,0,wall_s,fast,s\n")
        self.assert_error(run_compare(self.good, d), "bad/raw.csv:3: column 'value'")

    def test_wrong_header(self):
        d = self.bad_run("# machine=x\nmachine,case\n")
        self.assert_error(run_compare(self.good, d), "bad/raw.csv:2: expected the raw.csv header")

    def test_one_run_only(self):
        self.assert_error(run_compare(self.good), "need at least two run directories")

    def test_missing_dir(self):
        self.assert_error(run_compare(self.good, "/nonexistent/run"),
                          "/nonexistent/run: run directory not found")


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    import pbunit  # tests/pbunit.py: the suites' shared main
    sys.exit(pbunit.main())
