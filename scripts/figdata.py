"""figdata — what each figure says, computed once in Python.

plotdata.py calls prepare() with the run; for every figure of the run's
experiments.csv that has a builder here, the builder reads summary.csv's rows
(pbdata.Run) and findings.csv (findings.read), writes the figure's own data
files and returns gnuplot variables: the title that states the finding with
this run's numbers, axis ranges from the data present, the data files' paths.
They are written as <stem>-<figure>.gp, which plot.sh hands to plots/<figure>.gp
as `figvars`; the .gp file loads it and only draws (STYLE.md: "Figures draw,
they do not compute"). A builder with nothing to say returns None and the
figure's .gp falls back to what it can draw without the file.

Rows are selected by summary.csv's columns (experiment, model, workload,
workers, metric, pin, param_value) and findings by their ids, never by a
case name.
"""

import math

from findings import number  # noqa: F401 (figdata_more uses it too)

# The tasks models in the order the bars go, with their label: processes
# first (they scale for both workloads), then threads, then one event loop.
TASK_MODELS = (("fork", "a process\neach"), ("pool", "a pool"),
               ("threads", "threads,\nno GIL"), ("threads-gil", "threads\nunder a GIL"),
               ("coroutines", "coroutines\n(one loop)"))


def twin(model):
    """The C model a cpython-<m> model mirrors (CPython's threads have a
    GIL: their twin is threads-gil); None for a C model."""
    if not model.startswith("cpython-"):
        return None
    base = model[len("cpython-"):]
    return "threads-gil" if base == "threads" else base


class Ctx:
    """One run, seen by the builders: summary rows, findings by id, where
    the data files go."""

    def __init__(self, run, findings, stem):
        self.run = run
        self.findings = {f["id"]: f for f in findings}
        self.stem = stem

    def path(self, figure, what):
        return f"{self.stem}-{figure}.{what}.dat"

    def rows(self, experiment, metric=None):
        return [r for r in self.run.summary if r["experiment"] == experiment
                and (metric is None or r["metric"] == metric)]

    def figure(self, fid, name):
        """A finding's figure (dict: median, min, max, n, unit) or None."""
        f = self.findings.get(fid)
        for g in (f["figures"] if f else []):
            if g["name"] == name:
                return g
        return None


def one_pin(rows):
    """The rows of one pin policy: the run's 'none' when it has it."""
    pins = [r["pin"] for r in rows]
    pick = "none" if "none" in pins else (pins[0] if pins else None)
    return [r for r in rows if r["pin"] == pick]


def x_fmt(v):
    """A speedup as the titles write it: 4.85×."""
    return f"{v:.3g}×"


def write_table(path, header, rows):
    """A whitespace-separated data file; text fields are double-quoted for
    gnuplot, a missing number is NaN."""
    with open(path, "w") as f:
        f.write("# " + " ".join(header) + "\n")
        for row in rows:
            f.write(" ".join(cell(v) for v in row) + "\n")


def cell(v):
    if isinstance(v, str):
        return '"' + v.replace('"', "'") + '"'
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "NaN"
    return repr(float(v))


def tasks_at_max(ctx, workload):
    """{model: summary row} of the speedup at the workload's largest worker
    count, at its sweep's task length (the shortest the run has), and that
    worker count."""
    rows = one_pin([r for r in ctx.rows("tasks", "speedup") if r["workload"] == workload])
    if not rows:
        return {}, 0
    tms = min(float(r["param_value"]) for r in rows)
    rows = [r for r in rows if float(r["param_value"]) == tms]
    wmax = max(r["workers"] for r in rows)
    return {r["model"]: r for r in rows if r["workers"] == wmax}, wmax


def tasks_bars(ctx, workload):
    """Write the workload's bars (C beside CPython per model) and return
    (rows by model, worker count, ideal speedup)."""
    at, wmax = tasks_at_max(ctx, workload)
    py = {twin(m): r for m, r in at.items() if twin(m)}
    table, labels = [], []
    for m, label in TASK_MODELS:
        c, p = at.get(m), py.get(m)
        if c is None and p is None:
            continue
        labels.append(label)
        stats = ("median", "min", "max")
        table.append([label.replace("\n", " ")] + [c[k] if c else None for k in stats]
                     + [p[k] if p else None for k in stats])
    write_table(ctx.path("tasks", workload), ["model", "c", "c_min", "c_max", "py",
                                              "py_min", "py_max"], table)
    ideal = at.get("ideal")
    return at, wmax, (ideal["median"] if ideal else float(wmax)), labels


