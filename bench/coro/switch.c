/* SPDX-License-Identifier: MIT */
/*
 * switch — what one switch costs: from one coroutine to another on the
 * event loop (lib/models/coro), from one thread to another, and from one
 * process to another, the two threads or processes on ONE PU so that every
 * hand-off is a real switch. The tutorial says a coroutine switch is only a
 * CPU context, cheap enough for "a million switches a second", while a
 * thread switch is expensive; this run says how many of each this machine
 * does in a second.
 *
 * Threads and processes hand a turn back and forth through a futex on a
 * shared word (the cheapest kernel wake-up: no pipe, no copy), so the two
 * differ only in what the kernel switches (an address space or not).
 */
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "coro.h"
#include "harness.h"

enum { SW_CORO, SW_THREAD, SW_PROCESS, SW_NMODELS };
static const char *const sw_names[SW_NMODELS] = { "coroutine", "thread", "process" };

/* ---- coroutines: two tasks that yield to each other ---- */

struct coro_pingpong {
	long rounds;
};

static void yielder(struct coro_loop *loop, void *arg)
{
	const struct coro_pingpong *pp = arg;

	for (long i = 0; i < pp->rounds; i++)
		coro_yield(loop);
}

static int coro_switches(struct pb_ctx *ctx, long rounds, long *switches, double *wall)
{
	struct coro_pingpong pp = { rounds };
	struct coro_loop *loop = coro_loop_new(NULL);
	int rc = loop ? 0 : -ENOMEM;

	for (int i = 0; i < 2 && rc == 0; i++)
		rc = coro_spawn(loop, yielder, &pp);
	if (rc == 0) {
		pb_timer_start(ctx);
		rc = coro_run(loop);
		*wall = pb_timer_stop(ctx);
	}
	if (loop)
		coro_loop_free(loop);
	*switches = 2 * rounds; /* each yield hands the PU to the other task */
	return rc;
}

/* ---- threads and processes: a turn word and a futex ---- */

static void futex_wait(uint32_t *w, uint32_t val, bool shared)
{
	syscall(SYS_futex, w, shared ? FUTEX_WAIT : FUTEX_WAIT_PRIVATE, val, NULL, NULL, 0);
}

