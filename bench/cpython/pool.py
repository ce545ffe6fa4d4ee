# SPDX-License-Identifier: MIT
"""pool: what multiprocessing.Pool's own machinery costs.

    pool.py mode=overhead n=1000 workers=1
        apply_async(f, (i,)).get() one after another: the round trip.
    pool.py mode=chunksize n=10000 workers=2 chunksize=C (0: map's default)
        map(f, range(n), chunksize): f returns its argument.
    pool.py mode=ordering model=map|imap|imap_unordered n=16 workers=16
            lo_ms=2 hi_ms=30
        n tasks sleeping a random lo..hi ms: when the first result arrives.
    pool.py mode=busy n=12 workers=2 tasks=8 busy_us=8000
        map_async(f, range(tasks), 1, callback=stamp), then busy_us of Python
        work, then get, n times (a fifth more untimed): ready_us (the
        callback's stamp, from map_async) and get_wait_us (get after the work).
    pool.py mode=manager n=200 workers=2 msg_bytes=64
        the tutorial's fix: with multiprocessing.Manager() as m, q = m.Queue(),
        then starmap_async(put_result, [(q, i) ...], 1): each task gets the
        proxy as its argument and puts msg_bytes there; the caller gets the n
        results from q, each exactly once: per_task_us.
    pool.py mode=error n=100 workers=2
        map(f, ...) whose task n // 2 raises ValueError, caught as the seed
        would, then map(f, range(n)) on the same pool: raised_count,
        results_after_count and workers_replaced_count (the pool's children
        before and after, as multiprocessing.active_children() lists them).
"""
import multiprocessing
import random
import time

import pbcommon as pb

PLACEMENT = []


def echo(x):
    return x


def nap(s):
    time.sleep(s)
    return s


def raise_at(x):
    i, victim = x
    if i == victim:
        raise ValueError("task %d failed" % i)
    return i


def put_result(q, i, size):
    q.put(i.to_bytes(4, "little") + bytes(size - 4))


def init():
    ident = multiprocessing.current_process()._identity
    pb.pin(PLACEMENT, (ident[-1] - 1) if ident else 0)


def overhead(pool, a):
    n = a["n"]
    pb.start()
    t = time.perf_counter()
    for i in range(n):
        if pool.apply_async(echo, (i,)).get() != i:
            pb.fail("a task returned the wrong value")
    pb.metric("per_task_us", (time.perf_counter() - t) * 1e6 / n, "us")


def chunksize(pool, a):
    n, cs = a["n"], a["chunksize"]
    pb.start()
    t = time.perf_counter()
    out = pool.map(echo, range(n), cs if cs > 0 else None)
    pb.metric("per_task_us", (time.perf_counter() - t) * 1e6 / n, "us")
    if out != list(range(n)):
        pb.fail("map returned the wrong values")


def ordering(pool, a):
    rnd = random.Random(20250101)
    secs = [rnd.uniform(a["lo_ms"], a["hi_ms"]) / 1e3 for _ in range(a["n"])]
    pb.start()
    t = time.perf_counter()
    if a["model"] == "map":
        pool.map(nap, secs, 1)
        first = time.perf_counter()
    else:
        it = getattr(pool, a["model"])(nap, secs, 1)
        next(it)
        first = time.perf_counter()
        for _ in it:
            pass
    pb.metric("first_result_s", first - t, "s")
    pb.metric("shortest_task_s", min(secs), "s")
    pb.metric("longest_task_s", max(secs), "s")


def busy(pool, a):
    pb.need(a, "tasks", "busy_us")
    n, tasks, busy_ns = a["n"], a["tasks"], int(a["busy_us"] * 1000)
    warm = n // 5 + 1
    ready, wait = [], []
    pb.start()
    for i in range(warm + n):
        stamp = []  # the callback runs in the result handler, all results in
        t0 = time.monotonic_ns()
        r = pool.map_async(echo, range(tasks), 1,
                           callback=lambda _, s=stamp: s.append(time.monotonic_ns()))
        end = t0 + busy_ns
        while time.monotonic_ns() < end:
            pass
        t1 = time.monotonic_ns()
        if r.get() != list(range(tasks)) or not stamp:
            pb.fail("map_async returned the wrong values")
        if i >= warm:
            wait.append((time.monotonic_ns() - t1) / 1e3)
            ready.append((stamp[0] - t0) / 1e3)
    for name, v in (("ready_us", ready), ("get_wait_us", wait)):
        for p in (50, 90, 99):
            pb.metric("%s_p%d" % (name, p), pb.percentile(v, p), "us")
    pb.metric("busy_us", a["busy_us"], "us")


def manager(pool, a):
    pb.need(a, "msg_bytes")
    n, size = a["n"], a["msg_bytes"]
    with multiprocessing.Manager() as m:
        q = m.Queue()
        pb.start()
        t = time.perf_counter()
        r = pool.starmap_async(put_result, [(q, i, size) for i in range(n)], 1)
        got = [int.from_bytes(q.get()[:4], "little") for _ in range(n)]
        r.get()
        pb.metric("per_task_us", (time.perf_counter() - t) * 1e6 / n, "us")
    if sorted(got) != list(range(n)):
        pb.fail("a result arrived twice or never")


def error(pool, a):
    n = a["n"]
    before = {p.pid for p in multiprocessing.active_children()}
    pb.start()
    raised = 0
    try:
        pool.map(raise_at, [(i, n // 2) for i in range(n)])
    except ValueError:
        raised = 1
    out = pool.map(raise_at, [(i, -1) for i in range(n)])
    after = {p.pid for p in multiprocessing.active_children()}
    pb.metric("raised_count", raised, "count")
    pb.metric("results_after_count", sum(x == i for i, x in enumerate(out)), "count")
    pb.metric("workers_replaced_count", len(after - before), "count")


def main():
    global PLACEMENT
    a = pb.args()
    pb.need(a, "mode", "n", "workers")
    modes = {"overhead": overhead, "chunksize": chunksize, "ordering": ordering, "busy": busy,
             "error": error, "manager": manager}
    if a["mode"] not in modes:
        pb.fail("mode must be overhead|chunksize|ordering|busy|error|manager")
    PLACEMENT = pb.pus(a)
    with multiprocessing.Pool(a["workers"], initializer=init) as pool:
        pool.apply(echo, (0,))  # every worker started: time the tasks only
        modes[a["mode"]](pool, a)
    pb.finish()


if __name__ == "__main__":
    main()
