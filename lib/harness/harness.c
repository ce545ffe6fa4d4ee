/* SPDX-License-Identifier: MIT */
/*
 * The case side of the harness: the context a case sees (its config,
 * placement, metrics, timer, failure or skip), in the case process that
 * runs one repetition (caseproc.c watches it from parbench) or in-process
 * under google-benchmark; and what one repetition produced (rep_result).
 */
#include "harness_impl.h"
#include "grow.h"

#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

volatile sig_atomic_t pb_interrupted;
pid_t pb_run_pid;

struct pb_ctx {
	const struct pb_config *cfg;
	const struct pb_case *c;
	struct placement placement;
	int fd;			/* case process: the pipe to parbench */
	gb_state *st;		/* in-process case: google-benchmark's state */
	struct rep_result *out; /* in-process case: where metrics go */
	pthread_mutex_t lock;	/* in-process: pb_metric from several threads */
	bool timer_started, timer_stopped, failed, skipped;
	uint64_t t0_ns;
	struct usage u0;
};

const char *pb_profile_name(enum pb_profile p)
{
	static const char *const names[] = { "quick", "default", "full" };

	return names[p];
}

bool pb_profile_parse(const char *name, enum pb_profile *out)
{
	for (int p = PROFILE_QUICK; p <= PROFILE_FULL; p++) {
		if (strcmp(name, pb_profile_name(p)) == 0) {
			*out = p;
			return true;
		}
	}
	return false;
}

/* ---- repetition results ---- */

void rep_result_add(struct rep_result *r, const char *name, double value, const char *unit)
{
	struct metric_value *m;

	for (size_t i = 0; i < r->nmetrics; i++) {
		if (strcmp(r->metrics[i].name, name) == 0) {
			r->metrics[i].value = value; /* the last report wins */
			return;
		}
	}
	r->metrics = grow(r->metrics, &r->cap, r->nmetrics + 1, sizeof(*r->metrics), 16);
	m = &r->metrics[r->nmetrics++];
	snprintf(m->name, sizeof(m->name), "%s", name);
	snprintf(m->unit, sizeof(m->unit), "%s", unit ? unit : "");
	m->value = value;
}

void rep_result_fail(struct rep_result *r, const char *fmt, ...)
{
	va_list ap;

	if (r->failed)
		return;
	r->failed = true;
	va_start(ap, fmt);
	vsnprintf(r->reason, sizeof(r->reason), fmt, ap);
	va_end(ap);
}

void rep_result_free(struct rep_result *r)
{
	free(r->metrics);
	r->metrics = NULL;
	r->nmetrics = r->cap = 0;
}

/* ---- the context a case sees ---- */

const struct pb_config *pb_cfg(struct pb_ctx *ctx)
{
	return ctx->cfg;
}

const struct placement *pb_placement(struct pb_ctx *ctx)
{
	return &ctx->placement;
}

bool pb_keep_running(struct pb_ctx *ctx)
{
	return ctx->st && gb_keep_running(ctx->st);
}

/* Case processes send one line per message, each in one write() shorter
 * than PIPE_BUF, so lines from several workers never interleave. */
