# SPDX-License-Identifier: MIT
"""counter: multiprocessing.Value('i') incremented by W processes.

    counter.py workload=unlocked|locked|rawvalue workers=2 n=200000
               [sleep_ms=0] pus=...
        unlocked: v.value += 1 (Value's lock is taken for the load and again
        for the store, never across both: updates are lost); locked: the
        same inside `with v.get_lock()`; rawvalue: Value('i', lock=False).
        sleep_ms: the seed's time.sleep after each increment.
"""
import multiprocessing
import time

import pbcommon as pb


def worker(v, model, n, sleep_s, placement, slot, go):
    pb.pin(placement, slot)
    go.wait()
    if model == "locked":
        lock = v.get_lock()
        for _ in range(n):
            with lock:
                v.value += 1
            if sleep_s:
                time.sleep(sleep_s)
    else:
        for _ in range(n):
            v.value += 1
            if sleep_s:
                time.sleep(sleep_s)


def main():
    a = pb.args()
    pb.need(a, "workload", "workers", "n")
    model, w, n = a["workload"], a["workers"], a["n"]
    if model not in ("unlocked", "locked", "rawvalue"):
        pb.fail("workload must be unlocked|locked|rawvalue")
    v = multiprocessing.Value("i", 0, lock=model != "rawvalue")
    go = multiprocessing.Event()
    sleep_s = a.get("sleep_ms", 0) / 1e3
    procs = [multiprocessing.Process(target=worker,
                                     args=(v, model, n, sleep_s, pb.pus(a), i, go))
             for i in range(w)]
    pb.start()
    for p in procs:
        p.start()
    t = time.perf_counter()
    go.set()
    for p in procs:
        p.join()
        if p.exitcode != 0:
            pb.fail("a worker exited with status %s" % p.exitcode)
    span = time.perf_counter() - t
    expected = w * n
    pb.metric("final_count", v.value, "count")
    pb.metric("expected_count", expected, "count")
    pb.metric("lost_updates", expected - v.value, "count")
    pb.metric("lost_pct", 100.0 * (expected - v.value) / expected, "%")
    pb.metric("ns_per_increment", span * 1e9 / expected, "ns")
    pb.finish()


if __name__ == "__main__":
    main()
