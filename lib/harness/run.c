/* SPDX-License-Identifier: MIT */
/*
 * run — parse options, load the topology, calibrate, plan every
 * experiment's cases, register them with google-benchmark, and hand each
 * finished repetition to output.c at once. At the end: the summary, and an
 * exit status that says whether every case passed.
 */
#include "run_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <regex.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "csv.h"
#include "workload.h"

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

static struct rep_result *new_rep(struct run *r, size_t idx)
{
	int n = r->report.nreps[idx]++;

	r->report.reps[idx] =
		realloc(r->report.reps[idx], (size_t)(n + 1) * sizeof(struct rep_result));
	if (!r->report.reps[idx]) {
		perror("parbench: realloc");
		exit(1);
	}
	return &r->report.reps[idx][n];
}

static void set_counters(struct run *r, gb_state *st, const struct rep_result *res)
{
	for (size_t m = 0; m < res->nmetrics; m++) {
		gb_counter(st, res->metrics[m].name, res->metrics[m].value);
		run_remember_unit(r, res->metrics[m].name, res->metrics[m].unit);
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
	struct rep_result *res = new_rep(r, idx);

	while (gb_keep_running(st)) {
		caseproc_run(&r->cfg, c, case_budget(r, c), res);
		if (!res->failed)
			gb_set_iteration_time(st, isnan(res->time_s) ? 0 : res->time_s);
	}
	res->seq = r->report.nseq++;
	/* written and flushed now, not when google-benchmark reports the case
	 * after its last repetition: a kill loses one repetition at most */
	run_write_rep(r, c, r->report.nreps[idx] - 1, res);
	if (res->failed || res->skipped)
		gb_skip_with_error(st, res->reason);
	else
		set_counters(r, st, res);
}

static void bench_fn(gb_state *st, void *arg)
{
	struct slot *slot = arg;
	struct run *r = slot->r;
	const struct pb_case *c = &r->plan.cases[slot->idx];

	if (pb_interrupted) {
		gb_skip_with_error(st, "interrupted");
		return;
	}
	run_progress(r, c, r->report.nreps[slot->idx]);
	if (c->in_process)
		bench_inproc(r, c, st);
	else
		bench_isolated(r, slot->idx, st);
	r->reps_done++;
}

/* An in-process case's repetition, as google-benchmark reported it. */
static struct rep_result *inproc_rep(struct run *r, size_t idx, const struct gb_run *run)
{
	struct rep_result *res = new_rep(r, idx);

	*res = (struct rep_result){ .failed = run->failed,
				    .time_s = run->real_time_s,
				    .seq = r->report.nseq++ };
	snprintf(res->reason, sizeof(res->reason), "%s", run->error);
	for (int i = 0; i < run->ncounters && !run->failed; i++)
		rep_result_add(res, run->counter_names[i], run->counter_values[i],
			       run_unit_of(r, run->counter_names[i]));
	if (!run->failed) {
		rep_result_add(res, "iteration_ns", run->real_time_s * 1e9, "ns");
		run_remember_unit(r, "iteration_ns", "ns");
	}
	return res;
}

static void on_run(const struct gb_run *run, void *arg)
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
		if (run_write_rep(r, &r->plan.cases[idx], (int)rep, res) < 0)
			return;
	} else if (rep >= r->report.nreps[idx]) {
		return; /* skipped before it ran (interrupted): nothing measured */
	}
	if (rep + 1 == r->reps) {
		r->cases_done++;
		for (int i = 0; i < r->report.nreps[idx]; i++)
			if (r->report.reps[idx][i].failed) {
				r->failed_cases++;
				break;
			}
		run_print_case_line(r, idx);
	}
}

/* ---- main ---- */

static bool keep_case(const regex_t *re, const struct pb_case *c)
{
	return !re || regexec(re, c->name, 0, NULL, 0) == 0;
}

/* Plan every experiment, keep the cases --filter selects, and count them
 * per experiment for --list. */
