/* SPDX-License-Identifier: MIT */
/*
 * cpython — the CPython programs of bench/cpython/ as cases of the existing
 * experiments (cpython.c runs them, cpython_plan.c plans them, fidelity.c
 * compares them with their C twins).
 */
#ifndef PB_CPYTHON_H
#define PB_CPYTHON_H

#include <stdbool.h>
#include <stddef.h>

#include "harness.h"

/* Every CPython case's model starts with this: "cpython-fork". */
#define CPYTHON_PREFIX "cpython-"

/* A case's program (its c->data): the script in bench/cpython/ and the
 * fixed name=value arguments it always gets, space-separated. */
struct cpython_prog {
	const char *script;
	const char *args;
};

/* The interpreter: --python, else $PARBENCH_PYTHON, else python3 from PATH; its path in
 * out, or NULL when there is none. */
const char *cpython_interpreter(const struct pb_config *cfg, char *out, size_t len);
/* The run function of every CPython case. */
int cpython_run(struct pb_ctx *ctx, const struct pb_case *c);
/* What a CPython case costs besides its work, for the estimates: the
 * interpreter's start and imports (py_startup_s 0.06 to 0.2 s on a 2-vCPU
 * AMD EPYC VM, run 20261207T161308Z) and its exit. cpython_case() sets it;
 * a plan adds the case's work. */
#define CPYTHON_START_EST_S 0.12
/* A CPython case of experiment (its C twin's), model cpython-..., running
 * prog; its budget is budget_s plus the interpreter's start and imports
 * (outside the measured work, inside the watchdog's budget). */
struct pb_case cpython_case(const char *experiment, const char *model, const char *workload,
			    const struct cpython_prog *prog, double budget_s);
/* What the interpreter adds per call to the system calls of a Pipe() and a
 * Queue(), measured by CPython on this machine (ipc.py model=calibrate):
 * Connection.send_bytes and recv_bytes, Queue.put, the feeder's work per
 * message, Queue.get; ns per call. */
struct cpython_call_costs {
	double send_bytes_ns, recv_bytes_ns, put_ns, feed_ns, get_ns;
	double feed_more_ns; /* cpython_call_costs only: a message the feeder finds
			      * while draining (py_feed_more_ns) */
};
/* Parse the calibration's stdout ("metric value unit" lines; other lines
 * are ignored): 0 when every cost is there once, finite, 0 .. 1e6 ns;
 * else -1 with why filled. */
int cpython_parse_costs(const char *text, struct cpython_call_costs *out, char *why, size_t len);
/* Run the calibration for msg_bytes messages in this case process (call it
 * outside the timed work) and record each cost as a metric: 0, or 1 after
 * pb_skip (no interpreter), or -1 after pb_fail (it failed, or printed
 * garbage). */
int cpython_call_costs(struct pb_ctx *ctx, size_t msg_bytes, struct cpython_call_costs *out);
/* Where the time of CPython's `v.value += 1` on a Value('i') goes, one
 * process alone (counter.py workload=calibrate): window_ns from the
 * getter's load to the setter's store, gap_ns from the store to the next
 * load, hold_ns the Value's lock held in one accessor (half of it in the
 * window, half in the gap, on either side of each access); ns. And how
 * late the second of two workers begins counting after the first, started
 * as counter.py starts them (workload=calibrate-start): start_lag_ns. */
struct cpython_counter_costs {
	double window_ns, gap_ns, hold_ns, start_lag_ns;
};
/* Run that calibration in this case process (outside the timed work) and
 * record both as metrics: 0, 1 after pb_skip, or -1 after pb_fail. */
int cpython_counter_costs(struct pb_ctx *ctx, struct cpython_counter_costs *out);

/* What queue.Queue's put and get cost the interpreter, one thread that
 * never blocks (tqueue.py model=calibrate): put_ns, get_ns, with_ns (a
 * `with` on the queue's Condition: the part of a call outside its mutex),
 * wait_ns (Condition.wait's own work, measured as wait(0)) and notify_ns
 * (a notify that releases a waiter), the last two beyond the `with`; ns. */
struct cpython_tqueue_costs {
	double put_ns, get_ns, with_ns, wait_ns, notify_ns;
	double prod_loop_ns, cons_loop_ns; /* run_threads' loops around put and get */
};
/* Run it in this case process (outside the timed work) and record the
 * five as metrics: 0, 1 after pb_skip, or -1 after pb_fail. */
int cpython_tqueue_costs(struct pb_ctx *ctx, struct cpython_tqueue_costs *out);
/* What tqueue.py's run_mp spends on its two Processes (tqueue.py
 * model=calibrate-process): start_us from before the first start() to the
 * second target's first line, join_us from the last target's end to both
 * joins; medians of 5 rounds, recorded as py_start_us and py_join_us. 0, 1
 * after pb_skip, or -1 after pb_fail. */
struct cpython_process_costs {
	double start_us, join_us;
};
int cpython_process_costs(struct pb_ctx *ctx, struct cpython_process_costs *out);

/* The fidelity table: notes and derived rows, C against CPython. */
void cpython_fidelity(struct pb_report *rep);

#endif
