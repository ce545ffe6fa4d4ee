/* SPDX-License-Identifier: MIT */
/*
 * price — the primitive price list: one case per primitive and placement
 * (every operation timed, percentiles per repetition), and for each
 * primitive with a peer a pairing case: rounds that alternate our loop and
 * the peer's run of the same length on the same PUs, each round giving one
 * ratio ours / peer (ns per operation), so that both meet the same machine.
 */
#include "price.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>

#include "price_report.h"

static const struct price_prim *const families[] = { price_process,    price_thread, price_syscall,
						     price_sync,       price_memory, price_like,
						     price_like_tools, NULL };

const struct price_prim *price_prim_of(const struct pb_case *c)
{
	return c->data;
}

/* ---- the run ---- */

/* Cross-PU cases need two PUs: on a machine with one they are skipped. */
static bool one_pu_only(struct pb_ctx *ctx, const struct pb_case *c)
{
	const struct placement *pl = pb_placement(ctx);

	return c->pin == PIN_SCATTER && pl->n >= 2 && pl->pu[0] >= 0 && pl->pu[0] == pl->pu[1];
}

static void op_metrics(struct pb_ctx *ctx, double *ns, size_t n)
{
	pb_metric_spread(ctx, "op_ns", ns, n, "ns");
	pb_metric(ctx, "ops", (double)n, "count");
}

/* n/10 operations to warm up, then n timed. */
static int plain_case(struct pb_ctx *ctx, const struct pb_case *c)
{
	const struct price_prim *p = price_prim_of(c);
	size_t n = (size_t)pb_case_get(c, "ops");
	double *ns = malloc(n * sizeof(*ns));
	int rc;

	if (!ns)
		return pb_fail(ctx, "out of memory");
	if (one_pu_only(ctx, c)) {
		free(ns);
		return pb_skip(ctx, "one PU here: no other PU to cross to");
	}
	rc = price_bind(ctx, 0);
	if (rc == 0)
		rc = p->ours(ctx, c, ns, n / 10 + 1);
	if (rc == 0) {
		pb_timer_start(ctx);
		rc = p->ours(ctx, c, ns, n);
		pb_timer_stop(ctx);
	}
	if (rc == 0)
		op_metrics(ctx, ns, n);
	free(ns);
	return rc;
}

static double mean_of(const double *v, size_t n)
{
	double s = 0;

	for (size_t i = 0; i < n; i++)
		s += v[i];
	return s / (double)n;
}

/* One round: our loop and the peer's run of n operations, in an order that
 * alternates with the round and, across repetitions (one round each in
 * default), with the case process's pid, so that neither side always goes
 * first. */
static int pair_round(struct pb_ctx *ctx, const struct pb_case *c, size_t r, double *ns,
		      double *ours, double *theirs)
{
	const struct price_prim *p = price_prim_of(c);
	price_ours_fn fn = p->pair_ours ? p->pair_ours : p->ours;
	long n = (long)pb_case_get(c, "ops");
	int rc = 0;

	for (int k = 0; k < 2 && rc == 0; k++) {
		if ((k == 0) == ((r + (size_t)getpid()) % 2 == 0)) {
			rc = fn(ctx, c, ns, (size_t)n);
			*ours = rc == 0 ? mean_of(ns, (size_t)n) : NAN;
		} else {
			rc = p->peer_run(ctx, c, n, theirs);
		}
	}
	return rc;
}

static void pair_metrics(struct pb_ctx *ctx, double *ours, double *theirs, double *ratio,
			 size_t rounds)
{
	pb_metric(ctx, "ours_ns", stats_median(ours, rounds), "ns");
	pb_metric(ctx, "peer_ns", stats_median(theirs, rounds), "ns");
	pb_metric(ctx, "ratio", stats_median(ratio, rounds), "x");
	pb_metric(ctx, "ratio_min", stats_percentile(ratio, rounds, 0), "x");
	pb_metric(ctx, "ratio_max", stats_percentile(ratio, rounds, 100), "x");
	pb_metric(ctx, "rounds", (double)rounds, "count");
}

