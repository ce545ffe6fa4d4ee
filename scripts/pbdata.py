"""pbdata — read parbench run directories for compare.py and report.py.

A run directory holds raw.csv, experiments.csv (the registry's row of every
experiment of the run: what it teaches, its headline metric and direction,
its figures) and usually summary.csv, summary.md: leading "# key=value"
metadata lines, then a CSV header, then rows (README, "The CSV contract").
What an experiment is comes from experiments.csv, never from `parbench
--list` or a list kept here. Everything here checks what it reads and raises
DataError naming the file and line, so the tools end with one clear message
and exit status 2 instead of a traceback.
"""

import csv
import math
import os
import statistics
import sys

RAW_HEADER = ("machine,case,experiment,model,workload,workers,param,param_value,"
              "pin,rep,metric,value,unit").split(",")
SUMMARY_HEADER = ("machine,case,experiment,model,workload,workers,param,param_value,"
                  "pin,metric,n,min,median,max,unit").split(",")
EXPERIMENTS_HEADER = ("name,summary,teaches,headline_metric,headline_unit,direction,figures,"
                      "cpython_twin").split(",")
# experiments.csv's header by its schema_version: 2 added the seeds column.
EXPERIMENTS_HEADERS = {"1": EXPERIMENTS_HEADER, "2": EXPERIMENTS_HEADER + ["seeds"]}
EXPERIMENTS_SCHEMAS = tuple(EXPERIMENTS_HEADERS)
TABLE_ONLY = "-"  # experiments.csv's figures of an experiment that draws none
# Metadata that makes a comparison doubtful when it differs between runs.
DOUBTFUL_KEYS = ("profile", "pin", "git_rev")
NOISY = 1.25  # max/min above this is "noisy", as parbench itself prints
MIN_REPS = 5  # fewer repetitions than this: too few for the U test

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


class DataError(Exception):
    """Bad input: a file and line, or a usage problem. Exit status 2."""


def fail(tool, err):
    print(f"{tool}: {err}", file=sys.stderr)
    sys.exit(2)


def ensure_scipy():
    """Import scipy.stats, re-running under Debian's python3 if needed.

    A pyenv or venv python3 first in PATH does not see python3-scipy.
    """
    try:
        import scipy.stats  # noqa: F401
        return
    except ImportError:
        pass
    syspy = "/usr/bin/python3"
    if os.path.exists(syspy) and os.path.realpath(sys.executable) != os.path.realpath(syspy) \
            and not os.environ.get("PB_REEXEC"):
        os.environ["PB_REEXEC"] = "1"
        os.execv(syspy, [syspy] + sys.argv)
    raise DataError("scipy is not installed (Debian/Ubuntu: apt-get install python3-scipy, "
                    "or run scripts/deps.sh compare)")


def _num(path, lineno, field, text, conv=float):
    try:
        v = conv(text)
    except ValueError:
        raise DataError(f"{path}:{lineno}: column '{field}' is not a number: {text!r}")
    if conv is float and math.isnan(v):
        return v
    return v


def read_table(path, header, kind):
    """Return (meta dict, list of row dicts with '_line') for a parbench CSV."""
    try:
        with open(path, newline="", encoding="utf-8") as f:
            text = f.read()
    except FileNotFoundError:
        raise DataError(f"{path}: no such file")
    except (OSError, UnicodeDecodeError) as e:
        raise DataError(f"{path}: cannot read: {e}")
    lines = text.split("\n")
    if text and not text.endswith("\n"):
        raise DataError(f"{path}:{len(lines)}: truncated: the last line has no newline "
                        f"(was the run interrupted?)")
    meta, rows, seen_header = {}, [], False
    for lineno, line in enumerate(lines[:-1] if text else [], start=1):
        if not seen_header:
            if line.startswith("#"):
                body = line[1:].strip()
                if "=" not in body:
                    continue
                k, v = body.split("=", 1)
                meta[k.strip()] = v.strip()
                continue
            fields = next(csv.reader([line]))
            if fields != header:
                raise DataError(f"{path}:{lineno}: expected the {kind} header "
                                f"'{','.join(header)}', found {line[:120]!r}")
            seen_header = True
            continue
        if not line.strip():
            continue
        try:
            fields = next(csv.reader([line], strict=True))
        except csv.Error as e:
            raise DataError(f"{path}:{lineno}: bad CSV: {e}")
        if len(fields) != len(header):
            raise DataError(f"{path}:{lineno}: {len(fields)} columns, expected {len(header)} "
                            f"({','.join(header)})")
        row = dict(zip(header, fields))
        row["_line"] = lineno
        rows.append(row)
    if not seen_header:
        raise DataError(f"{path}:{max(len(lines) - 1, 1)}: no {kind} header line "
                        f"(empty or truncated file)")
    return meta, rows