static int plan_cases(struct run *r)
{
	struct pb_plan all = { 0 };
	size_t nexp = 0;
	regex_t re;

	if (r->opt.filter && regcomp(&re, r->opt.filter, REG_EXTENDED | REG_NOSUB) != 0)
		return -1; /* cli_parse already checked it */
	while (r->suites[nexp])
		nexp++;
	r->exp_ncases = calloc(nexp + 1, sizeof(*r->exp_ncases));
	if (!r->exp_ncases) {
		perror("parbench: calloc");
		exit(1);
	}
	for (size_t e = 0; e < nexp; e++) {
		size_t from = all.n;

		plan_experiment(&all, r->suites[e], &r->cfg);
		for (size_t i = from; i < all.n; i++) {
			if (!keep_case(r->opt.filter ? &re : NULL, &all.cases[i]))
				continue;
			pb_plan_add(&r->plan, &all.cases[i]);
			r->exp_ncases[e]++;
		}
	}
	if (r->opt.filter)
		regfree(&re);
	plan_free(&all);
	return 0;
}

/* --list: the experiments, each with its case count, its estimated time
 * (every repetition of every case it keeps, from the plan alone: no case
 * runs) and what it teaches; then the total. --list --cases: the case
 * names alone, one per line, for scripts. */
static void list_plan(const struct run *r)
{
	size_t shown = 0, i = 0;
	double total = 0;

	if (r->opt.list_cases) {
		for (i = 0; i < r->plan.n; i++)
			printf("%s\n", r->plan.cases[i].name);
		return;
	}
	for (size_t e = 0; r->suites[e]; e++) {
		double est = 0;

		for (size_t k = 0; k < r->exp_ncases[e]; k++)
			est += run_case_estimate(&r->plan.cases[i++]) * r->reps;
		total += est;
		if (!r->exp_ncases[e])
			continue;
		printf("%-20s %4zu case%s %7.1f s  %s\n", r->suites[e]->name, r->exp_ncases[e],
		       r->exp_ncases[e] == 1 ? " " : "s", est, r->suites[e]->summary);
		shown++;
	}
	printf("%zu experiments, %zu cases (parbench --list --cases names them)\n", shown,
	       r->plan.n);
	printf("estimated time: %.0f s (%d:%02d) for profile %s, %d repetitions, on %d PUs\n",
	       total, (int)total / 60, (int)total % 60, pb_profile_name(r->cfg.profile), r->reps,
	       r->cfg.pus);
}

/* google-benchmark's argv: ours first, so that the user's own
 * --benchmark_* flags, which come after, win. */
static int init_gbench(struct run *r)
{
	static char reps_flag[64], out_flag[600];
	char *argv[CLI_MAX_GB_ARGS + 5];
	int argc = 0;

	argv[argc++] = r->opt.gb_argv[0];
	snprintf(reps_flag, sizeof(reps_flag), "--benchmark_repetitions=%d", r->reps);
	argv[argc++] = reps_flag;
	if (!r->opt.csv && !r->opt.gb_has_out && !r->opt.resume) {
		snprintf(out_flag, sizeof(out_flag), "--benchmark_out=%s/gbench.json", r->dir);
		argv[argc++] = out_flag;
		argv[argc++] = "--benchmark_out_format=json";
	}
	for (int i = 1; i < r->opt.gb_argc; i++)
		argv[argc++] = r->opt.gb_argv[i];
	argv[argc] = NULL;
	gb_initialize(&argc, argv);
	if (argc > 1) {
		fprintf(stderr, "parbench: google-benchmark does not know '%s' (see its --help)\n",
			argv[1]);
		return 2;
	}
	return 0;
}

/* Every case of the plan, but those --resume found complete; how many.
 * --interleave runs the repetitions in rounds: round k is repetition k of
 * every case, in plan order (reversed every other round, so that no case is
 * always first), each registered as a benchmark of one repetition. The
 * cases a summary compares sit next to each other in the plan (serial and
 * its models, one PU and two), so repetition k of each runs within one
 * round of the other: the pairs pb_report_paired divides. --resume runs
 * the rounds a case lacks (resume.c kept its first nreps). */
