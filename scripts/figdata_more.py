"""figdata_more — the builders of figdata.py for the figures after tasks
(pool, GIL, IPC, counter, coroutine, price); see figdata.py."""

import math

import figdata


def times(v, digits=2):
    """A ratio as a title writes it: 0.52×, 58×, 102×, 1234× (digits
    significant digits, never an exponent)."""
    return f"{v:.{digits}g}×" if abs(v) < 10 ** digits else f"{v:.0f}×"


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
        title = (f"Through the manager's queue a result costs {times(r)} an inherited Queue\n"
                 f"({rows['manager-queue']['median']:.3g} against "
                 f"{rows['queue']['median']:.3g} µs per task)")
    return {"fig_title": title, "bars": path, "n_bars": len(table),
            "ymax": figdata.ymax([t[3] for t in table])}


BUILDERS = {"counter-window": counter_window, "pool-manager-queue": manager_queue}


def ns_label(ns):
    """A time tick in one unit style: 10 ns, 1 µs, 100 µs, 1 ms."""
    for scale, unit in ((1e9, "s"), (1e6, "ms"), (1e3, "µs")):
        if ns >= scale:
            return f"{ns / scale:.3g} {unit}"
    return f"{ns:.3g} ns"


def decade_tics(lo, hi):
    """`set ytics (...)` for a log axis of times in ns, one tic a decade."""
    a, b = math.floor(math.log10(lo)), math.ceil(math.log10(hi))
    return "(" + ", ".join(f'"{ns_label(10.0 ** e)}" {10.0 ** e:g}'
                           for e in range(a, b + 1)) + ")"


def price(ctx):
    """One operation's price per primitive, on one PU and across two: only
    the primitives each placement measured, both panels on one y range."""
    rows = ctx.rows("price")
    out, every = {}, []
    for pin in ("single", "scatter"):
        p50 = [r for r in rows if r["pin"] == pin and r["metric"] == "op_ns_p50"]
        prims = [r["model"] for r in p50]
        paired = {}
        for r in rows:
            if r["pin"] == pin and r["metric"] in ("peer_ns", "ours_ns"):
                for p in prims:
                    if r["model"].startswith(p + "-vs-"):
                        paired[(p, r["metric"])] = r["median"]
        table = [[r["model"], r["median"], r["min"], r["max"],
                  paired.get((r["model"], "peer_ns")), paired.get((r["model"], "ours_ns"))]
                 for r in p50]
        figdata.write_table(ctx.path("price", pin), ["primitive", "p50", "min", "max", "peer",
                                                     "ours"], table)
        out[f"data_{pin}"] = ctx.path("price", pin)
        out[f"n_{pin}"] = len(table)
        out[f"peers_{pin}"] = any(t[4] is not None for t in table)
        every += [v for t in table for v in (t[2], t[3], t[4], t[5]) if v]
        if pin == "single" and table:
            hi, lo = max(table, key=lambda t: t[1]), min(table, key=lambda t: t[1])
            # two lines: one is wider than the SVG's 680 px (issue 20)
            out["fig_title"] = (f"What one operation costs here:\nfrom {ns_label(lo[1])} "
                                f"({lo[0]}) to {ns_label(hi[1])} ({hi[0]}), "
                                f"{hi[1] / lo[1]:,.0f}× apart")
    if not every:
        return None
    lo, hi = min(every), max(every)
    # a little below and above the decades, so that their tics are drawn
    out.update({"ymin": 0.8 * 10.0 ** math.floor(math.log10(lo)),
                "ymax": 1.25 * 10.0 ** math.ceil(math.log10(hi)), "ytics": decade_tics(lo, hi)})
    return out


BUILDERS["price"] = price


def us_label(us):
    """A time given in µs, in the unit that reads best: 38 µs, 1.5 ms."""
    return ns_label(us * 1e3)


