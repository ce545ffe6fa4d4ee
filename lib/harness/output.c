/* SPDX-License-Identifier: MIT */
/*
 * output — where a run's results go: the run directory, the metadata that
 * makes every file self-describing, the topology picture, and the raw rows,
 * written as soon as a case's repetitions are known.
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
#include "gitrev.h"
#ifndef PB_GIT_REV
#define PB_GIT_REV "unknown"
#endif
#ifndef PB_CFLAGS
#define PB_CFLAGS "unknown"
#endif

void run_remember_unit(struct run *r, const char *metric, const char *unit)
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

const char *run_unit_of(const struct run *r, const char *metric)
{
	for (int i = 0; i < r->nunits; i++)
		if (strcmp(r->units[i][0], metric) == 0)
			return r->units[i][1];
	return "";
}

const char *run_case_pin(const struct run *r, const struct pb_case *c)
{
	return pin_policy_name(c->pin_fixed ? c->pin : r->cfg.pin);
}

/* The per-case results of the plan (once). */
void run_alloc_report(struct run *r)
{
	if (r->report.reps)
		return;
	r->report = (struct pb_report){ .cfg = &r->cfg,
					.plan = &r->plan,
					.interleaved = r->opt.interleave };
	r->report.reps = calloc(r->plan.n + 1, sizeof(*r->report.reps));
	r->report.nreps = calloc(r->plan.n + 1, sizeof(*r->report.nreps));
	if (!r->report.reps || !r->report.nreps) {
		perror("parbench: calloc");
		exit(1);
	}
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

void run_write_metadata(const struct run *r, FILE *f, const char *started, int argc, char **argv)
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
	csv_meta(f, "compiler", "%s", cli_compiler());
	csv_meta(f, "cflags", "%s", PB_CFLAGS);
	csv_meta(f, "gbench_version", "%s", gb_version());
	csv_meta(f, "gbench_build_type", "%s", gb_build_type());
	csv_meta(f, "profile", "%s", pb_profile_name(r->cfg.profile));
	csv_meta(f, "pin", "%s", pin_policy_name(r->cfg.pin));
	csv_meta(f, "interleave", "%d", r->opt.interleave ? 1 : 0);
	/* since the paired ratios: interleave=1 is rounds (run.c); a run
	 * without this key that says interleave=1 used google-benchmark's
	 * shuffle of every repetition */
	csv_meta(f, "interleave_order", "%s", r->opt.interleave ? "rounds" : "none");
	csv_meta(f, "python", "%s", r->cfg.python ? r->cfg.python : "python3 (PATH)");
	csv_meta(f, "reps", "%d", r->reps);
	csv_meta(f, "filter", "%s", r->opt.filter ? r->opt.filter : "");
	csv_meta(f, "exclude", "%s", r->opt.exclude ? r->opt.exclude : "");
	csv_meta(f, "calibration_ticks_per_ms", "%.1f", cal.ticks_per_ms);
	csv_meta(f, "calibration_tick_ns", "%.3f", cal.tick_ns);
	csv_meta(f, "calibration_method", "median of %d runs of %.0f ms on one core", cal.runs,
		 cal.run_ms);
	run_noise_meta(f, r);
	csv_meta(f, "started_utc", "%s", started);
	csv_meta(f, "command", "%s", cmd);
}

/* ---- the reporter: raw rows as soon as a case finishes ---- */

/* Every row is checked, and each repetition's rows are flushed together:
 * the first failed write stops the run (exit 1) with at most one line half
 * written, and a kill loses at most the repetition in flight. */
struct csv_row run_case_row(const struct run *r, const struct pb_case *c)
{
	return (struct csv_row){
		.machine = r->cfg.machine,
		.case_name = c->name,
		.experiment = c->experiment,
		.model = c->model,
		.workload = c->workload,
		.workers = c->workers,
		.param = c->param ? c->param : "-",
		.param_value = c->param ? c->param_value : 0,
		.pin = run_case_pin(r, c),
	};
}

int run_write_rep(struct run *r, const struct pb_case *c, int rep, const struct rep_result *res)
{
	struct csv_row row = run_case_row(r, c);
	char skipped[300];

	row.rep = rep;
	if (r->write_failed)
		return -1;
	for (size_t m = 0; !res->failed && !res->skipped && m < res->nmetrics; m++) {
		row.metric = res->metrics[m].name;
		row.value = res->metrics[m].value;
		row.unit = res->metrics[m].unit[0] ? res->metrics[m].unit :
						     run_unit_of(r, res->metrics[m].name);
		csv_row(r->csv, &row);
		if (ferror(r->csv))
			return run_write_failed(r);
	}
	snprintf(skipped, sizeof(skipped), "skipped: %s", res->reason);
	/* The status row carries the reason in its unit column: a failure is
	 * data, and the reason belongs next to it. */
	row.metric = "status";
	row.value = res->failed;
	if (res->failed && strcmp(res->reason, "interrupted") == 0)
		r->cut_written = true;
	row.unit = res->failed	? res->reason :
		   res->skipped ? skipped :
		   res->hung	? res->reason :
				  "ok";
	csv_row(r->csv, &row);
	return run_flush_csv(r);
}

int run_flush_csv(struct run *r)
{
	if (r->write_failed)
		return -1;
	if (fflush(r->csv) != 0 || ferror(r->csv))
		return run_write_failed(r);
	return 0;
}

/* The first failed write: say so, stop the run. */
int run_write_failed(struct run *r)
{
	if (!r->write_failed)
		fprintf(stderr, "parbench: writing the raw CSV (%s) failed: %s; stopping the run\n",
			r->opt.csv ? r->opt.csv : "raw.csv", strerror(errno ? errno : EIO));
	r->write_failed = true;
	pb_interrupted = 1; /* skip what is left */
	return -1;
}

