/* SPDX-License-Identifier: MIT */
/*
 * cpython — the fidelity table's rows for the Python threads a Queue and a
 * Pool run under the GIL: ipc-latency queue-py-gil-busy against
 * cpython-queue-busy (how long a put takes to reach the other process) and
 * pool-overhead pool-gil-busy against cpython-pool-busy (when map_async's
 * results are ready), each while the caller computes busy_us, with the
 * model's free threads (no GIL) beside them. Every figure comes from the
 * run; the format is fidelity.c's.
 */
#include <stdio.h>

#include "fidelity.h"
#include "gil.h"

/* One claim: the three models' cases at each busy_us of the sweep. */
struct busy_claim {
	const char *id;			/* the finding: cpython.fidelity.<id>_<busy_us>us */
	const char *experiment, *extra; /* the cases' key */
	const char *gil, *py, *free;	/* C under the GIL, CPython, C without it */
	const char *metric;		/* the p50 compared */
	const char *unit;		/* its unit */
	const char *what, *p50, *threads;
};

static const struct busy_claim claims[] = {
	{ "queue_gil_busy", "ipc-latency", "pin:scatter", "queue-py-gil-busy", "cpython-queue-busy",
	  "queue-py-busy", "delivery_ns_p50", "ns",
	  "Queue under the GIL: put to the other process while", "delivery p50", "feeder's" },
	{ "pool_gil_busy", "pool-overhead", NULL, "pool-gil-busy", "cpython-pool-busy", "pool-busy",
	  "ready_us_p50", "us", "Pool handlers under the GIL: map_async's results ready while",
	  "ready p50", "handlers'" },
};

/* The key of cl's case of model at busy_us. */
static struct pb_case_key busy_key(const struct busy_claim *cl, const char *model, double busy_us)
{
	return (struct pb_case_key){ .experiment = cl->experiment,
				     .model = model,
				     .extra = cl->extra,
				     .workers = 2,
				     .param = "busy_us",
				     .param_value = busy_us };
}

static const char why_gil[] = "the %s GIL waits are the model's (gil.c, after CPython's "
			      "ceval_gil), the caller's "
			      "loop is Python's own (it polls the eval breaker less often than "
			      "every tick)";

/* Below the switch interval the caller's get() comes before any drop
 * request, so both sides' figure is busy_us by construction: shown, not
 * judged. */
static void busy_row(struct pb_report *rep, const struct busy_claim *bc, const struct pb_case *gil,
		     struct fidelity_tally *t)
{
	double busy_us = gil->param_value;
	struct pb_case_key kf = busy_key(bc, bc->free, busy_us);
	const struct pb_case *free_threads = pb_report_find(rep, &kf);
	bool echo = busy_us < GIL_DEFAULT_INTERVAL_US;
	char id[64], text[160], why[256];
	struct fidelity_claim cl = {
		.id = id,
		.text = text,
		.op = ONE,
		.c = { busy_key(bc, bc->gil, busy_us), {}, bc->metric, NULL },
		.py = { busy_key(bc, bc->py, busy_us), {}, bc->metric, NULL },
		.kind = CLOSE,
		.unit = bc->unit,
		.why = why,
	};
	struct pb_finding *f;

	snprintf(id, sizeof(id), "%s_%.0fus", bc->id, busy_us);
	snprintf(text, sizeof(text), "%s the caller computes %.0f us before get (%s)", bc->what,
		 busy_us, bc->p50);
	if (echo)
		snprintf(why, sizeof(why),
			 "below the switch interval (%d us) both figures are busy_us by "
			 "construction",
			 GIL_DEFAULT_INTERVAL_US);
	else
		snprintf(why, sizeof(why), why_gil, bc->threads);
	f = fidelity_judge(rep, &cl, NULL, echo, t);
	if (free_threads)
		pb_finding_stat(f, rep, free_threads, "C without the GIL", bc->metric, bc->unit);
}

void cpython_fidelity_gil(struct pb_report *rep, struct fidelity_tally *t)
{
	for (size_t i = 0; i < sizeof(claims) / sizeof(*claims); i++) {
		const struct pb_case_key k = { .experiment = claims[i].experiment,
					       .model = claims[i].gil,
					       .extra = claims[i].extra,
					       .workers = 2 }; /* every busy_us of the sweep */

		for (const struct pb_case *gil = NULL; (gil = pb_report_next(rep, &k, gil));)
			busy_row(rep, &claims[i], gil, t);
	}
}

void fidelity_gil_reasons(void (*fn)(const char *id, const char *why, void *arg), void *arg)
{
	for (size_t i = 0; i < sizeof(claims) / sizeof(*claims); i++)
		fn(claims[i].id, why_gil, arg);
}