def io_fanout(ctx):
    """K concurrent sleeps: the x axis spans the K the run has; the title
    compares the three models at the largest K."""
    rows = figdata.one_pin(ctx.rows("io-fanout", "wall_s"))
    if not rows:
        return None
    ks = sorted({r["workers"] for r in rows})
    out = {"xmin": ks[0] / 2.0, "xmax": ks[-1] * 2.0}
    fid = "io-fanout.largest_k"
    parts = []
    for m, what in (("processes", "a process"), ("threads", "a thread"),
                    ("coroutines", "a coroutine")):
        c, mem = ctx.figure(fid, f"{m} creation"), ctx.figure(fid, f"{m} memory")
        if c and mem:
            parts.append(f"{what} {us_label(c['median'])} and {mem['median']:.3g} KiB")
    if parts:
        # two lines: one is wider than the SVG's 680 px (issue 20)
        out["fig_title"] = (f"{ks[-1]:,} concurrent sleeps: to create and hold each,\n"
                            + ", ".join(parts))
    return out


BUILDERS["io-fanout"] = io_fanout


def rate(v):
    """Items or messages per second, as a title writes them: 2.7 M/s."""
    for scale, unit in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if v >= scale:
            return f"{v / scale:.3g} {unit}/s"
    return f"{v:.3g}/s"


def producers_x(ctx, experiment, param):
    """The x range of a producers sweep: the counts the run has (cases.csv)."""
    ps = [pbdata_param(ctx, r["case"], param)
          for r in ctx.rows(experiment, "msgs_per_s")]
    ps = [p for p in ps if p]
    return {"xmax": max(ps) * 1.25} if ps else {}


def pbdata_param(ctx, case, param):
    import pbdata
    return pbdata.case_param(ctx.run, case, param)


def tqueue_prodcons(ctx):
    """Thread queues against the process queue, one producer one consumer."""
    out = producers_x(ctx, "tqueue-prodcons", "p")
    fid = "tqueue-prodcons.thread_queue_vs_process_queue"
    free, gil = ctx.figure(fid, "threads / mp-queue"), ctx.figure(fid, "threads-gil / mp-queue")
    mp = ctx.figure(fid, "mp-queue")
    if free and gil and mp:
        out["fig_title"] = (f"queue.Queue between threads moves {times(free['median'])} "
                            f"(no GIL) and {times(gil['median'])} (GIL)\nthe items of "
                            f"multiprocessing.Queue ({rate(mp['median'])}),\n"
                            f"1 producer and 1 consumer")
    return out or None


def ipc_scaling(ctx):
    """Queue against shared memory as producers grow."""
    out = producers_x(ctx, "ipc-scaling", "producers")
    one = {r["model"]: r["median"] for r in ctx.rows("ipc-scaling", "msgs_per_s")
           if pbdata_param(ctx, r["case"], "producers") == 1
           and pbdata_param(ctx, r["case"], "c") == 1}
    if "queue" in one and "shm" in one:
        out["fig_title"] = (f"1 producer, 1 consumer: shared memory moves {rate(one['shm'])},\n"
                            f"{times(one['shm'] / one['queue'])} a Queue's {rate(one['queue'])}")
    return out or None


BUILDERS.update({"tqueue-prodcons": tqueue_prodcons, "ipc-scaling": ipc_scaling})


def gil_convoy(ctx):
    """The IO round trip next to the most CPU threads the run has, under the
    GIL against free threads; the CPU panel's x from the K that have CPU
    threads."""
    rows = figdata.one_pin(ctx.rows("gil-convoy", "latency_us_p50"))
    at = {}
    for r in rows:
        k = float(r["param_value"])
        if r["model"] in ("threads", "threads-gil") and k >= at.get(r["model"], (-1,))[0]:
            at[r["model"]] = (k, r["median"])
    work = [float(r["param_value"]) for r in ctx.rows("gil-convoy", "cpu_work_cores")]
    out = {"cpu_kmin": min(work), "cpu_kmax": max(work)} if work else {}
    if "threads" in at and "threads-gil" in at and at["threads"][0] == at["threads-gil"][0]:
        k, gil, free = at["threads"][0], at["threads-gil"][1], at["threads"][1]
        out["fig_title"] = (f"Next to {k:.0f} CPU thread{'s' if k != 1 else ''}, an IO "
                            f"thread's round trip takes {us_label(gil)} under the GIL,\n"
                            f"{times(gil / free)} the {us_label(free)} it takes without one")
    return out or None


BUILDERS["gil-convoy"] = gil_convoy


