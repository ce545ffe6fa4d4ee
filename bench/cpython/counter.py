# SPDX-License-Identifier: MIT
"""counter: multiprocessing.Value('i') incremented by W processes.

    counter.py workload=unlocked|locked|rawvalue workers=2 n=200000
               [sleep_ms=0] pus=...
        unlocked: v.value += 1 (Value's lock is taken for the load and again
        for the store, never across both: updates are lost); locked: the
        same inside `with v.get_lock()`; rawvalue: Value('i', lock=False).
        sleep_ms: the seed's time.sleep after each increment.
    counter.py workload=calibrate [n=100000 runs=5]
        where the time of one `v.value += 1` goes, one process alone:
        py_window_ns from the getter's load to the setter's store (the
        getter's release and return, the add, the setter's call and
        acquire), py_gap_ns from the store to the next load (the setter's
        release and return, the loop, the getter's call and acquire);
        py_hold_ns the Value's lock held in one accessor (acquire's return,
        self._obj.value, the call of release), part of each of those.
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


def best(n, runs, loop):
    """ns per iteration of loop(n): the fastest of runs (what the machine's
    other load adds to some runs only ever adds)."""
    t = []
    for _ in range(runs):
        t0 = time.perf_counter_ns()
        loop(n)
        t.append(time.perf_counter_ns() - t0)
    return min(t) / n


def calibrate(a):
    """The loop alone, the getter, the setter and the increment, each over
    the empty loop. Synchronized's getter and setter are the same template
    (sharedctypes.py make_property: acquire; try: access; finally: release),
    so each has the same head before its access (the call, acquire, the
    _obj lookup) and tail after it (release, return): the window, from the
    getter's access to the setter's, is the getter's tail, the add and the
    setter's head, half the getter plus half the setter plus the add,
    inc - (get + set) / 2; the gap is the rest of one iteration. The lock is
    held from acquire's sem_trywait to release's sem_post: the access
    (v._obj.value) and about half of an acquire(); release() pair (the return
    of the one, the call of the other)."""
    n, runs = a.get("n", 100000), a.get("runs", 5)
    if n <= 0 or runs <= 0:
        pb.fail("calibrate: n and runs must be > 0")
    v = multiprocessing.Value("i", 0)
    acquire, release = v.acquire, v.release

    def empty(k):
        for _ in range(k):
            pass

    def get(k):
        for _ in range(k):
            v.value

    def put(k):
        for _ in range(k):
            v.value = 0

    def inc(k):
        for _ in range(k):
            v.value += 1

    def pair(k):
        for _ in range(k):
            acquire()
            release()

    def access(k):
        for _ in range(k):
            v._obj.value

    t_loop = best(n, runs, empty)
    t_get = best(n, runs, get) - t_loop
    t_set = best(n, runs, put) - t_loop
    t_inc = best(n, runs, inc) - t_loop
    window = t_inc - (t_get + t_set) / 2
    hold = best(n, runs, access) - t_loop + (best(n, runs, pair) - t_loop) / 2
    if min(t_get, t_set, window, hold) <= 0:
        pb.fail("calibrate: the machine's load swamped the loops (get %.0f set %.0f inc "
                "%.0f ns)" % (t_get, t_set, t_inc))
    pb.metric("py_loop_ns", t_loop, "ns")
    pb.metric("py_get_ns", t_get, "ns")
    pb.metric("py_set_ns", t_set, "ns")
    pb.metric("py_inc_ns", t_inc, "ns")
    pb.metric("py_window_ns", window, "ns")
    pb.metric("py_gap_ns", t_loop + (t_get + t_set) / 2, "ns")
    pb.metric("py_hold_ns", hold, "ns")


def main():
    a = pb.args()
    if a.get("workload") == "calibrate":
        calibrate(a)
        pb.finish()
        return
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
