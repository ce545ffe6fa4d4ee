# SPDX-License-Identifier: MIT
"""deadlock: threading.Lock and RLock as the tutorial uses them.

    locks.py model=abba|rlock-reentry|lock-reentry detect_ms=100 rounds=...
        abba: thread A takes a then wants b, B takes b then wants a (a
        Barrier makes sure both hold their first lock); each waits with
        acquire(timeout=detect_ms); a wait that runs out while the other
        thread also waits is the deadlock: deadlocked 1, detect_ms, and
        detect_late_us (how late past the timeout the first one came).
        rlock-reentry: the owner acquires its RLock again, rounds times:
        per_round_ns (acquire + release of the inner level).
        lock-reentry: the owner acquires its Lock again, REENTRY_WAITS times:
        each times out after detect_ms (a self-deadlock, recorded, never a
        hang); detect_ms and detect_late_us are the median wait's.
"""
import statistics
import threading
import time

import pbcommon as pb


def abba(detect_s):
    a, b = threading.Lock(), threading.Lock()
    both = threading.Barrier(2)
    waiting = [False, False]
    found = [None, None]

    def side(k, first, second):
        with first:
            both.wait()
            t = time.perf_counter()
            waiting[k] = True
            if second.acquire(timeout=detect_s):
                second.release()
            elif waiting[1 - k]:  # the other holds what I want and waits for mine
                found[k] = time.perf_counter() - t
            both.wait()  # both back out together
            waiting[k] = False

    ts = [threading.Thread(target=side, args=(0, a, b)),
          threading.Thread(target=side, args=(1, b, a))]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    hits = [f for f in found if f is not None]
    pb.metric("deadlocked", 1 if hits else 0, "count")
    if hits:
        pb.metric("detect_ms", min(hits) * 1e3, "ms")
        # what can differ from the C model: how late past the timeout
        pb.metric("detect_late_us", (min(hits) - detect_s) * 1e6, "us")


def rlock_reentry(rounds):
    r = threading.RLock()
    with r:
        t = time.perf_counter()
        for _ in range(rounds):
            r.acquire()
            r.release()
        wall = time.perf_counter() - t
    pb.metric("deadlocked", 0, "count")
    pb.metric("per_round_ns", wall / rounds * 1e9, "ns")


# The owner's timed waits in a repetition (bench/common/twins.h's
# REENTRY_WAITS): one wait's lateness is mostly the machine's timer jitter,
# so the timeout's lateness is the median of these.
REENTRY_WAITS = 5


def lock_reentry(detect_s):
    lk = threading.Lock()
    waited = []
    with lk:
        for _ in range(REENTRY_WAITS):
            t = time.perf_counter()
            again = lk.acquire(timeout=detect_s)
            waited.append(time.perf_counter() - t)
            if again:
                pb.fail("a Lock was acquired twice by its owner")
    wait = statistics.median(waited)
    pb.metric("deadlocked", 1, "count")
    pb.metric("detect_ms", wait * 1e3, "ms")
    pb.metric("detect_late_us", (wait - detect_s) * 1e6, "us")


def main():
    a = pb.args()
    pb.need(a, "model", "detect_ms")
    detect_s = a["detect_ms"] / 1e3
    pb.start()
    if a["model"] == "abba":
        abba(detect_s)
    elif a["model"] == "rlock-reentry":
        pb.need(a, "rounds")
        rlock_reentry(a["rounds"])
    elif a["model"] == "lock-reentry":
        lock_reentry(detect_s)
    else:
        pb.fail("model must be abba|rlock-reentry|lock-reentry")
    pb.finish()


if __name__ == "__main__":
    main()
