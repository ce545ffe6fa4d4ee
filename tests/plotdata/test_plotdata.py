#!/usr/bin/env python3
"""cases.csv read back (scripts/pbdata.py) and the plots' data file
(scripts/plotdata.py): a real quick run of two fast cases, then hand-made
run directories for the edges. Plain unittest; prints cmocka-style
[  PASSED  ] / [  FAILED  ] lines for the Makefile's accounting."""

import csv
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import pbdata  # noqa: E402

PARBENCH = os.environ.get("PARBENCH_BIN", os.path.join(ROOT, "bench", "parbench"))
PLOTDATA = os.path.join(ROOT, "scripts", "plotdata.py")


def plotdata(run_dir, out):
    return subprocess.run([sys.executable, PLOTDATA, run_dir, out], capture_output=True,
                          text=True)


class RealRun(unittest.TestCase):
    """counter-window at two windows: pin:scatter in the name, gap_ns in some."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="parbench-plotdata.")
        res = subprocess.run([PARBENCH, "--profile", "quick", "--reps", "1", "--machine", "pd",
                              "--results", cls.tmp, "--filter",
                              "^counter-window/counter-procs/unlocked/(gap_ns:10000/)?"
                              "pin:scatter/w:2/window_ns:0$"],
                             capture_output=True, text=True)
        if res.returncode != 0:
            raise RuntimeError(f"parbench failed: {res.stderr[-1000:]}")
        cls.dir = os.path.join(cls.tmp, "pd", os.listdir(os.path.join(cls.tmp, "pd"))[0])
        cls.rd = pbdata.Run(cls.dir)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_every_case_rebuilds_its_name(self):
        cases = pbdata.run_cases(self.rd)
        self.assertEqual(len(cases), 2)
        for name, c in cases.items():
            self.assertEqual(c.name_without(), name)

    def test_typed_parameters(self):
        case = "counter-window/counter-procs/unlocked/gap_ns:10000/pin:scatter/w:2/window_ns:0"
        self.assertEqual(pbdata.case_param(self.rd, case, "gap_ns"), 10000)
        self.assertEqual(pbdata.case_param(self.rd, case, "workers"), 2)
        self.assertEqual(pbdata.case_param(self.rd, case, "window_ns"), 0.0)
        self.assertEqual(pbdata.case_param(self.rd, case, "pin"), "scatter")
        self.assertEqual(pbdata.case_param(self.rd, case, "workload"), "unlocked")
        self.assertIsNone(pbdata.case_param(self.rd, case, "absent"))
        units = {r[0]: r[2] for r in pbdata.case_of(self.rd, case).rows}
        self.assertEqual(units["gap_ns"], "ns")
        self.assertEqual(pbdata.strip_sweep(self.rd, case),
                         "counter-window/counter-procs/unlocked/gap_ns:10000/pin:scatter/"
                         "window_ns:0")

    def test_plot_data_has_parameter_columns(self):
        out = os.path.join(self.tmp, "params.csv")
        res = plotdata(self.dir, out)
        self.assertEqual(res.returncode, 0, res.stderr)
        with open(out, newline="") as f:
            rows = list(csv.DictReader(f))
        self.assertEqual(list(rows[0])[:15], pbdata.SUMMARY_HEADER)
        self.assertEqual(len(rows), len(self.rd.summary))
        for r in rows:
            self.assertEqual(r["param_pin"], "scatter")
            self.assertIn(r["param_gap_ns"], ("0", "10000"))
            self.assertEqual(pbdata.case_param(self.rd, r["case"], "gap_ns"),
                             int(r["param_gap_ns"]))


class Edges(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="parbench-plotdata.")
        with open(os.path.join(self.tmp, "raw.csv"), "w") as f:
            f.write("# machine=x\n" + ",".join(pbdata.RAW_HEADER) + "\n")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_no_cases_csv_says_how_to_get_one(self):
        res = plotdata(self.tmp, os.path.join(self.tmp, "p.csv"))
        self.assertEqual(res.returncode, 2)
        self.assertIn("cases.csv: not found", res.stderr)
        self.assertIn("--summarize", res.stderr)

    def test_a_bad_value_names_the_line(self):
        with open(os.path.join(self.tmp, "cases.csv"), "w") as f:
            f.write("# schema_version=1\n" + ",".join(pbdata.CASES_HEADER) + "\n"
                    "e/m/-/w:x,e,workers,x,count,integer,w\n")
        with self.assertRaises(pbdata.DataError) as e:
            pbdata.read_cases(self.tmp)
        self.assertIn("cases.csv:3", str(e.exception))


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    import pbunit  # tests/pbunit.py: the suites' shared main
    sys.exit(pbunit.main())
