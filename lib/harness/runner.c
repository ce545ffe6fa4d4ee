/* SPDX-License-Identifier: MIT */
/*
 * The run: parse options, load the topology, calibrate, plan every suite's
 * cases, register them with google-benchmark, and write each finished case's
 * repetitions to raw.csv at once. At the end: summary.csv, summary.md, the
 * suites' derived figures, and an exit status that says whether all passed.
 */
#include "runner.h"

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

#include "cli.h"
#include "csv.h"
#include "harness_impl.h"
#include "workload.h"

#ifndef PB_VERSION
#define PB_VERSION "0.1.0"
#endif
#include "gitrev.h"
#ifndef PB_GIT_REV
#define PB_GIT_REV "unknown"
#endif
#ifndef PB_CFLAGS
#define PB_CFLAGS "unknown"
#endif

/* Everything one run needs; one instance, passed to the callbacks. */
struct run {
	struct pb_options opt;
	struct pb_config cfg;
	struct pb_plan plan;
	struct pb_report report;
	const struct pb_experiment *const *suites;
	char dir[512]; /* run directory, "" with --csv */
	FILE *csv;     /* raw rows */
	size_t cases_done, cases_total;
	int reps; /* repetitions per case */
	int failed_cases;
	uint64_t t0_ns; /* for the progress estimate */
	size_t reps_done;
	bool tty;
	FILE *human;		/* case lines: stdout, or stderr when the CSV goes to stdout */
	char units[256][2][64]; /* metric name -> unit, for the CSV */
	int nunits;
};

static void on_signal(int sig)
{
	(void)sig;
	pb_interrupted = 1;
}

static void install_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL); /* no SA_RESTART: waits return EINTR */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	/* A closed stdout (parbench --csv - | head) is an error to report, and
	 * channels want EPIPE from a dead peer, not a silent death. */
	signal(SIGPIPE, SIG_IGN);
}

static void remember_unit(struct run *r, const char *metric, const char *unit)
{
	for (int i = 0; i < r->nunits; i++)
		if (strcmp(r->units[i][0], metric) == 0)
			return;
	if (r->nunits == 256)
		return;
	snprintf(r->units[r->nunits][0], 64, "%s", metric);
	snprintf(r->units[r->nunits][1], 64, "%s", unit);
	r->nunits++;
}

static const char *unit_of(const struct run *r, const char *metric)
{
	for (int i = 0; i < r->nunits; i++)
		if (strcmp(r->units[i][0], metric) == 0)
			return r->units[i][1];
	return "";
}

static size_t case_index(const struct run *r, const char *name)
{
	for (size_t i = 0; i < r->plan.n; i++)
		if (strcmp(r->plan.cases[i].name, name) == 0)
			return i;
	return (size_t)-1;
}

static const char *case_pin(const struct run *r, const struct pb_case *c)
{
	return pin_policy_name(c->pin_fixed ? c->pin : r->cfg.pin);
}

/* ---- metadata ---- */

static void os_pretty_name(char *buf, size_t len)
{
	FILE *f = fopen("/etc/os-release", "r");
	char line[256];

	snprintf(buf, len, "unknown");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "PRETTY_NAME=", 12) != 0)
			continue;
		line[strcspn(line, "\n")] = '\0';
		snprintf(buf, len, "%s", line + 12 + (line[12] == '"'));
		buf[strcspn(buf, "\"")] = '\0';
	}
	fclose(f);
}

