/* SPDX-License-Identifier: MIT */
/*
 * cpython — the fidelity table: for each claim the tutorials teach, the C
 * model's figure and CPython's, measured in this run, their ratio, and a
 * verdict. Nothing here is a constant figure: every number comes from the
 * report. Where they differ, the note says why (what the C model does that
 * CPython does not, or the cost CPython pays that the model leaves out).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpython.h"
#include "fidelity.h"

#define KEY(e, m, wl, x, w, p, v)                                                                  \
	{                                                                                          \
		.experiment = e, .model = m, .workload = wl, .extra = x, .workers = w, .param = p, \
		.param_value = v                                                                   \
	}
#define TASK(m, wl, w) KEY("tasks", m, wl, NULL, w, NULL, 0)
/* Against each side's serial model: the quick profile runs the other
 * models with every task at once only (bench/tasks/tasks.c). */
#define SPEEDUP(m, wl, n)                                                                  \
	{                                                                                  \
		TASK(strncmp(m, "cpython-", 8) == 0 ? "cpython-serial" : "serial", wl, 1), \
			TASK(m, wl, n), "wall_s", "wall_s"                                 \
	}
#define CONVOY(m, wl, k) KEY("gil-convoy", m, wl, NULL, 0, "cpu_threads", k)

/* The claims on this machine; ncpu is the cpu tasks' count (= workers). */
static void judge_tasks(struct pb_report *rep, int ncpu)
{
	const struct fidelity_claim claims[] = {
		{ "tasks_io_process_speedup",
		  "IO tasks, a Process each: speedup with 5 workers (≈ 5, one task's time)",
		  SPEEDUP_OF_B, SPEEDUP("fork", "io", 5), SPEEDUP("cpython-fork", "io", 5), CLOSE,
		  0, "x",
		  "CPython starts each Process with fork + its bootstrap and pickles the result" },
		{ "tasks_io_thread_speedup",
		  "IO tasks, a thread each: speedup with 5 workers (≈ 5)", SPEEDUP_OF_B,
		  SPEEDUP("threads-gil", "io", 5), SPEEDUP("cpython-threads", "io", 5), CLOSE, 0,
		  "x",
		  "CPython's Thread bootstrap runs under the GIL, between the waits on _started" },
		{ "tasks_cpu_threads_gil_speedup",
		  "CPU threads under the GIL do not speed up (speedup < 1.25)", SPEEDUP_OF_B,
		  SPEEDUP("threads-gil", "cpu", ncpu), SPEEDUP("cpython-threads", "cpu", ncpu),
		  BELOW, 1.25, "x", "one side scaled: the GIL is not what serialises it" },
		{ "tasks_cpu_process_speedup", "CPU processes do (speedup > 1.5)", SPEEDUP_OF_B,
		  SPEEDUP("fork", "cpu", ncpu), SPEEDUP("cpython-fork", "cpu", ncpu), ABOVE, 1.5,
		  "x", "the machine's other load, or a Process's start cost against short tasks" },
		{ "tasks_io_coroutines_speedup",
		  "IO tasks, 5 coroutines on one event loop: speedup (≈ 5, one task's time)",
		  SPEEDUP_OF_B, SPEEDUP("coroutines", "io", 5),
		  SPEEDUP("cpython-coroutines", "io", 5), CLOSE, 0, "x",
		  "asyncio.run creates and closes a loop, and each await runs bytecode" },
		{ "tasks_cpu_coroutines_speedup",
		  "CPU tasks on one event loop do not speed up (speedup < 1.25)", SPEEDUP_OF_B,
		  SPEEDUP("coroutines", "cpu", ncpu), SPEEDUP("cpython-coroutines", "cpu", ncpu),
		  BELOW, 1.25, "x", "one side scaled: a task that never awaits holds the loop" },
	};

	for (size_t i = 0; i < sizeof(claims) / sizeof(*claims); i++)
		fidelity_judge(rep, &claims[i], NULL, false);
}

