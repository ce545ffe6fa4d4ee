/* SPDX-License-Identifier: MIT */
/*
 * cpython — the fidelity table's rows for the Queue under the GIL
 * (ipc-latency queue-py-gil-busy against cpython-queue-busy, and the free
 * feeder queue-py-busy beside them): how long a put takes to reach the
 * other process while the caller computes busy_us. Every figure comes from
 * the run; the format is fidelity.c's.
 */
#include <math.h>
#include <stdio.h>

#include "cpython.h"

#define BUSY(m, us)                                                                            \
	{                                                                                      \
		.experiment = "ipc-latency", .model = m, .extra = "pin:scatter", .workers = 2, \
		.param = "busy_us", .param_value = us                                          \
	}

static void busy_row(struct pb_report *rep, const struct pb_case *gil, const struct pb_case *py,
		     const struct pb_case *free_feeder)
{
	struct stats_summary c, p, f, r;
	double ratio;
	bool ok;

	if (!pb_report_stat(rep, gil->name, "delivery_ns_p50", &c) ||
	    !pb_report_stat(rep, py->name, "delivery_ns_p50", &p) || !(c.median > 0))
		return;
	ratio = p.median / c.median;
	ok = ratio >= 0.8 && ratio <= 1.25;
	r = (struct stats_summary){ .n = 1, .min = ratio, .median = ratio, .max = ratio };
	pb_report_row(rep, py, NULL, "fidelity_ratio", r, "x");
	r.min = r.median = r.max = ok;
	pb_report_row(rep, py, NULL, "fidelity_agrees", r, "flag");
	if (!free_feeder || !pb_report_stat(rep, free_feeder->name, "delivery_ns_p50", &f))
		f.median = f.min = f.max = NAN;
	pb_report_note(rep,
		       "fidelity | Queue under the GIL: put to the other process while the caller "
		       "computes %.0f us before get (delivery p50) | C %s: %.4g (%.4g–%.4g) us | "
		       "CPython: %.4g (%.4g–%.4g) us | CPython/C %.2f | %s; the free feeder "
		       "(queue-py-busy, no GIL) delivers in %.4g (%.4g–%.4g) us",
		       gil->param_value, gil->model, c.median / 1e3, c.min / 1e3, c.max / 1e3,
		       p.median / 1e3, p.min / 1e3, p.max / 1e3, ratio,
		       ok ? "agrees" :
			    "differs: the feeder's GIL waits are the model's (ceval_gil.c), the "
			    "caller's loop is Python's own (it polls the eval breaker less often "
			    "than every tick)",
		       f.median / 1e3, f.min / 1e3, f.max / 1e3);
}

void cpython_fidelity_gil(struct pb_report *rep)
{
	struct pb_case_key k = BUSY("queue-py-gil-busy", 0);
	const struct pb_case *gil = NULL;

	k.param = NULL; /* every busy_us of the sweep */
	while ((gil = pb_report_next(rep, &k, gil))) {
		struct pb_case_key kp = BUSY("cpython-queue-busy", gil->param_value),
				   kf = BUSY("queue-py-busy", gil->param_value);
		const struct pb_case *py = pb_report_find(rep, &kp);

		if (py)
			busy_row(rep, gil, py, pb_report_find(rep, &kf));
	}
	cpython_fidelity_pool_gil(rep);
}