static void write_metadata(const struct run *r, FILE *f, const char *started, int argc, char **argv)
{
	struct wl_calibration cal = workload_calibration();
	char buf[512], host[256] = "unknown", cmd[1024] = "";
	struct utsname u;
	size_t off = 0;

	gethostname(host, sizeof(host));
	uname(&u);
	for (int i = 0; i < argc && off < sizeof(cmd); i++)
		off += (size_t)snprintf(cmd + off, sizeof(cmd) - off, "%s%s", i ? " " : "",
					argv[i]);
	csv_meta(f, "schema_version", "%d", CSV_SCHEMA_VERSION);
	csv_meta(f, "parbench_version", "%s", PB_VERSION);
	csv_meta(f, "git_rev", "%s", PB_GIT_REV);
	csv_meta(f, "machine", "%s", r->cfg.machine);
	csv_meta(f, "hostname", "%s", host);
	csv_meta(f, "cpu_model", "%s", topo_cpu_model(r->cfg.topo));
	csv_meta(f, "packages", "%d", topo_packages(r->cfg.topo));
	csv_meta(f, "cores", "%d", topo_cores(r->cfg.topo));
	csv_meta(f, "pus", "%d", topo_pus(r->cfg.topo));
	csv_meta(f, "numa_nodes", "%d", topo_numa_nodes(r->cfg.topo));
	topo_caches(r->cfg.topo, buf, sizeof(buf));
	csv_meta(f, "caches", "%s", buf);
	topo_hwloc_version(buf, sizeof(buf));
	csv_meta(f, "hwloc_version", "%s", buf);
	csv_meta(f, "kernel", "%s %s %s", u.sysname, u.release, u.machine);
	os_pretty_name(buf, sizeof(buf));
	csv_meta(f, "os", "%s", buf);
#ifdef __clang__
	csv_meta(f, "compiler", "clang %s", __clang_version__);
#else
	csv_meta(f, "compiler", "gcc %s", __VERSION__);
#endif
	csv_meta(f, "cflags", "%s", PB_CFLAGS);
	csv_meta(f, "gbench_version", "%s", gb_version());
	csv_meta(f, "gbench_build_type", "%s", gb_build_type());
	csv_meta(f, "profile", "%s", pb_profile_name(r->cfg.profile));
	csv_meta(f, "pin", "%s", pin_policy_name(r->cfg.pin));
	csv_meta(f, "reps", "%d", r->reps);
	csv_meta(f, "filter", "%s", r->opt.filter ? r->opt.filter : "");
	csv_meta(f, "calibration_ticks_per_ms", "%.1f", cal.ticks_per_ms);
	csv_meta(f, "calibration_tick_ns", "%.3f", cal.tick_ns);
	csv_meta(f, "calibration_method", "median of %d runs of %.0f ms on one core", cal.runs,
		 cal.run_ms);
	csv_meta(f, "started_utc", "%s", started);
	csv_meta(f, "command", "%s", cmd);
}

/* ---- progress, on stderr when it is a terminal ---- */

static void progress(struct run *r, const struct pb_case *c, int rep)
{
	double elapsed = (double)(clock_now_ns() - r->t0_ns) / 1e9;
	size_t total = r->cases_total * (size_t)r->reps;
	char left[32] = "?";

	if (!r->tty)
		return;
	if (r->reps_done > 0) {
		double s = elapsed / (double)r->reps_done * (double)(total - r->reps_done);

		snprintf(left, sizeof(left), "~%d:%02d", (int)s / 60, (int)s % 60);
	}
	fprintf(stderr, "\r\033[K[%zu/%zu] %s  rep %d/%d  elapsed %d:%02d  left %s",
		r->cases_done + 1, r->cases_total, c->name, rep + 1, r->reps, (int)elapsed / 60,
		(int)elapsed % 60, left);
	fflush(stderr);
}

static void progress_clear(const struct run *r)
{
	if (r->tty)
		fputs("\r\033[K", stderr);
}

/* ---- one repetition, called by google-benchmark ---- */

struct slot {
	struct run *r;
	size_t idx;
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
		remember_unit(r, res->metrics[m].name, res->metrics[m].unit);
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
	if (res->failed)
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
	progress(r, c, r->report.nreps[slot->idx]);
	if (c->in_process)
		bench_inproc(r, c, st);
	else
		bench_isolated(r, slot->idx, st);
	r->reps_done++;
}

/* ---- the reporter: raw rows as soon as a case finishes ---- */

static void write_rep(struct run *r, const struct pb_case *c, int rep, const struct rep_result *res)
{
	struct csv_row row = {
		.machine = r->cfg.machine,
		.case_name = c->name,
		.experiment = c->experiment,
		.model = c->model,
		.workload = c->workload,
		.workers = c->workers,
		.param = c->param ? c->param : "-",
		.param_value = c->param ? c->param_value : 0,
		.pin = case_pin(r, c),
		.rep = rep,
	};

	if (!res->failed) {
		for (size_t m = 0; m < res->nmetrics; m++) {
			row.metric = res->metrics[m].name;
			row.value = res->metrics[m].value;
			row.unit = res->metrics[m].unit[0] ? res->metrics[m].unit :
							     unit_of(r, res->metrics[m].name);
			csv_row(r->csv, &row);
		}
	}
	/* The status row carries the reason in its unit column: a failure is
	 * data, and the reason belongs next to it. */
	row.metric = "status";
	row.value = res->failed;
	row.unit = res->failed ? res->reason : "ok";
	csv_row(r->csv, &row);
}

