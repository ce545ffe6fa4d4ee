/* SPDX-License-Identifier: MIT */
/*
 * repetition — the google-benchmark side of a run: every case registered
 * (once, or once per round under --interleave), each repetition run when
 * google-benchmark calls it (in a case process, or in-process for a
 * micro-benchmark), and each finished one handed to output.c at once.
 */
#include "run_impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- one repetition, called by google-benchmark ---- */

struct slot {
	struct run *r;
	size_t idx;
	int64_t reported; /* --interleave: the case's repetitions reported so far */
};

static double case_budget(const struct run *r, const struct pb_case *c)
{
	if (c->budget_s > 0)
		return c->budget_s;
	return PB_PICK(&r->cfg, 60.0, 120.0, 600.0);
}

static void set_counters(struct run *r, gb_state *st, const struct rep_result *res)
{
	for (size_t m = 0; m < res->nmetrics; m++) {
		gb_counter(st, res->metrics[m].name, res->metrics[m].value);
		output_remember_unit(&r->out, res->metrics[m].name, res->metrics[m].unit);
	}
}

/* google-benchmark calls an in-process case several times per repetition
 * while it finds an iteration count; only the reported run counts, so its
 * result is taken from the report (on_run), not from here. */
static void bench_inproc(struct run *r, const struct pb_case *c, gb_state *st)
{
	struct rep_result scratch;

	inproc_run(&r->cfg, c, st, &scratch);
	if (scratch.failed)
		gb_skip_with_error(st, scratch.reason);
	else
		set_counters(r, st, &scratch);
	rep_result_free(&scratch);
}

/* An isolated case runs exactly once per repetition (one fixed iteration),
 * in a case process; its result is kept for the summary. */
static void bench_isolated(struct run *r, size_t idx, gb_state *st)
{
	const struct pb_case *c = &r->plan.cases[idx];
	struct rep_result *res = report_new_rep(&r->report, idx);

	while (gb_keep_running(st)) {
		caseproc_run(&r->cfg, c, case_budget(r, c), res);
		if (!res->failed)
			gb_set_iteration_time(st, isnan(res->time_s) ? 0 : res->time_s);
	}
	res->seq = r->report.nseq++;
	/* written and flushed now, not when google-benchmark reports the case
	 * after its last repetition: a kill loses one repetition at most */
	output_write_rep(&r->out, c, r->report.nreps[idx] - 1, res);
	if (res->failed || res->skipped)
		gb_skip_with_error(st, res->reason);
	else
		set_counters(r, st, res);
	lifeline_test_stall("rep_end");
}

static void bench_fn(gb_state *st, void *arg)
{
	struct slot *slot = arg;
	struct run *r = slot->r;
	const struct pb_case *c = &r->plan.cases[slot->idx];
	uint64_t t0 = clock_now_ns();

	if (pb_interrupted) {
		gb_skip_with_error(st, "interrupted");
		return;
	}
	progress_rep(&r->prog, c, r->report.nreps[slot->idx]);
	lifeline_test_stall("rep_start");
	if (c->in_process)
		bench_inproc(r, c, st);
	else
		bench_isolated(r, slot->idx, st);
	progress_rep_took(&r->prog, slot->idx, (double)(clock_now_ns() - t0) / 1e9);
}

/* An in-process case's repetition, as google-benchmark reported it. */
static struct rep_result *inproc_rep(struct run *r, size_t idx, const struct gb_run *run)
{
	struct rep_result *res = report_new_rep(&r->report, idx);

	*res = (struct rep_result){ .failed = run->failed,
				    .time_s = run->real_time_s,
				    .seq = r->report.nseq++ };
	snprintf(res->reason, sizeof(res->reason), "%s", run->error);
	for (int i = 0; i < run->ncounters && !run->failed; i++)
		rep_result_add(res, run->counter_names[i], run->counter_values[i],
			       output_unit_of(&r->out, run->counter_names[i]));
	if (!run->failed) {
		rep_result_add(res, "iteration_ns", run->real_time_s * 1e9, "ns");
		output_remember_unit(&r->out, "iteration_ns", "ns");
	}
	return res;
}

void run_on_run(const struct gb_run *run, void *arg)
{
	struct run *r = arg;
	struct slot *slot = run->case_arg;
	size_t idx;
	struct rep_result *res;
	int64_t rep;

	if (!slot)
		return; /* not one of ours */
	idx = slot->idx;
	/* in rounds, every repetition is a benchmark of its own (rep 0) */
	rep = r->opt.interleave ? slot->reported++ : run->rep;
	if (r->plan.cases[idx].in_process) {
		if (pb_interrupted)
			return;
		res = inproc_rep(r, idx, run);
		if (output_write_rep(&r->out, &r->plan.cases[idx], (int)rep, res) < 0)
			return;
	} else if (rep >= r->report.nreps[idx]) {
		return; /* skipped before it ran (interrupted): nothing measured */
	}
	if (rep + 1 == r->cfg.reps) {
		progress_case_done(&r->prog, &r->report, idx, &r->out);
		lifeline_test_stall("case_end");
	}
}

/* Every case of the plan, but those --resume found complete; how many.
 * --interleave runs the repetitions in rounds: round k is repetition k of
 * every case, in plan order (reversed every other round, so that no case is
 * always first), each registered as a benchmark of one repetition. The
 * cases a summary compares sit next to each other in the plan (serial and
 * its models, one PU and two), so repetition k of each runs within one
 * round of the other: the pairs pb_report_paired divides. --resume runs
 * the rounds a case lacks (resume.c kept its first nreps). */
size_t run_round_case(const struct run *r, int k, size_t j)
{
	return k % 2 ? r->plan.n - 1 - j : j;
}

static size_t register_each(struct run *r, struct slot *slots)
{
	int rounds = r->opt.interleave ? r->cfg.reps : 1;
	size_t n = 0;

	for (int k = 0; k < rounds; k++) {
		for (size_t j = 0; j < r->plan.n; j++) {
			size_t i = run_round_case(r, k, j);
			struct gb_options o = { .manual_time = !r->plan.cases[i].in_process,
						.iterations = r->plan.cases[i].in_process ? 0 : 1,
						.repetitions = r->opt.interleave ? 1 : 0 };

			if ((r->resume.done && r->resume.done[i]) || k < r->report.nreps[i])
				continue;
			slots[i] = (struct slot){ r, i, r->report.nreps[i] };
			gb_register(r->plan.cases[i].name, bench_fn, &slots[i], o);
			n += k == r->report.nreps[i]; /* its first registration */
		}
	}
	return n;
}

struct slot *run_register_cases(struct run *r, size_t *nrun)
{
	struct slot *slots = calloc(r->plan.n, sizeof(*slots));

	if (!slots) {
		perror("parbench: calloc");
		return NULL;
	}
	*nrun = register_each(r, slots);
	return slots;
}
