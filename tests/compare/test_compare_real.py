#!/usr/bin/env python3
"""make compare on two real runs of this machine, 5 repetitions each, tasks
cases only: --pin single (machine one-pu) against --pin scatter (two-pu).
Checks the files and merged.csv's layout; plants a 1.3x difference in one
case of a copy of run A and finds exactly that; and checks that parbench's
significant/not verdict equals google-benchmark's own compare.py (Debian's
libbenchmark-tools, installed by scripts/deps.sh compare) for every case
both test. No timing is asserted: what the machine does is data here.
Plain unittest; prints cmocka-style [  PASSED  ] / [  FAILED  ] lines."""

import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COMPARE = os.path.join(ROOT, "scripts", "compare.py")
PARBENCH = os.environ.get("PARBENCH_BIN", os.path.join(ROOT, "bench", "parbench"))
SYSPY = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
FILTER = "^tasks/(serial|fork|threads)/(io|cpu)/"
TMP = None
RUNS = []


def setUpModule():
    global TMP
    TMP = tempfile.mkdtemp(prefix="parbench-cmpreal.")
    for machine, pin in (("one-pu", "single"), ("two-pu", "scatter")):
        res = subprocess.run([PARBENCH, "--profile", "quick", "--filter", FILTER, "--reps", "5",
                              "--pin", pin, "--machine", machine, "--results", TMP],
                             capture_output=True, text=True, cwd=ROOT)
        if res.returncode != 0:
            raise RuntimeError(f"parbench --machine {machine} failed: {res.stderr[-1000:]}")
        sub = os.path.join(TMP, machine)
        RUNS.append(os.path.join(sub, sorted(os.listdir(sub))[-1]))


def tearDownModule():
    shutil.rmtree(TMP, ignore_errors=True)


def run_compare(*args):
    return subprocess.run([SYSPY, COMPARE, *args], capture_output=True, text=True, cwd=ROOT)


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(line for line in f if not line.startswith("#")))


def slurp(path):
    with open(path) as f:
        return f.read()