static const char *key_metric(const struct rep_result *res)
{
	for (size_t m = 0; m < res->nmetrics; m++)
		if (strcmp(res->metrics[m].name, "wall_s") == 0)
			return "wall_s";
	for (size_t m = 0; m < res->nmetrics; m++)
		if (strcmp(res->metrics[m].name, "iteration_ns") == 0)
			return "iteration_ns";
	return res->nmetrics ? res->metrics[0].name : NULL;
}

static void print_case_line(struct run *r, size_t idx)
{
	const struct pb_case *c = &r->plan.cases[idx];
	const struct rep_result *reps = r->report.reps[idx];
	int n = r->report.nreps[idx], failed = 0;
	const char *metric = NULL, *why = "";
	struct stats_summary s;

	for (int i = 0; i < n; i++) {
		if (reps[i].failed) {
			failed++;
			why = reps[i].reason;
		} else if (!metric) {
			metric = key_metric(&reps[i]);
		}
	}
	progress_clear(r);
	if (failed) {
		fprintf(r->human, "FAIL %s: %d of %d repetitions failed: %s\n", c->name, failed, n,
			why);
	} else if (metric && pb_report_stat(&r->report, c->name, metric, &s)) {
		fprintf(r->human, "ok   %-56s %s %.4g %s (%.4g … %.4g, n=%zu)%s\n", c->name, metric,
			s.median, unit_of(r, metric), s.min, s.max, s.n,
			s.min > 0 && s.max / s.min > 1.25 ? "  noisy" : "");
	} else {
		fprintf(r->human, "ok   %s\n", c->name);
	}
	fflush(r->human);
}

/* An in-process case's repetition, as google-benchmark reported it. */
static struct rep_result *inproc_rep(struct run *r, size_t idx, const struct gb_run *run)
{
	struct rep_result *res = new_rep(r, idx);

	*res = (struct rep_result){ .failed = run->failed, .time_s = run->real_time_s };
	snprintf(res->reason, sizeof(res->reason), "%s", run->error);
	for (int i = 0; i < run->ncounters && !run->failed; i++)
		rep_result_add(res, run->counter_names[i], run->counter_values[i],
			       unit_of(r, run->counter_names[i]));
	if (!run->failed) {
		rep_result_add(res, "iteration_ns", run->real_time_s * 1e9, "ns");
		remember_unit(r, "iteration_ns", "ns");
	}
	return res;
}

static void on_run(const struct gb_run *run, void *arg)
{
	struct run *r = arg;
	size_t idx = case_index(r, run->name);
	struct rep_result *res;

	if (idx == (size_t)-1)
		return;
	if (r->plan.cases[idx].in_process) {
		if (pb_interrupted)
			return;
		res = inproc_rep(r, idx, run);
	} else if (run->rep < r->report.nreps[idx]) {
		res = &r->report.reps[idx][run->rep];
	} else {
		return; /* skipped before it ran (interrupted): nothing measured */
	}
	write_rep(r, &r->plan.cases[idx], (int)run->rep, res);
	if (run->rep + 1 == r->reps) {
		fflush(r->csv);
		r->cases_done++;
		for (int i = 0; i < r->report.nreps[idx]; i++)
			if (r->report.reps[idx][i].failed) {
				r->failed_cases++;
				break;
			}
		print_case_line(r, idx);
	}
}

/* ---- the summary ---- */

static void summary_row(FILE *f, const struct run *r, const struct pb_case *c, const char *metric,
			struct stats_summary s, const char *unit)
{
	csv_field(f, r->cfg.machine);
	fputc(',', f);
	csv_field(f, c->name);
	fputc(',', f);
	csv_field(f, c->experiment);
	fputc(',', f);
	csv_field(f, c->model);
	fputc(',', f);
	csv_field(f, c->workload);
	fprintf(f, ",%d,", c->workers);
	csv_field(f, c->param ? c->param : "-");
	fputc(',', f);
	csv_number(f, c->param ? c->param_value : 0);
	fputc(',', f);
	csv_field(f, case_pin(r, c));
	fputc(',', f);
	csv_field(f, metric);
	fprintf(f, ",%zu,", s.n);
	csv_number(f, s.min);
	fputc(',', f);
	csv_number(f, s.median);
	fputc(',', f);
	csv_number(f, s.max);
	fputc(',', f);
	csv_field(f, unit);
	fputc('\n', f);
}

