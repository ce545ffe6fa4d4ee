# SPDX-License-Identifier: MIT
"""tqueue-prodcons: the tutorial's producer/consumer through queue.Queue
between threads (under the GIL: the interpreter's own), against
multiprocessing.Queue between processes; P producers put n items in all,
C consumers get them until a sentinel each, every item exactly once.

    tqueue.py model=threads|mp-queue p=1 c=1 n=200000 send_ms=200
              [maxsize=1024] pus=...
        threads: Queue(maxsize), n items of 64 B (one bytes object,
        shared: the queue holds references; maxsize=0: unbounded);
        mp-queue: Queue(maxsize=1024) between processes, producers put
        64 B for send_ms (pickled, through the feeder thread), as the C
        model's stream does. Every thread runs on the placement's first PU
        (pus=-1: anywhere).
    Metric: msgs_per_s (items got per second, from the start to the last
    get).
    tqueue.py model=calibrate [n=5000]
        what the interpreter spends per call in one thread that never
        blocks (an unbounded Queue): py_put_ns (Queue.put), py_get_ns
        (Queue.get) and py_with_ns (`with q.not_full: pass`, the part of a
        call outside the queue's mutex), each its fastest chunk of 250
        calls less an empty loop's; py_wait_ns (Condition.wait's own
        work: wait(0) makes, appends and drops a waiter without blocking)
        and py_notify_ns (notify releasing a waiter), each less the `with`
        around it; py_prod_loop_ns and py_cons_loop_ns, what run_threads'
        own loops add around each put and get (the loop, the method
        lookup, the `is not None` test and the count). The C model
        threads-py charges them (lib/models/tqueue_py.h, the loops' part
        outside the queue's mutex).
    tqueue.py model=calibrate-process [n=5]
        what run_mp spends starting and joining its two Processes, as it
        does them (the consumer's, then the producer's, each with an empty
        target): py_start_us from before the first start() to the second
        target's first line, py_join_us from the last target's end to both
        joins returning; medians of n rounds. The C model mp-queue-py adds
        them to its stream's time (bench/tqueue/tqueue_mpq.c).
"""
import multiprocessing
import queue
import threading
import time

import pbcommon as pb

MAXSIZE = 1024
ITEM = b"x" * 64


def run_threads(p, c, n, maxsize):
    q = queue.Queue(maxsize=maxsize)
    got = [0] * c
    per = n // p

    def producer():
        for _ in range(per):
            q.put(ITEM)

    def consumer(k):
        while q.get() is not None:
            got[k] += 1

    ts = [threading.Thread(target=consumer, args=(k,)) for k in range(c)]
    ps = [threading.Thread(target=producer) for _ in range(p)]
    t = time.perf_counter()
    for x in ts + ps:
        x.start()
    for x in ps:
        x.join()
    for _ in range(c):
        q.put(None)
    for x in ts:
        x.join()
    return sum(got), time.perf_counter() - t, per * p


def mp_producer(q, send_s, sent):
    end = time.perf_counter() + send_s
    k = 0
    while time.perf_counter() < end:
        for _ in range(16):
            q.put(ITEM)
        k += 16
    with sent.get_lock():
        sent.value += k


def mp_consumer(q, got):
    k = 0
    while q.get() is not None:
        k += 1
    with got.get_lock():
        got.value += k


def run_mp(p, c, send_s):
    q = multiprocessing.Queue(maxsize=MAXSIZE)
    sent, got = multiprocessing.Value("q", 0), multiprocessing.Value("q", 0)
    cs = [multiprocessing.Process(target=mp_consumer, args=(q, got)) for _ in range(c)]
    ps = [multiprocessing.Process(target=mp_producer, args=(q, send_s, sent))
          for _ in range(p)]
    t = time.perf_counter()
    for x in cs + ps:
        x.start()
    for x in ps:
        x.join()
    for _ in range(c):
        q.put(None)
    for x in cs:
        x.join()
    return got.value, time.perf_counter() - t, sent.value


