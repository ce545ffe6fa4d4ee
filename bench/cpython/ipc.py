# SPDX-License-Identifier: MIT
"""ipc-latency: the round trip of a small message between two processes
through multiprocessing's own channels, as lib/models/channel models them.

    ipc.py model=pipe|pipe-obj|queue|simplequeue|manager-queue n=400
           msg_bytes=64 pus=a,b
        pipe: Pipe() send_bytes/recv_bytes; pipe-obj: Pipe() send/recv
        (pickled); queue: two Queue()s (a feeder thread each, pickled);
        simplequeue: two SimpleQueue()s (pickled, no feeder thread);
        manager-queue: two Manager().Queue()s of one Manager (a proxy call
        to the manager's server process for every put and get).
Also the cost the C model does not pay: pickle.dumps + loads of the
message (pickle_ns) and the empty function call (empty_call_ns).
"""
import multiprocessing
import pickle
import time

import pbcommon as pb

WARMUP = 20


MODELS = ("pipe", "pipe-obj", "queue", "simplequeue", "manager-queue")


def endpoints(model, manager):
    """(parent's send, parent's recv, child's send, child's recv)."""
    if model in ("pipe", "pipe-obj"):
        a, b = multiprocessing.Pipe()
        if model == "pipe":
            return a.send_bytes, a.recv_bytes, b.send_bytes, b.recv_bytes
        return a.send, a.recv, b.send, b.recv
    if model == "manager-queue":
        ab, ba = manager.Queue(), manager.Queue()
        return ab.put, ba.get, ba.put, ab.get
    kind = multiprocessing.Queue if model == "queue" else multiprocessing.SimpleQueue
    ab, ba = kind(), kind()
    return ab.put, ba.get, ba.put, ab.get


def ponger(send, recv, placement):
    pb.pin(placement, 1)
    while True:
        m = recv()
        if m is None or m == b"":
            return
        send(m)


def costs(msg):
    n = 20000
    t = time.perf_counter()
    for _ in range(n):
        pickle.loads(pickle.dumps(msg, pickle.HIGHEST_PROTOCOL))
    pb.metric("pickle_ns", (time.perf_counter() - t) / n * 1e9, "ns")

    def empty():
        pass
    t = time.perf_counter()
    for _ in range(n):
        empty()
    pb.metric("empty_call_ns", (time.perf_counter() - t) / n * 1e9, "ns")


def main():
    a = pb.args()
    pb.need(a, "model", "n", "msg_bytes")
    if a["model"] not in MODELS:
        pb.fail("model must be " + "|".join(MODELS))
    placement = pb.pus(a)
    msg = b"x" * a["msg_bytes"]
    # the manager's server is born before the pinning, as the C model's
    manager = multiprocessing.Manager() if a["model"] == "manager-queue" else None
    send, recv, csend, crecv = endpoints(a["model"], manager)
    child = multiprocessing.Process(target=ponger, args=(csend, crecv, placement))
    pb.start()
    child.start()
    pb.pin(placement, 0)
    lat = []
    for i in range(a["n"] + WARMUP):
        t = time.perf_counter_ns()
        send(msg)
        if recv() != msg:
            pb.fail("the echo came back different")
        if i >= WARMUP:
            lat.append(time.perf_counter_ns() - t)
    send(b"" if a["model"] == "pipe" else None)
    child.join()
    if manager:
        manager.shutdown()  # finish() leaves with os._exit: no finalizer would
    pb.metric("round_trips", len(lat), "count")
    pb.metric("latency_ns_mean", sum(lat) / len(lat), "ns")
    for p in (50, 90, 99):
        pb.metric("latency_ns_p%d" % p, pb.percentile(lat, p), "ns")
    costs(msg)
    pb.finish()


if __name__ == "__main__":
    main()