/* Every metric of a case, in the order its repetitions first reported them. */
static void summarize_case(FILE *f, struct run *r, size_t idx)
{
	const struct pb_case *c = &r->plan.cases[idx];
	double status[1024];
	int n = r->report.nreps[idx];

	for (int i = 0; i < n; i++) {
		const struct rep_result *res = &r->report.reps[idx][i];

		for (size_t m = 0; m < res->nmetrics && !res->failed; m++) {
			const char *name = res->metrics[m].name;
			struct stats_summary s;
			bool seen = false;

			for (int j = 0; j < i && !seen; j++)
				for (size_t k = 0; k < r->report.reps[idx][j].nmetrics; k++)
					seen = seen ||
					       (!r->report.reps[idx][j].failed &&
						strcmp(r->report.reps[idx][j].metrics[k].name,
						       name) == 0);
			if (!seen && pb_report_stat(&r->report, c->name, name, &s))
				summary_row(f, r, c, name, s, res->metrics[m].unit);
		}
	}
	for (int i = 0; i < n && i < 1024; i++)
		status[i] = r->report.reps[idx][i].failed;
	summary_row(f, r, c, "status", stats_summarize(status, (size_t)(n < 1024 ? n : 1024)),
		    "failed");
}

static void write_summary_md(struct run *r, const char *path)
{
	FILE *f = fopen(path, "w");

	if (!f) {
		fprintf(stderr, "parbench: %s: %s\n", path, strerror(errno));
		return;
	}
	fprintf(f, "# parbench run on %s\n\n", r->cfg.machine);
	fprintf(f, "CPU: %s; %d PUs; profile %s; pin %s; %d repetitions per case.\n\n",
		topo_cpu_model(r->cfg.topo), r->cfg.pus, pb_profile_name(r->cfg.profile),
		pin_policy_name(r->cfg.pin), r->reps);
	fprintf(f, "| case | metric | median | min | max | n |\n|---|---|---|---|---|---|\n");
	for (size_t i = 0; i < r->plan.n; i++) {
		const char *metric = NULL;
		struct stats_summary s;

		for (int k = 0; k < r->report.nreps[i] && !metric; k++)
			if (!r->report.reps[i][k].failed)
				metric = key_metric(&r->report.reps[i][k]);
		if (metric && pb_report_stat(&r->report, r->plan.cases[i].name, metric, &s))
			fprintf(f, "| %s | %s | %.4g | %.4g | %.4g | %zu |\n",
				r->plan.cases[i].name, metric, s.median, s.min, s.max, s.n);
		for (int k = 0; k < r->report.nreps[i]; k++)
			if (r->report.reps[i][k].failed)
				fprintf(f, "| %s | FAILED rep %d | %s | | | |\n",
					r->plan.cases[i].name, k, r->report.reps[i][k].reason);
	}
	if (r->report.nnotes)
		fprintf(f, "\n## Findings\n\n");
	for (size_t i = 0; i < r->report.nnotes; i++)
		fprintf(f, "- %s\n", r->report.notes[i]);
	fclose(f);
}

static void write_summary(struct run *r, const char *started, int argc, char **argv)
{
	char path[600];
	FILE *f = NULL;

	for (const struct pb_experiment *const *s = r->suites; *s; s++)
		if ((*s)->summarize)
			(*s)->summarize(&r->report);
	if (r->dir[0]) {
		snprintf(path, sizeof(path), "%s/summary.csv", r->dir);
		f = fopen(path, "w");
		if (!f)
			fprintf(stderr, "parbench: %s: %s\n", path, strerror(errno));
	}
	if (f) {
		write_metadata(r, f, started, argc, argv);
		fprintf(f, "%s\n", CSV_SUMMARY_HEADER);
		for (size_t i = 0; i < r->plan.n; i++)
			if (r->report.nreps[i] > 0)
				summarize_case(f, r, i);
		for (size_t i = 0; i < r->report.nrows; i++)
			summary_row(f, r, &r->report.rows[i].c, r->report.rows[i].metric,
				    r->report.rows[i].s, r->report.rows[i].unit);
		fclose(f);
		snprintf(path, sizeof(path), "%s/summary.md", r->dir);
		write_summary_md(r, path);
	}
	for (size_t i = 0; i < r->report.nnotes; i++)
		fprintf(r->human, "* %s\n", r->report.notes[i]);
}