def calibrate(n, chunk=250):
    """Each loop timed over chunks of `chunk` iterations in turn, its cost
    the fastest chunk's: a preemption spoils a chunk, not the figure."""
    q = queue.Queue()
    put, get, cond = q.put, q.get, q.not_full

    def empty(k):
        for _ in range(k):
            pass

    def puts(k):
        for _ in range(k):
            put(ITEM)

    def gets(k):
        for _ in range(k):
            get()

    def withs(k):
        for _ in range(k):
            with cond:
                pass

    def waits(k):  # wait(0): the waiter made, appended, dropped; no block
        for _ in range(k):
            with cond:
                cond.wait(0)

    waiter = threading.Lock()
    waiter.acquire()
    waiters = cond._waiters

    def notifies(k):  # a waiter there to release, as a blocked get's
        for _ in range(k):
            with cond:
                waiters.append(waiter)
                cond.notify()
            waiter.acquire()

    got = [0]

    def prods(k):  # run_threads' producer loop, as written
        for _ in range(k):
            q.put(ITEM)

    def conss(k):  # run_threads' consumer loop, as written (and one None)
        q.put(None)
        while q.get() is not None:
            got[0] += 1

    loops = (("base", empty), ("put", puts), ("get", gets), ("with", withs),
             ("wait", waits), ("notify", notifies), ("prod", prods), ("cons", conss))
    best = {}
    for _ in range(max(n // chunk, 1)):  # puts chunk, gets them back: never blocks
        for name, loop in loops:
            t = time.perf_counter_ns()
            loop(chunk)
            ns = (time.perf_counter_ns() - t) / chunk
            best[name] = min(best.get(name, ns), ns)
    for name in ("put", "get", "with"):
        pb.metric("py_%s_ns" % name, max(best[name] - best["base"], 0.0), "ns")
    for name in ("wait", "notify"):  # beyond the `with` around them
        pb.metric("py_%s_ns" % name, max(best[name] - best["with"], 0.0), "ns")
    for name, call in (("prod", "put"), ("cons", "get")):  # the loop around the call
        pb.metric("py_%s_loop_ns" % name, max(best[name] - best[call] + best["base"], 0.0),
                  "ns")


def stamp(begun, ended):
    begun.value = time.perf_counter_ns()
    ended.value = time.perf_counter_ns()


def calibrate_process(n):
    """run_mp's Process start and join, with targets that only stamp the
    clock (perf_counter is CLOCK_MONOTONIC, the same in every process)."""
    starts, joins = [], []
    for _ in range(max(n, 1)):
        t = [(multiprocessing.Value("q", 0, lock=False),
              multiprocessing.Value("q", 0, lock=False)) for _ in range(2)]
        ps = [multiprocessing.Process(target=stamp, args=x) for x in t]
        t0 = time.perf_counter_ns()
        for x in ps:
            x.start()
        for x in ps:
            x.join()
        t1 = time.perf_counter_ns()
        starts.append(t[1][0].value - t0)
        joins.append(t1 - max(t[0][1].value, t[1][1].value))
    for name, ns in (("py_start_us", starts), ("py_join_us", joins)):
        pb.metric(name, max(sorted(ns)[len(ns) // 2], 0) / 1e3, "us")


def main():
    a = pb.args()
    pb.need(a, "model")
    if a["model"] == "calibrate":
        calibrate(a.get("n", 5000))
        pb.finish()
    if a["model"] == "calibrate-process":
        calibrate_process(a.get("n", 5))
        pb.finish()
    pb.need(a, "p", "c", "n", "send_ms")
    if a["model"] not in ("threads", "mp-queue"):
        pb.fail("model must be threads|mp-queue|calibrate|calibrate-process")
    pb.pin(pb.pus(a), 0)
    pb.start()
    if a["model"] == "threads":
        got, wall, sent = run_threads(a["p"], a["c"], a["n"], a.get("maxsize", MAXSIZE))
    else:
        got, wall, sent = run_mp(a["p"], a["c"], a["send_ms"] / 1e3)
    if got != sent:
        pb.fail("sent %d items, got %d" % (sent, got))
    pb.metric("msgs_per_s", got / wall, "msg/s")
    pb.metric("messages", got, "count")
    pb.finish()


if __name__ == "__main__":
    main()