static int paired_case(struct pb_ctx *ctx, const struct pb_case *c)
{
	size_t n = (size_t)pb_case_get(c, "ops"), rounds = (size_t)pb_case_get(c, "rounds");
	double *ns = malloc(n * sizeof(*ns)), ours[16], theirs[16], ratio[16];
	int rc = 0;

	if (!ns || rounds > 16) {
		free(ns);
		return pb_fail(ctx, "out of memory");
	}
	if (one_pu_only(ctx, c)) {
		free(ns);
		return pb_skip(ctx, "one PU here: no other PU to cross to");
	}
	rc = price_bind(ctx, 0);
	for (size_t r = 0; r < rounds && rc == 0; r++) {
		rc = pair_round(ctx, c, r, ns, &ours[r], &theirs[r]);
		if (rc == 0 && !(theirs[r] > 0))
			rc = pb_fail(ctx, "%s gave no figure", price_prim_of(c)->peer);
		if (rc == 0)
			ratio[r] = ours[r] / theirs[r];
	}
	free(ns);
	if (rc != 0)
		return rc > 0 ? 0 : -1; /* skipped: the peer does not run here */
	pair_metrics(ctx, ours, theirs, ratio, rounds);
	return 0;
}

/* ---- the plan ---- */

/* The alternations of a pairing a repetition. Default: 1, 5 in all over 5
 * repetitions, each repetition's ratio one pairing and the spread across
 * them (2 took 20 s of price's 51 in a loaded default run on a 2-vCPU AMD
 * EPYC VM, 20261207T202535Z, most of it the peers' own start-ups; with 3
 * the pairings took 47 s of a 7:16 default run, 20261207T161308Z); full:
 * 2, 20 over 10 repetitions (3 put full past its hour on 64 PUs once the
 * queues' CPython calibrations came, 5 once fork was priced at the 1.5 ms
 * a slow VM charges). */
static int pair_rounds(const struct pb_config *cfg, const struct price_prim *p)
{
	(void)p;
	return PB_PICK(cfg, 3, 1, 2);
}

static void plan_prim(struct pb_plan *plan, const struct pb_config *cfg, const struct price_prim *p)
{
	static const enum pin_policy pins[] = { PIN_SINGLE, PIN_SCATTER };
	int rounds = pair_rounds(cfg, p);

	/* the like-for-like pairings (like.c, like_tools.c: why a ratio to a
	 * peer is far from 1) run in full only: in default they took 15 s of
	 * a 5-minute budget on a 2-vCPU AMD EPYC VM (run 20261207T161308Z);
	 * default pairs every primitive with its peer */
	if (p->pair_only && cfg->profile != PROFILE_FULL)
		return;

	for (int k = 0; k < 2; k++) {
		struct pb_case c = { .experiment = "price",
				     .model = p->model,
				     .workers = p->workers,
				     .pin_fixed = true,
				     .pin = pins[k],
				     .data = p,
				     .run = plain_case,
				     .budget_s = 60 };
		double ops = (double)p->ops[cfg->profile];

		if (!(p->pins & (1u << k)))
			continue;
		pb_case_name_str(&c, "pin", pin_policy_name(pins[k]));
		pb_case_set(&c, "ops", (int64_t)ops);
		/* the loop, its warm-up tenth, and the sort of its samples for
		 * the percentiles (about 60 ns a sample at 2 million) */
		c.est_s = 0.02 + 1.1 * ops * p->op_ns / 1e9 + ops * 60e-9;
		if (!p->pair_only)
			pb_plan_add(plan, &c);
		/* quick prices the primitives alone: the pairings with a peer
		 * tool (stress-ng, hyperfine, perf) were 10 of quick's 72 s of
		 * cases on 2 PUs (run 20261207T150608Z); default pairs them */
		if (!p->peer || cfg->profile == PROFILE_QUICK ||
		    /* default: not a peer of a second a run (perf's futex
		     * wake: 5.3 s of a 5:11 default make bench on a 2-vCPU AMD EPYC VM, run 20261207T190057Z), full pairs it */
		    (cfg->profile == PROFILE_DEFAULT && p->peer_fixed_s >= 0.5) ||
		    !((p->pair_pins ? p->pair_pins : p->pins) & (1u << k)))
			continue;
		ops = (double)p->pair_ops[cfg->profile];
		c.model = p->pair_model;
		c.run = paired_case;
		pb_case_set(&c, "ops", (int64_t)ops);
		pb_case_set(&c, "rounds", rounds);
		c.est_s =
			0.02 +
			rounds *
				(ops * (p->op_ns + (p->peer_op_ns > 0 ? p->peer_op_ns : p->op_ns)) /
					 1e9 +
				 p->peer_fixed_s);
		pb_plan_add(plan, &c);
	}
}

