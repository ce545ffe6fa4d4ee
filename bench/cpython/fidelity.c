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
#include "gil.h"
#include "twins.h"

#define TASK(m, wl, w) KEY("tasks", m, wl, NULL, w, NULL, 0)
/* Against each side's serial model (base): the quick profile runs the
 * other models with every task at once only (bench/tasks/tasks.c). The cpu
 * rows' workers (0 here) are the machine's, set by judge_tasks. */
#define SPEEDUP(base, m, wl, n)                                       \
	{                                                             \
		TASK(base, wl, 1), TASK(m, wl, n), "wall_s", "wall_s" \
	}
/* the voluntary context switches of a case per second of its wall time */
#define SWITCHES(m)                                                               \
	{                                                                         \
		TASK(m, "cpu", 0), TASK(m, "cpu", 0), "ctxsw_voluntary", "wall_s" \
	}
#define CONVOY(m, wl, k) KEY("gil-convoy", m, wl, NULL, 0, "cpu_threads", k)

static const struct fidelity_claim task_claims[] = {
	{ "tasks_io_process_speedup",
	  "IO tasks, a Process each: speedup with 5 workers (≈ 5, one task's time)", SPEEDUP_OF_B,
	  SPEEDUP("serial", "fork", "io", 5), SPEEDUP("cpython-serial", "cpython-fork", "io", 5),
	  CLOSE, 0, "x",
	  "CPython starts each Process with fork + its bootstrap and pickles the result; the C "
	  "model's fork runs no interpreter",
	  BY_DESIGN },
	{ "tasks_io_thread_speedup", "IO tasks, a thread each: speedup with 5 workers (≈ 5)",
	  SPEEDUP_OF_B, SPEEDUP("serial", "threads-gil", "io", 5),
	  SPEEDUP("cpython-serial", "cpython-threads", "io", 5), CLOSE, 0, "x",
	  "CPython's Thread bootstrap runs under the GIL, between the waits on _started", JUDGED },
	{ "tasks_cpu_threads_gil_speedup",
	  "CPU threads under the GIL do not speed up (speedup < 1.25)", SPEEDUP_OF_B,
	  SPEEDUP("serial", "threads-gil", "cpu", 0),
	  SPEEDUP("cpython-serial", "cpython-threads", "cpu", 0), BELOW, 1.25, "x",
	  "the GIL is not what serialises one side, or one side pays more for its hand-offs",
	  JUDGED },
	/* two hand-offs an interval (the waiter's wake-up, the forced
	 * releaser's wait on switch_cond): a GIL that never switches, one
	 * that switches at every check or none at all are far from it */
	{ "tasks_cpu_threads_gil_switches",
	  "CPU threads under the GIL: voluntary context switches per second (the GIL's "
	  "hand-offs, two a switch interval)",
	  DIV, SWITCHES("threads-gil"), SWITCHES("cpython-threads"), CLOSE, 0, "1/s",
	  "one side's GIL hands off at another pace than every switch interval",
	  TOL_ROW(0.35, "switches") },
	{ "tasks_cpu_process_speedup", "CPU processes do (speedup > 1.5)", SPEEDUP_OF_B,
	  SPEEDUP("serial", "fork", "cpu", 0), SPEEDUP("cpython-serial", "cpython-fork", "cpu", 0),
	  ABOVE, 1.5, "x",
	  "a CPython Process starts an interpreter's worth of bootstrap against short tasks; the "
	  "C model's fork runs none",
	  BY_DESIGN },
	{ "tasks_io_coroutines_speedup",
	  "IO tasks, 5 coroutines on one event loop: speedup (≈ 5, one task's time)", SPEEDUP_OF_B,
	  SPEEDUP("serial", "coroutines", "io", 5),
	  SPEEDUP("cpython-serial", "cpython-coroutines", "io", 5), CLOSE, 0, "x",
	  "asyncio.run creates and closes a loop, and each await runs bytecode", JUDGED },
	{ "tasks_cpu_coroutines_speedup",
	  "CPU tasks on one event loop do not speed up (speedup < 1.25)", SPEEDUP_OF_B,
	  SPEEDUP("serial", "coroutines", "cpu", 0),
	  SPEEDUP("cpython-serial", "cpython-coroutines", "cpu", 0), BELOW, 1.25, "x",
	  "a task that never awaits holds the loop on one side only", JUDGED },
};