static void judge_gil(struct pb_report *rep)
{
	const struct fidelity_claim claims[] = {
		/* 2 PUs: the interval and a hand-off (on one PU also the OS's
		 * tick to run the waiter: 8 or 12 ms, both sides; gil-cores) */
		{ "gil_slice_2pus",
		  "GIL time slice of 2 CPU threads on 2 PUs at a 5 ms interval (p50)",
		  ONE,
		  { KEY("gil-cores", "threads-gil", "cpu", NULL, 2, "pus", 2),
		    {},
		    "gil_slice_us_p50",
		    NULL },
		  { KEY("gil-cores", "cpython-threads", "cpu", NULL, 2, "pus", 2),
		    {},
		    "gil_slice_us_p50",
		    NULL },
		  CLOSE,
		  0,
		  "us",
		  "CPython's slice ends at the first eval-breaker check after the interval" },
		{ "convoy_round_trip_k1",
		  "convoy: echo round trip next to 1 CPU thread (p50)",
		  ONE,
		  { CONVOY("threads-gil", "io", 1), {}, "latency_us_p50", NULL },
		  { CONVOY("cpython-threads", "io", 1), {}, "latency_us_p50", NULL },
		  CLOSE,
		  0,
		  "us",
		  "CPython's echo (gil.py) busy-waits and keeps a PU where the C echo sleeps: "
		  "the CPU thread woken at the IO thread's drop may wait behind it for a PU and "
		  "not have taken the GIL when the answer comes (docs/gil.md)" },
		{ "convoy_gil_wait_k1",
		  "convoy: GIL wait added to a blocking call by 1 CPU thread (p50, k=1 − k=0); "
		  "C: the echo, CPython: time.sleep(0.001)",
		  SUB,
		  { CONVOY("threads-gil", "io", 1), CONVOY("threads-gil", "io", 0),
		    "latency_us_p50", "latency_us_p50" },
		  { CONVOY("cpython-threads", "sleep", 1), CONVOY("cpython-threads", "sleep", 0),
		    "latency_us_p50", "latency_us_p50" },
		  CLOSE,
		  0,
		  "us",
		  "the sleep always outlasts the CPU thread's wake-up, the 100 us echo not always" },
	};

	for (size_t i = 0; i < sizeof(claims) / sizeof(*claims); i++)
		fidelity_judge(rep, &claims[i], NULL, false);
}

#define LAT(m) KEY("ipc-latency", m, NULL, "pin:single", 2, NULL, 0)
#define TQ(m) KEY("tqueue-prodcons", m, NULL, "p:1/c:1", 0, NULL, 0)
#define DL(m) KEY("deadlock", m, NULL, NULL, 0, NULL, 0)
#define CHUNK(m, cs) KEY("chunksize", m, NULL, NULL, 0, "chunksize", cs)
#define CHUNK_DEF(m) KEY("chunksize", m, NULL, NULL, 0, NULL, 0)
#define ORDER(m) KEY("ordering", m, NULL, NULL, 16, NULL, 0)

/* What CPython pays that duplex-py and queue-py do not: the round trip
 * CPython measured minus the charged model's, each side (this run's data). */
static void ipc_why(struct pb_report *rep, char *why, size_t len)
{
	struct pb_case_key k[4] = { LAT("cpython-pipe"), LAT("duplex-py"), LAT("cpython-queue"),
				    LAT("queue-py") };
	double v[4];

	for (int i = 0; i < 4; i++)
		v[i] = pb_report_median(rep, pb_report_find(rep, &k[i]), "latency_ns_p50");
	snprintf(why, len,
		 "left uncharged per round trip: Pipe() %.0f ns (CPython %.0f − duplex-py %.0f), "
		 "Queue() %.0f ns (CPython %.0f − queue-py %.0f): the interpreter outside the "
		 "calls (the programs' loops, the GIL around each blocking read, two interpreters "
		 "sharing one PU's caches) where positive, a calibrated call dearer than in the "
		 "ping-pong where negative",
		 v[0] - v[1], v[0], v[1], v[2] - v[3], v[2], v[3]);
}

/* The charges duplex-py and queue-py made, as CPython measured them. */
static void note_charges(struct pb_report *rep)
{
	static const char *const names[] = { "send_bytes", "recv_bytes", "put", "feeder", "get" };
	static const char *const metrics[] = { "call_send_ns", "call_recv_ns", "call_send_ns",
					       "call_feed_ns", "call_recv_ns" };
	struct pb_case_key kp = LAT("duplex-py"), kq = LAT("queue-py");
	const struct pb_case *p = pb_report_find(rep, &kp), *q = pb_report_find(rep, &kq);
	struct pb_finding *f;

	if (!p || !q || isnan(pb_report_median(rep, q, "call_feed_ns")))
		return;
	f = pb_report_finding(rep, "fidelity.charges",
			      "the C models duplex-py and queue-py charged CPython's cost per "
			      "call, measured by CPython in each repetition (ipc.py "
			      "model=calibrate, medians): Connection's send_bytes and recv_bytes, "
			      "Queue's put, the feeder per message and get");
	for (int i = 0; i < 5; i++)
		pb_finding_value(f, names[i], pb_report_median(rep, i < 2 ? p : q, metrics[i]),
				 "ns");
}