static void price_plan(struct pb_plan *plan, const struct pb_config *cfg)
{
	for (int f = 0; families[f]; f++)
		for (const struct price_prim *p = families[f]; p->model; p++)
			plan_prim(plan, cfg, p);
}

/* op_ns_p50 of a primitive on one PU, in µs, as a figure of f. */
static void prim_figure(struct pb_finding *f, const struct pb_report *rep, const char *model,
			const char *name)
{
	const struct pb_case_key k = { .experiment = "price",
				       .model = model,
				       .extra = "pin:single" };
	const struct pb_case *c = pb_report_find(rep, &k);
	struct stats_summary s;

	if (!c || !pb_report_stat(rep, c->name, "op_ns_p50", &s))
		return;
	s.min /= 1e3, s.median /= 1e3, s.max /= 1e3;
	pb_finding_figure(f, name, s, "us");
}

/* The pairing's ratio ours / peer (median of the rounds) as a figure of f. */
static void pair_figure(struct pb_finding *f, const struct pb_report *rep, const char *model,
			const char *name)
{
	const struct pb_case_key k = { .experiment = "price",
				       .model = model,
				       .extra = "pin:single" };

	pb_finding_stat(f, rep, pb_report_find(rep, &k), name, "ratio", "x");
}

/* The price list's headline, structured: what a process, a thread, a
 * system call and a switch cost, and two pairings against their peers. */
static void price_findings(struct pb_report *rep)
{
	const struct pb_case_key pk = { .experiment = "price", .model = "fork-vs-stress-ng" };
	struct pb_finding *f = pb_report_finding(
		rep, "primitives",
		"price on one PU (p50): fork + _exit + waitpid, pthread_create + join, a null "
		"system call, a context switch between two processes (pipe round trip)");

	prim_figure(f, rep, "fork", "fork");
	prim_figure(f, rep, "pthread-create", "pthread_create");
	prim_figure(f, rep, "getppid", "getppid");
	prim_figure(f, rep, "switch-process", "process switch");
	if (!pb_report_find(rep, &pk))
		return; /* quick prices the primitives without their peers */
	f = pb_report_finding(rep, "peers",
			      "price against its peers on one PU, paired rounds (ours / peer, ns "
			      "per operation): fork against stress-ng --fork, the process switch "
			      "against perf bench sched pipe");
	pair_figure(f, rep, "fork-vs-stress-ng", "fork / stress-ng");
	pair_figure(f, rep, "switch-process-vs-perf", "switch / perf");
}

static void price_summarize(struct pb_report *rep)
{
	price_findings(rep);
	price_report_table(rep, families);
}

/* price's parameters (cases.csv's units and types) */
static const struct pb_param_decl price_params[] = {
	{ "pin", PB_ENUM, "", "the placement the pairing fixes" },
	{ "ops", PB_INT, "count", "operations timed" },
	{ "rounds", PB_INT, "count", "alternating rounds against the peer" },
	{ 0 }, /* the end */
};

const struct pb_experiment price_experiment = {
	.name = "price",
	.summary = "what the OS charges per primitive (fork, spawn, threads, switches, syscalls, "
		   "futex, mutex, atomics, memcpy), each beside its peer tool, paired",
	.teaches =
		"What the operating system charges for each primitive the seed programs stand on: fork, "
		"vfork, posix_spawn, fork + exec, pthread_create, a context switch between two processes "
		"and between two threads, getppid, clock_gettime, a page fault, mmap, a futex wake, a "
		"contended mutex, atomics, memcpy and the cross-core copy ceiling, every operation timed "
		"(the shortest in batches of 64), on one PU and across two where placement matters. A "
		"primitive with a peer tool (perf bench, stress-ng, hyperfine -N) is also measured in "
		"paired rounds that alternate our loop and the peer's run on the same PUs, so that the "
		"ratio ours / peer says whether our figure is this machine's.",
	.headline = { "op_ns_p50", "ns", PB_LOWER_IS_BETTER },
	.figures = "price",
	.plan = price_plan,
	.summarize = price_summarize,
	.params = price_params,
};