/* The claims on this machine; ncpu is the cpu tasks' count (= workers). */
static void judge_tasks(struct pb_report *rep, int ncpu, struct fidelity_tally *t)
{
	for (size_t i = 0; i < sizeof(task_claims) / sizeof(*task_claims); i++) {
		struct fidelity_claim cl = task_claims[i];

		if (strcmp(cl.c.b.workload, "cpu") == 0) {
			cl.c.b.workers = cl.py.b.workers = ncpu;
			if (cl.op == DIV) /* the switches: one case, two metrics */
				cl.c.a.workers = cl.py.a.workers = ncpu;
		}
		fidelity_judge(rep, &cl, NULL, false, t);
	}
}

static const struct fidelity_claim gil_claims[] = {
	/* 2 PUs: the interval and a hand-off (on one PU also the OS's
	 * tick to run the waiter: 8 or 12 ms, both sides; gil-cores) */
	{ "gil_slice_2pus",
	  "GIL time slice of 2 CPU threads on 2 PUs at a 5 ms interval (p50; each side: a run "
	  "until the other thread has run, as gil.py counts it)",
	  ONE,
	  { KEY("gil-cores", "threads-gil", "cpu", NULL, 2, "pus", 2),
	    {},
	    "turn_slice_us_p50",
	    NULL },
	  { KEY("gil-cores", "cpython-threads", "cpu", NULL, 2, "pus", 2),
	    {},
	    "gil_slice_us_p50",
	    NULL },
	  CLOSE,
	  0,
	  "us",
	  "CPython's slice ends at the first eval-breaker check after the interval",
	  JUDGED },
};

/* The convoy's case of model next to k CPU threads, the echo answering
 * after echo_us, placed by pin (PIN_NONE: the run's placement; the placed
 * cases are single and scatter): the planned
 * case's own extra (its n differs by profile), or one that matches nothing
 * (the row says "not in this run's plan"). */
static struct pb_case_key convoy_key(struct pb_report *rep, const char *model, int k, int echo_us,
				     enum pin_policy pin)
{
	struct pb_case_key key = CONVOY(model, "io", k);

	for (const struct pb_case *c = NULL; (c = pb_report_next(rep, &key, c));)
		if (pb_case_get(c, "echo_us") == echo_us && c->pin_fixed == (pin != PIN_NONE) &&
		    (!c->pin_fixed || c->pin == pin)) {
			key.extra = c->extra;
			return key;
		}
	key.extra = "(not planned)";
	return key;
}

/* The placement the convoy's 2-PU rows fix: scatter, or single on a
 * machine of one PU (its only placement). */
static enum pin_policy convoy_two_pus(struct pb_report *rep)
{
	return pb_report_cfg(rep)->pus > 1 ? PIN_SCATTER : PIN_SINGLE;
}

/* The convoy's reason, from the run: how many switch intervals each side's
 * round trip spends waiting for the GIL, and where the model lost it
 * (docs/gil.md: the convoy; medians over the repetitions). */
static void convoy_why(const struct fidelity_claim *cl, struct pb_report *rep, char *why,
		       size_t len)
{
	const struct pb_case *cc = pb_report_find(rep, &cl->c.a);
	double c = pb_report_median(rep, cc, cl->c.ma);
	double py = pb_report_median(rep, pb_report_find(rep, &cl->py.a), cl->py.ma);

	if (c < GIL_DEFAULT_INTERVAL_US / 2 && py < GIL_DEFAULT_INTERVAL_US / 2) {
		snprintf(why, len,
			 "neither side's median round trip waited for the GIL (both below half a "
			 "switch interval, %d us): what differs is the round trip itself, around "
			 "whose two calls CPython runs its interpreter",
			 GIL_DEFAULT_INTERVAL_US);
		return;
	}
	snprintf(why, len,
		 "a round trip waits for the GIL a whole number of switch intervals (%d us): "
		 "CPython %.2f of them, the C model %.2f (it lost the GIL at the send in %.0f "
		 "of %.0f round trips, at the recv in %.0f), so the two lose the GIL to the CPU "
		 "thread a different number of times per round trip on this placement",
		 GIL_DEFAULT_INTERVAL_US, py / GIL_DEFAULT_INTERVAL_US, c / GIL_DEFAULT_INTERVAL_US,
		 pb_report_median(rep, cc, "io_gil_lost_at_send"),
		 pb_report_median(rep, cc, "round_trips"),
		 pb_report_median(rep, cc, "io_gil_lost_at_recv"));
}

/* Why the run's own placement is not judged when the scheduler chose it
 * (--pin none): the intervals each side's repetitions waited, from the
 * run. False when the run fixed a placement (the row is judged). */