def xtics(labels):
    """A `set xtics (...)` list: one tic per slot, a label's line breaks kept."""
    return "(" + ", ".join(f'"{lab}" {i}' for i, lab in enumerate(labels)).replace(
        "\n", "\\n") + ")"


def tasks(ctx):
    """The lesson first: speedup at the largest worker count, IO beside CPU,
    C beside CPython, the ideal marked."""
    io, w_io, ideal_io, lab_io = tasks_bars(ctx, "io")
    cpu, w_cpu, ideal_cpu, lab_cpu = tasks_bars(ctx, "cpu")
    n_io, n_cpu = len(lab_io), len(lab_cpu)
    if not n_io and not n_cpu:
        return None
    c_io = [io[m]["median"] for m, _ in TASK_MODELS if m in io]
    title = []
    if c_io:
        title.append(f"IO tasks on {w_io} workers: {x_fmt(min(c_io))}–{x_fmt(max(c_io))} "
                     f"under every C model (ideal {x_fmt(ideal_io)})")
    if "fork" in cpu and "threads-gil" in cpu:
        title.append(f"CPU tasks on {w_cpu} workers: {x_fmt(cpu['fork']['median'])} "
                     "with processes, "
                     f"{x_fmt(cpu['threads-gil']['median'])} with threads under the GIL")
    return {"fig_title": ";\n".join(title),
            "bars_io": ctx.path("tasks", "io"), "bars_cpu": ctx.path("tasks", "cpu"),
            "n_io": n_io, "n_cpu": n_cpu, "tics_io": xtics(lab_io), "tics_cpu": xtics(lab_cpu),
            "ideal_io": ideal_io, "ideal_cpu": ideal_cpu,
            "w_io": w_io, "w_cpu": w_cpu,
            "ymax_io": ymax([ideal_io] + bar_tops(io)),
            "ymax_cpu": ymax([ideal_cpu] + bar_tops(cpu))}


def tasks_sweep(ctx):
    """The curves behind the bars: where each sweep ends."""
    io, w_io = tasks_at_max(ctx, "io")
    cpu, w_cpu = tasks_at_max(ctx, "cpu")
    parts = []
    c_io = [io[m]["median"] for m, _ in TASK_MODELS if m in io]
    if c_io and "ideal" in io:
        parts.append(f"IO speedup climbs with workers to {x_fmt(max(c_io))} at {w_io} "
                     f"(ideal {x_fmt(io['ideal']['median'])})")
    if "fork" in cpu and "threads-gil" in cpu:
        parts.append(f"CPU to {x_fmt(cpu['fork']['median'])} at {w_cpu} with processes, "
                     f"flat at {x_fmt(cpu['threads-gil']['median'])} under the GIL")
    return {"fig_title": ";\n".join(parts)} if parts else None


def bar_tops(at):
    return [r["max"] for m, r in at.items() if m != "ideal"]


def ymax(values, room=1.22):
    """The top of a y axis from 0: the largest value and room for the
    labels above it."""
    vals = [v for v in values if v is not None and not math.isnan(v)]
    return (max(vals) if vals else 1.0) * room


def builders():
    """{figure: builder}: the tasks figures here, the others in
    figdata_more.py, and the titles read from findings.csv alone in
    figtitles.py (imported here: they use this module's helpers)."""
    import figdata_more
    import figtitles
    return {"tasks": tasks, "tasks-sweep": tasks_sweep, **figtitles.BUILDERS,
            **figdata_more.BUILDERS}


def gnuplot_value(v):
    if isinstance(v, str):  # double quotes: a title's line breaks are \n
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, int):
        return str(v)
    return "NaN" if math.isnan(v) else repr(float(v))


def prepare(run, findings, stem, figures):
    """Write <stem>-<figure>.gp for every figure of the run with a builder;
    returns the figures written."""
    done = []
    ctx = Ctx(run, findings, stem)
    table = builders()
    for fig in figures:
        build = table.get(fig)
        out = build(ctx) if build else None
        if out is None:
            continue
        with open(f"{stem}-{fig}.gp", "w") as f:
            for k, v in out.items():
                f.write(f"{k} = {gnuplot_value(v)}\n")
        done.append(fig)
    return done
