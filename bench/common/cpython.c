/* SPDX-License-Identifier: MIT */
/*
 * cpython — CPython itself as one more model of each experiment. The .py
 * programs in bench/cpython/ run the same work as the C models with the
 * same parameters; this file plans them as cases named like their C twins
 * (tasks/cpython-fork/io/n:5/w:5/task_ms:100 next to tasks/fork/...), runs
 * the interpreter in the case process (so the watchdog covers it), turns
 * each "metric value unit" line it prints into a metric, and writes the
 * fidelity table (fidelity.c): what the C model says, what CPython does.
 *
 * The interpreter: $PARBENCH_PYTHON, else python3 from PATH. Missing, the
 * case is skipped (pb_skip), not failed.
 */
#include "cpython.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"

#define MAX_ARGS 24

/* Is path an executable file? A bare name is looked up in PATH. */
static bool find_exec(const char *name, char *out, size_t len)
{
	const char *path = getenv("PATH");
	char dir[PATH_MAX];

	if (strchr(name, '/')) {
		snprintf(out, len, "%s", name);
		return access(out, X_OK) == 0;
	}
	while (path && *path) {
		size_t n = strcspn(path, ":");

		snprintf(dir, sizeof(dir), "%.*s", (int)n, n ? path : ".");
		snprintf(out, len, "%s/%s", dir, name);
		if (access(out, X_OK) == 0)
			return true;
		path += n + (path[n] == ':');
	}
	return false;
}

const char *cpython_interpreter(const struct pb_config *cfg, char *out, size_t len)
{
	const char *want = cfg && cfg->python ? cfg->python : getenv("PARBENCH_PYTHON");

	if (!want || !*want)
		want = "python3";
	return find_exec(want, out, len) ? out : NULL;
}

/* bench/cpython/ next to the binary (bench/parbench, or
 * build/<flavour>/parbench), else under the current directory;
 * $PARBENCH_CPYTHON_DIR wins. */
static bool script_dir(char *out, size_t len)
{
	static const char *const rel[] = { "cpython", "../../bench/cpython" };
	const char *env = getenv("PARBENCH_CPYTHON_DIR");
	char exe[PATH_MAX], probe[PATH_MAX + 64];
	ssize_t n;

	if (env && *env) {
		snprintf(out, len, "%s", env);
		return true;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		*strrchr(exe, '/') = '\0';
		for (size_t i = 0; i < 2; i++) {
			int len_p =
				snprintf(probe, sizeof(probe), "%s/%s/pbcommon.py", exe, rel[i]);

			if (len_p < (int)sizeof(probe) && access(probe, R_OK) == 0) {
				return snprintf(out, len, "%s/%s", exe, rel[i]) < (int)len;
			}
		}
	}
	snprintf(out, len, "bench/cpython");
	return access("bench/cpython/pbcommon.py", R_OK) == 0;
}

/* The command line: interpreter, script, then name=value for the model,
 * the workload, the workers, every named parameter, the swept parameter,
 * the program's fixed arguments and the placement's PUs. */
static int build_argv(struct pb_ctx *ctx, const struct pb_case *c, const char *py, const char *dir,
		      char buf[MAX_ARGS][256], char **argv)
{
	const struct cpython_prog *p = c->data;
	const struct placement *pl = pb_placement(ctx);
	int n = 0;
	size_t used;

	if (snprintf(buf[n++], 256, "%s", py) >= 256 ||
	    snprintf(buf[n++], 256, "%s/%s", dir, p->script) >= 256)
		return -1; /* the paths are too long for argv */
	snprintf(buf[n++], 256, "model=%s", c->model + strlen(CPYTHON_PREFIX));
	snprintf(buf[n++], 256, "workload=%s", c->workload);
	snprintf(buf[n++], 256, "workers=%d", c->workers);
	for (int i = 0; i < PB_MAX_PARAMS && c->params[i].name && n < MAX_ARGS - 4; i++)
		snprintf(buf[n++], 256, "%s=%lld", c->params[i].name,
			 (long long)c->params[i].value);
	if (c->param)
		snprintf(buf[n++], 256, "%s=%g", c->param, c->param_value);
	for (const char *a = p->args; a && *a && n < MAX_ARGS - 2;) {
		size_t len = strcspn(a, " ");

		snprintf(buf[n++], 256, "%.*s", (int)len, a);
		a += len + (a[len] == ' ');
	}
	used = (size_t)snprintf(buf[n], 256, "pus=");
	for (int i = 0; i < pl->n && used < 240; i++)
		used += (size_t)snprintf(buf[n] + used, 256 - used, "%s%d", i ? "," : "",
					 pl->pu[i]);
	n++;
	for (int i = 0; i < n; i++)
		argv[i] = buf[i];
	argv[n] = NULL;
	return n;
}