/* CPython's Pipe() is duplex (a socketpair, ipc.py's cpython-pipe): its C
 * twin is duplex, not pipe (Pipe(duplex=False), an os.pipe). The judged
 * rows set CPython against the models that charge its cost per call. */
static void judge_ipc(struct pb_report *rep)
{
	char why[400];
	struct fidelity_claim ratio = {
		"queue_vs_pipe_rtt",
		"Queue RTT / Pipe RTT, 64 B, one PU (p50); C: the models charging CPython's cost "
		"per call",
		DIV,
		{ LAT("queue-py"), LAT("duplex-py"), "latency_ns_p50", "latency_ns_p50" },
		{ LAT("cpython-queue"), LAT("cpython-pipe"), "latency_ns_p50", "latency_ns_p50" },
		CLOSE,
		0,
		"x",
		why
	};
	struct fidelity_claim added = ratio, os_only = ratio;

	ipc_why(rep, why, sizeof(why));
	added.id = "queue_minus_pipe_rtt";
	os_only.id = "queue_vs_pipe_rtt_os";
	fidelity_judge(rep, &ratio, NULL, false);
	added.text = "Queue RTT − Pipe RTT, 64 B, one PU (p50): what the Queue adds; C: the "
		     "models charging CPython's cost per call";
	added.op = SUB;
	added.unit = "ns";
	fidelity_judge(rep, &added, "added", false);
	os_only.text = "Queue RTT / Pipe() RTT, 64 B, one PU (p50); C: the system calls only "
		       "(queue / duplex, nothing charged)";
	os_only.c = (struct fidelity_side){ LAT("queue"), LAT("duplex"), "latency_ns_p50",
					    "latency_ns_p50" };
	os_only.why = "the C models without the interpreter's cost: what the kernel and the "
		      "threads alone make of the ratio";
	fidelity_judge(rep, &os_only, "os", true);
	note_charges(rep);
}

/* counter-contention's lost_pct at W = 2 */
#define LOST(m, wl, x)                                                                \
	{                                                                             \
		KEY("counter-contention", m, wl, x, 2, NULL, 0), {}, "lost_pct", NULL \
	}

/* The queues of the tutorials beyond Pipe and Queue, and the shared counter. */
static void judge_queues(struct pb_report *rep)
{
	const struct fidelity_claim claims[] = {
		{ "manager_queue_vs_queue_rtt",
		  "Manager().Queue() RTT / Queue RTT, 64 B, one PU (p50)",
		  DIV,
		  { LAT("manager-queue"), LAT("queue"), "latency_ns_p50", "latency_ns_p50" },
		  { LAT("cpython-manager-queue"), LAT("cpython-queue"), "latency_ns_p50",
		    "latency_ns_p50" },
		  CLOSE,
		  0,
		  "x",
		  "CPython's proxy pickles (id, method, args) for every call and its server "
		  "thread interprets the dispatch; the C request is a 16-byte header" },
		{ "thread_queue_vs_process_queue",
		  "queue.Queue between threads / multiprocessing.Queue between processes, "
		  "1 producer 1 consumer, items/s (> 1: crossing processes costs)",
		  DIV,
		  { TQ("threads-gil"), TQ("mp-queue"), "msgs_per_s", "msgs_per_s" },
		  { TQ("cpython-threads"), TQ("cpython-mp-queue"), "msgs_per_s", "msgs_per_s" },
		  ABOVE,
		  1,
		  "x",
		  "one side's thread queue is not faster than its process queue" },
		{ "counter_lost_value_unlocked",
		  "tight unlocked counter, 2 processes: lost updates; C: value-unlocked, the "
		  "getter and the setter each under the Value's lock, CPython's window between",
		  ONE, LOST("counter-procs", "value-unlocked", "window:cpython"),
		  LOST("cpython-value", "unlocked", ""), CLOSE, 0, "%",
		  "the model's times are CPython's alone (counter.py workload=calibrate); losses "
		  "hinge on a preemption in the window (one PU) or the loops' phase: see pus_used" },
	};

	struct fidelity_claim plain = claims[2]; /* the plain C counter: printed, not judged */
	for (size_t i = 0; i < sizeof(claims) / sizeof(*claims); i++)
		fidelity_judge(rep, &claims[i], NULL, false);
	plain.id = "counter_lost_plain";
	plain.text = "tight unlocked counter, 2 processes: lost updates; C: unlocked, a plain "
		     "load and store, no lock";
	plain.c = (struct fidelity_side)LOST("counter-procs", "unlocked", "");
	plain.why = "CPython's load and store each take Value's lock, bytecode between";
	fidelity_judge(rep, &plain, "plain", true);
}

