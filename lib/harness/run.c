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

/* ---- main ---- */

/* Plan every experiment, keep the cases --filter and --exclude select, and
 * count them per experiment for --list. */
static int plan_cases(struct run *r)
{
	struct pb_plan all = { 0 };
	struct cli_select sel;
	size_t nexp = 0;

	if (cli_select_init(&sel, &r->opt) != 0)
		return -1; /* cli_parse already checked both */
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
			if (!cli_select_keep(&sel, all.cases[i].name))
				continue;
			pb_plan_add(&r->plan, &all.cases[i]);
			r->exp_ncases[e]++;
		}
	}
	cli_select_free(&sel);
	plan_free(&all);
	return 0;
}

/* google-benchmark's argv: ours first, so that the user's own
 * --benchmark_* flags, which come after, win. Its loop (the in-process
 * calibration case) runs 0.1 s a repetition, not its default 0.5 s: 4,000
 * iterations of a tick batch, and 2 s less of a run. */
static int init_gbench(struct run *r)
{
	static char reps_flag[64], out_flag[600], min_time_flag[] = "--benchmark_min_time=0.1";
	char *argv[CLI_MAX_GB_ARGS + 6];
	int argc = 0;

	argv[argc++] = r->opt.gb_argv[0];
	snprintf(reps_flag, sizeof(reps_flag), "--benchmark_repetitions=%d", r->reps);
	argv[argc++] = reps_flag;
	argv[argc++] = min_time_flag;
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

static void free_run(struct run *r)
{
	for (size_t i = 0; i < r->plan.n && r->report.nreps; i++) {
		for (int k = 0; k < r->report.nreps[i]; k++)
			rep_result_free(&r->report.reps[i][k]);
		free(r->report.reps[i]);
	}
	findings_free(&r->report);
	free(r->report.rows);
	free(r->report.reps);
	free(r->report.nreps);
	free(r->took_s);
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
	if (r->opt.help || r->opt.version) {
		if (r->opt.help)
			fputs(cli_usage, stdout);
		else
			cli_version(stdout);
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
	slots = run_register_cases(r, &nrun);
	if (!slots)
		return 1;
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
		gb_run(run_on_run, r);
	run_progress_clear(r);
	run_report_time(r);
	run_record_interrupt(r);
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
	/* from the first instruction: a Ctrl-C while the topology loads or the
	 * plan is made skips every case, and the run still ends with exit 130,
	 * its raw.csv and its summary (not the default death by signal) */
	lifeline_signals();
	lifeline_test_stall("start");
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
		run_list_plan(&r);
		free_run(&r);
		return 0;
	}
	if (r.plan.n == 0) {
		fprintf(stderr,
			"parbench: no case matches --filter '%s'%s%s%s (see parbench --list)\n",
			r.opt.filter ? r.opt.filter : "", r.opt.exclude ? " --exclude '" : "",
			r.opt.exclude ? r.opt.exclude : "", r.opt.exclude ? "'" : "");
		free_run(&r);
		return 2;
	}
	rc = run_all(&r, argc, argv);
	lifeline_stop();
	free_run(&r);
	return rc;
}