class Run:
    """One run directory: metadata, raw repetitions, summary rows."""

    def __init__(self, path):
        self.dir = os.path.normpath(path)
        if not os.path.isdir(path):
            raise DataError(f"{path}: run directory not found")
        self.raw_path = os.path.join(path, "raw.csv")
        self.meta, rows = read_table(self.raw_path, RAW_HEADER, "raw.csv")
        self.rows = rows
        self.values = {}  # (case, metric) -> [values of ok repetitions]
        self.units = {}
        self.case_info = {}  # case -> row dict (experiment, model, ...)
        self.metric_order = {}  # case -> metrics in the order first seen
        self.failed = {}  # case -> [reasons]
        failed_reps = set()
        for r in rows:
            if r["metric"] != "status":
                continue
            if _num(self.raw_path, r["_line"], "value", r["value"]) != 0:
                failed_reps.add((r["case"], r["rep"]))
                self.failed.setdefault(r["case"], []).append(r["unit"])
        for r in rows:
            p, n = self.raw_path, r["_line"]
            _num(p, n, "workers", r["workers"], int)
            _num(p, n, "rep", r["rep"], int)
            v = _num(p, n, "value", r["value"])
            case, metric = r["case"], r["metric"]
            self.case_info.setdefault(case, r)
            if metric == "status":
                continue
            order = self.metric_order.setdefault(case, [])
            if metric not in order:
                order.append(metric)
            if (case, r["rep"]) in failed_reps:
                continue
            self.values.setdefault((case, metric), []).append(v)
            self.units[(case, metric)] = r["unit"]
        self.summary_path = os.path.join(path, "summary.csv")
        self.summary = []
        if os.path.exists(self.summary_path):
            smeta, self.summary = read_table(self.summary_path, SUMMARY_HEADER, "summary.csv")
            for r in self.summary:
                for k in ("n", "min", "median", "max"):
                    r[k] = _num(self.summary_path, r["_line"], k, r[k])
                r["workers"] = _num(self.summary_path, r["_line"], "workers", r["workers"], int)
            for k, v in smeta.items():
                self.meta.setdefault(k, v)
        self.registry = read_experiments(os.path.join(path, "experiments.csv"))
        if not self.meta.get("machine") and rows:
            self.meta["machine"] = rows[0]["machine"]

    @property
    def machine(self):
        return self.meta.get("machine", "unknown")

    @property
    def cpu(self):
        return self.meta.get("cpu_model", "unknown CPU")

    @property
    def stamp(self):
        return os.path.basename(self.dir)

    def label(self):
        return f"{self.machine} ({self.cpu}, {self.meta.get('pus', '?')} PUs)"

    def cases(self):
        return list(self.case_info)

    def experiments(self):
        seen = []
        for c, r in self.case_info.items():
            if r["experiment"] not in seen:
                seen.append(r["experiment"])
        return seen

    def experiment(self, name):
        """The experiment's row of experiments.csv (a dict), or None."""
        return self.registry.get(name)

    def headline(self, case):
        """The metric to judge a case's repetitions by: its experiment's
        headline metric (experiments.csv) when the case records it in
        raw.csv, else wall_s, which every case reports (the README's
        contract); None when it has neither. A headline that is a derived
        summary row (tasks' speedup) has no repetitions of its own."""
        order = self.metric_order.get(case, [])
        row = self.experiment(self.case_info[case]["experiment"]) if case in self.case_info \
            else None
        if row and row["headline_metric"] in order:
            return row["headline_metric"]
        return "wall_s" if "wall_s" in order else None

    def stat(self, case, metric):
        """(n, median, min, max) of the repetitions, or None."""
        v = self.values.get((case, metric))
        if not v:
            return None
        return len(v), statistics.median(v), min(v), max(v)

    def summary_rows(self, experiment=None, metric=None):
        return [r for r in self.summary
                if (experiment is None or r["experiment"] == experiment)
                and (metric is None or r["metric"] == metric)]


def noisy(lo, hi):
    return lo > 0 and hi / lo > NOISY


def load_runs(dirs):
    return [Run(d) for d in dirs]


def read_experiments(path):
    """experiments.csv: {name: row dict}; {} for a run that has none (one made
    before the file existed, or with --csv)."""
    if not os.path.exists(path):
        return {}
    with open(path, encoding="utf-8") as f:
        first = f.readline().strip()
    version = first.partition("=")[2].strip() if first.startswith("# schema_version=") else None
    if version not in EXPERIMENTS_SCHEMAS:
        raise DataError(f"{path}:1: schema_version {version!r}, this tool reads "
                        f"{', '.join(EXPERIMENTS_SCHEMAS)}")
    meta, rows = read_table(path, EXPERIMENTS_HEADERS[version], "experiments.csv")
    for r in rows:
        r.setdefault("seeds", "")  # schema 1: no seeds column
    for r in rows:
        if r["direction"] not in ("lower", "higher"):
            raise DataError(f"{path}:{r['_line']}: direction is {r['direction']!r}, "
                            f"expected lower or higher")
    return {r["name"]: r for r in rows}