static void judge_pool(struct pb_report *rep)
{
	const struct fidelity_claim claims[] = {
		{ "pool_chunksize1_vs_default",
		  "pool per-task cost, chunksize 1 / map's default",
		  DIV,
		  { CHUNK("pool", 1), CHUNK_DEF("pool-default"), "per_task_us", "per_task_us" },
		  { CHUNK("cpython-pool", 1), CHUNK_DEF("cpython-pool-default"), "per_task_us",
		    "per_task_us" },
		  CLOSE,
		  0,
		  "x",
		  "both stream every chunk through one shared queue with a task-handler thread; "
		  "CPython also pickles each chunk and interprets the worker loop" },
		{ "imap_unordered_first_result",
		  "imap_unordered: first result / shortest task (16 workers)",
		  DIV,
		  { ORDER("imap_unordered"), ORDER("imap_unordered"), "first_result_s",
		    "shortest_task_s" },
		  { ORDER("cpython-imap_unordered"), ORDER("cpython-imap_unordered"),
		    "first_result_s", "shortest_task_s" },
		  CLOSE,
		  0,
		  "x",
		  "both hand results through a result-handler thread; CPython's handlers and "
		  "its queue's pickling run under the GIL" },
		{ "pool_round_trip",
		  "pool round trip, apply_async + get, 1 worker",
		  ONE,
		  { KEY("pool-overhead", "pool", NULL, "n:1000", 1, NULL, 0),
		    {},
		    "per_task_us",
		    NULL },
		  { KEY("pool-overhead", "cpython-pool", NULL, "n:1000", 1, NULL, 0),
		    {},
		    "per_task_us",
		    NULL },
		  CLOSE,
		  0,
		  "us",
		  "CPython pickles the task and the result, runs the handler threads under the "
		  "GIL and interprets the worker loop (see the costs note)" },
	};

	for (size_t i = 0; i < sizeof(claims) / sizeof(*claims); i++)
		fidelity_judge(rep, &claims[i], NULL, false);
}

/* The manager's proxies and a task's exception (pool-manager-queue,
 * pool-error): the default profile's twins. */
static void judge_pool_failures(struct pb_report *rep)
{
	const struct fidelity_claim claims[] = {
		{ "pool_manager_queue_per_task",
		  "Pool tasks putting results in a Manager().Queue() handed as their argument, per "
		  "task (three authenticated connections each: incref, _tls, decref)",
		  ONE,
		  { KEY("pool-manager-queue", "manager-queue", NULL, NULL, 0, NULL, 0),
		    {},
		    "per_task_us",
		    NULL },
		  { KEY("pool-manager-queue", "cpython-manager-queue", NULL, NULL, 0, NULL, 0),
		    {},
		    "per_task_us",
		    NULL },
		  CLOSE,
		  0,
		  "us",
		  "CPython pickles the proxy and every request, runs HMAC and the server's "
		  "threads in bytecode; the model's digest is a keyed FNV, not HMAC" },
		{ "pool_task_error_survives",
		  "an exception in one task of a 100-task map: map() raises, and the same pool "
		  "returns every result of the next map",
		  ONE,
		  { KEY("pool-error", "pool", NULL, NULL, 0, NULL, 0),
		    {},
		    "results_after_count",
		    NULL },
		  { KEY("pool-error", "cpython-pool", NULL, NULL, 0, NULL, 0),
		    {},
		    "results_after_count",
		    NULL },
		  ABOVE,
		  99.5,
		  "count",
		  "one side's pool did not survive a task's exception" },
	};

	for (size_t i = 0; i < sizeof(claims) / sizeof(*claims); i++)
		fidelity_judge(rep, &claims[i], NULL, false);
}

