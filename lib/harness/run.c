/* SPDX-License-Identifier: MIT */
/*
 * run — parse options, load the topology, calibrate, plan every
 * experiment's cases, register them with google-benchmark, and hand each
 * finished repetition to output.c at once. At the end: the summary, and an
 * exit status that says whether every case passed. This file holds the
 * order of things; each part of the run's state belongs to the file that
 * uses it (output, progress, resume).
 */
#include "run_impl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "registry.h"
#include "summary.h"
#include "workload.h"

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
	snprintf(reps_flag, sizeof(reps_flag), "--benchmark_repetitions=%d", r->cfg.reps);
	argv[argc++] = reps_flag;
	argv[argc++] = min_time_flag;
	if (!r->opt.csv && !r->opt.gb_has_out && !r->opt.resume) {
		snprintf(out_flag, sizeof(out_flag), "--benchmark_out=%s/gbench.json", r->out.dir);
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
	report_free(&r->report);
	plan_free(&r->plan);
	free(r->exp_ncases);
	progress_free(&r->prog);
	resume_free(&r->resume);
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
	    ((r->opt.resume || r->opt.summarize) &&
	     (rc = resume_setup(&r->resume, &r->opt, err, sizeof(err))))) {
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
	r->cfg.reps = r->opt.reps ? r->opt.reps : cli_default_reps(r->opt.profile);
	r->prog.reps = r->cfg.reps;
	r->out.opt = &r->opt;
	r->out.cfg = &r->cfg;
	if (r->resume.dir)
		snprintf(r->out.dir, sizeof(r->out.dir), "%s", r->resume.dir);
	return -1; /* go on */
}

/* The files beside raw.csv that say what the run holds: experiments.csv
 * (a resumed run begun before it existed gets it now) and cases.csv. */
static int describe_run(struct run *r)
{
	char path[600];

	snprintf(path, sizeof(path), "%s/experiments.csv", r->out.dir);
	if ((!r->opt.resume || access(path, F_OK) != 0) &&
	    registry_write_file(r->out.dir, r->suites, r->exp_ncases) < 0)
		return 2;
	if (r->opt.resume)
		return 0;
	snprintf(path, sizeof(path), "%s/cases.csv", r->out.dir);
	return cases_csv_write(path, &r->plan, NULL, &r->cfg) < 0 ? 2 : 0;
}

/* Everything that can be refused is checked before the first side effect
 * (calibration, directories, files): a bad flag leaves no trace. */
static int start_run(struct run *r, const char *stamp)
{
	int rc;

	pb_run_pid = getpid();
	ipc_set_owner(pb_run_pid);
	if ((!r->opt.resume && (rc = output_plan(&r->out, stamp))) || (rc = init_gbench(r)))
		return rc;
	prctl(PR_SET_CHILD_SUBREAPER, 1); /* orphans of a case come back to us */
	lifeline_signals();
	if (lifeline_start() < 0)
		fprintf(stderr,
			"parbench: warning: no lifeline guard (%s): a kill -9 of "
			"parbench may leave a case's workers running\n",
			strerror(errno));
	noise_start(&r->out.noise, r->cfg.pus);
	workload_calibrate();
	if (r->opt.resume)
		rc = resume_open(&r->resume, &r->out, &r->report) < 0 ? 2 : 0;
	else
		rc = output_open(&r->out);
	return rc || r->opt.csv ? rc : describe_run(r);
}

/* The end: raw.csv closed and checked, every planned case reported, the
 * summary written; each of these that went wrong counts as a failed case. */
static void finish_run(struct run *r)
{
	const struct summary_meta fresh = { 0 };

	if (output_close(&r->out) < 0)
		r->prog.failed_cases++;
	if (!pb_interrupted && r->prog.cases_done != r->plan.n) {
		fprintf(stderr,
			"parbench: error: %zu case(s) planned, %zu reported with all %d "
			"repetitions; results are incomplete\n",
			r->plan.n, r->prog.cases_done, r->cfg.reps);
		r->prog.failed_cases++;
	}
	if (summary_write(&r->report, r->suites, &r->out,
			  r->resume.meta.text ? &r->resume.meta : &fresh, r->prog.human) < 0)
		r->prog.failed_cases++;
}

