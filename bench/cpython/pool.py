# SPDX-License-Identifier: MIT
"""pool: what multiprocessing.Pool's own machinery costs.

    pool.py mode=overhead n=1000 workers=1
        apply_async(f, (i,)).get() one after another: the round trip.
    pool.py mode=chunksize n=10000 workers=2 chunksize=C (0: map's default)
        map(f, range(n), chunksize): f returns its argument.
    pool.py mode=ordering model=map|imap|imap_unordered n=16 workers=16
            lo_ms=2 hi_ms=30
        n tasks sleeping a random lo..hi ms: when the first result arrives.
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


def main():
    global PLACEMENT
    a = pb.args()
    pb.need(a, "mode", "n", "workers")
    modes = {"overhead": overhead, "chunksize": chunksize, "ordering": ordering}
    if a["mode"] not in modes:
        pb.fail("mode must be overhead|chunksize|ordering")
    PLACEMENT = pb.pus(a)
    with multiprocessing.Pool(a["workers"], initializer=init) as pool:
        pool.apply(echo, (0,))  # every worker started: time the tasks only
        modes[a["mode"]](pool, a)
    pb.finish()


if __name__ == "__main__":
    main()