def figures(row):
    """The plot names (plots/<name>.gp) of an experiments.csv row; [] for
    table only."""
    f = row["figures"].split()
    return [] if f == [TABLE_ONLY] else f


def describe(runs, experiment):
    """The experiment's experiments.csv row from the first run that has one."""
    for r in runs:
        row = r.experiment(experiment)
        if row:
            return row
    return None


CASES_HEADER = "case,experiment,parameter,value,unit,type,name_key".split(",")
_CONVERT = {"integer": int, "real": float}


class Case:
    """One case's rows of cases.csv: its parameters, typed, in name order."""

    def __init__(self, name, experiment):
        self.name = name
        self.experiment = experiment
        self.rows = []  # (parameter, value, unit, type, name_key), as in cases.csv
        self.params = {}  # parameter -> int, float or str

    def get(self, parameter, default=None):
        return self.params.get(parameter, default)

    def name_without(self, *drop):
        """The case's name built from its rows, leaving out the parameters drop."""
        parts = [self.experiment]
        for p, v, _unit, _type, key in self.rows:
            if key == "-" or p in drop:
                continue
            parts.append(v if key == "=" else f"{key}:{v}")
        return "/".join(parts)


def read_cases(run_dir):
    """{case name: Case} from RUN_DIR/cases.csv (README, "cases.csv")."""
    path = os.path.join(run_dir, "cases.csv")
    if not os.path.exists(path):
        raise DataError(f"{path}: not found (a run made before parbench wrote it: "
                        f"`bench/parbench --summarize {run_dir}` writes it)")
    _meta, rows = read_table(path, CASES_HEADER, "cases.csv")
    cases = {}
    for r in rows:
        c = cases.get(r["case"]) or cases.setdefault(r["case"], Case(r["case"], r["experiment"]))
        conv = _CONVERT.get(r["type"], str)
        value = _num(path, r["_line"], "value", r["value"], conv) if conv is not str \
            else r["value"]
        c.rows.append((r["parameter"], r["value"], r["unit"], r["type"], r["name_key"]))
        c.params[r["parameter"]] = value
    return cases


def run_cases(run):
    """The Run's cases.csv, read once."""
    if not hasattr(run, "_cases"):
        run._cases = read_cases(run.dir)
    return run._cases


def case_of(run, case):
    """The Case named case in run's cases.csv; DataError when it has none."""
    c = run_cases(run).get(case)
    if c is None:
        raise DataError(f"{os.path.join(run.dir, 'cases.csv')}: no rows for case {case}")
    return c


def strip_sweep(run, case):
    """The case's identity without its n and workers: one curve's identity."""
    return case_of(run, case).name_without("n", "workers")


def case_param(run, case, parameter):
    """A parameter of the case (int, float or str), or None when it has none."""
    return case_of(run, case).get(parameter)


def fmt(x):
    """A number with 3-4 significant digits, as parbench prints."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    if x == 0:
        return "0"
    a = abs(x)
    if a >= 1000:
        return f"{x:.0f}"
    if a >= 100:
        return f"{x:.1f}"
    if a >= 1:
        return f"{x:.3g}" if a < 10 else f"{x:.1f}"
    return f"{x:.3g}"


def gq(s):
    """A gnuplot single-quoted string."""
    return "'" + str(s).replace("'", "''") + "'"


# merged.csv (README, "merged.csv"): every raw row of several runs, the run's
# directory and metadata after the raw.csv columns. One layout, written here
# for make compare and for the Slurm merge alike.
MERGED_SCHEMA = "1"
MERGED_META = ("machine", "hostname", "cpu_model", "packages", "cores", "pus", "numa_nodes",
               "caches", "kernel", "os", "compiler", "parbench_version", "git_rev", "profile",
               "pin", "interleave", "reps", "filter", "exclude", "calibration_tick_ns",
               "started_utc")


def merged_header():
    return RAW_HEADER + ["run_dir"] + [f"run_{k}" for k in MERGED_META]


def write_merged(runs, path):
    """Write runs (Run objects) to path as merged.csv; returns the row count."""
    n = 0
    with open(path, "w", newline="", encoding="utf-8") as f:
        f.write(f"# schema_version={MERGED_SCHEMA}\n")
        w = csv.writer(f, lineterminator="\n")
        w.writerow(merged_header())
        for r in runs:
            extra = [r.dir] + [r.meta.get(k, "") for k in MERGED_META]
            for row in r.rows:
                w.writerow([row[c] for c in RAW_HEADER] + extra)
                n += 1
    return n
