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
#include <math.h>
#include <stdio.h>

#include "cpython.h"

/* One claim: the three models' cases at each busy_us of the sweep. */
struct busy_claim {
	const char *id;			/* the finding: cpython.fidelity.<id>_<busy_us>us */
	const char *experiment, *extra; /* the cases' key */
	const char *gil, *py, *free;	/* C under the GIL, CPython, C without it */
	const char *metric;		/* the p50 compared */
	double to_us;			/* the metric's unit to us */
	const char *what, *p50, *threads;
};

static const struct busy_claim claims[] = {
	{ "queue_gil_busy", "ipc-latency", "pin:scatter", "queue-py-gil-busy", "cpython-queue-busy",
	  "queue-py-busy", "delivery_ns_p50", 1e-3,
	  "Queue under the GIL: put to the other process while", "delivery p50", "feeder's" },
	{ "pool_gil_busy", "pool-overhead", NULL, "pool-gil-busy", "cpython-pool-busy", "pool-busy",
	  "ready_us_p50", 1, "Pool handlers under the GIL: map_async's results ready while",
	  "ready p50", "handlers'" },
};

static const struct pb_case *busy_case(const struct pb_report *rep, const struct busy_claim *cl,
				       const char *model, double busy_us)
{
	const struct pb_case_key k = { .experiment = cl->experiment,
				       .model = model,
				       .extra = cl->extra,
				       .workers = 2,
				       .param = "busy_us",
				       .param_value = busy_us };

	return pb_report_find(rep, &k);
}

/* s in us (the metric's unit times u) */
static struct stats_summary in_us(struct stats_summary s, double u)
{
	s.min *= u;
	s.median *= u;
	s.max *= u;
	return s;
}

static void busy_row(struct pb_report *rep, const struct busy_claim *cl, const struct pb_case *gil)
{
	const struct pb_case *py = busy_case(rep, cl, cl->py, gil->param_value);
	const struct pb_case *free_threads = busy_case(rep, cl, cl->free, gil->param_value);
	struct stats_summary c, p, fr, r;
	struct pb_finding *f;
	double ratio;
	char id[96];
	bool ok;

	if (!py || !pb_report_stat(rep, gil->name, cl->metric, &c) ||
	    !pb_report_stat(rep, py->name, cl->metric, &p) || !(c.median > 0))
		return;
	ratio = p.median / c.median;
	ok = ratio >= 0.8 && ratio <= 1.25;
	r = (struct stats_summary){ .n = 1, .min = ratio, .median = ratio, .max = ratio };
	pb_report_row(rep, py, NULL, "fidelity_ratio", r, "x");
	r.min = r.median = r.max = ok;
	pb_report_row(rep, py, NULL, "fidelity_agrees", r, "flag");
	snprintf(id, sizeof(id), "fidelity.%s_%.0fus", cl->id, gil->param_value);
	f = pb_report_finding(rep, id, "%s the caller computes %.0f us before get (%s)", cl->what,
			      gil->param_value, cl->p50);
	pb_finding_figure(f, "C", in_us(c, cl->to_us), "us");
	pb_finding_figure(f, "CPython", in_us(p, cl->to_us), "us");
	pb_finding_value(f, "CPython/C", ratio, "x");
	if (free_threads && pb_report_stat(rep, free_threads->name, cl->metric, &fr))
		pb_finding_figure(f, "C without the GIL", in_us(fr, cl->to_us), "us");
	if (ok)
		pb_finding_verdict(f, "agrees", NULL);
	else
		pb_finding_verdict(f, "differs",
				   "the %s GIL waits are the model's (ceval_gil.c), the caller's "
				   "loop is Python's own (it polls the eval breaker less often than "
				   "every tick)",
				   cl->threads);
}

void cpython_fidelity_gil(struct pb_report *rep)
{
	for (size_t i = 0; i < sizeof(claims) / sizeof(*claims); i++) {
		const struct pb_case_key k = { .experiment = claims[i].experiment,
					       .model = claims[i].gil,
					       .extra = claims[i].extra,
					       .workers = 2 }; /* every busy_us of the sweep */

		for (const struct pb_case *gil = NULL; (gil = pb_report_next(rep, &k, gil));)
			busy_row(rep, &claims[i], gil);
	}
}