def deadlock(ctx):
    """Which repetitions deadlocked (not how long the configured timeout
    took to end them), and what each cure costs a round."""
    fid = "deadlock.detected"
    reps = ctx.figure(fid, "repetitions")
    rows = [(lab, ctx.figure(fid, name)) for lab, name in
            (("AB/BA", "AB/BA deadlocked"), ("Lock re-entry", "Lock re-entry deadlocked"),
             ("RLock re-entry", "RLock re-entry failed"))]
    rows = [(lab, g["median"]) for lab, g in rows if g]
    if not reps or not rows:
        return None
    path = ctx.path("deadlock", "locked")
    figdata.write_table(path, ["case", "deadlocked", "repetitions"],
                        [[lab, v, reps["median"]] for lab, v in rows])
    n = reps["median"]
    locked = [f"{lab} {v:.0f}" for lab, v in rows]
    title = f"Deadlocked, of {n:.0f} repetitions: " + ", ".join(locked)
    timeout = ctx.figure(fid, "timeout")
    if timeout:
        title += f"\n(each ended by the {timeout['median']:.3g} ms timeout)"
    order = ctx.figure("deadlock.cures", "lock order")
    backoff = ctx.figure("deadlock.cures", "try-lock with back-off")
    if order and backoff:
        title += (f";\na round of both locks costs {order['median']:.3g} ns in a global "
                  f"order, {backoff['median']:.3g} ns with try-lock and back-off")
    return {"fig_title": title, "locked": path, "n_locked": len(rows), "reps": n}


BUILDERS["deadlock"] = deadlock


def gil_interval(ctx):
    """The IO round trip against the switch interval: at the shortest and
    the longest interval the run has (interval = round trip / ratio)."""
    pts = []
    for f in ctx.findings.values():
        g = {x["name"]: x["median"] for x in f["figures"]}
        if f["experiment"] == "gil-interval" and "round trip / interval" in g:
            rt, ratio = g["round trip p50"], g["round trip / interval"]
            pts.append((rt / ratio, rt, ratio))
    if len(pts) < 2:
        return None
    pts.sort()
    (i0, r0, q0), (i1, r1, q1) = pts[0], pts[-1]
    return {"fig_title": f"Beside a CPU thread under the GIL, the IO round trip follows the "
                         f"switch interval:\n{us_label(r0)} at {us_label(i0)} ({q0:.3g}× it), "
                         f"{us_label(r1)} at {us_label(i1)} ({q1:.3g}×)"}


BUILDERS["gil-interval"] = gil_interval


def counter_seed(ctx):
    """The y range: the highest loss drawn, or the seed's own band."""
    import figtitles
    tops = [r["max"] for r in ctx.rows("counter-seed", "lost_pct")]
    seed = ctx.figure("counter-seed.lost_counter-procs_w10_window1000ns", "seed lost to")
    if seed:
        tops.append(seed["median"])
    if not tops:
        return None
    out = {"ymax": min(100.0, max(tops) * 1.2)}
    t = figtitles.title(ctx, "counter-seed")
    if t:
        out["fig_title"] = t
    return out


BUILDERS["counter-seed"] = counter_seed


def ipc_throughput(ctx):
    """The x axis over the message sizes the run has."""
    sizes = [float(r["param_value"]) for r in ctx.rows("ipc-throughput")
             if r["param"] == "msg_bytes"]
    return {"xmin": min(sizes) / 1.6, "xmax": max(sizes) * 1.6} if sizes else None


def ipc_latency(ctx):
    """One y range (µs) for both placements, so that the panels compare;
    the title from figtitles.py."""
    import figtitles
    rows = [r for r in ctx.rows("ipc-latency") if r["metric"] in
            ("latency_ns_p50", "latency_ns_p99", "latency_ns_mean")]
    if not rows:
        return None
    out = {"ymin": min(r["min"] for r in rows) / 1e3 / 1.5,
           "ymax": max(r["max"] for r in rows) / 1e3 * 2.5}
    t = figtitles.title(ctx, "ipc-latency")
    if t:
        out["fig_title"] = t
    return out


BUILDERS.update({"ipc-throughput": ipc_throughput, "ipc-latency": ipc_latency})
