"""figtitles — the titles of the figures whose data the .gp file draws from
the run's own rows: each states the experiment's finding with this run's
numbers, read from findings.csv by finding id and figure name (figdata.py's
builders compute titles that need more than that). A title whose figures
the run lacks (a filtered or quick run) is left out, and the .gp file keeps
its plain title."""

from figdata_more import ns_label, times


def us(v):
    return ns_label(v * 1e3)


def sec(v):
    return ns_label(v * 1e9)


def ns(v):
    return ns_label(v)


def x(v):
    return times(v, 3)


def pct(v):
    return f"{v:.3g} %"


def n(v):
    return f"{v:,.0f}"


def gbs(v):
    return f"{v:.3g} GB/s"


# figure: (text with {} per figure, [(finding id, figure name, format)])
TITLES = {
    "pool-overhead": (
        "On one PU a pool task's round trip costs {}, {} a pipe's {};\n"
        "a process per task costs {}, {} the pool",
        [("pool-overhead.pool_vs_pipe", "pool", us),
         ("pool-overhead.pool_vs_pipe", "pool / pipe", x),
         ("pool-overhead.pool_vs_pipe", "pipe", us), ("pool-overhead.fork_vs_pool", "fork", us),
         ("pool-overhead.fork_vs_pool", "fork / pool", x)]),
    "granularity": (
        "Half the ideal speed takes tasks of {} with a warm pool, {} with a process per task;\n"
        "at 1 µs tasks the pool is {} as efficient",
        [("granularity.crossing", "pool at 50 %", us), ("granularity.crossing", "fork at 50 %", us),
         ("granularity.crossing", "pool / fork", x)]),
    "chunksize": (
        "map over tiny tasks: chunksize 1 takes {} as long as chunksize 64 ({} against {});\n"
        "Python's default chunksize ({}) takes {}",
        [("chunksize.chunks_of_64", "1 / 64", x), ("chunksize.chunks_of_64", "chunksize 1", sec),
         ("chunksize.chunks_of_64", "chunksize 64", sec),
         ("chunksize.chunks_of_64", "default chunksize", n),
         ("chunksize.chunks_of_64", "default", sec)]),
    "ordering": (
        "The first result on 4 workers: imap_unordered after {} (the shortest task: {}),\n"
        "imap after {} (task 0: {}), map only with all of them, after {}",
        [("ordering.first_result_w4", "imap_unordered", sec),
         ("ordering.first_result_w4", "shortest task", sec),
         ("ordering.first_result_w4", "imap", sec), ("ordering.first_result_w4", "task 0", sec),
         ("ordering.first_result_w4", "map", sec)]),
    "pool-seed": (
        "Task 5 starts at {}, when the first worker is free ({}); all done at {}",
        [("pool-seed.timeline", "task 5 starts", sec),
         ("pool-seed.timeline", "first free worker", sec),
         ("pool-seed.timeline", "all done", sec)]),
    "pool-worklog": (
        "A and B start at once ({}, {}); C waits for a free worker until {}, D until {}",
        [("pool-worklog.timeline", "A starts", sec), ("pool-worklog.timeline", "B starts", sec),
         ("pool-worklog.timeline", "C starts", sec), ("pool-worklog.timeline", "D starts", sec)]),
    "gil-cores": (
        "Two CPU threads under the GIL: on 2 PUs they take {} the time they take on 1\n"
        "({} against {}); without a GIL {}",
        [("gil-cores.two_pus_threads_gil_cpu", "2 PUs / 1 PU", x),
         ("gil-cores.two_pus_threads_gil_cpu", "2 PUs", sec),
         ("gil-cores.two_pus_threads_gil_cpu", "1 PU", sec),
         ("gil-cores.two_pus_threads_cpu", "2 PUs / 1 PU", x)]),
    "ipc-throughput": (
        "64 KiB messages: the shared-memory ring moves {}, {} of the copy ceiling's {};\n"
        "{} a pipe",
        [("ipc-throughput.shm_vs_ceiling_64k", "shm ring", gbs),
         ("ipc-throughput.shm_vs_ceiling_64k", "ring / ceiling", pct),
         ("ipc-throughput.shm_vs_ceiling_64k", "ceiling", gbs),
         ("ipc-throughput.shm_goals_64k", "shm / pipe", x)]),
    "ipc-latency": (
        "Round trip on one PU: a Queue takes {}, {} a Pipe()'s {};\n"
        "parbench's pipe {} against perf bench's {}",
        [("ipc-latency.queue_vs_pipe_single", "Queue", ns),
         ("ipc-latency.queue_vs_pipe_single", "Queue / Pipe()", x),
         ("ipc-latency.queue_vs_pipe_single", "Pipe()", ns),
         ("ipc-latency.pipe_vs_perf_single", "pipe-batched", ns),
         ("ipc-latency.pipe_vs_perf_single", "perf", ns)]),
    "counter-seed": (
        "The seed's unlocked counter ends at {} of {} here ({} lost; the seed's own runs\n"
        "lost {} to {}); locked, {} of {} cases are not exact",
        [("counter-seed.lost_counter-procs_w10_window1000ns", "final count", n),
         ("counter-seed.lost_counter-procs_w10_window1000ns", "expected", n),
         ("counter-seed.lost_counter-procs_w10_window1000ns", "lost", pct),
         ("counter-seed.lost_counter-procs_w10_window1000ns", "seed lost from", pct),
         ("counter-seed.lost_counter-procs_w10_window1000ns", "seed lost to", pct),
         ("counter-seed.locked_exact", "cases not exact", n),
         ("counter-seed.locked_exact", "cases", n)]),
    "counter-contention": (
        "Unlocked, 2 processes lose {} of their increments, free threads {}, threads under "
        "the GIL {};\na mutex costs {} an atomic increment ({} against {}), a semaphore {}",
        [("counter-contention.lost_counter-procs_none", "lost", pct),
         ("counter-contention.lost_gil_vs_free_threads", "lost by free threads", pct),
         ("counter-contention.lost_gil_vs_free_threads", "lost under the GIL", pct),
         ("counter-contention.cost_counter-procs_none", "mutex / atomic", x),
         ("counter-contention.cost_counter-procs_none", "mutex", ns),
         ("counter-contention.cost_counter-procs_none", "atomic", ns),
         ("counter-contention.cost_counter-procs_none", "semaphore / atomic", x)]),
    "switch": (
        "One switch on one PU: a coroutine {},\na thread {} ({}), a process {} ({})",
        [("switch.costs", "coroutine", ns), ("switch.costs", "thread", ns),
         ("switch.costs", "thread / coroutine", x), ("switch.costs", "process", ns),
         ("switch.costs", "process / coroutine", x)]),
}


def title(ctx, figure):
    """The figure's title from TITLES, or None when the run lacks a figure
    it names."""
    text, figs = TITLES[figure]
    vals = []
    for fid, name, fmt in figs:
        g = ctx.figure(fid, name)
        if g is None:
            return None
        vals.append(fmt(g["median"]))
    return text.format(*vals)


def builder(figure):
    def build(ctx):
        t = title(ctx, figure)
        return {"fig_title": t} if t else None
    return build


BUILDERS = {fig: builder(fig) for fig in TITLES}