static size_t register_cases(struct run *r, struct slot *slots)
{
	int rounds = r->opt.interleave ? r->reps : 1;
	size_t n = 0;

	for (int k = 0; k < rounds; k++) {
		for (size_t j = 0; j < r->plan.n; j++) {
			size_t i = k % 2 ? r->plan.n - 1 - j : j;
			struct gb_options o = { .manual_time = !r->plan.cases[i].in_process,
						.iterations = r->plan.cases[i].in_process ? 0 : 1,
						.repetitions = r->opt.interleave ? 1 : 0 };

			if ((r->done && r->done[i]) || k < r->report.nreps[i])
				continue;
			slots[i] = (struct slot){ r, i, r->report.nreps[i] };
			gb_register(r->plan.cases[i].name, bench_fn, &slots[i], o);
			n += k == r->report.nreps[i]; /* its first registration */
		}
	}
	return n;
}

static void free_run(struct run *r)
{
	for (size_t i = 0; i < r->plan.n && r->report.nreps; i++) {
		for (int k = 0; k < r->report.nreps[i]; k++)
			rep_result_free(&r->report.reps[i][k]);
		free(r->report.reps[i]);
	}
	for (size_t i = 0; i < r->report.nnotes; i++)
		free(r->report.notes[i]);
	free(r->report.notes);
	free(r->report.rows);
	free(r->report.reps);
	free(r->report.nreps);
	plan_free(&r->plan);
	free(r->exp_ncases);
	free(r->got);
	free(r->done);
	free(r->meta_text);
	for (size_t i = 0; i < r->nkept; i++)
		free(r->kept[i]);
	topo_free(r->cfg.topo);
}

static int setup(struct run *r, int argc, char **argv)
{
	static char host[256];
	char err[512];
	int rc = cli_parse(argc, argv, &r->opt, err, sizeof(err));

	if (rc) {
		fprintf(stderr, "parbench: %s\n(see parbench --help)\n", err);
		return rc;
	}
	if (r->opt.help) {
		fputs(cli_usage, stdout);
		return 0;
	}
	if ((rc = cli_check_env(err, sizeof(err))) ||
	    ((r->opt.resume || r->opt.summarize) && (rc = resume_setup(r, err, sizeof(err))))) {
		fprintf(stderr, "parbench: %s\n", err);
		return rc;
	}
	r->cfg.topo = topo_load(NULL, err, sizeof(err));
	if (!r->cfg.topo) {
		fprintf(stderr, "parbench: topology: %s\n", err);
		return 1;
	}
	if (gethostname(host, sizeof(host)) < 0 || !host[0])
		snprintf(host, sizeof(host), "unknown");
	host[strcspn(host, ".")] = '\0';
	if (!r->opt.machine && !cli_machine_ok(host)) {
		fprintf(stderr,
			"parbench: the host name '%s' is not a valid machine name; give --machine "
			"NAME (1-64 letters, digits, '.', '_', '-')\n",
			host);
		topo_free(r->cfg.topo);
		return 2;
	}
	r->cfg.machine = r->opt.machine ? r->opt.machine : host;
	r->cfg.profile = r->opt.profile;
	r->cfg.pin = r->opt.pin;
	r->cfg.pus = topo_pus(r->cfg.topo);
	r->cfg.python = r->opt.python;
	r->reps = r->opt.reps ? r->opt.reps : cli_default_reps(r->opt.profile);
	r->cfg.reps = r->reps;
	return -1; /* go on */
}

/* Everything that can be refused is checked before the first side effect
 * (calibration, directories, files): a bad flag leaves no trace. */
