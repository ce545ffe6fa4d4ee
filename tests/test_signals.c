/* SPDX-License-Identifier: MIT */
/* Ctrl-C at any moment: the real binary (PARBENCH_BIN) on a short quick run
 * (the in-process calibration case, then two isolated cases of 3
 * repetitions), with and without --interleave, gets SIGINT, SIGTERM or
 * SIGHUP at 20 moments: at its start (before the topology and the plan),
 * during calibration, inside a case process, between two repetitions,
 * between two cases, during the summary, and at fixed times. The moments
 * too short to hit by timing are made to wait for the signal
 * (PARBENCH_TEST_STALL, lib/harness/lifeline.c). Every time: exit
 * 130, raw.csv whole (every row has its 13 fields) and ending in an
 * "interrupted" status row (a signal during the summary cuts nothing: the
 * file ends with the last repetition's row), summary.csv and summary.md
 * written, and no process or IPC object of the run left. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ipcname.h"
#include "leakcheck.h"
#include "procmark.h"
#include "rundir.h"
#include "suitetmp.h"

static char tmp[] = "/tmp/parbench-signals-XXXXXX";

enum trigger { AT_STALL, IN_CASE, AFTER_MS };

struct moment {
	const char *name;
	enum trigger trigger;
	const char *stall; /* AT_STALL: PARBENCH_TEST_STALL's value */
	int after_ms;	   /* AFTER_MS: from the start */
	int sig;
	bool interleave;
};

