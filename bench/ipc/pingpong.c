/* SPDX-License-Identifier: MIT */
/*
 * ipc-pingpong — seed 002 replayed: Ping and Pong pass a counter to 50
 * through a Queue, each value printed once; the seed's first try, a global
 * counter, prints every value twice, because fork gives each process its
 * own copy. Checked, not timed for speed. The seed sleeps 10 ms after each
 * put, and that is what makes the two take turns: the sweep of that sleep
 * (10, 1, 0 ms) records who took each value — how many a process took back
 * from the queue after putting them itself, and the longest run of takes
 * by one side.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "clock.h"
#include "ipc_common.h"

#define PINGPONG_TO 50

/* What was "printed": who printed which counter value, in order. */
struct pp_log {
	int n;
	int who[2 * PINGPONG_TO + 8];
	int value[2 * PINGPONG_TO + 8];
};

struct pp_job {
	struct channel *q;
	struct ipc_shared *sh;
	struct pp_log *log;
	int id; /* 0: Ping, 1: Pong */
	double sleep_ms;
};

static void print_value(struct pp_log *log, int id, int value)
{
	int at = __atomic_fetch_add(&log->n, 1, __ATOMIC_RELAXED);

	if (at < 2 * PINGPONG_TO + 8) {
		log->who[at] = id;
		log->value[at] = value;
	}
}

/* The seed's sub_task with Queue: take the counter, print, put it back
 * incremented, sleep, take it again; stop at 50. */
static int pp_queue_task(void *arg)
{
	struct pp_job *j = arg;
	int32_t counter;

	if (channel_recv(j->q, &counter, sizeof(counter), IPC_T_MS) != sizeof(counter))
		return ipc_worker_fail(j->sh, "%s: get timed out", j->id ? "Pong" : "Ping");
	while (counter < PINGPONG_TO) {
		print_value(j->log, j->id, counter);
		counter++;
		if (channel_send(j->q, &counter, sizeof(counter), IPC_T_MS) < 0)
			return ipc_worker_fail(j->sh, "put failed");
		clock_sleep_ns((uint64_t)(j->sleep_ms * 1e6));
		if (channel_recv(j->q, &counter, sizeof(counter), IPC_T_MS) != sizeof(counter))
			return ipc_worker_fail(j->sh, "%s: get timed out", j->id ? "Pong" : "Ping");
	}
	channel_close(j->q);
	return 0;
}

/* The seed's first try: a global counter. fork copies it, so each process
 * counts its own copy to 50 and 100 lines are printed, not 50. */
static int pp_global_counter;

static int pp_global_task(void *arg)
{
	struct pp_job *j = arg;

	while (pp_global_counter < PINGPONG_TO) {
		print_value(j->log, j->id, pp_global_counter);
		pp_global_counter++;
		clock_sleep_ns((uint64_t)(j->sleep_ms * 1e6));
	}
	return 0;
}

/* Who took each value: value v was put by whoever took v - 1 (0 by
 * main), so a take by that same process is one the other side missed;
 * streak: the longest run of consecutive values taken by one side. */
static void pp_turns(struct pb_ctx *ctx, const struct pp_log *log)
{
	int who[PINGPONG_TO] = { 0 }, own = 0, streak = 1, run = 1;

	for (int i = 0; i < log->n; i++)
		who[log->value[i]] = log->who[i];
	for (int v = 1; v < PINGPONG_TO; v++) {
		run = who[v] == who[v - 1] ? run + 1 : 1;
		own += who[v] == who[v - 1];
		streak = run > streak ? run : streak;
	}
	pb_metric(ctx, "own_takes", own, "count");
	pb_metric(ctx, "max_streak", streak, "count");
}

/* Queue: each value 0..49 printed exactly once. Global: each twice. */
static int pp_check(struct pb_ctx *ctx, const struct pp_log *log, bool global)
{
	int times[PINGPONG_TO] = { 0 }, per = global ? 2 : 1, ping = 0;

	if (log->n != per * PINGPONG_TO)
		return pb_fail(ctx, "%d prints, expected %d", log->n, per * PINGPONG_TO);
	for (int i = 0; i < log->n; i++) {
		if (log->value[i] < 0 || log->value[i] >= PINGPONG_TO)
			return pb_fail(ctx, "printed counter value %d", log->value[i]);
		times[log->value[i]]++;
		ping += log->who[i] == 0;
	}
	for (int v = 0; v < PINGPONG_TO; v++)
		if (times[v] != per)
			return pb_fail(ctx, "counter value %d printed %d times", v, times[v]);
	pb_metric(ctx, "prints_count", log->n, "count");
	pb_metric(ctx, "ping_count", ping, "count");
	pb_metric(ctx, "pong_count", log->n - ping, "count");
	if (!global)
		pp_turns(ctx, log);
	return 0;
}

/* main(): put(0), start Ping and Pong, wait until one of them has ended
 * (the seed spins on is_alive; we block in waitpid), put(50) so that the
 * other one, waiting in get, ends too. */
