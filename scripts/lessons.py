"""lessons — the report's first page: what this machine taught.

The five lessons of the seed tutorials, each as one sentence with this
run's figures (the C models), CPython's figure beside it and whether the
two agree: the verdicts of the fidelity rows that bench/cpython/fidelity*.c
writes into findings.csv (experiment "cpython", ids "cpython.fidelity.*").
Sentences are templates filled by captions.fill; a lesson whose figures
the run lacks says so instead of guessing.
"""

from captions import fill

FID = "cpython.fidelity."

# The experiment that shows each lesson below (IO and CPU: tasks; the
# GIL: gil-convoy; Queue vs Pipe: ipc-latency; the counter: counter-seed,
# the seed's own program), and cpython's fidelity table: a quick run's
# report draws their figures and gives the others' captions without one.
LESSON_EXPERIMENTS = ("tasks", "gil-convoy", "ipc-latency", "counter-seed", "cpython")

# title; sentences (the first the run can fill is used); CPython's side:
# (label, fidelity id) pairs, whose "CPython" figure and verdict are shown.
LESSONS = [
    ("IO-bound work scales with threads and processes",
     ["IO tasks finish {tasks.io_threads_speedup|speedup} faster on threads and "
      "{tasks.io_fork_speedup|speedup} faster with a process each than one after another "
      "(ideal {tasks.io_fork_speedup|ideal speedup}).",
      "IO tasks finish {tasks.io_threads_speedup|speedup} faster on threads than one after "
      "another."],
     [("threads", FID + "tasks_io_thread_speedup"),
      ("processes", FID + "tasks_io_process_speedup")]),
    ("CPU-bound work scales only with processes or threads without a GIL",
     ["CPU tasks run {tasks.cpu_fork_speedup|speedup} faster with a process each and "
      "{tasks.cpu_threads_speedup|speedup} on threads without a GIL, but "
      "{tasks.cpu_threads_gil_speedup|speedup} on threads under the GIL "
      "(ideal {tasks.cpu_fork_speedup|ideal speedup})."],
     [("processes", FID + "tasks_cpu_process_speedup"),
      ("threads under the GIL", FID + "tasks_cpu_threads_gil_speedup")]),
    ("The GIL's interval and convoy",
     ["Next to one CPU thread on another PU, an IO thread under the GIL waits "
      "{cpython.fidelity.convoy_gil_wait_k1|C} longer per round trip (a sendall and a recv), "
      "whole switch intervals ({gil-*|switch interval}) of them; on one PU its round trip "
      "takes {gil-convoy.convoy_k1_1pu|threads-gil p50}.",
      "Next to one CPU thread, an IO thread's round trip under the GIL is "
      "{gil-convoy.convoy_k1|threads-gil / threads} that of free threads."],
     [("GIL wait", FID + "convoy_gil_wait_k1"), ("time slice", FID + "gil_slice_2pus")]),
    ("Queue vs Pipe",
     ["A Queue's round trip costs {cpython.fidelity.queue_vs_pipe_rtt|C} a Pipe's, "
      "{cpython.fidelity.queue_minus_pipe_rtt|C} more (64 B, one PU).",
      "A Queue's round trip costs {ipc-latency.queue_vs_pipe_single|Queue / Pipe()} a "
      "Pipe()'s (64 B, one PU)."],
     [("Queue / Pipe", FID + "queue_vs_pipe_rtt"), ("Queue − Pipe", FID + "queue_minus_pipe_rtt")]),
    ("The unlocked counter loses updates",
     ["Two processes incrementing a shared Value without a lock lose "
      "{cpython.fidelity.counter_lost_value_unlocked|C} of the updates; with a lock "
      "{counter-seed.locked_exact|cases not exact} of {counter-seed.locked_exact|cases} "
      "cases miss.",
      "Two processes incrementing a shared counter without a lock lose "
      "{counter-contention.lost_counter-procs_*|lost} of the updates.",
      "Unlocked, the seed's counter loses {counter-seed.lost_counter-procs_*|lost} of "
      "its updates."],
     [("lost", FID + "counter_lost_value_unlocked")]),
]


def cpython_side(found, pairs):
    """(CPython's figures, the verdicts) as text, from the fidelity rows."""
    figs, verdicts = [], []
    for label, fid in pairs:
        f = found.finding(fid)
        text, _ = fill("{" + fid + "|CPython}", found)
        if f is None or text is None:
            continue
        figs.append(f"{label} {text}")
        v = f["verdict"] or "not judged"
        # a difference's size here, its reason in the fidelity table (a
        # sentence of reasons made page 1's row a dozen lines high)
        ratio, _ = fill("{" + fid + "|CPython/C}", found)
        why = f" (CPython/C {ratio}: see the fidelity table)" if v == "differs" and ratio else ""
        verdicts.append(f"{label}: {v}{why}")
    return figs, verdicts


def lessons(found):
    """[(title, sentence or None, CPython text or None, verdict text)]."""
    out = []
    for title, templates, pairs in LESSONS:
        sentence = next((t for t in (fill(x, found)[0] for x in templates) if t), None)
        figs, verdicts = cpython_side(found, pairs)
        out.append((title, sentence, "; ".join(figs) or None,
                    "; ".join(verdicts) or "not judged: no CPython twin in this run"))
    return out