static bool convoy_unplaced(const struct fidelity_claim *cl, struct pb_report *rep, char *why,
			    size_t len)
{
	const struct pb_case *cc = pb_report_find(rep, &cl->c.a),
			     *pc = pb_report_find(rep, &cl->py.a);
	struct stats_summary c = { 0 }, py = { 0 };
	double iv = GIL_DEFAULT_INTERVAL_US;

	if (pb_report_cfg(rep)->pin != PIN_NONE || !cc || !pc ||
	    !pb_report_stat(rep, cc->name, "latency_us_p50", &c) ||
	    !pb_report_stat(rep, pc->name, "latency_us_p50", &py))
		return false;
	snprintf(why, len,
		 "placed by the scheduler: one interval on a shared PU, two apart (judged "
		 "below); p50 by repetition %.2f to %.2f intervals in C, %.2f to %.2f in CPython",
		 c.min / iv, c.max / iv, py.min / iv, py.max / iv);
	return true;
}

/* The echo round trip next to one CPU thread, C against CPython, each
 * echo delay on both sides (a sleep is another program: no row), placed
 * by pin (PIN_NONE: the run's placement, judged only when the run fixed
 * it).
 * The placed rows compare the mean: on two PUs a round trip pays one
 * interval or two, and where about half pay two a repetition's p50 jumps
 * between them on a round trip or two (docs/gil.md). */
static void judge_convoy(struct pb_report *rep, int echo_us, enum pin_policy pin,
			 struct fidelity_tally *t)
{
	const char *metric = pin == PIN_NONE ? "latency_us_p50" : "latency_us_mean";
	char id[64], text[192], why[512], placed[48];
	struct fidelity_claim cl = {
		.id = id,
		.text = text,
		.op = ONE,
		.c = { convoy_key(rep, "threads-gil", 1, echo_us, pin), {}, metric, NULL },
		.py = { convoy_key(rep, "cpython-threads", 1, echo_us, pin), {}, metric, NULL },
		.kind = CLOSE,
		.unit = "us",
		.why = why,
	};
	const char *where = pin == PIN_NONE ? "" : pin == PIN_SINGLE ? "_1pu" : "_2pus";
	bool info = false;

	snprintf(placed, sizeof(placed), "placed as the run's pin %s places them",
		 pin_policy_name(pb_report_cfg(rep)->pin));
	/* the 100 us echo's id is the one runs have always had */
	snprintf(id, sizeof(id), "convoy_round_trip_k1%s%s", echo_us == GIL_ECHO_US ? "" : "_echo0",
		 where);
	snprintf(text, sizeof(text),
		 "convoy: echo round trip next to 1 CPU thread, the echo answering after %d us, "
		 "%s (%s)",
		 echo_us,
		 pin == PIN_NONE   ? placed :
		 pin == PIN_SINGLE ? "both threads on one PU" :
				     "each thread on its own PU",
		 pin == PIN_NONE ? "p50" : "mean");
	if (pin == PIN_NONE)
		info = convoy_unplaced(&cl, rep, why, sizeof(why));
	if (!info)
		convoy_why(&cl, rep, why, sizeof(why));
	fidelity_judge(rep, &cl, NULL, info, t);
}

static const char why_convoy_wait[] =
	"the two lose the GIL to the CPU thread a different number of times per round trip "
	"(convoy_round_trip_k1_2pus gives the intervals)";

/* What the CPU thread adds to the round trip on two PUs (the convoy's
 * full lesson): k=1 each thread on its own PU − k=0, the echo after
 * 100 us on both sides (only that echo has a k=0 case). */
static void judge_convoy_wait(struct pb_report *rep, struct fidelity_tally *t)
{
	enum pin_policy two = convoy_two_pus(rep);
	bool one_pu = two == PIN_SINGLE;
	const struct fidelity_claim cl = {
		"convoy_gil_wait_k1",
		one_pu ?
			"convoy: GIL wait added to the echo round trip (100 us) by 1 CPU thread on "
			"the IO thread's PU, the machine's only one (mean, k=1 − k=0)" :
			"convoy: GIL wait added to the echo round trip (100 us) by 1 CPU thread on "
			"its own PU (mean, k=1 − k=0)",
		SUB,
		{ convoy_key(rep, "threads-gil", 1, GIL_ECHO_US, two),
		  convoy_key(rep, "threads-gil", 0, GIL_ECHO_US, PIN_NONE), "latency_us_mean",
		  "latency_us_mean" },
		{ convoy_key(rep, "cpython-threads", 1, GIL_ECHO_US, two),
		  convoy_key(rep, "cpython-threads", 0, GIL_ECHO_US, PIN_NONE), "latency_us_mean",
		  "latency_us_mean" },
		CLOSE,
		0,
		"us",
		why_convoy_wait,
		TOL_ROW(0, "gil_wait") /* its CPython case is a convoy_round_trip_k1 row's too */
	};

	fidelity_judge(rep, &cl, NULL, false, t);
}

