/* SPDX-License-Identifier: MIT */
/*
 * output — where a run's results go: the run directory, the metadata that
 * makes every file self-describing, the topology picture, and the raw rows,
 * written as soon as a case's repetitions are known.
 */
#include "output.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "workload.h"
#include "gitrev.h"
#ifndef PB_GIT_REV
#define PB_GIT_REV "unknown"
#endif
#ifndef PB_CFLAGS
#define PB_CFLAGS "unknown"
#endif

void output_remember_unit(struct output *o, const char *metric, const char *unit)
{
	for (int i = 0; i < o->nunits; i++)
		if (strcmp(o->units[i][0], metric) == 0)
			return;
	if (o->nunits == OUTPUT_MAX_UNITS)
		return;
	snprintf(o->units[o->nunits][0], 64, "%s", metric);
	snprintf(o->units[o->nunits][1], 64, "%s", unit);
	o->nunits++;
}

const char *output_unit_of(const struct output *o, const char *metric)
{
	for (int i = 0; i < o->nunits; i++)
		if (strcmp(o->units[i][0], metric) == 0)
			return o->units[i][1];
	return "";
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

void output_write_metadata(const struct output *o, FILE *f)
{
	const struct pb_config *cfg = o->cfg;
	const struct pb_options *opt = o->opt;
	struct wl_calibration cal = workload_calibration();
	char buf[512], host[256] = "unknown", cmd[1024] = "";
	struct utsname u;
	size_t off = 0;

	gethostname(host, sizeof(host));
	uname(&u);
	for (int i = 0; i < o->argc && off < sizeof(cmd); i++)
		off += (size_t)snprintf(cmd + off, sizeof(cmd) - off, "%s%s", i ? " " : "",
					o->argv[i]);
	csv_meta(f, "schema_version", "%d", CSV_SCHEMA_VERSION);
	csv_meta(f, "parbench_version", "%s", PB_VERSION);
	csv_meta(f, "git_rev", "%s", PB_GIT_REV);
	csv_meta(f, "machine", "%s", cfg->machine);
	csv_meta(f, "hostname", "%s", host);
	csv_meta(f, "cpu_model", "%s", topo_cpu_model(cfg->topo));
	csv_meta(f, "packages", "%d", topo_packages(cfg->topo));
	csv_meta(f, "cores", "%d", topo_cores(cfg->topo));
	csv_meta(f, "pus", "%d", topo_pus(cfg->topo));
	csv_meta(f, "numa_nodes", "%d", topo_numa_nodes(cfg->topo));
	topo_caches(cfg->topo, buf, sizeof(buf));
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
	csv_meta(f, "profile", "%s", pb_profile_name(cfg->profile));
	csv_meta(f, "pin", "%s", pin_policy_name(cfg->pin));
	csv_meta(f, "interleave", "%d", opt->interleave ? 1 : 0);
	/* since the paired ratios: interleave=1 is rounds (run.c); a run
	 * without this key that says interleave=1 used google-benchmark's
	 * shuffle of every repetition */
	csv_meta(f, "interleave_order", "%s", opt->interleave ? "rounds" : "none");
	csv_meta(f, "python", "%s", cfg->python ? cfg->python : "python3 (PATH)");
	csv_meta(f, "reps", "%d", cfg->reps);
	csv_meta(f, "filter", "%s", opt->filter ? opt->filter : "");
	csv_meta(f, "exclude", "%s", opt->exclude ? opt->exclude : "");
	csv_meta(f, "calibration_ticks_per_ms", "%.1f", cal.ticks_per_ms);
	csv_meta(f, "calibration_tick_ns", "%.3f", cal.tick_ns);
	csv_meta(f, "calibration_method", "median of %d runs of %.0f ms on one core", cal.runs,
		 cal.run_ms);
	noise_meta(f, &o->noise);
	csv_meta(f, "started_utc", "%s", o->started);
	csv_meta(f, "command", "%s", cmd);
}

/* ---- the reporter: raw rows as soon as a case finishes ---- */

struct csv_row output_case_row(const struct pb_config *cfg, const struct pb_case *c)
{
	return (struct csv_row){
		.machine = cfg->machine,
		.case_name = c->name,
		.experiment = c->experiment,
		.model = c->model,
		.workload = c->workload,
		.workers = c->workers,
		.param = c->param ? c->param : "-",
		.param_value = c->param ? c->param_value : 0,
		.pin = pin_policy_name(c->pin_fixed ? c->pin : cfg->pin),
	};
}

/* The first failed write: say so, stop the run. */
static int write_failed(struct output *o)
{
	if (!o->write_failed)
		fprintf(stderr, "parbench: writing the raw CSV (%s) failed: %s; stopping the run\n",
			o->opt->csv ? o->opt->csv : "raw.csv", strerror(errno ? errno : EIO));
	o->write_failed = true;
	pb_interrupted = 1; /* skip what is left */
	return -1;
}

/* Every row is checked, and each repetition's rows are flushed together:
 * the first failed write stops the run (exit 1) with at most one line half
 * written, and a kill loses at most the repetition in flight. */
int output_write_rep(struct output *o, const struct pb_case *c, int rep,
		     const struct rep_result *res)
{
	struct csv_row row = output_case_row(o->cfg, c);
	char skipped[300];

	row.rep = rep;
	if (o->write_failed)
		return -1;
	for (size_t m = 0; !res->failed && !res->skipped && m < res->nmetrics; m++) {
		row.metric = res->metrics[m].name;
		row.value = res->metrics[m].value;
		row.unit = res->metrics[m].unit[0] ? res->metrics[m].unit :
						     output_unit_of(o, res->metrics[m].name);
		csv_row(o->csv, &row);
		if (ferror(o->csv))
			return write_failed(o);
	}
	snprintf(skipped, sizeof(skipped), "skipped: %s", res->reason);
	/* The status row carries the reason in its unit column: a failure is
	 * data, and the reason belongs next to it. */
	row.metric = "status";
	row.value = res->failed;
	if (res->failed && strcmp(res->reason, "interrupted") == 0)
		o->cut_written = true;
	row.unit = res->failed	? res->reason :
		   res->skipped ? skipped :
		   res->hung	? res->reason :
				  "ok";
	csv_row(o->csv, &row);
	return output_flush(o);
}

int output_flush(struct output *o)
{
	if (o->write_failed)
		return -1;
	if (fflush(o->csv) != 0 || ferror(o->csv))
		return write_failed(o);
	return 0;
}

int output_close(struct output *o)
{
	FILE *f = o->csv;

	o->csv = NULL;
	if (!f)
		return 0;
	if (o->write_failed) {
		if (f != stdout)
			fclose(f); /* said already; nothing more to check */
		return 0;
	}
	if (ferror(f) | (f == stdout ? fflush(f) : fclose(f))) {
		fprintf(stderr, "parbench: writing the raw CSV failed: %s\n", strerror(errno));
		return -1;
	}
	return 0;
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
int output_plan(struct output *o, const char *stamp)
{
	/* room for "/<stamp>-99/summary.csv" and the names beside it */
	size_t room = sizeof(o->dir) - strlen(stamp) - 32;
	char base[sizeof(o->dir)];
	struct stat st;

	if (o->opt->csv)
		return csv_path_ok(o->opt->csv);
	if (strlen(o->opt->results) + 1 + strlen(o->cfg->machine) >= room) {
		fprintf(stderr,
			"parbench: --results: '%s' is too long (at most %zu characters "
			"with the machine name)\n",
			o->opt->results, room - 1);
		return 2;
	}
	snprintf(base, sizeof(base), "%s/%s", o->opt->results, o->cfg->machine);
	if (!creatable(base)) {
		fprintf(stderr,
			"parbench: --results %s: cannot create %s there (not a writable "
			"directory)\n",
			o->opt->results, base);
		return 2;
	}
	for (int i = 1; i < 100; i++) {
		int n = i == 1 ? snprintf(o->dir, sizeof(o->dir), "%s/%s", base, stamp) :
				 snprintf(o->dir, sizeof(o->dir), "%s/%s-%d", base, stamp, i);

		if (n < (int)sizeof(o->dir) && stat(o->dir, &st) < 0)
			return 0;
	}
	fprintf(stderr, "parbench: %s: too many runs in the same second\n", o->dir);
	return 2;
}

static int make_run_dir(struct output *o)
{
	char base[sizeof(o->dir)];

	snprintf(base, sizeof(base), "%s/%s", o->opt->results, o->cfg->machine);
	if (mkdir_p(base) < 0 || mkdir(o->dir, 0755) < 0) {
		fprintf(stderr, "parbench: mkdir %s: %s\n", o->dir, strerror(errno));
		return -1;
	}
	return 0;
}

/* topo.png through lstopo (hwloc's library draws no pictures itself). */
static void save_topology_png(const struct output *o)
{
	char path[600];
	int status;
	pid_t pid;

	snprintf(path, sizeof(path), "%s/topo.png", o->dir);
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

int output_open(struct output *o)
{
	char path[600];

	if (o->opt->csv) {
		o->csv = strcmp(o->opt->csv, "-") == 0 ? stdout : fopen(o->opt->csv, "w");
		if (!o->csv) {
			fprintf(stderr, "parbench: %s: %s\n", o->opt->csv, strerror(errno));
			return 2;
		}
	} else {
		if (make_run_dir(o) < 0)
			return 2;
		snprintf(path, sizeof(path), "%s/raw.csv", o->dir);
		o->csv = fopen(path, "w");
		if (!o->csv) {
			fprintf(stderr, "parbench: %s: %s\n", path, strerror(errno));
			return 2;
		}
		snprintf(path, sizeof(path), "%s/topo.xml", o->dir);
		if (topo_export_xml(o->cfg->topo, path) < 0)
			fprintf(stderr, "parbench: note: could not write %s\n", path);
		save_topology_png(o);
	}
	output_write_metadata(o, o->csv);
	fprintf(o->csv, "%s\n", CSV_RAW_HEADER);
	return output_flush(o) < 0 ? 1 : 0;
}

/* Say where the results are, naming only the files that were written. */
void output_list(const struct output *o)
{
	static const char *const files[] = { "raw.csv",	    "cases.csv",  "experiments.csv",
					     "summary.csv", "summary.md", "findings.csv",
					     "gbench.json", "topo.xml",	  "topo.png" };
	char path[700], list[256] = "";
	struct stat st;

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", o->dir, files[i]);
		if (stat(path, &st) == 0)
			snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
				 list[0] ? ", " : "", files[i]);
	}
	fprintf(stderr, "parbench: results in %s/ (%s)\n", o->dir, list);
}