/* ---- the run directory ---- */

static int mkdir_p(const char *path)
{
	char buf[512];

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(buf, 0755) < 0 && errno != EEXIST ? -1 : 0;
}

static int make_run_dir(struct run *r, const char *stamp)
{
	char base[400];

	snprintf(base, sizeof(base), "%s/%s", r->opt.results, r->cfg.machine);
	if (mkdir_p(base) < 0) {
		fprintf(stderr, "parbench: mkdir %s: %s\n", base, strerror(errno));
		return -1;
	}
	/* Two runs in the same second get -2, -3, ... rather than mixing. */
	for (int i = 1; i < 100; i++) {
		if (i == 1)
			snprintf(r->dir, sizeof(r->dir), "%s/%s", base, stamp);
		else
			snprintf(r->dir, sizeof(r->dir), "%s/%s-%d", base, stamp, i);
		if (mkdir(r->dir, 0755) == 0)
			return 0;
		if (errno != EEXIST)
			break;
	}
	fprintf(stderr, "parbench: mkdir %s: %s\n", r->dir, strerror(errno));
	return -1;
}

/* topo.png through lstopo (hwloc's library draws no pictures itself). */
static void save_topology_png(const struct run *r)
{
	char path[600];
	int status;
	pid_t pid;

	snprintf(path, sizeof(path), "%s/topo.png", r->dir);
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
		execlp("lstopo", "lstopo", "--of", "png", "-f", path, (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		fprintf(stderr,
			"parbench: note: lstopo --of png failed; no topo.png (install hwloc)\n");
}

static int open_outputs(struct run *r, const char *stamp)
{
	char path[600];

	if (r->opt.csv) {
		r->csv = strcmp(r->opt.csv, "-") == 0 ? stdout : fopen(r->opt.csv, "w");
		if (!r->csv) {
			fprintf(stderr, "parbench: %s: %s\n", r->opt.csv, strerror(errno));
			return -1;
		}
		return 0;
	}
	if (make_run_dir(r, stamp) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/raw.csv", r->dir);
	r->csv = fopen(path, "w");
	if (!r->csv) {
		fprintf(stderr, "parbench: %s: %s\n", path, strerror(errno));
		return -1;
	}
	snprintf(path, sizeof(path), "%s/topo.xml", r->dir);
	if (topo_export_xml(r->cfg.topo, path) < 0)
		fprintf(stderr, "parbench: note: could not write %s\n", path);
	save_topology_png(r);
	return 0;
}

/* Say where the results are, naming only the files that were written. */
static void list_outputs(const struct run *r)
{
	static const char *const files[] = { "raw.csv",	    "summary.csv", "summary.md",
					     "gbench.json", "topo.xml",	   "topo.png" };
	char path[700], list[256] = "";
	struct stat st;

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", r->dir, files[i]);
		if (stat(path, &st) == 0)
			snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
				 list[0] ? ", " : "", files[i]);
	}
	fprintf(stderr, "parbench: results in %s/ (%s)\n", r->dir, list);
}

/* ---- main ---- */

static bool keep_case(const regex_t *re, const struct pb_case *c)
{
	return !re || regexec(re, c->name, 0, NULL, 0) == 0;
}

static int plan_cases(struct run *r)
{
	struct pb_plan all = { 0 };
	regex_t re;

	if (r->opt.filter && regcomp(&re, r->opt.filter, REG_EXTENDED | REG_NOSUB) != 0)
		return -1; /* cli_parse already checked it */
	for (const struct pb_experiment *const *s = r->suites; *s; s++)
		if ((*s)->plan)
			(*s)->plan(&all, &r->cfg);
	for (size_t i = 0; i < all.n; i++)
		if (keep_case(r->opt.filter ? &re : NULL, &all.cases[i]))
			pb_plan_add(&r->plan, &all.cases[i]);
	if (r->opt.filter)
		regfree(&re);
	plan_free(&all);
	return 0;
}

static void list_cases(const struct run *r)
{
	for (const struct pb_experiment *const *s = r->suites; *s; s++)
		printf("# %-12s %s\n", (*s)->name, (*s)->summary);
	for (size_t i = 0; i < r->plan.n; i++)
		printf("%s\n", r->plan.cases[i].name);
	printf("# %zu cases\n", r->plan.n);
}

/* google-benchmark's argv: ours first, so that the user's own
 * --benchmark_* flags, which come after, win. */
static int init_gbench(struct run *r)
{
	static char reps_flag[64], out_flag[600];
	char *argv[CLI_MAX_GB_ARGS + 4];
	int argc = 0;

	argv[argc++] = r->opt.gb_argv[0];
	snprintf(reps_flag, sizeof(reps_flag), "--benchmark_repetitions=%d", r->reps);
	argv[argc++] = reps_flag;
	if (r->dir[0] && !r->opt.gb_has_out) {
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

static void register_cases(struct run *r, struct slot *slots)
{
	for (size_t i = 0; i < r->plan.n; i++) {
		struct gb_options o = { .manual_time = !r->plan.cases[i].in_process,
					.iterations = r->plan.cases[i].in_process ? 0 : 1 };

		slots[i] = (struct slot){ r, i };
		gb_register(r->plan.cases[i].name, bench_fn, &slots[i], o);
	}
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
	r->cfg.topo = topo_load(NULL, err, sizeof(err));
	if (!r->cfg.topo) {
		fprintf(stderr, "parbench: topology: %s\n", err);
		return 1;
	}
	if (gethostname(host, sizeof(host)) < 0 || !host[0])
		snprintf(host, sizeof(host), "unknown");
	host[strcspn(host, ".")] = '\0';
	r->cfg.machine = r->opt.machine ? r->opt.machine : host;
	r->cfg.profile = r->opt.profile;
	r->cfg.pin = r->opt.pin;
	r->cfg.pus = topo_pus(r->cfg.topo);
	r->reps = r->opt.reps ? r->opt.reps : cli_default_reps(r->opt.profile);
	r->cfg.reps = r->reps;
	return -1; /* go on */
}

static int run_all(struct run *r, int argc, char **argv)
{
	char stamp[32], started[32];
	struct slot *slots;
	time_t now = time(NULL);
	int rc;

	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", gmtime(&now));
	strftime(started, sizeof(started), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	pb_run_pid = getpid();
	ipc_set_owner(pb_run_pid);
	prctl(PR_SET_CHILD_SUBREAPER, 1); /* orphans of a case come back to us */
	install_signals();
	workload_calibrate();
	if (open_outputs(r, stamp) < 0)
		return 1;
	if ((rc = init_gbench(r)))
		return rc;
	write_metadata(r, r->csv, started, argc, argv);
	fprintf(r->csv, "%s\n", CSV_RAW_HEADER);
	fflush(r->csv);
	r->report = (struct pb_report){ .cfg = &r->cfg, .plan = &r->plan };
	r->report.reps = calloc(r->plan.n, sizeof(*r->report.reps));
	r->report.nreps = calloc(r->plan.n, sizeof(*r->report.nreps));
	slots = calloc(r->plan.n, sizeof(*slots));
	if (!r->report.reps || !r->report.nreps || !slots) {
		perror("parbench: calloc");
		return 1;
	}
	register_cases(r, slots);
	r->cases_total = r->plan.n;
	r->tty = isatty(STDERR_FILENO);
	r->human = r->csv == stdout ? stderr : stdout;
	r->t0_ns = clock_now_ns();
	fprintf(stderr,
		"parbench: %zu cases × %d repetitions, profile %s, pin %s, on %s (%s, %d PUs)\n",
		r->plan.n, r->reps, pb_profile_name(r->cfg.profile), pin_policy_name(r->cfg.pin),
		r->cfg.machine, topo_cpu_model(r->cfg.topo), r->cfg.pus);
	gb_run(on_run, r);
	progress_clear(r);
	if (ferror(r->csv) | (r->csv == stdout ? fflush(r->csv) : fclose(r->csv))) {
		fprintf(stderr, "parbench: writing the raw CSV failed: %s\n", strerror(errno));
		r->failed_cases++;
	}
	write_summary(r, started, argc, argv);
	gb_shutdown();
	free(slots);
	ipc_cleanup(0);
	fflush(r->human); /* the notes first, then where the files are */
	if (r->dir[0])
		list_outputs(r);
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
	if (r.opt.list) {
		list_cases(&r);
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
	free_run(&r);
	return rc;
}