/* One line of the program's stdout: "# start <ns>" starts the timer as of
 * the program's own CLOCK_MONOTONIC reading (we may read the line late:
 * the program runs on while we wait for a PU), anything else is
 * "metric value unit". */
static void take_line(struct pb_ctx *ctx, char *line, uint64_t t_fork)
{
	char name[64], unit[128];
	double v;

	if (strncmp(line, "# start", 7) == 0) {
		unsigned long long t0 = 0;

		if (sscanf(line + 7, "%llu", &t0) != 1 || t0 < t_fork || t0 > clock_now_ns())
			t0 = clock_now_ns(); /* no (sane) stamp: now is the best we know */
		pb_metric(ctx, "py_startup_s", (double)(t0 - t_fork) / 1e9, "s");
		pb_timer_start_at(ctx, t0);
	} else if (sscanf(line, "%63s %lf %127s", name, &v, unit) == 3) {
		pb_metric(ctx, name, v, unit);
	}
}

/* The program's last stderr line, as the reason it failed. */
static void last_line(FILE *f, char *out, size_t len)
{
	char line[512];

	*out = '\0';
	rewind(f);
	while (fgets(line, sizeof(line), f))
		if (line[0] != '\n')
			snprintf(out, len, "%.*s", (int)strcspn(line, "\n"), line);
}

static int wait_child(struct pb_ctx *ctx, pid_t pid, FILE *err, bool timed)
{
	char why[300];
	int st;

	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return pb_fail(ctx, "waitpid: %s", strerror(errno));
	if (timed)
		pb_timer_stop(ctx);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	last_line(err, why, sizeof(why));
	if (WIFSIGNALED(st))
		return pb_fail(ctx, "python killed by signal %d: %s", WTERMSIG(st), why);
	return pb_fail(ctx, "python exited with status %d: %s", WEXITSTATUS(st), why);
}

/* Where the program's stdout goes: into metrics and the timer (text NULL),
 * or into text (cap bytes, NUL-terminated; nothing timed). */
struct sink {
	char *text;
	size_t cap, used;
};

static void sink_line(struct pb_ctx *ctx, struct sink *s, char *line, uint64_t t_fork)
{
	size_t n = strlen(line);

	if (!s->text) {
		take_line(ctx, line, t_fork);
	} else if (s->used + n < s->cap) {
		memcpy(s->text + s->used, line, n + 1);
		s->used += n;
	}
}

