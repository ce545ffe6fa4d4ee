/* SPDX-License-Identifier: MIT */
/*
 * interrupt — what raw.csv says when a signal stops a run. The first
 * SIGINT/SIGTERM/SIGHUP/SIGQUIT (lifeline.c) sets pb_interrupted: the case
 * in flight is cut and recorded as an "interrupted" repetition, the rest
 * are skipped, and the summary is written from what finished.
 */
#include <math.h>
#include <stdio.h>

#include "harness_impl.h"
#include "run_impl.h"

/* The repetition an interrupt stopped the run before, in the order
 * register_cases gave google-benchmark: the first case, round by round
 * under --interleave, that has fewer repetitions than that round. */
static bool next_pending(const struct run *r, size_t *idx)
{
	int rounds = r->opt.interleave ? r->cfg.reps : 1;

	for (int k = 0; k < rounds; k++)
		for (size_t j = 0; j < r->plan.n; j++) {
			size_t i = run_round_case(r, k, j);
			int want = r->opt.interleave ? k : r->cfg.reps - 1;

			if ((!r->resume.done || !r->resume.done[i]) && r->report.nreps[i] <= want) {
				*idx = i;
				return true;
			}
		}
	return false;
}

/* An interrupt that cut no repetition (it came between two, between two
 * cases, during an in-process case or before the first) still ends raw.csv
 * with an "interrupted" status row: for the repetition that would have run
 * next, so that the file says why it stops there and --resume runs it. A
 * signal after the last repetition adds nothing: no result is missing. */
void run_record_interrupt(struct run *r)
{
	struct rep_result *res;
	size_t idx;

	if (!pb_interrupted || r->out.cut_written || r->out.write_failed || !next_pending(r, &idx))
		return;
	res = report_new_rep(&r->report, idx);
	*res = (struct rep_result){ .failed = true, .time_s = NAN, .seq = r->report.nseq++ };
	snprintf(res->reason, sizeof(res->reason), "interrupted");
	output_write_rep(&r->out, &r->plan.cases[idx], r->report.nreps[idx] - 1, res);
}
