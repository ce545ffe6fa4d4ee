#!/usr/bin/env python3
"""What the figures say (scripts/figdata.py, figtitles.py): titles with the
run's numbers, the tasks bars, the deadlock counts, and the gnuplot file
they are handed over in, on hand-made summary rows and findings. Plain
unittest; prints cmocka-style [  PASSED  ] / [  FAILED  ] lines."""

import os
import shutil
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import figdata  # noqa: E402
import figtitles  # noqa: E402


class FakeRun:
    def __init__(self, summary):
        self.summary = summary


def srow(model, workload, workers, median, metric="speedup", experiment="tasks"):
    return {"experiment": experiment, "model": model, "workload": workload,
            "workers": workers, "metric": metric, "pin": "none", "param": "task_ms",
            "param_value": "50", "median": median, "min": median * 0.9,
            "max": median * 1.1, "case": f"{experiment}/{model}/{workload}/w:{workers}"}


def finding(fid, experiment, **figs):
    return {"id": fid, "experiment": experiment, "claim": "", "verdict": "", "reason": "",
            "figures": [{"name": k.replace("_", " "), "median": v, "min": v, "max": v,
                         "n": 5, "unit": ""} for k, v in figs.items()]}


class Figures(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="parbench-figdata.")
        self.stem = os.path.join(self.tmp, "params")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def ctx(self, summary=(), findings=()):
        return figdata.Ctx(FakeRun(list(summary)), list(findings), self.stem)

    def tasks_rows(self):
        rows = []
        for wl, w, ideal, vals in (("io", 5, 5.0, (4.35, 4.85, 4.9, 2.14, 4.55)),
                                   ("cpu", 2, 2.0, (1.89, 0.96, 0.99, 1.27, 0.99))):
            rows += [srow("serial", wl, 1, 1.0), srow("fork", wl, 1, 0.9),
                     srow("ideal", wl, w, ideal)]
            for m, v in zip(("fork", "threads-gil", "coroutines", "cpython-fork",
                             "cpython-threads"), vals):
                rows.append(srow(m, wl, w, v))
        return rows

    def test_tasks_title_states_the_run_numbers(self):
        out = figdata.tasks(self.ctx(self.tasks_rows()))
        self.assertIn("IO tasks on 5 workers: 4.35×–4.9×", out["fig_title"])
        self.assertIn("1.89× with processes, 0.96× with threads under the GIL",
                      out["fig_title"])
        self.assertEqual((out["ideal_io"], out["w_cpu"]), (5.0, 2))

    def test_tasks_bars_pair_cpython_with_its_twin(self):
        out = figdata.tasks(self.ctx(self.tasks_rows()))
        with open(out["bars_io"]) as f:
            lines = [x.split('"') for x in f if not x.startswith("#")]
        bars = {label: rest.split() for _, label, rest in lines}
        # the largest worker count only: fork's 0.9 at 1 worker is left out
        self.assertEqual(float(bars["a process each"][0]), 4.35)
        self.assertEqual(float(bars["a process each"][3]), 2.14)
        # CPython's threads (a GIL) beside the C threads under a GIL
        self.assertEqual(float(bars["threads under a GIL"][3]), 4.55)
        self.assertEqual(bars["coroutines (one loop)"][3], "NaN")
        self.assertEqual(out["n_io"], 3)

    def test_a_title_without_its_figures_is_left_out(self):
        ctx = self.ctx(findings=[finding("switch.costs", "switch", coroutine=2462.0)])
        self.assertIsNone(figtitles.title(ctx, "switch"))
        ctx = self.ctx(findings=[finding("switch.costs", "switch", coroutine=2462.0,
                                         thread=3941.0, process=7957.0,
                                         **{"thread / coroutine": 1.601,
                                            "process / coroutine": 3.232})])
        self.assertEqual(figtitles.title(ctx, "switch"),
                         "One switch on one PU: a coroutine 2.46 µs,\n"
                         "a thread 3.94 µs (1.6×), a process 7.96 µs (3.23×)")

    def test_deadlock_draws_counts_not_the_timeout(self):
        f = finding("deadlock.detected", "deadlock", repetitions=5.0, timeout=100.0,
                    **{"AB/BA deadlocked": 5.0, "Lock re-entry deadlocked": 5.0,
                       "RLock re-entry failed": 0.0, "detected after": 100.2})
        out = figdata.builders()["deadlock"](self.ctx(findings=[f]))
        with open(out["locked"]) as fh:
            data = fh.read()
        self.assertNotIn("100", data)
        self.assertIn('"RLock re-entry" 0.0 5.0', data)
        self.assertIn("ended by the 100 ms timeout", out["fig_title"])

    def test_the_variables_file_reads_back_in_gnuplot(self):
        figs = ["tasks"]
        self.assertEqual(figdata.prepare(FakeRun(self.tasks_rows()), [], self.stem, figs), figs)
        res = subprocess.run(["gnuplot", "-e", f"load '{self.stem}-tasks.gp'; "
                              "set print '-'; print fig_title; print tics_io"],
                             capture_output=True, text=True)
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertIn("IO tasks on 5 workers", res.stdout)
        self.assertIn(";\nCPU tasks on 2 workers", res.stdout)
        self.assertIn('"a process\\neach" 0', res.stdout)


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    import pbunit  # tests/pbunit.py: the suites' shared main
    sys.exit(pbunit.main())