static void judge_gil(struct pb_report *rep, struct fidelity_tally *t)
{
	fidelity_judge(rep, &gil_claims[0], NULL, false, t);
	for (int e = 0; e < 2; e++) {
		int echo_us = e ? 0 : GIL_ECHO_US;

		judge_convoy(rep, echo_us, PIN_NONE, t);
		judge_convoy(rep, echo_us, PIN_SINGLE, t);
		if (pb_report_cfg(rep)->pus > 1)
			judge_convoy(rep, echo_us, PIN_SCATTER, t);
	}
	judge_convoy_wait(rep, t);
}

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
static void judge_ipc(struct pb_report *rep, struct fidelity_tally *t)
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
		why,
		JUDGED
	};
	struct fidelity_claim added = ratio, os_only = ratio;

	ipc_why(rep, why, sizeof(why));
	added.id = "queue_minus_pipe_rtt";
	os_only.id = "queue_vs_pipe_rtt_os";
	fidelity_judge(rep, &ratio, NULL, false, t);
	added.text = "Queue RTT − Pipe RTT, 64 B, one PU (p50): what the Queue adds; C: the "
		     "models charging CPython's cost per call";
	added.op = SUB;
	added.unit = "ns";
	fidelity_judge(rep, &added, "added", false, t);
	os_only.text = "Queue RTT / Pipe() RTT, 64 B, one PU (p50); C: the system calls only "
		       "(queue / duplex, nothing charged)";
	os_only.c = (struct fidelity_side){ LAT("queue"), LAT("duplex"), "latency_ns_p50",
					    "latency_ns_p50" };
	os_only.why = "the C models without the interpreter's cost: what the kernel and the "
		      "threads alone make of the ratio";
	fidelity_judge(rep, &os_only, "os", true, t);
	note_charges(rep);
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

/* The table's verdicts, counted: what a reader checks first. */
static void note_tally(struct pb_report *rep, const struct fidelity_tally *t)
{
	struct pb_finding *f = pb_report_finding(
		rep, "fidelity.verdicts",
		"the fidelity table's verdicts: judged rows that agree, differ, fail on both sides "
		"or lack a side, and rows shown but not counted (differs by design, not judged)");

	pb_finding_value(f, "agrees", t->agrees, "count");
	pb_finding_value(f, "differs", t->differs, "count");
	pb_finding_value(f, "both fail", t->both_fail, "count");
	pb_finding_value(f, "no data", t->no_data, "count");
	pb_finding_value(f, "differs by design", t->by_design, "count");
	pb_finding_value(f, "not judged", t->not_judged, "count");
}

void cpython_fidelity(struct pb_report *rep)
{
	int pus = pb_report_cfg(rep)->pus;
	size_t i, n = pb_report_ncases(rep);
	struct fidelity_tally t = { 0 };

	for (i = 0; i < n; i++)
		if (strncmp(pb_report_case(rep, i)->model, "cpython-", 8) == 0)
			break;
	if (i == n)
		return; /* no CPython case in this run: no table */
	note_interpreter(rep);
	judge_tasks(rep, pus > 2 ? pus : 2, &t);
	judge_gil(rep, &t);
	judge_ipc(rep, &t);
	cpython_fidelity_gil(rep, &t);
	fidelity_judge_sync(rep, &t);
	note_costs(rep);
	note_tally(rep, &t);
}

void fidelity_each_reason(void (*fn)(const char *id, const char *why, void *arg), void *arg)
{
	for (size_t i = 0; i < sizeof(task_claims) / sizeof(*task_claims); i++)
		fn(task_claims[i].id, task_claims[i].why, arg);
	for (size_t i = 0; i < sizeof(gil_claims) / sizeof(*gil_claims); i++)
		fn(gil_claims[i].id, gil_claims[i].why, arg);
	fn("convoy_gil_wait_k1", why_convoy_wait, arg);
	fidelity_sync_reasons(fn, arg);
	fidelity_gil_reasons(fn, arg);
}