static int start_run(struct run *r, const char *stamp, const char *started, int argc, char **argv)
{
	int rc;

	pb_run_pid = getpid();
	ipc_set_owner(pb_run_pid);
	if ((!r->opt.resume && (rc = run_plan_outputs(r, stamp))) || (rc = init_gbench(r)))
		return rc;
	prctl(PR_SET_CHILD_SUBREAPER, 1); /* orphans of a case come back to us */
	lifeline_signals();
	if (lifeline_start() < 0)
		fprintf(stderr,
			"parbench: warning: no lifeline guard (%s): a kill -9 of "
			"parbench may leave a case's workers running\n",
			strerror(errno));
	run_noise_start(r);
	workload_calibrate();
	if (r->opt.resume)
		return resume_open(r) < 0 ? 2 : 0;
	if (run_open_outputs(r) < 0)
		return 2;
	run_write_metadata(r, r->csv, started, argc, argv);
	fprintf(r->csv, "%s\n", CSV_RAW_HEADER);
	return run_flush_csv(r) < 0 ? 1 : 0;
}

static int run_all(struct run *r, int argc, char **argv)
{
	char stamp[32], started[32];
	struct slot *slots;
	time_t now = time(NULL);
	size_t nrun;
	int rc;

	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", gmtime(&now));
	strftime(started, sizeof(started), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	if ((rc = start_run(r, stamp, started, argc, argv)))
		return rc;
	run_alloc_report(r);
	slots = calloc(r->plan.n, sizeof(*slots));
	if (!slots) {
		perror("parbench: calloc");
		return 1;
	}
	nrun = register_cases(r, slots);
	r->cases_total = r->plan.n;
	r->tty = isatty(STDERR_FILENO);
	r->human = r->csv == stdout ? stderr : stdout;
	r->t0_ns = clock_now_ns();
	r->est_total = run_plan_estimate(r);
	fprintf(stderr,
		"parbench: %zu cases × %d repetitions, profile %s, pin %s, on %s (%s, %d PUs); "
		"estimated %d:%02d\n",
		r->plan.n, r->reps, pb_profile_name(r->cfg.profile), pin_policy_name(r->cfg.pin),
		r->cfg.machine, topo_cpu_model(r->cfg.topo), r->cfg.pus, (int)r->est_total / 60,
		(int)r->est_total % 60);
	if (nrun > 0)
		gb_run(on_run, r);
	run_progress_clear(r);
	run_finish(r, started, argc, argv);
	run_noise_end(r);
	gb_shutdown();
	free(slots);
	ipc_cleanup(0);
	fflush(r->human); /* the notes first, then where the files are */
	if (r->dir[0])
		run_list_outputs(r);
	if (r->write_failed)
		return 1;
	if (pb_interrupted) {
		fprintf(stderr, "parbench: interrupted; the cases that finished are in the CSV\n");
		return 130;
	}
	if (r->failed_cases)
		fprintf(stderr, "parbench: %d case(s) failed (see the status rows)\n",
			r->failed_cases);
	return r->failed_cases ? 1 : 0;
}

int runner_main(int argc, char **argv, const struct pb_experiment *const suites[])
{
	static struct run r;
	int rc;

	r.suites = suites;
	rc = setup(&r, argc, argv);
	if (rc >= 0)
		return rc;
	if (r.opt.topo) {
		topo_describe(r.cfg.topo, stdout);
		topo_free(r.cfg.topo);
		return 0;
	}
	plan_cases(&r);
	if (r.opt.resume || r.opt.summarize) {
		char err[400];

		run_alloc_report(&r);
		if ((rc = resume_load(&r, err, sizeof(err)))) {
			fprintf(stderr, "parbench: %s\n", err);
			free_run(&r);
			return rc;
		}
		if (r.opt.summarize) {
			rc = run_summarize(&r, argc, argv);
			free_run(&r);
			return rc;
		}
	}
	if (r.opt.list) {
		list_plan(&r);
		free_run(&r);
		return 0;
	}
	if (r.plan.n == 0) {
		fprintf(stderr, "parbench: no case matches --filter '%s' (see parbench --list)\n",
			r.opt.filter ? r.opt.filter : "");
		free_run(&r);
		return 2;
	}
	rc = run_all(&r, argc, argv);
	lifeline_stop();
	free_run(&r);
	return rc;
}