static int run_program(struct pb_ctx *ctx, char **argv, struct sink *sink)
{
	int fd[2];
	FILE *err = tmpfile(), *out;
	char *line = NULL;
	size_t cap = 0;
	uint64_t t_fork;
	pid_t pid;
	int rc;

	if (!err || pipe(fd) < 0) {
		rc = pb_fail(ctx, "pipe/tmpfile: %s", strerror(errno));
		if (err)
			fclose(err);
		return rc;
	}
	fflush(NULL);
	t_fork = clock_now_ns();
	if (!sink->text)
		pb_timer_start(ctx); /* restarted at "# start" */
	pid = fork();
	if (pid < 0) {
		rc = pb_fail(ctx, "fork: %s", strerror(errno));
		close(fd[0]);
		close(fd[1]);
		fclose(err);
		return rc;
	}
	if (pid == 0) { /* stays in the case's process group: the watchdog's */
		dup2(fd[1], STDOUT_FILENO);
		dup2(fileno(err), STDERR_FILENO);
		close(fd[0]);
		close(fd[1]);
		execv(argv[0], argv);
		fprintf(stderr, "execv %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(fd[1]);
	out = fdopen(fd[0], "r");
	if (!out)
		close(fd[0]);
	while (out && getline(&line, &cap, out) > 0)
		sink_line(ctx, sink, line, t_fork);
	free(line);
	if (out)
		fclose(out);
	rc = wait_child(ctx, pid, err, !sink->text);
	fclose(err);
	return rc;
}

int cpython_run(struct pb_ctx *ctx, const struct pb_case *c)
{
	char py[PATH_MAX], dir[PATH_MAX], buf[MAX_ARGS][256], *argv[MAX_ARGS + 1];

	if (!cpython_interpreter(pb_cfg(ctx), py, sizeof(py))) {
		return pb_skip(ctx, "%s not found (give an interpreter with --python PATH)",
			       pb_cfg(ctx)->python ? pb_cfg(ctx)->python : "python3");
	}
	if (!script_dir(dir, sizeof(dir)))
		return pb_fail(ctx,
			       "bench/cpython/pbcommon.py not found (set PARBENCH_CPYTHON_DIR)");
	if (build_argv(ctx, c, py, dir, buf, argv) < 0)
		return pb_fail(ctx, "the path of %s or of %s is longer than 255 bytes", py, dir);
	return run_program(ctx, argv, &(struct sink){ 0 });
}

/* ---- the interpreter's cost per call, for the C channel models ---- */

static const char *const cost_names[] = { "py_send_bytes_ns", "py_recv_bytes_ns", "py_put_ns",
					  "py_feed_ns", "py_get_ns" };
#define NCOSTS (sizeof(cost_names) / sizeof(*cost_names))

static double *cost_slot(struct cpython_call_costs *c, size_t i)
{
	double *const slot[NCOSTS] = { &c->send_bytes_ns, &c->recv_bytes_ns, &c->put_ns,
				       &c->feed_ns, &c->get_ns };

	return slot[i];
}

/* Each of the n names once in text's "metric value unit" lines, 0 .. 1e6
 * in unit want (the calibration's extras each in their own), into slot[i];
 * 0, or -1 with why filled. */
static int parse_named(const char *text, const char *const *names, double *const *slot, size_t n,
		       const char *const *want, char *why, size_t len)
{
	unsigned seen[8] = { 0 };
	char name[64], unit[32];
	double v;

	if (n > sizeof(seen) / sizeof(*seen)) {
		snprintf(why, len, "calibration: %zu names, at most 8", n);
		return -1;
	}
	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		if (sscanf(l, "%63s %lf %31s", name, &v, unit) != 3)
			continue;
		for (size_t i = 0; i < n; i++) {
			if (strcmp(name, names[i]) != 0)
				continue;
			if (!(v >= 0 && v <= 1e6) || strcmp(unit, want ? want[i] : "ns") != 0 ||
			    seen[i]++) {
				snprintf(why, len,
					 "calibration: %s %g %s is not one figure of 0 .. 1e6 %s",
					 name, v, unit, want ? want[i] : "ns");
				return -1;
			}
			*slot[i] = v;
		}
	}
	for (size_t i = 0; i < n; i++) {
		if (!seen[i]) {
			snprintf(why, len, "calibration: no %s in its output", names[i]);
			return -1;
		}
	}
	return 0;
}

int cpython_parse_costs(const char *text, struct cpython_call_costs *out, char *why, size_t len)
{
	double *const slot[NCOSTS] = { &out->send_bytes_ns, &out->recv_bytes_ns, &out->put_ns,
				       &out->feed_ns, &out->get_ns };

	return parse_named(text, cost_names, slot, NCOSTS, NULL, why, len);
}

/* Run script (in bench/cpython/) with arguments a1 and a2 in this case
 * process, its stdout in text: 0, 1 after pb_skip (no interpreter), or -1
 * after pb_fail. */
static int run_calibration(struct pb_ctx *ctx, const char *script, const char *a1, const char *a2,
			   char *text, size_t cap)
{
	char py[PATH_MAX], dir[PATH_MAX], buf[4][256];
	char *argv[5] = { buf[0], buf[1], buf[2], buf[3], NULL };

	if (!cpython_interpreter(pb_cfg(ctx), py, sizeof(py))) {
		pb_skip(ctx, "%s not found (give an interpreter with --python PATH)",
			pb_cfg(ctx)->python ? pb_cfg(ctx)->python : "python3");
		return 1;
	}
	if (!script_dir(dir, sizeof(dir)))
		return pb_fail(ctx,
			       "bench/cpython/pbcommon.py not found (set PARBENCH_CPYTHON_DIR)");
	if (snprintf(buf[0], 256, "%s", py) >= 256 ||
	    snprintf(buf[1], 256, "%s/%s", dir, script) >= 256)
		return pb_fail(ctx, "the path of %s or of %s is longer than 255 bytes", py, dir);
	snprintf(buf[2], 256, "%s", a1);
	snprintf(buf[3], 256, "%s", a2);
	return run_program(ctx, argv, &(struct sink){ .text = text, .cap = cap }) < 0 ? -1 : 0;
}

/* run_calibration, then the named figures of its output into slot (units:
 * each name's, NULL: ns); text keeps the output for a caller that reads
 * more of it. 0, 1 after pb_skip, or -1 after pb_fail. */
static int calibrate_named(struct pb_ctx *ctx, const char *script, const char *a1, const char *a2,
			   const char *const *names, double *const *slot, size_t n,
			   const char *const *units, char *text, size_t cap)
{
	char why[200];
	int rc = run_calibration(ctx, script, a1, a2, text, cap);

	if (rc)
		return rc;
	if (parse_named(text, names, slot, n, units, why, sizeof(why)) < 0)
		return pb_fail(ctx, "%s", why);
	return 0;
}

/* The tries a calibration took and whether load swamped it (then the case
 * is noisy, never failed: ipc.py and counter.py retry and go on). */
static int calibration_extras(struct pb_ctx *ctx, const char *text)
{
	static const char *const extras[] = { "calibration_tries", "noisy" };
	static const char *const extra_units[] = { "count", "flag" };
	double tries = 0, noisy = 0;
	double *const extra_slot[] = { &tries, &noisy };
	char why[200];

	if (parse_named(text, extras, extra_slot, 2, extra_units, why, sizeof(why)) < 0)
		return pb_fail(ctx, "%s", why);
	pb_metric(ctx, "calibration_tries", tries, "count");
	pb_metric(ctx, "noisy", noisy, "flag");
	return 0;
}

int cpython_call_costs(struct pb_ctx *ctx, size_t msg_bytes, struct cpython_call_costs *out)
{
	static const char *const more[] = { "py_feed_more_ns" };
	double *const more_slot[] = { &out->feed_more_ns };
	char text[4096] = "", why[200], msg_size[64];
	int rc;

	snprintf(msg_size, sizeof(msg_size), "msg_bytes=%zu", msg_bytes);
	if ((rc = run_calibration(ctx, "ipc.py", "model=calibrate", msg_size, text, sizeof(text))))
		return rc;

	if (cpython_parse_costs(text, out, why, sizeof(why)) < 0 ||
	    parse_named(text, more, more_slot, 1, NULL, why, sizeof(why)) < 0)
		return pb_fail(ctx, "%s", why);
	for (size_t i = 0; i < NCOSTS; i++)
		pb_metric(ctx, cost_names[i], *cost_slot(out, i), "ns");
	pb_metric(ctx, more[0], out->feed_more_ns, "ns");
	return calibration_extras(ctx, text);
}

/* counter.py workload=calibrate-start: how late its second worker begins. */
static int counter_start_lag(struct pb_ctx *ctx, double *lag_ns)
{
	static const char *const names[] = { "py_start_lag_us" };
	static const char *const units[] = { "us" };
	double lag_us = 0, *const slot[] = { &lag_us };
	char text[4096] = "";
	int rc = calibrate_named(ctx, "counter.py", "workload=calibrate-start", "runs=5", names,
				 slot, 1, units, text, sizeof(text));

	if (rc)
		return rc;
	pb_metric(ctx, names[0], lag_us, "us");
	*lag_ns = lag_us * 1e3;
	return 0;
}

int cpython_counter_costs(struct pb_ctx *ctx, struct cpython_counter_costs *out)
{
	static const char *const names[] = { "py_window_ns", "py_gap_ns", "py_hold_ns" };
	double *const slot[] = { &out->window_ns, &out->gap_ns, &out->hold_ns };
	char text[4096] = "";
	int rc = calibrate_named(ctx, "counter.py", "workload=calibrate", "n=50000", names, slot, 3,
				 NULL, text, sizeof(text));

	if (rc)
		return rc;
	if (out->hold_ns >= out->window_ns || out->hold_ns >= out->gap_ns)
		return pb_fail(ctx,
			       "calibration: the lock held %.0f ns, not less than the window "
			       "(%.0f ns) and the gap (%.0f ns) that hold it",
			       out->hold_ns, out->window_ns, out->gap_ns);
	for (size_t i = 0; i < 3; i++)
		pb_metric(ctx, names[i], *slot[i], "ns");
	if ((rc = calibration_extras(ctx, text)))
		return rc;
	return counter_start_lag(ctx, &out->start_lag_ns);
}

int cpython_tqueue_costs(struct pb_ctx *ctx, struct cpython_tqueue_costs *out)
{
	static const char *const names[] = { "py_put_ns",      "py_get_ns",    "py_with_ns",
					     "py_wait_ns",     "py_notify_ns", "py_prod_loop_ns",
					     "py_cons_loop_ns" };
	double *const slot[] = { &out->put_ns,	    &out->get_ns,    &out->with_ns,
				 &out->wait_ns,	    &out->notify_ns, &out->prod_loop_ns,
				 &out->cons_loop_ns };
	char text[4096] = "";
	int rc = calibrate_named(ctx, "tqueue.py", "model=calibrate", "n=5000", names, slot, 7,
				 NULL, text, sizeof(text));

	if (rc)
		return rc;
	if (out->with_ns > out->put_ns || out->with_ns > out->get_ns)
		return pb_fail(ctx,
			       "calibration: a `with` on the Condition (%.0f ns) dearer than the "
			       "put (%.0f ns) or the get (%.0f ns) it is part of",
			       out->with_ns, out->put_ns, out->get_ns);
	for (size_t i = 0; i < 7; i++)
		pb_metric(ctx, names[i], *slot[i], "ns");
	return 0;
}

int cpython_process_costs(struct pb_ctx *ctx, struct cpython_process_costs *out)
{
	static const char *const names[] = { "py_start_us", "py_join_us" };
	static const char *const units[] = { "us", "us" };
	double *const slot[] = { &out->start_us, &out->join_us };
	char text[4096] = "";
	int rc = calibrate_named(ctx, "tqueue.py", "model=calibrate-process", "n=5", names, slot, 2,
				 units, text, sizeof(text));

	if (rc)
		return rc;
	for (size_t i = 0; i < 2; i++)
		pb_metric(ctx, names[i], *slot[i], "us");
	return 0;
}

/* The interpreter's start and imports are outside the measured work but
 * inside the watchdog's budget. */
#define PY_SLACK_S 30.0

struct pb_case cpython_case(const char *experiment, const char *model, const char *workload,
			    const struct cpython_prog *prog, double budget_s)
{
	return (struct pb_case){ .experiment = experiment,
				 .model = model,
				 .workload = workload,
				 .est_s = CPYTHON_START_EST_S,
				 .data = prog,
				 .run = cpython_run,
				 .budget_s = PY_SLACK_S + budget_s };
}
