/* SPDX-License-Identifier: MIT */
/*
 * price_util — what the families share: binding to a worker's PU, a thread
 * on a PU, and stress-ng as a peer.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "peer.h"
#include "price.h"

int price_bind(struct pb_ctx *ctx, int slot)
{
	const struct pb_config *cfg = pb_cfg(ctx);
	const struct placement *pl = pb_placement(ctx);

	if (!cfg->topo || slot >= pl->n || pl->pu[slot] < 0)
		return 0;
	if (topo_bind_thread(cfg->topo, pl->pu[slot]) < 0)
		return pb_fail(ctx, "binding to PU %d: %s", pl->pu[slot], strerror(errno));
	return 0;
}

struct born {
	struct pb_ctx *ctx;
	int slot;
	void *(*fn)(void *);
	void *arg;
};

static void *born_on(void *arg)
{
	struct born b = *(struct born *)arg;

	free(arg);
	if (price_bind(b.ctx, b.slot) < 0)
		return (void *)1;
	return b.fn(b.arg);
}

int price_thread_on(struct pb_ctx *ctx, int slot, pthread_t *t, void *(*fn)(void *), void *arg)
{
	struct born *b = malloc(sizeof(*b));
	int rc;

	if (!b)
		return pb_fail(ctx, "out of memory");
	*b = (struct born){ ctx, slot, fn, arg };
	rc = pthread_create(t, NULL, born_on, b);
	if (rc != 0) {
		free(b);
		return pb_fail(ctx, "pthread_create: %s", strerror(rc));
	}
	return 0;
}

/* "stress-ng: metrc: [123] fork   2000   2.66   0.46   0.42   752.76 ...":
 * bogo ops, real s, usr s, sys s, bogo ops/s (real time). The rate is
 * stress-ng's own bogo ops over its unrounded run time (the seconds it
 * prints have two decimals), so one op is 1e9 / rate ns. */
static double parse_metrics(const char *text, const char *name)
{
	char key[80];
	const char *p;
	double ops, real, usr, sys, rate;

	snprintf(key, sizeof(key), "] %s ", name);
	for (p = strstr(text, key); p; p = strstr(p + 1, key)) {
		if (sscanf(p + strlen(key), "%lf %lf %lf %lf %lf", &ops, &real, &usr, &sys,
			   &rate) == 5 &&
		    rate > 0)
			return 1e9 / rate;
	}
	return NAN;
}

/* stress-ng ran but printed no metrics: a stressor it declines here (as
 * root, spawn says "must not run as root, skipping the stressor") is
 * skipped with its own words; anything else is a failure. */
static int no_metrics(struct pb_ctx *ctx, const char *opt, const char *text)
{
	const char *why = strstr(text, "skipping the stressor"), *bol = why;

	while (bol && bol > text && bol[-1] != '\n')
		bol--;
	if (why)
		return pb_skip(ctx, "stress-ng %s declines to run here: %.*s", opt,
			       (int)(why - bol + 21), bol) +
		       1;
	return pb_fail(ctx, "stress-ng %s: no metrics line in its output (%.120s)", opt, text);
}

/* stressor "pthread --pthread-max 1": the stressor's name, then extra
 * options. Only one worker: --S 1. */
int price_stress_ng(struct pb_ctx *ctx, const struct pb_case *c, long n, double *ns_per_op)
{
	return price_stress_ng_during(ctx, c, n, ns_per_op, NULL, NULL);
}

int price_stress_ng_during(struct pb_ctx *ctx, const struct pb_case *c, long n, double *ns_per_op,
			   peer_during_fn during, void *arg)
{
	const struct price_prim *p = price_prim_of(c);
	char spec[48], opt[56], ops[64], count[32], *argv[16], *save = NULL, *text;
	int argc = 0, rc;

	snprintf(spec, sizeof(spec), "%s", p->stressor);
	argv[argc++] = "stress-ng";
	argv[argc++] = opt;
	argv[argc++] = "1";
	snprintf(opt, sizeof(opt), "--%.40s", strtok_r(spec, " ", &save));
	snprintf(ops, sizeof(ops), "%s-ops", opt);
	snprintf(count, sizeof(count), "%ld", n);
	argv[argc++] = ops;
	argv[argc++] = count;
	argv[argc++] = "--metrics-brief";
	argv[argc++] = "--timeout";
	argv[argc++] = "60";
	for (char *w; argc < 15 && (w = strtok_r(NULL, " ", &save));)
		argv[argc++] = w;
	argv[argc] = NULL;
	if (!(text = malloc(PEER_TEXT)))
		return pb_fail(ctx, "out of memory");
	rc = peer_run(ctx, argv, c->pin == PIN_SCATTER ? 3u : 1u, during, arg, text);
	*ns_per_op = rc == 0 ? parse_metrics(text, opt + 2) : NAN;
	if (rc == 0 && isnan(*ns_per_op))
		rc = no_metrics(ctx, opt, text);
	free(text);
	return rc;
}
