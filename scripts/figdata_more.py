"""figdata_more — the builders of figdata.py for the figures after tasks
(pool, GIL, IPC, counter, coroutine, price); see figdata.py."""

import figdata


def pct(g):
    """A percentage as a title writes it: 43 %, 0.067 %."""
    v = g["median"]
    return f"{v:.0f} %" if abs(v) >= 10 else f"{v:.2g} %"


def counter_window(ctx):
    """Lost increments against the load-store window, from the findings."""
    parts = []
    for fid, what in (("counter-window.lost_counter-procs_tight", "a tight loop"),
                      ("counter-window.lost_counter-procs_gap", "10 µs of other work")):
        lo, hi = ctx.figure(fid, "no window"), ctx.figure(fid, "10 us")
        if lo and hi:
            parts.append(f"{what}: {pct(lo)} with no window, {pct(hi)} at 10 µs")
    if not parts:
        return None
    return {"fig_title": "An unlocked counter of 2 processes loses increments —\n"
            + ";\n".join(parts)}


def manager_queue(ctx):
    """Per-result cost through the manager's queue, a Queue, the pool."""
    rows = {r["model"]: r for r in figdata.one_pin(ctx.rows("pool-manager-queue",
                                                            "per_task_us"))}
    labels = (("manager-queue", "Manager().Queue()"), ("queue", "inherited Queue"),
              ("pool-return", "pool's own result"))
    table = [[lab, rows[m]["median"], rows[m]["min"], rows[m]["max"]]
             for m, lab in labels if m in rows]
    if not table:
        return None
    path = ctx.path("pool-manager-queue", "bars")
    figdata.write_table(path, ["path", "us", "min", "max"], table)
    title = "A result's way back from a worker, per task"
    if "manager-queue" in rows and "queue" in rows:
        r = rows["manager-queue"]["median"] / rows["queue"]["median"]
        title = (f"Through the manager's queue a result costs {r:.2g}× an inherited Queue\n"
                 f"({rows['manager-queue']['median']:.3g} against "
                 f"{rows['queue']['median']:.3g} µs per task)")
    return {"fig_title": title, "bars": path, "n_bars": len(table),
            "ymax": figdata.ymax([t[3] for t in table])}


BUILDERS = {"counter-window": counter_window, "pool-manager-queue": manager_queue}