/* The end: the CSV closed and checked, every planned case reported. */
void run_finish(struct run *r, const char *started, int argc, char **argv)
{
	if (r->write_failed) {
		if (r->csv != stdout)
			fclose(r->csv); /* said already; nothing more to check */
	} else if (ferror(r->csv) | (r->csv == stdout ? fflush(r->csv) : fclose(r->csv))) {
		fprintf(stderr, "parbench: writing the raw CSV failed: %s\n", strerror(errno));
		r->failed_cases++;
	}
	if (!pb_interrupted && r->cases_done != r->plan.n) {
		fprintf(stderr,
			"parbench: error: %zu case(s) planned, %zu reported with all %d "
			"repetitions; results are incomplete\n",
			r->plan.n, r->cases_done, r->reps);
		r->failed_cases++;
	}
	if (run_write_summary(r, started, argc, argv) < 0)
		r->failed_cases++;
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

/* The nearest existing ancestor of path must be a writable directory. */
static bool creatable(const char *path)
{
	char buf[512];
	struct stat st;
	char *slash;

	snprintf(buf, sizeof(buf), "%s", path);
	while (stat(buf, &st) < 0) {
		if (errno != ENOENT)
			return false;
		slash = strrchr(buf, '/');
		if (!slash)
			return access(".", W_OK | X_OK) == 0;
		if (slash == buf) {
			buf[1] = '\0';
			continue;
		}
		*slash = '\0';
	}
	return S_ISDIR(st.st_mode) && access(buf, W_OK | X_OK) == 0;
}

static int csv_path_ok(const char *path)
{
	char dir[512];
	struct stat st;

	if (strcmp(path, "-") == 0)
		return 0;
	if (strlen(path) >= sizeof(dir)) {
		fprintf(stderr, "parbench: --csv: the path is longer than %zu characters\n",
			sizeof(dir) - 1);
		return 2;
	}
	if (stat(path, &st) == 0) {
		if (S_ISDIR(st.st_mode) || access(path, W_OK) < 0) {
			fprintf(stderr, "parbench: --csv %s: %s\n", path,
				S_ISDIR(st.st_mode) ? "is a directory" : strerror(errno));
			return 2;
		}
		return 0;
	}
	snprintf(dir, sizeof(dir), "%s", path);
	if (strrchr(dir, '/'))
		*strrchr(dir, '/') = '\0';
	else
		snprintf(dir, sizeof(dir), ".");
	if (!dir[0] || !creatable(dir) || stat(dir, &st) < 0) {
		fprintf(stderr,
			"parbench: --csv %s: its directory does not exist or is not "
			"writable\n",
			path);
		return 2;
	}
	return 0;
}

/* Before any side effect: check that the outputs can be written and choose
 * the run directory's name (two runs in the same second get -2, -3, ...).
 * Returns 0, or 2 with a message. */
int run_plan_outputs(struct run *r, const char *stamp)
{
	/* room for "/<stamp>-99/summary.csv" and the names beside it */
	size_t room = sizeof(r->dir) - strlen(stamp) - 32;
	char base[sizeof(r->dir)];
	struct stat st;

	if (r->opt.csv)
		return csv_path_ok(r->opt.csv);
	if (strlen(r->opt.results) + 1 + strlen(r->cfg.machine) >= room) {
		fprintf(stderr,
			"parbench: --results: '%s' is too long (at most %zu characters "
			"with the machine name)\n",
			r->opt.results, room - 1);
		return 2;
	}
	snprintf(base, sizeof(base), "%s/%s", r->opt.results, r->cfg.machine);
	if (!creatable(base)) {
		fprintf(stderr,
			"parbench: --results %s: cannot create %s there (not a writable "
			"directory)\n",
			r->opt.results, base);
		return 2;
	}
	for (int i = 1; i < 100; i++) {
		int n = i == 1 ? snprintf(r->dir, sizeof(r->dir), "%s/%s", base, stamp) :
				 snprintf(r->dir, sizeof(r->dir), "%s/%s-%d", base, stamp, i);

		if (n < (int)sizeof(r->dir) && stat(r->dir, &st) < 0)
			return 0;
	}
	fprintf(stderr, "parbench: %s: too many runs in the same second\n", r->dir);
	return 2;
}

static int make_run_dir(struct run *r)
{
	char base[sizeof(r->dir)];

	snprintf(base, sizeof(base), "%s/%s", r->opt.results, r->cfg.machine);
	if (mkdir_p(base) < 0 || mkdir(r->dir, 0755) < 0) {
		fprintf(stderr, "parbench: mkdir %s: %s\n", r->dir, strerror(errno));
		return -1;
	}
	return 0;
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

int run_open_outputs(struct run *r)
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
	if (make_run_dir(r) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/raw.csv", r->dir);
	r->csv = fopen(path, "w");
	if (!r->csv) {
		fprintf(stderr, "parbench: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (run_write_experiments(r) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/cases.csv", r->dir);
	if (cases_csv_write(path, &r->plan, NULL, &r->cfg) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/topo.xml", r->dir);
	if (topo_export_xml(r->cfg.topo, path) < 0)
		fprintf(stderr, "parbench: note: could not write %s\n", path);
	save_topology_png(r);
	return 0;
}

/* Say where the results are, naming only the files that were written. */
void run_list_outputs(const struct run *r)
{
	static const char *const files[] = { "raw.csv",	    "cases.csv",  "experiments.csv",
					     "summary.csv", "summary.md", "findings.csv",
					     "gbench.json", "topo.xml",	  "topo.png" };
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
