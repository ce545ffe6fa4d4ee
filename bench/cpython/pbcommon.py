# SPDX-License-Identifier: MIT
"""What every CPython program of parbench shares.

Each program is run by bench/cpython/cpython.c as
    python3 <program>.py name=value ...
and prints one metric a line, "metric value unit", on stdout. The line
"# start" marks the start of the measured work (parbench starts its timer
when it reads it); errors go to stderr with a non-zero exit status.
Standard library only, Python >= 3.8.
"""
import multiprocessing
import os
import platform
import sys
import time

_t0 = None


def args():
    """The command line's name=value pairs; numbers become int or float."""
    out = {}
    for a in sys.argv[1:]:
        name, sep, value = a.partition("=")
        if not sep:
            fail("argument %r is not name=value" % a)
        for conv in (int, float):
            try:
                value = conv(value)
                break
            except ValueError:
                pass
        out[name] = value
    return out


def need(a, *names):
    missing = [n for n in names if n not in a]
    if missing:
        fail("missing argument(s): %s" % ", ".join(missing))


def fail(msg):
    sys.stderr.write("%s: %s\n" % (os.path.basename(sys.argv[0]), msg))
    sys.stderr.flush()
    os._exit(2)


def metric(name, value, unit):
    sys.stdout.write("%s %.9g %s\n" % (name, value, unit))


def describe():
    """The interpreter, as metrics: parbench keeps them in the raw CSV."""
    v = sys.version_info
    gil = getattr(sys, "_is_gil_enabled", lambda: True)()
    metric("python_version", v[0] * 100 + v[1], "%s-%d.%d.%d" % (
        platform.python_implementation(), v[0], v[1], v[2]))
    metric("python_gil", 1 if gil else 0, "flag")
    metric("python_start_method", 1, multiprocessing.get_start_method())


def pus(a):
    """The placement's PUs, one per worker slot (-1: not pinned)."""
    text = str(a.get("pus", ""))
    return [int(x) for x in text.split(",") if x != ""]


def pin(placement, slot):
    """Bind the calling thread (Linux: pid 0 is the calling thread) to the
    PU of worker slot `slot`, as the C models' workers are born on it."""
    if not placement or not hasattr(os, "sched_setaffinity"):
        return
    pu = placement[slot % len(placement)]
    if pu >= 0:
        os.sched_setaffinity(0, {pu})


def last_pu():
    try:
        with open("/proc/thread-self/stat") as f:
            return int(f.read().rsplit(")", 1)[1].split()[37])
    except (OSError, IndexError, ValueError):
        return -1


def spin(iterations):
    """Pure-Python CPU work: one loop iteration is about one tick of the C
    models' cpu workload. Returns a non-zero checksum."""
    x = 1
    for _ in range(iterations):
        x = (x * 1103515245 + 12345) & 0x7FFFFFFF
    return x | 1


def calibrate(target_s=0.01):
    """Loop iterations per millisecond on this machine, this interpreter:
    the best of three loops of at least target_s (each case calibrates, so
    this runs before every cpu case: keep it short)."""
    n = 10000
    while True:
        t = time.perf_counter()
        spin(n)
        dt = time.perf_counter() - t
        if dt >= target_s:
            break
        n *= 2
    best = dt
    for _ in range(2):
        t = time.perf_counter()
        spin(n)
        best = min(best, time.perf_counter() - t)
    ipms = n / (best * 1e3)
    metric("py_iterations_per_ms", ipms, "1/ms")
    return ipms


def start():
    """The measured work starts now."""
    global _t0
    # CLOCK_MONOTONIC, the clock parbench's timer reads: it starts its timer
    # at this instant, however late it reads the line.
    sys.stdout.write("# start %d\n" % time.clock_gettime_ns(time.CLOCK_MONOTONIC))
    sys.stdout.flush()
    _t0 = time.perf_counter()


def finish():
    """Print the program's own wall time, flush, and leave without the
    interpreter's teardown (parbench stops its timer at the exit)."""
    if _t0 is not None:
        metric("py_wall_s", time.perf_counter() - _t0, "s")
    describe()
    sys.stdout.flush()
    os._exit(0)


def percentile(values, p):
    v = sorted(values)
    if not v:
        return 0.0
    k = (len(v) - 1) * p / 100.0
    lo = int(k)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)