static int run_all(struct run *r)
{
	time_t now = time(NULL);
	struct slot *slots;
	char stamp[32];
	size_t nrun;
	int rc;

	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", gmtime(&now));
	strftime(r->out.started, sizeof(r->out.started), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	if ((rc = start_run(r, stamp)))
		return rc;
	report_init(&r->report, &r->cfg, &r->plan, r->opt.interleave);
	slots = run_register_cases(r, &nrun);
	if (!slots)
		return 1;
	progress_start(&r->prog, &r->plan, r->resume.done, r->out.csv == stdout ? stderr : stdout);
	fprintf(stderr,
		"parbench: %zu cases × %d repetitions, profile %s, pin %s, on %s (%s, %d PUs); "
		"estimated %d:%02d\n",
		r->plan.n, r->cfg.reps, pb_profile_name(r->cfg.profile),
		pin_policy_name(r->cfg.pin), r->cfg.machine, topo_cpu_model(r->cfg.topo),
		r->cfg.pus, (int)r->prog.est_total / 60, (int)r->prog.est_total % 60);
	if (nrun > 0)
		gb_run(run_on_run, r);
	progress_clear(&r->prog);
	progress_report_time(&r->prog, &r->plan, r->suites, r->exp_ncases, r->report.nreps);
	run_record_interrupt(r);
	finish_run(r);
	noise_end(&r->out.noise, r->cfg.pus);
	gb_shutdown();
	free(slots);
	ipc_cleanup(0);
	fflush(r->prog.human); /* the notes first, then where the files are */
	if (r->out.dir[0])
		output_list(&r->out);
	if (r->out.write_failed)
		return 1;
	if (pb_interrupted) {
		fprintf(stderr, "parbench: interrupted; the cases that finished are in the CSV\n");
		return 130;
	}
	if (r->prog.failed_cases)
		fprintf(stderr, "parbench: %d case(s) failed (see the status rows)\n",
			r->prog.failed_cases);
	return r->prog.failed_cases ? 1 : 0;
}

/* --resume and --summarize: what raw.csv holds; --summarize then rebuilds
 * summary.csv, summary.md, findings.csv and cases.csv from it alone (a run
 * made before parbench wrote cases.csv gets one). -1: go on. */
static int read_back(struct run *r)
{
	char err[400];
	int rc;

	report_init(&r->report, &r->cfg, &r->plan, r->opt.interleave);
	if ((rc = resume_load(&r->resume, &r->report, &r->opt, &r->out, err, sizeof(err)))) {
		fprintf(stderr, "parbench: %s\n", err);
		return rc;
	}
	r->prog.cases_done = r->resume.ncomplete;
	if (!r->opt.summarize)
		return -1;
	rc = summary_write(&r->report, r->suites, &r->out, &r->resume.meta, stdout);
	fprintf(stderr,
		"parbench: %s/summary.csv, summary.md and cases.csv rebuilt from raw.csv (%zu of %zu "
		"cases complete)\n",
		r->out.dir, r->resume.ncomplete, r->plan.n);
	return rc < 0 ? 1 : 0;
}

/* What is left when the command line asks for no run, or selects nothing. */
static int no_run(struct run *r)
{
	if (r->opt.list && r->opt.list_cases) {
		for (size_t i = 0; i < r->plan.n; i++)
			printf("%s\n", r->plan.cases[i].name);
		return 0;
	}
	if (r->opt.list) {
		registry_list(r->suites, r->exp_ncases, &r->plan, &r->cfg);
		return 0;
	}
	fprintf(stderr, "parbench: no case matches --filter '%s'%s%s%s (see parbench --list)\n",
		r->opt.filter ? r->opt.filter : "", r->opt.exclude ? " --exclude '" : "",
		r->opt.exclude ? r->opt.exclude : "", r->opt.exclude ? "'" : "");
	return 2;
}

int runner_main(int argc, char **argv, const struct pb_experiment *const suites[])
{
	static struct run r;
	int rc;

	r.suites = suites;
	r.out.argc = argc;
	r.out.argv = argv;
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
	rc = r.opt.resume || r.opt.summarize ? read_back(&r) : -1;
	if (rc < 0 && (r.opt.list || r.plan.n == 0))
		rc = no_run(&r);
	if (rc < 0) {
		rc = run_all(&r);
		lifeline_stop();
	}
	free_run(&r);
	return rc;
}