static void judge_locks(struct pb_report *rep)
{
	const struct fidelity_claim claims[] = {
		{ "deadlock_abba_detect",
		  "AB/BA deadlock: detected after the wait's timeout (detect_ms)",
		  ONE,
		  { DL("abba"), {}, "detect_ms", NULL },
		  { DL("cpython-abba"), {}, "detect_ms", NULL },
		  CLOSE,
		  0,
		  "ms",
		  "the timed wait ends late on a loaded machine on one side" },
		{ "lock_reentry_deadlock",
		  "Lock re-entry by its owner: a self-deadlock, ended by the timeout (deadlocked)",
		  ONE,
		  { DL("lock-reentry"), {}, "deadlocked", NULL },
		  { DL("cpython-lock-reentry"), {}, "deadlocked", NULL },
		  ABOVE,
		  0.5,
		  "count",
		  "one side's Lock let its owner in again" },
		{ "rlock_reentry_cost",
		  "RLock re-entry: acquire + release of an inner level",
		  ONE,
		  { DL("rlock-reentry"), {}, "per_round_ns", NULL },
		  { DL("cpython-rlock-reentry"), {}, "per_round_ns", NULL },
		  CLOSE,
		  0,
		  "ns",
		  "CPython pays two method calls and a loop iteration of bytecode around the "
		  "same owner-and-count check" },
	};

	for (size_t i = 0; i < sizeof(claims) / sizeof(*claims); i++)
		fidelity_judge(rep, &claims[i], NULL, false);
}

/* CPython's own costs the C model does not pay, measured in this run. */
static void note_costs(struct pb_report *rep)
{
	struct pb_case_key k = LAT("cpython-pipe-obj");
	const struct pb_case *c = pb_report_find(rep, &k);
	struct stats_summary pk, call, start;
	struct pb_finding *f;

	if (!c || !pb_report_stat(rep, c->name, "pickle_ns", &pk))
		return;
	f = pb_report_finding(rep, "fidelity.cpython_costs",
			      "CPython's own costs (not in the C models), this run: pickle.dumps + "
			      "loads of 64 B, an empty function call, the interpreter's start to "
			      "the measured work");
	pb_finding_figure(f, "pickle", pk, "ns");
	if (pb_report_stat(rep, c->name, "empty_call_ns", &call))
		pb_finding_figure(f, "empty call", call, "ns");
	if (pb_report_stat(rep, c->name, "py_startup_s", &start))
		pb_finding_figure(f, "start-up", start, "s");
}

/* Which interpreter: path, implementation, version, start method. */
static void note_interpreter(struct pb_report *rep)
{
	char py[4096], cmd[4400], line[256] = "";
	FILE *f;

	if (!cpython_interpreter(pb_report_cfg(rep), py, sizeof(py))) {
		pb_report_note(rep,
			       "cpython: skipped: no interpreter (%s not found); "
			       "give one with --python PATH",
			       pb_report_cfg(rep)->python ? pb_report_cfg(rep)->python : "python3");
		return;
	}
	if (snprintf(cmd, sizeof(cmd),
		     "'%s' -c 'import sys,platform,multiprocessing as m;"
		     "print(platform.python_implementation(),platform.python_version(),"
		     "m.get_start_method())' 2>/dev/null",
		     py) >= (int)sizeof(cmd))
		return;
	f = popen(cmd, "r");
	if (f && fgets(line, sizeof(line), f))
		line[strcspn(line, "\n")] = '\0';
	if (f)
		pclose(f);
	pb_report_note(rep, "cpython: interpreter %s (%s; implementation, version, start method)",
		       py, line);
}

void cpython_fidelity(struct pb_report *rep)
{
	int pus = pb_report_cfg(rep)->pus;
	size_t i, n = pb_report_ncases(rep);

	for (i = 0; i < n; i++)
		if (strncmp(pb_report_case(rep, i)->model, "cpython-", 8) == 0)
			break;
	if (i == n)
		return; /* no CPython case in this run: no table */
	note_interpreter(rep);
	judge_tasks(rep, pus > 2 ? pus : 2);
	judge_gil(rep);
	judge_ipc(rep);
	cpython_fidelity_gil(rep);
	judge_queues(rep);
	judge_pool(rep);
	judge_pool_failures(rep);
	judge_locks(rep);
	note_costs(rep);
}
