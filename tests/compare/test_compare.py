#!/usr/bin/env python3
"""make compare: two small real runs, hand-made runs with known repetitions,
cases in one run only, malformed input. Plain unittest; prints cmocka-style
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
PARBENCH = os.path.join(ROOT, "bench", "parbench")
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


class RealRuns(unittest.TestCase):
    """Two quick runs of this machine, labelled a and b."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="parbench-cmp.")
        cls.dirs = []
        for m in ("a", "b"):
            res = subprocess.run([PARBENCH, "--profile", "quick", "--filter",
                                  "^tasks/(serial|fork)/io/", "--reps", "5", "--machine", m,
                                  "--results", cls.tmp], capture_output=True, text=True,
                                 cwd=ROOT)
            if res.returncode != 0:
                raise RuntimeError(f"parbench --machine {m} failed: {res.stderr[-1000:]}")
            sub = os.path.join(cls.tmp, m)
            cls.dirs.append(os.path.join(sub, sorted(os.listdir(sub))[-1]))
        cls.out = os.path.join(cls.tmp, "out")
        cls.res = run_compare(*cls.dirs, "--out", cls.out)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_exit_and_files(self):
        self.assertEqual(self.res.returncode, 0, self.res.stderr)
        for f in ("merged.csv", "compare.csv", "compare.md", "curves/tasks.png",
                  "curves/tasks.svg"):
            self.assertTrue(os.path.getsize(os.path.join(self.out, f)) > 0, f)

    def test_merged_has_both_runs_and_metadata(self):
        rows = read_csv(os.path.join(self.out, "merged.csv"))
        self.assertEqual({r["run_machine"] for r in rows}, {"a", "b"})
        self.assertTrue(all(r["run_cpu_model"] and r["run_profile"] == "quick" for r in rows))
        raw_rows = sum(1 for d in self.dirs
                       for line in slurp(os.path.join(d, "raw.csv")).splitlines()
                       if not line.startswith("#")) - 2  # two headers
        self.assertEqual(len(rows), raw_rows)

    def test_rows_and_verdicts(self):
        rows = read_csv(os.path.join(self.out, "compare.csv"))
        cases = {r["case"] for r in rows}
        self.assertIn("tasks/serial/io/n:5/w:1/task_ms:50", cases)
        self.assertEqual(len(cases), 2)  # serial w:1, fork w:5 (quick)
        for r in rows:
            self.assertEqual(r["metric"], "wall_s")
            self.assertIn(r["verdict"], ("significant", "not significant"))
            self.assertEqual(r["n_a"], "5")

    def test_experiments_csv_is_read(self):
        """parbench wrote experiments.csv with the one experiment that ran;
        the curve is drawn for its headline metric from there (speedup)."""
        for d in self.dirs:
            rows = [r for r in read_csv_body(os.path.join(d, "experiments.csv"))]
            self.assertEqual([r["name"] for r in rows], ["tasks"])
            self.assertEqual((rows[0]["headline_metric"], rows[0]["direction"]),
                             ("speedup", "higher"))
        self.assertIn("![tasks: speedup against workers",
                      slurp(os.path.join(self.out, "compare.md")))

    def test_md_names_runs_and_differences(self):
        md = slurp(os.path.join(self.out, "compare.md"))
        first = md.split("\n## ")[0]
        self.assertIn("machine **a**", first)
        self.assertIn("machine **b**", first)
        self.assertIn("| machine | a | b |", first)
        self.assertNotIn("Doubtful", first)  # same profile, pin and revision


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
        for case, verdict in (("t/fork/cpu/n:2/w:2/x:1", "significant"),
                              ("t/fork/io/n:5/w:5/x:1", "not significant"),
                              ("t/fork/io/n:5/w:1/x:1", "too few repetitions")):
            want = mannwhitneyu(a[case], b[case], alternative="two-sided").pvalue
            self.assertAlmostEqual(float(rows[case]["p_value"]), want, places=12)
            self.assertEqual(rows[case]["verdict"], verdict)
        self.assertAlmostEqual(float(rows["t/fork/cpu/n:2/w:2/x:1"]["ratio"]), 0.105 / 0.205)

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
        self.assertEqual([(r["metric"], r["unit"], r["verdict"]) for r in rows],
                         [("per_task_us", "us", "significant")])
        self.assertIn("**significant**, worse (lower is better)",
                      slurp(os.path.join(self.tmp, "out", "compare.md")))

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
    result = unittest.main(exit=False, verbosity=2).result
    failed = len(result.failures) + len(result.errors)
    passed = result.testsRun - failed - len(result.skipped)
    print(f"[  PASSED  ] {passed} test(s).")
    if failed:
        print(f"[  FAILED  ] {failed} test(s).")
    sys.exit(1 if failed else 0)