class Files(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.out = os.path.join(TMP, "out")
        cls.res = run_compare(*RUNS, "--out", cls.out)

    def test_exit_and_files(self):
        self.assertEqual(self.res.returncode, 0, self.res.stderr)
        for f in ("merged.csv", "compare.csv", "compare.md", "findings_compare.csv",
                  "curves/tasks.png", "curves/tasks.svg"):
            self.assertTrue(os.path.getsize(os.path.join(self.out, f)) > 0, f)

    def test_merged_layout(self):
        """The layout of README's contract, the same as the Slurm merge's."""
        sys.path.insert(0, os.path.join(ROOT, "scripts"))
        import pbdata
        path = os.path.join(self.out, "merged.csv")
        self.assertEqual(slurp(path).split("\n")[0], f"# schema_version={pbdata.MERGED_SCHEMA}")
        rows = read_csv(path)
        self.assertEqual(list(rows[0]), pbdata.merged_header())
        self.assertEqual({(r["run_machine"], r["run_pin"]) for r in rows},
                         {("one-pu", "single"), ("two-pu", "scatter")})
        slurm = os.path.join(TMP, "slurm.csv")
        res = subprocess.run([SYSPY, os.path.join(ROOT, "scripts/slurm/merge_csv.py"), slurm,
                              *RUNS], capture_output=True, text=True)
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertEqual(slurp(slurm), slurp(path))

    def test_rows(self):
        rows = read_csv(os.path.join(self.out, "compare.csv"))
        self.assertTrue(rows)
        for r in rows:
            self.assertEqual((r["metric"], r["direction"], r["n_a"], r["n_b"]),
                             ("wall_s", "lower", "5", "5"), r["case"])
            self.assertNotEqual(r["verdict"], "no verdict", r["case"])
            lo, hi = float(r["ci_lo"]), float(r["ci_hi"])
            self.assertTrue(lo <= hi, r["case"])
        md = slurp(os.path.join(self.out, "compare.md"))
        self.assertIn("compared on wall_s, lower is better: the headline speedup", md)
        self.assertIn("Both runs are of one machine", md)
        self.assertIn("pin single vs scatter", md)


class Planted(unittest.TestCase):
    """Run A against a copy of itself with one case's values scaled by 1.3."""

    def test_exactly_the_planted_case(self):
        src = RUNS[0]
        rows = read_csv(os.path.join(src, "raw.csv"))
        wall = {}
        for r in rows:
            if r["metric"] == "wall_s":
                wall.setdefault(r["case"], []).append(float(r["value"]))
        # The steadiest case, so that its own spread is least likely to hide 30 %.
        case = min(wall, key=lambda c: max(wall[c]) / min(wall[c]))
        steady = max(wall[case]) / min(wall[case]) < 1.2
        dst = os.path.join(TMP, "planted", "one-pu", "copy")
        shutil.copytree(src, dst)
        with open(os.path.join(src, "raw.csv")) as f, \
                open(os.path.join(dst, "raw.csv"), "w") as g:
            for line in f:
                fields = line.rstrip("\n").split(",")
                if len(fields) == 13 and fields[1] == case and fields[10] == "wall_s":
                    fields[11] = repr(float(fields[11]) * 1.3)
                    line = ",".join(fields) + "\n"
                g.write(line)
        out = os.path.join(TMP, "planted-out")
        res = run_compare(src, dst, "--out", out)
        self.assertEqual(res.returncode, 0, res.stderr)
        got = read_csv(os.path.join(out, "compare.csv"))
        flagged = [r for r in got if r["verdict"] not in ("same", "not significant")]
        self.assertEqual([r["case"] for r in flagged], [case], res.stdout)
        r = flagged[0]
        self.assertAlmostEqual(float(r["ratio"]), 1.3, places=9)
        self.assertTrue(float(r["ci_lo"]) <= 1.3 <= float(r["ci_hi"]))
        self.assertEqual(r["change"], "B 1.3× slower")
        if not steady:
            # A busy machine: the case's repetitions span 20 % or more, so
            # 30 % may sit inside its own noise; it must say so.
            self.assertIn(r["verdict"], ("different", "too noisy", "small"), r["reason"])
            print(f"planted: {case} varies {max(wall[case]) / min(wall[case]):.2f}x (busy "
                  f"machine): verdict {r['verdict']}: {r['reason']}")
            return
        self.assertEqual(r["verdict"], "different", r["reason"])
        self.assertIn(f"| `{case}` |", slurp(os.path.join(out, "compare.md")))


def gbench_compare_py():
    """Debian's google-benchmark compare.py, installed by deps.sh if missing."""
    subprocess.run([os.path.join(ROOT, "scripts", "deps.sh"), "compare"], check=False)
    res = subprocess.run(["dpkg", "-L", "libbenchmark-tools"], capture_output=True, text=True)
    found = [p for p in res.stdout.split("\n") if p.endswith("/compare.py")]
    return found[0] if found else None


class GoogleBenchmarkAgrees(unittest.TestCase):
    def test_same_verdicts(self):
        tool = gbench_compare_py()
        self.assertIsNotNone(tool, "libbenchmark-tools is not installed (scripts/deps.sh "
                                   "compare installs it)")
        dump = os.path.join(TMP, "gbench-diff.json")
        res = subprocess.run([SYSPY, tool, "--no-color", "-d", dump, "benchmarks",
                              os.path.join(RUNS[0], "gbench.json"),
                              os.path.join(RUNS[1], "gbench.json")],
                             capture_output=True, text=True)
        self.assertEqual(res.returncode, 0, res.stderr[-2000:])
        with open(dump) as f:
            theirs = [b for b in json.load(f) if b.get("utest")]
        out = os.path.join(TMP, "out-gb")
        self.assertEqual(run_compare(*RUNS, "--out", out).returncode, 0)
        ours = {r["case"]: r for r in read_csv(os.path.join(out, "compare.csv"))}
        both = 0
        for b in theirs:
            # google-benchmark names a case's benchmark the case name and its
            # own suffixes (/iterations:1/repeats:1/manual_time).
            case = max((c for c in ours if b["name"] == c or b["name"].startswith(c + "/")),
                       key=len, default=None)
            if case is None or ours[case]["metric"] != "wall_s":
                continue  # by design: a metric other than time (none in tasks)
            both += 1
            mine = ours[case]["significant"] == "yes"
            self.assertEqual(mine, b["utest"]["time_pvalue"] < 0.05,
                             f"{case}: parbench p={ours[case]['p_value']}, "
                             f"google-benchmark p={b['utest']['time_pvalue']}")
        self.assertEqual(both, len(ours), "a case google-benchmark did not test")
        print(f"google-benchmark's compare.py agrees on {both} of {both} cases")


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    import pbunit  # tests/pbunit.py: the suites' shared main
    sys.exit(pbunit.main())
