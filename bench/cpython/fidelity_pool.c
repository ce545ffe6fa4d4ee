/* SPDX-License-Identifier: MIT */
/*
 * cpython — the fidelity table's rows for the Pool's handlers under the GIL
 * (pool-overhead pool-gil-busy against cpython-pool-busy, and the free
 * handlers pool-busy beside them): when map_async's results are ready while
 * the caller computes busy_us. Every figure comes from the run; the format
 * is fidelity.c's.
 */
#include <math.h>
#include <stdio.h>

#include "cpython.h"

#define POOL_BUSY(m, us)                                                                     \
	{                                                                                    \
		.experiment = "pool-overhead", .model = m, .workers = 2, .param = "busy_us", \
		.param_value = us                                                            \
	}

static void pool_busy_row(struct pb_report *rep, const struct pb_case *gil,
			  const struct pb_case *py, const struct pb_case *free_handlers)
{
	struct stats_summary c, p, f, r;
	double ratio;
	bool ok;

	if (!pb_report_stat(rep, gil->name, "ready_us_p50", &c) ||
	    !pb_report_stat(rep, py->name, "ready_us_p50", &p) || !(c.median > 0))
		return;
	ratio = p.median / c.median;
	ok = ratio >= 0.8 && ratio <= 1.25;
	r = (struct stats_summary){ .n = 1, .min = ratio, .median = ratio, .max = ratio };
	pb_report_row(rep, py, NULL, "fidelity_ratio", r, "x");
	r.min = r.median = r.max = ok;
	pb_report_row(rep, py, NULL, "fidelity_agrees", r, "flag");
	if (!free_handlers || !pb_report_stat(rep, free_handlers->name, "ready_us_p50", &f))
		f.median = f.min = f.max = NAN;
	pb_report_note(rep,
		       "fidelity | Pool handlers under the GIL: map_async's results ready while "
		       "the caller computes %.0f us before get (ready p50) | C %s: %.4g "
		       "(%.4g–%.4g) us | CPython: %.4g (%.4g–%.4g) us | CPython/C %.2f | %s; the "
		       "free handlers (pool-busy, no GIL) are ready in %.4g (%.4g–%.4g) us",
		       gil->param_value, gil->model, c.median, c.min, c.max, p.median, p.min, p.max,
		       ratio,
		       ok ? "agrees" :
			    "differs: the handlers' GIL waits are the model's (ceval_gil.c), the "
			    "caller's loop is Python's own (it polls the eval breaker less often "
			    "than every tick)",
		       f.median, f.min, f.max);
}

void cpython_fidelity_pool_gil(struct pb_report *rep)
{
	struct pb_case_key k = POOL_BUSY("pool-gil-busy", 0);
	const struct pb_case *gil = NULL;

	k.param = NULL; /* every busy_us of the sweep */
	while ((gil = pb_report_next(rep, &k, gil))) {
		struct pb_case_key kp = POOL_BUSY("cpython-pool-busy", gil->param_value),
				   kf = POOL_BUSY("pool-busy", gil->param_value);
		const struct pb_case *py = pb_report_find(rep, &kp);

		if (py)
			pool_busy_row(rep, gil, py, pb_report_find(rep, &kf));
	}
}