static int pingpong_case(struct pb_ctx *ctx, const struct pb_case *c)
{
	bool global = pb_case_get(c, "global") != 0;
	struct pp_job j = { .sleep_ms = c->param_value };
	int32_t zero = 0, fifty = PINGPONG_TO;
	pid_t pids[2], first;
	int rc, st = 0;

	j.sh = ipc_shared_new();
	j.log = mmap(NULL, sizeof(*j.log), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1,
		     0);
	if (!j.sh || j.log == MAP_FAILED)
		return pb_fail(ctx, "mmap: %s", strerror(errno));
	if (!global && !(j.q = ipc_make(ctx, IPC_QUEUE, (struct channel_opts){ 0 })))
		return -1;
	pb_timer_start(ctx);
	if (j.q && (channel_send(j.q, &zero, sizeof(zero), IPC_T_MS) < 0 || channel_flush(j.q) < 0))
		return pb_fail(ctx, "put(0) failed");
	for (j.id = 0; j.id < 2; j.id++)
		pids[j.id] = ipc_spawn(ctx, j.id, global ? pp_global_task : pp_queue_task, &j);
	while ((first = waitpid(-1, &st, 0)) < 0 && errno == EINTR)
		;
	if (j.q && channel_send(j.q, &fifty, sizeof(fifty), IPC_T_MS) < 0)
		return pb_fail(ctx, "put(50) failed");
	for (int i = 0; i < 2; i++)
		if (pids[i] == first)
			pids[i] = -1; /* reaped already */
	rc = ipc_reap(ctx, pids, 2, j.sh);
	if (rc == 0 && (first < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0))
		rc = pb_fail(ctx, "%s", j.sh->failed ? j.sh->err : "the first task to end failed");
	pb_timer_stop(ctx);
	if (rc == 0)
		rc = pp_check(ctx, j.log, global);
	if (j.q)
		channel_close(j.q);
	munmap(j.log, sizeof(*j.log));
	ipc_shared_free(j.sh);
	return rc;
}

static const double sweep[] = { 10, 1, 0 };

static void pingpong_plan(struct pb_plan *plan, const struct pb_config *cfg)
{
	struct pb_case pp = { .experiment = "ipc-pingpong",
			      .workers = 2,
			      .param = "sleep_ms",
			      .param_value = PB_PICK(cfg, 1, 10, 10),
			      .run = pingpong_case,
			      .budget_s = 30 };

	pp.model = "queue";
	pb_case_set(&pp, "global", 0);
	pp.est_s = 0.05 + PINGPONG_TO * pp.param_value / 1e3; /* a sleep per value */
	pb_plan_add(plan, &pp);
	pp.model = "global";
	pb_case_set(&pp, "global", 1);
	pb_plan_add(plan, &pp);
	/* the sleep sweep: 10, 1 and 0 ms (quick: 1 and 0), the queue only */
	pp.model = "queue";
	pb_case_set(&pp, "global", 0);
	for (int i = 0; i < 3; i++) {
		pp.param_value = sweep[i];
		pp.est_s = 0.05 + PINGPONG_TO * sweep[i] / 1e3;
		if (sweep[i] != PB_PICK(cfg, 1, 10, 10) &&
		    (cfg->profile != PROFILE_QUICK || sweep[i] < 10))
			pb_plan_add(plan, &pp);
	}
}

/* Where the turns break as the sleep after each put shrinks: a finding per
 * swept sleep with the values a side took back (own takes) and the longest
 * streak; strict when no repetition took one back, broken when at least
 * half did (median own takes above 0). */
static void pingpong_summarize(struct pb_report *rep)
{
	for (int i = 0; i < 3; i++) {
		const struct pb_case_key key = { .experiment = "ipc-pingpong",
						 .model = "queue",
						 .param = "sleep_ms",
						 .param_value = sweep[i],
						 .workers = 2 };
		const struct pb_case *c = pb_report_find(rep, &key);
		struct stats_summary own, st;
		struct pb_finding *f;
		char id[48];

		if (!c || !pb_report_stat(rep, c->name, "own_takes", &own) ||
		    !pb_report_stat(rep, c->name, "max_streak", &st))
			continue;
		snprintf(id, sizeof(id), "turns_sleep_%gms", sweep[i]);
		f = pb_report_finding(rep, id,
				      "ipc-pingpong queue, a sleep of %g ms after each put: the values "
				      "(of %d) taken back by their putter, and the longest run by one "
				      "side",
				      sweep[i], PINGPONG_TO - 1);
		pb_finding_figure(f, "own takes", own, "");
		pb_finding_figure(f, "longest run", st, "");
		pb_finding_verdict(f,
				   own.max == 0	  ? "strict turns" :
				   own.median > 0 ? "the turns break" :
						    "strict in most repetitions",
				   NULL);
	}
}

/* ipc-pingpong's parameters (cases.csv's units and types) */
static const struct pb_param_decl ipc_pingpong_params[] = {
	{ "sleep_ms", PB_REAL, "ms", "how long a side sleeps before it answers" },
	{ "global", PB_INT, "", "1: the value lives in a global shared Value, not a queue" },
	{ 0 }, /* the end */
};

const struct pb_experiment ipc_pingpong_experiment = {
	.name = "ipc-pingpong",
	.summary = "seed 002: Ping and Pong count to 50 through a Queue (each value once) and "
		   "through a global (each value twice)",
	.teaches =
		"The seed's ping-pong through one Queue, and why a global counter is not shared between "
		"processes.",
	.headline = { "own_takes", "count", PB_LOWER_IS_BETTER },
	/* table only: its findings are small counts per sleep (values taken back by
	 * their putter, the longest run by one side: 0, 1, 3 of 49); a table states
	 * them exactly, bars of 0 and 1 would say less. */
	.figures = PB_TABLE_ONLY,
	.plan = pingpong_plan,
	.summarize = pingpong_summarize,
	.params = ipc_pingpong_params,
};