static const char *bin(void)
{
	return getenv("PARBENCH_BIN") ? getenv("PARBENCH_BIN") : "bench/parbench";
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static bool file_has(const char *path, const char *needle)
{
	char buf[65536];
	size_t got;
	FILE *f = fopen(path, "r");

	if (!f)
		return false;
	got = fread(buf, 1, sizeof(buf) - 1, f);
	buf[got] = '\0';
	fclose(f);
	return strstr(buf, needle) != NULL;
}

static pid_t start(const struct moment *m, const char *dir, const char *marker)
{
	char out[600], err[600], results[600];
	pid_t pid;

	snprintf(out, sizeof(out), "%s/out.txt", dir);
	snprintf(err, sizeof(err), "%s/err.txt", dir);
	snprintf(results, sizeof(results), "%s/results", dir);
	pid = fork();
	assert_true(pid >= 0);
	if (pid > 0)
		return pid;
	setenv("PB_FAULT_MARK", marker, 1);
	if (m->trigger == AT_STALL)
		setenv("PARBENCH_TEST_STALL", m->stall, 1);
	if (!freopen(out, "w", stdout) || !freopen(err, "w", stderr))
		_exit(127);
	{
		char *argv[] = { (char *)bin(),
				 "--profile",
				 "quick",
				 "--reps",
				 "3",
				 "--machine",
				 "sig",
				 "--results",
				 results,
				 "--filter",
				 "^(calibration/|tasks/serial/cpu/|tasks/threads/cpu/)",
				 m->interleave ? "--interleave" : NULL,
				 NULL };

		execv(bin(), argv);
	}
	_exit(127);
}

/* Wait for the moment; false when the run ended first or it never came. */
static bool wait_for(const struct moment *m, pid_t pid, const char *dir, const char *marker)
{
	char err[600], line[128];
	double t0 = now_s();

	snprintf(err, sizeof(err), "%s/err.txt", dir);
	snprintf(line, sizeof(line), "test stall at %.*s",
		 (int)strcspn(m->stall ? m->stall : "", ":"), m->stall ? m->stall : "");
	while (now_s() - t0 < 30) {
		if (waitpid(pid, NULL, WNOHANG) != 0)
			return false;
		if (m->trigger == AT_STALL && file_has(err, line))
			return true;
		/* parbench, its lifeline guard and a case process */
		if (m->trigger == IN_CASE && marked_processes(marker) >= 3)
			return true;
		if (m->trigger == AFTER_MS && now_s() - t0 >= m->after_ms / 1000.0)
			return true;
		usleep(2000);
	}
	return false;
}

/* raw.csv: every line after the header has 13 fields; the last one. */
static void check_raw(const char *run, char *last, size_t len)
{
	char path[800], buf[4096];
	bool header = false;
	FILE *f;

	snprintf(path, sizeof(path), "%s/raw.csv", run);
	f = fopen(path, "r");
	assert_non_null(f);
	last[0] = '\0';
	while (fgets(buf, sizeof(buf), f)) {
		int commas = 0;

		assert_non_null(strchr(buf, '\n')); /* no cut line */
		if (buf[0] == '#')
			continue;
		for (char *p = buf; *p; p++)
			commas += *p == ',';
		if (!header) {
			assert_non_null(strstr(buf, "machine,case,experiment"));
			header = true;
			continue;
		}
		if (commas != 12)
			fail_msg("raw.csv: a row without 13 fields: %s", buf);
		snprintf(last, len, "%s", buf);
	}
	fclose(f);
	assert_true(header);
}

static void one_moment(void **state)
{
	const struct moment *m = *state;
	char dir[300], base[400], run[700], path[800], last[4096], marker[64];
	int st;
	pid_t pid;

	snprintf(dir, sizeof(dir), "%s/%s", tmp, m->name);
	assert_int_equal(mkdir(dir, 0755), 0);
	snprintf(marker, sizeof(marker), "signals-%d-%s", (int)getpid(), m->name);
	pid = start(m, dir, marker);
	if (!wait_for(m, pid, dir, marker)) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		fail_msg("%s: the run ended (or stalled) before the moment came", m->name);
	}
	assert_int_equal(kill(pid, m->sig), 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 130)
		fail_msg("%s: %s %d, not exit 130", m->name, WIFEXITED(st) ? "exit" : "signal",
			 WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
	snprintf(base, sizeof(base), "%s/results/sig", dir);
	only_run_dir(base, run, sizeof(run));
	check_raw(run, last, sizeof(last));
	if (m->trigger == AT_STALL && strcmp(m->stall, "summary") == 0)
		assert_non_null(strstr(last, ",status,0,ok\n"));
	else if (!strstr(last, ",status,1,interrupted\n"))
		fail_msg("%s: raw.csv ends with %s", m->name, last);
	snprintf(path, sizeof(path), "%s/summary.csv", run);
	assert_true(file_has(path, "case"));
	snprintf(path, sizeof(path), "%s/summary.md", run);
	assert_true(file_has(path, "#"));
	assert_true(marked_gone_within(marker, 3.0));
	assert_int_equal(ipc_count(pid), 0);
}

/* The same ten moments for a run without and with --interleave; the
 * between-repetitions stalls come after the first isolated repetitions
 * (in rounds they are also between cases). */
#define MOMENTS(il, tag)                                                         \
	{ "calibration" tag, AT_STALL, "rep_start:1", 0, SIGINT, il },           \
		{ "in-case" tag, IN_CASE, NULL, 0, SIGTERM, il },                \
		{ "between-reps-1" tag, AT_STALL, "rep_end:1", 0, SIGHUP, il },  \
		{ "between-reps-2" tag, AT_STALL, "rep_end:2", 0, SIGINT, il },  \
		{ "between-cases" tag, AT_STALL, "case_end:2", 0, SIGTERM, il }, \
		{ "summary" tag, AT_STALL, "summary", 0, SIGHUP, il },           \
		{ "at-start" tag, AT_STALL, "start", 0, SIGINT, il },            \
		{ "at-0.7s" tag, AFTER_MS, NULL, 700, SIGTERM, il },             \
		{ "at-1.1s" tag, AFTER_MS, NULL, 1100, SIGHUP, il },             \
	{                                                                        \
		"at-1.5s" tag, AFTER_MS, NULL, 1500, SIGINT, il                  \
	}

static const struct moment moments[] = { MOMENTS(false, ""), MOMENTS(true, "-interleaved") };

static int setup(void **state)
{
	(void)state;
	/* the orphans of a killed run come back to this suite to be reaped */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	return mkdtemp(tmp) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	return suite_tmp_remove(tmp);
}

int main(void)
{
	enum { N = sizeof(moments) / sizeof(moments[0]) };
	struct CMUnitTest tests[N];

	for (int i = 0; i < N; i++)
		tests[i] = (struct CMUnitTest){ .name = moments[i].name,
						.test_func = one_moment,
						.initial_state = (void *)&moments[i] };
	return cmocka_run_group_tests(tests, setup, teardown);
}