static void futex_wake(uint32_t *w, bool shared)
{
	syscall(SYS_futex, w, shared ? FUTEX_WAKE : FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

struct turn {
	uint32_t word; /* whose turn: 0 or 1 */
	long rounds;
	bool shared;
};

/* Side me waits for its turn, passes it on, rounds times. */
static void play(struct turn *t, uint32_t me)
{
	for (long i = 0; i < t->rounds; i++) {
		uint32_t w;

		while ((w = __atomic_load_n(&t->word, __ATOMIC_ACQUIRE)) != me)
			futex_wait(&t->word, w, t->shared);
		__atomic_store_n(&t->word, 1 - me, __ATOMIC_RELEASE);
		futex_wake(&t->word, t->shared);
	}
}

static void *play_one(void *arg)
{
	play(arg, 1);
	return NULL;
}

static int thread_switches(struct pb_ctx *ctx, struct turn *t, double *wall)
{
	pthread_t tid;
	int err;

	pb_timer_start(ctx);
	if ((err = pthread_create(&tid, NULL, play_one, t)) != 0)
		return pb_fail(ctx, "pthread_create: %s", strerror(err));
	play(t, 0);
	pthread_join(tid, NULL);
	*wall = pb_timer_stop(ctx);
	return 0;
}

static int process_switches(struct pb_ctx *ctx, struct turn *t, double *wall)
{
	pid_t pid;
	int st;

	pb_timer_start(ctx);
	if ((pid = fork()) < 0)
		return pb_fail(ctx, "fork: %s", strerror(errno));
	if (pid == 0) {
		play(t, 1);
		_exit(0);
	}
	play(t, 0);
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return pb_fail(ctx, "the other process did not exit cleanly");
	*wall = pb_timer_stop(ctx);
	return 0;
}

static int kernel_switches(struct pb_ctx *ctx, int model, long rounds, long *switches, double *wall)
{
	struct turn *t =
		mmap(NULL, sizeof(*t), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int rc;

	if (t == MAP_FAILED)
		return pb_fail(ctx, "mmap: %s", strerror(errno));
	*t = (struct turn){ .word = 0, .rounds = rounds, .shared = model == SW_PROCESS };
	rc = model == SW_THREAD ? thread_switches(ctx, t, wall) : process_switches(ctx, t, wall);
	munmap(t, sizeof(*t));
	*switches = 2 * rounds; /* every pass of the turn is one switch on the one PU */
	return rc;
}

static int switch_run(struct pb_ctx *ctx, const struct pb_case *c)
{
	const struct pb_config *cfg = pb_cfg(ctx);
	struct topo_saved *saved = NULL;
	int model = (int)pb_case_get(c, "model_index"), rc;
	long rounds = (long)pb_case_get(c, "rounds"), switches = 0;
	double wall = 0;

	/* both sides on worker slot 0's PU (--pin is fixed to single) */
	if (cfg->topo && topo_spawn_begin(cfg->topo, pb_placement(ctx), 0, &saved) < 0)
		saved = NULL;
	rc = model == SW_CORO ? coro_switches(ctx, rounds, &switches, &wall) :
				kernel_switches(ctx, model, rounds, &switches, &wall);
	if (saved)
		topo_spawn_end(cfg->topo, saved);
	if (rc < 0)
		return model == SW_CORO ? pb_fail(ctx, "coroutines: %s", strerror(-rc)) : -1;
	pb_metric(ctx, "switch_ns", wall * 1e9 / (double)switches, "ns");
	pb_metric(ctx, "switches_per_s", (double)switches / wall, "1/s");
	return 0;
}

/* One case per model, the same number of rounds, all on one PU. */
static void switch_plan(struct pb_plan *plan, const struct pb_config *cfg)
{
	struct pb_case c = { .experiment = "switch",
			     .workload = "-",
			     .run = switch_run,
			     .budget_s = 60,
			     .pin_fixed = true,
			     .pin = PIN_SINGLE };

	/* 20,000 rounds give a median to a few per cent (default 50,000
	 * took 7 s of a 7:16 default run on a 2-vCPU AMD EPYC VM, run
	 * 20261207T161308Z); full 100,000 (200,000 did not fit its hour on
	 * 64 PUs once a round's estimate was honest) */
	int64_t rounds = PB_PICK(cfg, 20000, 20000, 100000);

	pb_case_name(&c, "rounds", rounds);
	for (int m = 0; m < SW_NMODELS; m++) {
		c.model = sw_names[m];
		/* a round: 5 us (coroutines: swapcontext's signal mask is
		 * a system call) to 16 us (processes) on that VM */
		double round_s = m == SW_CORO ? 5e-6 : m == SW_PROCESS ? 16e-6 : 8e-6;

		c.est_s = 0.02 + (double)rounds * round_s;
		c.workers = m == SW_CORO ? 1 : 2;
		pb_case_set(&c, "model_index", m);
		pb_plan_add(plan, &c);
	}
}

/* The three costs side by side, and the tutorial's claim checked. */
static void switch_summarize(struct pb_report *rep)
{
	const struct pb_case *c[SW_NMODELS];
	struct stats_summary s[SW_NMODELS];
	struct pb_finding *f;
	char id[48];

	for (int m = 0; m < SW_NMODELS; m++) {
		c[m] = pb_report_find(rep, &(struct pb_case_key){ .experiment = "switch",
								  .model = sw_names[m] });
		if (!c[m] || !pb_report_stat(rep, c[m]->name, "switch_ns", &s[m]))
			return;
	}
	f = pb_report_finding(rep, "costs",
			      "switch on one PU: a coroutine switch, a thread switch and a process "
			      "switch");
	pb_finding_figure(f, "coroutine", s[0], "ns");
	pb_finding_figure(f, "thread", s[1], "ns");
	pb_finding_figure(f, "process", s[2], "ns");
	pb_finding_value(f, "thread / coroutine", s[1].median / s[0].median, "x");
	pb_finding_value(f, "process / coroutine", s[2].median / s[0].median, "x");
	for (int m = 0; m < SW_NMODELS; m++) {
		snprintf(id, sizeof(id), "million_per_s_%s", sw_names[m]);
		f = pb_report_finding(rep, id, "\"a million switches a second\": %s", sw_names[m]);
		pb_finding_value(f, "switches", 1e3 / s[m].median, "million/s");
		pb_finding_verdict(f, 1e3 / s[m].median >= 1 ? "holds" : "does not hold", NULL);
	}
}

/* switch's parameters (cases.csv's units and types) */
static const struct pb_param_decl switch_params[] = {
	{ "rounds", PB_INT, "count", "hand-offs" },
	{ "model_index", PB_INT, "", "the switch, an index into the model table" },
	{ 0 }, /* the end */
};

const struct pb_experiment switch_experiment = {
	.name = "switch",
	.summary = "one coroutine switch, one thread switch and one process switch on one PU",
	.teaches =
		"What one switch costs: from one coroutine to another on an event loop in one thread, "
		"from one thread to another, and from one process to another, the two threads or "
		"processes bound to one PU so that every hand-off is a real switch. The tutorial's claim,"
		" \"a million coroutine switches a second\" while thread switches are expensive, is checked"
		" against this machine.",
	.headline = { "switch_ns", "ns", PB_LOWER_IS_BETTER },
	.figures = "switch",
	.plan = switch_plan,
	.summarize = switch_summarize,
	.params = switch_params,
};
