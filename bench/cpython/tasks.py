# SPDX-License-Identifier: MIT
"""tasks: N independent io (time.sleep) or cpu (a pure-Python loop
calibrated to task_ms) tasks on W workers, the way the seeds write them:
serial, a Process per task (at most W at once), a thread per task (at most
W at once, under the GIL), Pool(W).map, and W asyncio tasks on one event
loop taking the tasks in turn (an io task awaits asyncio.sleep, a cpu task
computes without awaiting: it holds the loop).

    tasks.py model=serial|fork|threads|pool|coroutines workload=io|cpu n=5
             workers=3 task_ms=100 pus=0,1,...
"""
import multiprocessing
import threading
import time
from multiprocessing.connection import wait

import pbcommon as pb

ITERS = 0  # loop iterations per cpu task, set before any worker starts
TASK_S = 0.0
PLACEMENT = []


def task(i):
    if ITERS:
        return pb.spin(ITERS)
    time.sleep(TASK_S)
    return i + 1


def check(i, value):
    return value == i + 1 if not ITERS else value != 0


def in_process(i, slot):
    pb.pin(PLACEMENT, slot)
    ok = check(i, task(i))
    raise SystemExit(0 if ok else 3)


def run_serial(n, w):
    pb.pin(PLACEMENT, 0)
    return sum(check(i, task(i)) for i in range(n))


def run_fork(n, w):
    """Process.start/join, at most w alive; a finished child frees its slot."""
    running, free, done = {}, list(range(w)), 0
    for i in range(n):
        if not free:
            for s in wait(list(running)):
                p, slot = running.pop(s)
                p.join()
                done += p.exitcode == 0
                free.append(slot)
        slot = free.pop(0)
        p = multiprocessing.Process(target=in_process, args=(i, slot))
        p.start()
        running[p.sentinel] = (p, slot)
    for p, _ in running.values():
        p.join()
        done += p.exitcode == 0
    return done


def run_threads(n, w):
    slots = list(range(w))
    lock = threading.Lock()
    gate = threading.BoundedSemaphore(w)
    ok = [False] * n

    def body(i):
        with lock:
            slot = slots.pop(0)
        pb.pin(PLACEMENT, slot)
        ok[i] = check(i, task(i))
        with lock:
            slots.append(slot)
        gate.release()

    threads = []
    for i in range(n):
        gate.acquire()
        t = threading.Thread(target=body, args=(i,))
        t.start()
        threads.append(t)
    for t in threads:
        t.join()
    return sum(ok)


def pool_init():
    ident = multiprocessing.current_process()._identity
    pb.pin(PLACEMENT, (ident[0] - 1) if ident else 0)


def run_pool(n, w):
    with multiprocessing.Pool(w, initializer=pool_init) as pool:
        values = pool.map(task, range(n))
    return sum(check(i, v) for i, v in enumerate(values))


def run_coroutines(n, w):
    """W workers on one loop draining one list (one thread: no lock)."""
    import asyncio  # imported by main() before the clock starts

    pb.pin(PLACEMENT, 0)
    todo = list(range(n))
    ok = [False] * n

    async def worker():
        while todo:
            i = todo.pop(0)
            if ITERS:
                ok[i] = check(i, pb.spin(ITERS))
            else:
                await asyncio.sleep(TASK_S)
                ok[i] = True

    async def run():
        await asyncio.gather(*(worker() for _ in range(min(w, n))))

    asyncio.run(run())
    return sum(ok)


def main():
    global ITERS, TASK_S, PLACEMENT
    a = pb.args()
    pb.need(a, "model", "workload", "n", "workers", "task_ms")
    models = {"serial": run_serial, "fork": run_fork, "threads": run_threads,
              "pool": run_pool, "coroutines": run_coroutines}
    if a["model"] not in models or a["workload"] not in ("io", "cpu"):
        pb.fail("model must be %s, workload io|cpu" % "|".join(models))
    PLACEMENT = pb.pus(a)
    TASK_S = a["task_ms"] / 1e3
    if a["workload"] == "cpu":
        ITERS = max(1, int(pb.calibrate() * a["task_ms"]))
    if a["model"] == "coroutines":
        # 30 ms to import, as at the top of a program: not the tasks' time
        # (only this model pays it, so only it imports it)
        import asyncio  # noqa: F401
    pb.start()
    done = models[a["model"]](a["n"], a["workers"])
    if done != a["n"]:
        pb.fail("only %d of %d tasks returned their result" % (done, a["n"]))
    pb.metric("tasks_done", done, "count")
    pb.finish()


if __name__ == "__main__":
    main()
