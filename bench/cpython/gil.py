# SPDX-License-Identifier: MIT
"""gil: CPython's own GIL, next to lib/gil.c's model of it.

    gil.py mode=convoy io=echo|sleep n=20 cpu_threads=K switch_us=5000
           [echo_us=100] [sleep_us=1000] pus=...
        An IO thread does n blocking calls next to K CPU threads: a round
        trip through a socketpair to an echo process (which answers after
        echo_us), or time.sleep(sleep_us). Each call's time: mean, p50, p99,
        max.
    gil.py mode=slices ms=25 switch_us=5000 pus=...
        Two CPU threads of ms worth of loop each: their time slices (a
        thread's run of the loop between two turns of the other thread),
        median.
"""
import os
import socket
import sys
import threading
import time

import pbcommon as pb

WARMUP = 2


def echo_loop(sock, echo_s):
    """The other process: answer each byte after echo_s, sleeping as the C
    echo does (bench/gil/gil_threads.c: clock_sleep_ns). The echo stands for
    a device or a LAN peer, which uses no PU of ours: a busy wait here would
    keep a PU and change who gets the GIL on a 2-PU machine."""
    while True:
        b = sock.recv(1)
        if not b:
            os._exit(0)
        if echo_s > 0:
            time.sleep(echo_s)
        sock.sendall(b)


def start_echo(echo_s):
    a, b = socket.socketpair()
    pid = os.fork()
    if pid == 0:
        a.close()
        echo_loop(b, echo_s)
    b.close()
    return a, pid


def cpu_thread(stop, counts, k, placement, slot):
    pb.pin(placement, slot)
    x, n = 1, 0
    while not stop.is_set():
        for _ in range(1000):
            x = (x * 1103515245 + 12345) & 0x7FFFFFFF
        n += 1000
    counts[k] = n


def convoy(a, placement):
    n, k = a["n"], a["cpu_threads"]
    io = a.get("io", "echo")
    if io == "echo":
        sock, pid = start_echo(a.get("echo_us", 0) / 1e6)
        call = lambda: (sock.sendall(b"x"), sock.recv(1))  # noqa: E731
    else:
        sock, pid = None, 0
        call = lambda: time.sleep(a.get("sleep_us", 1000) / 1e6)  # noqa: E731
    stop, counts = threading.Event(), [0] * k
    pb.start()
    threads = [threading.Thread(target=cpu_thread, args=(stop, counts, i, placement, i + 1))
               for i in range(k)]
    for t in threads:
        t.start()
    pb.pin(placement, 0)
    lat = []
    t_cpu = time.perf_counter()
    for i in range(n + WARMUP):
        t = time.perf_counter()
        call()
        if i >= WARMUP:
            lat.append((time.perf_counter() - t) * 1e6)
    stop.set()
    for t in threads:
        t.join()
    cpu_s = time.perf_counter() - t_cpu
    if sock:
        sock.close()
        os.waitpid(pid, 0)
    pb.metric("round_trips", len(lat), "count")
    pb.metric("latency_us_mean", sum(lat) / len(lat), "us")
    for p in (50, 99, 100):
        pb.metric("latency_us_p%d" % p if p < 100 else "latency_us_max",
                  pb.percentile(lat, p), "us")
    if io == "sleep":
        pb.metric("overshoot_us_p50", pb.percentile(lat, 50) - a.get("sleep_us", 1000), "us")
    if k:
        pb.metric("cpu_iterations_per_s", sum(counts) / cpu_s, "1/s")


def slice_thread(iters, out, placement, slot, turn):
    """A slice ends when the other thread has run since this one's last
    look at turn (it took the GIL), as the C model counts a hold that ended
    in a hand-off. Not on a pause in the loop's clock: on a shared VM a
    stolen tick or an interrupt of 50 us would split a slice that kept the
    GIL (that measure gave p50s from 2.8 to 8.9 ms at a 5 ms interval)."""
    pb.pin(placement, slot)
    perf = time.perf_counter
    x, done = 1, 0
    begin = last = perf()
    slices = []
    while done < iters:
        for _ in range(20):
            x = (x * 1103515245 + 12345) & 0x7FFFFFFF
        done += 20
        t = perf()
        if turn[0] != slot:  # the other thread ran: a new slice begins
            if turn[0] is not None:
                slices.append(last - begin)
            turn[0] = slot
            begin = t
        last = t
    slices.append(last - begin)
    out.append(slices[1:-1])  # the first and the last are cut by start and end


def slices(a, placement):
    iters = int(pb.calibrate() * a["ms"])
    out, turn = [], [None]
    pb.start()
    threads = [threading.Thread(target=slice_thread, args=(iters, out, placement, i, turn))
               for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    every = [s * 1e6 for ss in out for s in ss]
    pb.metric("gil_slices", len(every), "count")
    if every:
        pb.metric("gil_slice_us_p50", pb.percentile(every, 50), "us")


def main():
    a = pb.args()
    pb.need(a, "mode", "switch_us")
    sys.setswitchinterval(a["switch_us"] / 1e6)
    placement = pb.pus(a)
    if a["mode"] == "convoy":
        pb.need(a, "n", "cpu_threads")
        convoy(a, placement)
    elif a["mode"] == "slices":
        pb.need(a, "ms")
        slices(a, placement)
    else:
        pb.fail("mode must be convoy or slices")
    pb.finish()


if __name__ == "__main__":
    main()