static void send_line(struct pb_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void send_line(struct pb_ctx *ctx, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	if (write(ctx->fd, line, (size_t)n) < 0)
		return; /* parbench is gone: nobody left to tell */
}

/* Metric names and units travel as tab-separated fields: keep them clean. */
static void clean_field(char *dst, size_t len, const char *src)
{
	size_t i = 0;

	for (; src && *src && i + 1 < len; src++)
		dst[i++] = (*src == '\t' || *src == '\n' || *src == '\r') ? ' ' : *src;
	dst[i] = '\0';
}

void pb_metric(struct pb_ctx *ctx, const char *name, double value, const char *unit)
{
	char n[64], u[48];

	clean_field(n, sizeof(n), name);
	clean_field(u, sizeof(u), unit);
	if (ctx->fd >= 0) {
		send_line(ctx, "M\t%s\t%.17g\t%s", n, value, u);
		return;
	}
	pthread_mutex_lock(&ctx->lock);
	rep_result_add(ctx->out, n, value, u);
	pthread_mutex_unlock(&ctx->lock);
}

/* How a repetition ends early: failed ('E') or skipped ('S'), with why. The
 * case process sends it to parbench; an in-process case keeps it. */
__attribute__((format(printf, 3, 0))) static void end_with(struct pb_ctx *ctx, char kind,
							   const char *fmt, va_list ap)
{
	bool failed = kind == 'E';
	char reason[256];

	vsnprintf(reason, sizeof(reason), fmt, ap);
	clean_field(reason, sizeof(reason), reason);
	*(failed ? &ctx->failed : &ctx->skipped) = true;
	if (ctx->fd >= 0) {
		send_line(ctx, "%c\t%s", kind, reason);
	} else {
		*(failed ? &ctx->out->failed : &ctx->out->skipped) = true;
		snprintf(ctx->out->reason, sizeof(ctx->out->reason), "%s", reason);
	}
}

int pb_fail(struct pb_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	end_with(ctx, 'E', fmt, ap);
	va_end(ap);
	return -1;
}

int pb_skip(struct pb_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	end_with(ctx, 'S', fmt, ap);
	va_end(ap);
	return 0;
}

void pb_timer_start(struct pb_ctx *ctx)
{
	pb_timer_start_at(ctx, clock_now_ns());
}

void pb_timer_start_at(struct pb_ctx *ctx, uint64_t t0_ns)
{
	ctx->timer_started = true;
	ctx->u0 = usage_now();
	ctx->t0_ns = t0_ns;
}

double pb_timer_stop(struct pb_ctx *ctx)
{
	double wall = (double)(clock_now_ns() - ctx->t0_ns) / 1e9;
	struct usage u = usage_diff(ctx->u0, usage_now());

	ctx->timer_stopped = true;
	pb_metric(ctx, "wall_s", wall, "s");
	pb_metric(ctx, "cpu_user_s", u.user_s, "s");
	pb_metric(ctx, "cpu_sys_s", u.sys_s, "s");
	pb_metric(ctx, "ctxsw_voluntary", u.ctxsw_voluntary, "count");
	pb_metric(ctx, "ctxsw_involuntary", u.ctxsw_involuntary, "count");
	return wall;
}

void pb_report_pus(struct pb_ctx *ctx, const int *ran_on, int n)
{
	int used = 0, misses = 0;

	for (int i = 0; i < n; i++) {
		bool seen = false;

		for (int j = 0; j < i; j++)
			seen = seen || ran_on[j] == ran_on[i];
		if (!seen && ran_on[i] >= 0)
			used++;
		if (i < ctx->placement.n && ctx->placement.pu[i] >= 0 &&
		    ran_on[i] != ctx->placement.pu[i])
			misses++;
	}
	pb_metric(ctx, "pus_used", used, "count");
	pb_metric(ctx, "pin_misses", misses, "count");
}

/* A case's samples (latencies, costs per operation) as the metrics every
 * experiment names the same way: <prefix>_mean, _p50, _p90, _p99, _min and
 * _max. */
void pb_metric_spread(struct pb_ctx *ctx, const char *prefix, double *v, size_t n, const char *unit)
{
	static const struct {
		const char *suffix;
		double p; /* percentile; < 0: the mean */
	} cuts[] = { { "mean", -1 }, { "p50", 50 }, { "p90", 90 },
		     { "p99", 99 },  { "min", 0 },  { "max", 100 } };
	char name[96];
	double sum = 0;

	for (size_t i = 0; i < n; i++)
		sum += v[i];
	/* one sort for the five cuts: price's samples run to millions */
	stats_sort(v, n);
	for (size_t k = 0; k < sizeof(cuts) / sizeof(cuts[0]) && n > 0; k++) {
		snprintf(name, sizeof(name), "%s_%s", prefix, cuts[k].suffix);
		pb_metric(ctx, name,
			  cuts[k].p < 0 ? sum / (double)n :
					  stats_percentile_sorted(v, n, cuts[k].p),
			  unit);
	}
}

/* ---- running one repetition ---- */

static int ctx_init(struct pb_ctx *ctx, const struct pb_config *cfg, const struct pb_case *c,
		    char *err, size_t errlen)
{
	enum pin_policy policy = c->pin_fixed ? c->pin : cfg->pin;

	*ctx = (struct pb_ctx){ .cfg = cfg, .c = c, .fd = -1 };
	pthread_mutex_init(&ctx->lock, NULL);
	return topo_place(cfg->topo, policy, c->workers > 0 ? c->workers : 1, &ctx->placement, err,
			  errlen);
}

static void ctx_destroy(struct pb_ctx *ctx)
{
	placement_free(&ctx->placement);
	pthread_mutex_destroy(&ctx->lock);
}

/* The case process. It only ever leaves through _exit: exit() would flush
 * stdio buffers inherited from parbench (the CSV among them) a second time
 * and run parbench's atexit handlers in the wrong process. */
void case_child_main(const struct pb_config *cfg, const struct pb_case *c, int fd, pid_t parent)
{
	struct pb_ctx ctx;
	char err[256];
	int rc;

	setpgid(0, 0);
	lifeline_child(parent);
	/* Default dispositions: a crash in a case is a crash (not caught by a
	 * handler the caller installed), and Ctrl-C is parbench's to handle. */
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGPIPE && sig != SIGKILL && sig != SIGSTOP)
			signal(sig, SIG_DFL);
	if (ctx_init(&ctx, cfg, c, err, sizeof(err)) < 0) {
		ctx.fd = fd;
		pb_fail(&ctx, "placement: %s", err);
		_exit(1);
	}
	ctx.fd = fd;
	/* more workers than PUs: some share one, and the CSV says so */
	pb_metric(&ctx, "pin_wrapped", ctx.placement.wrapped, "flag");
	pb_timer_start(&ctx); /* a case that starts its own timer restarts it */
	ctx.timer_started = false;
	rc = c->run(&ctx, c);
	if (!ctx.failed && rc != 0)
		pb_fail(&ctx, "the case returned %d without saying why", rc);
	if (!ctx.failed && !ctx.skipped && !ctx.timer_stopped)
		pb_timer_stop(&ctx);
	send_line(&ctx, "D");
	_exit(ctx.failed ? 1 : 0);
}

void inproc_run(const struct pb_config *cfg, const struct pb_case *c, gb_state *st,
		struct rep_result *out)
{
	struct pb_ctx ctx;
	char err[256];
	int rc;

	*out = (struct rep_result){ .time_s = NAN };
	if (ctx_init(&ctx, cfg, c, err, sizeof(err)) < 0) {
		rep_result_fail(out, "placement: %s", err);
		return;
	}
	ctx.st = st;
	ctx.out = out;
	rc = c->run(&ctx, c);
	if (!out->failed && rc != 0)
		rep_result_fail(out, "the case returned %d without saying why", rc);
	ctx_destroy(&ctx);
}
