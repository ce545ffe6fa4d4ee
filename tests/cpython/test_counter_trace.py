#!/usr/bin/env python3
"""counter.py's measurements of how its workers interleave (issue 22):
interleaving() on loads whose answer is known, and the two workloads
(trace, calibrate-start) run for real, small, with their figures checked
for consistency. Prints cmocka-style lines for the Makefile's accounting."""

import os
import subprocess
import sys
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "bench", "cpython"))
import counter  # noqa: E402

PYTHON = os.environ.get("PYTHON", sys.executable)


def run(*args):
    out = subprocess.run([PYTHON, os.path.join(ROOT, "bench", "cpython", "counter.py")]
                         + list(args), capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return {ln.split()[0]: float(ln.split()[1]) for ln in out.stdout.splitlines()
            if ln and not ln.startswith("#")}


class Interleaving(unittest.TestCase):
    def test_one_after_the_other(self):
        # A counts 0..9 alone, then B 10..19: nothing shared, one run each.
        st = counter.interleaving([list(range(10)), list(range(10, 20))])
        self.assertEqual(st, {"head_start": 10, "tail": 10, "shared_pct": 0.0, "runs": 2,
                              "mean_run": 10.0})

    def test_lockstep(self):
        # Both load every value: every increment overlapped, no run alone.
        st = counter.interleaving([list(range(5)), list(range(5))])
        self.assertEqual(st["shared_pct"], 100.0)
        self.assertEqual(st["runs"], 0)
        self.assertEqual(st["head_start"], 0)

    def test_alternating_with_a_head_start(self):
        # A: 0 1 2 3, then 5 7; B starts at 4: 4 6 8. Runs: A 0-3, B 4,
        # A 5, B 6, A 7, B 8.
        st = counter.interleaving([[0, 1, 2, 3, 5, 7], [4, 6, 8]])
        self.assertEqual(st["head_start"], 4)
        self.assertEqual(st["tail"], 1)
        self.assertEqual(st["runs"], 6)
        self.assertAlmostEqual(st["mean_run"], 9 / 6)
        self.assertEqual(st["shared_pct"], 0.0)


class Workloads(unittest.TestCase):
    def test_trace(self):
        m = run("workload=trace", "workers=2", "n=2000")
        self.assertGreaterEqual(m["lost_pct"], 0)
        self.assertLess(m["lost_pct"], 100)
        self.assertGreaterEqual(m["start_lag_us"], 0)
        self.assertLessEqual(m["head_start_count"], 4000)
        self.assertLessEqual(m["shared_pct"], 100)
        self.assertGreaterEqual(m["runs_alone"], 1)

    def test_calibrate_start(self):
        m = run("workload=calibrate-start", "runs=3")
        self.assertGreater(m["py_start_lag_us"], 0)

    def test_bad_arguments(self):
        out = subprocess.run([PYTHON, os.path.join(ROOT, "bench", "cpython", "counter.py"),
                              "workload=trace", "workers=1", "n=10"],
                             capture_output=True, text=True, timeout=60)
        self.assertEqual(out.returncode, 2)
        self.assertIn("workers must be >= 2", out.stderr)


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    import pbunit  # tests/pbunit.py: the suites' shared main
    sys.exit(pbunit.main())
