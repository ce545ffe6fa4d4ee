/* SPDX-License-Identifier: MIT */
/*
 * ipc-prodcons — seed 004 replayed: 10 tasks on a task Queue, 4 worker
 * processes take them with get_nowait until queue.Empty and log each on a
 * done Queue; every task must be done exactly once.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "ipc_common.h"

#define PC_TASKS 10
#define PC_WORKERS 4

struct pc_job {
	struct channel *tasks, *done;
	struct ipc_shared *sh;
	int id;
	double task_ms;
};

/* do_job: get_nowait until queue.Empty, put "Task no i is done by
 * Process-k" on the done queue, sleep; then leave (close flushes). */
static int pc_worker(void *arg)
{
	struct pc_job *j = arg;
	char task[64], line[128];
	ssize_t n;

	if (channel_open(j->tasks, CH_RECV) < 0 || channel_open(j->done, CH_SEND) < 0)
		return ipc_worker_fail(j->sh, "worker %d: open failed", j->id);
	while ((n = channel_recv(j->tasks, task, sizeof(task) - 1, 0)) >= 0) {
		task[n] = '\0';
		n = snprintf(line, sizeof(line), "%s is done by Process-%d", task, j->id + 1);
		if (channel_send(j->done, line, (size_t)n, IPC_T_MS) < 0)
			return ipc_worker_fail(j->sh, "worker %d: put failed", j->id);
		clock_sleep_ns((uint64_t)(j->task_ms * 1e6));
	}
	if (n != -EAGAIN)
		return ipc_worker_fail(j->sh, "worker %d: get_nowait: %s", j->id,
				       strerror((int)-n));
	channel_close(j->tasks);
	channel_close(j->done);
	return 0;
}

/* The done log: every task exactly once, and by whom. */
static int pc_check(struct pb_ctx *ctx, struct channel *done)
{
	int times[PC_TASKS] = { 0 }, by[PC_WORKERS + 1] = { 0 }, lines = 0, used = 0;
	char line[128];
	ssize_t n;

	while (!channel_empty(done) && (n = channel_recv(done, line, sizeof(line) - 1, 0)) >= 0) {
		int t, w;

		line[n] = '\0';
		if (sscanf(line, "Task no %d is done by Process-%d", &t, &w) != 2 || t < 0 ||
		    t >= PC_TASKS || w < 1 || w > PC_WORKERS)
			return pb_fail(ctx, "done log: unexpected line '%s'", line);
		times[t]++;
		used += by[w]++ == 0;
		lines++;
	}
	for (int t = 0; t < PC_TASKS; t++)
		if (times[t] != 1)
			return pb_fail(ctx, "task %d done %d times", t, times[t]);
	pb_metric(ctx, "tasks_done", PC_TASKS, "count");
	pb_metric(ctx, "done_log_count", lines, "count");
	pb_metric(ctx, "workers_used", used, "count");
	return 0;
}

/* main(): put the 10 tasks, start 4 workers, join them, read the log. The
 * tasks are flushed into the pipe before the workers start: get_nowait
 * cannot see what is still in main's feeder (the seed gets away without it
 * because starting a Python process takes longer than the feeder). */
static int prodcons_case(struct pb_ctx *ctx, const struct pb_case *c)
{
	struct pc_job j = { .task_ms = c->param_value };
	pid_t pids[PC_WORKERS];
	char task[32];
	int rc = 0;

	if (!(j.sh = ipc_shared_new()))
		return pb_fail(ctx, "mmap: %s", strerror(errno));
	if (!(j.tasks = ipc_make(ctx, IPC_QUEUE, (struct channel_opts){ 0 })) ||
	    !(j.done = ipc_make(ctx, IPC_QUEUE, (struct channel_opts){ 0 })))
		return -1;
	pb_timer_start(ctx);
	for (int i = 0; i < PC_TASKS && rc == 0; i++) {
		int n = snprintf(task, sizeof(task), "Task no %d", i);

		rc = channel_send(j.tasks, task, (size_t)n, IPC_T_MS);
	}
	if (rc < 0 || channel_flush(j.tasks) < 0)
		return pb_fail(ctx, "putting the tasks failed");
	for (j.id = 0; j.id < PC_WORKERS; j.id++)
		pids[j.id] = ipc_spawn(ctx, j.id, pc_worker, &j);
	rc = ipc_reap(ctx, pids, PC_WORKERS, j.sh);
	pb_timer_stop(ctx);
	if (rc == 0)
		rc = pc_check(ctx, j.done);
	channel_close(j.tasks);
	channel_close(j.done);
	ipc_shared_free(j.sh);
	return rc;
}

static void prodcons_plan(struct pb_plan *plan, const struct pb_config *cfg)
{
	struct pb_case pc = { .experiment = "ipc-prodcons",
			      .model = "queue",
			      .workers = PC_WORKERS,
			      .param = "task_ms",
			      .param_value = PB_PICK(cfg, 20, 100, 500), /* full: the seed's */
			      .run = prodcons_case,
			      .budget_s = 60 };

	pb_case_name(&pc, "tasks", PC_TASKS);
	/* the seed's tasks in rounds of PC_WORKERS */
	pc.est_s = 0.05 + (PC_TASKS + PC_WORKERS - 1) / PC_WORKERS * pc.param_value / 1e3;
	pb_plan_add(plan, &pc);
}

/* The seed's promise as a finding: every task done, and logged, once. */
static void prodcons_summarize(struct pb_report *rep)
{
	const struct pb_case_key k = { .experiment = "ipc-prodcons", .model = "queue" };
	const struct pb_case *c = pb_report_find(rep, &k);
	struct stats_summary done, tasks;
	struct pb_finding *f;

	if (!c || !pb_report_stat(rep, c->name, "tasks_done", &tasks) ||
	    !pb_report_stat(rep, c->name, "done_log_count", &done))
		return;
	f = pb_report_finding(rep, "every_task_once",
			      "ipc-prodcons: %d workers take the tasks from one queue with get_nowait "
			      "and put each result in a done queue",
			      c->workers);
	pb_finding_figure(f, "tasks", tasks, "count");
	pb_finding_figure(f, "done", done, "count");
	pb_finding_stat(f, rep, c, "wall", "wall_s", "s");
	if (done.min == tasks.median && done.max == tasks.median)
		pb_finding_verdict(f, "every task once", "in each of %zu repetitions", done.n);
	else
		pb_finding_verdict(f, "not exact", "done ranged %g–%g for %g tasks", done.min,
				   done.max, tasks.median);
}

/* ipc-prodcons's parameters (cases.csv's units and types) */
static const struct pb_param_decl ipc_prodcons_params[] = {
	{ "tasks", PB_INT, "count", "the number of tasks" },
	{ "task_ms", PB_REAL, "ms", "the work of one task" },
	{ 0 }, /* the end */
};

const struct pb_experiment ipc_prodcons_experiment = {
	.name = "ipc-prodcons",
	.summary = "seed 004's producer/consumer: 10 tasks, 4 workers, get_nowait and a done "
		   "queue, every task exactly once",
	.teaches =
		"The seed's task queue and done queue with four workers: every task is done exactly once.",
	.headline = { "wall_s", "s", PB_LOWER_IS_BETTER },
	/* table only: one case whose findings are counts (every task done
	 * exactly once, the workers used); nothing varies that a figure could show. */
	.figures = PB_TABLE_ONLY,
	.plan = prodcons_plan,
	.summarize = prodcons_summarize,
	.params = ipc_prodcons_params,
};
