/* SPDX-License-Identifier: MIT */
/* A case whose repetitions fail in any order, through the real binary:
 * the first, a middle, the last, two, or all of them, plain, with
 * --interleave and with --resume; and a cpython-* case whose interpreter
 * fails its first run only. google-benchmark (1.7.1 .. 1.9.5) crashed when
 * the first repetition failed and two later ones passed (its aggregates
 * read the failed run's unset statistics). Each failed repetition must be
 * a failed status row, every other one its own row and metrics, the
 * summary's n the passing ones, and the exit status 1, never a signal. No
 * timing is asserted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "leakcheck.h"
#include "rundir.h"
#include "suitetmp.h"

#define REPS 3
#define FLAKY "selftest/flaky/-/w:1"
#define TICK "calibration/tick/cpu/batch:1000/w:1"
#define PIPE "ipc-latency/cpython-pipe/-/pin:single/w:2/msg_bytes:64"

static char tmp[] = "/tmp/parbench-repfail-XXXXXX";

static const char *bin(void)
{
	return getenv("PARBENCH_BIN") ? getenv("PARBENCH_BIN") : "bench/parbench";
}

/* Run the binary through the shell; its exit status, or 128 + the signal
 * that ended it (a crash must not pass for an exit status). */
static int run(const char *env, const char *args)
{
	char cmd[2048];
	int st;

	snprintf(cmd, sizeof(cmd), "exec env %s %s %s >%s/out.txt 2>%s/err.txt", env, bin(), args,
		 tmp, tmp);
	st = system(cmd);
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The only run directory below tmp/name/m. */
static void run_dir(const char *name, char *out, size_t len)
{
	char base[700];

	snprintf(base, sizeof(base), "%s/%s/m", tmp, name);
	only_run_dir(base, out, len);
}

/* What raw.csv holds for case c: status rows ok and failed, rows of
 * metric, and which repetitions failed (a bit each). */
struct raw_count {
	int ok, failed, metric;
	unsigned failed_reps;
};

static struct raw_count count_raw(const char *dir, const char *c, const char *metric)
{
	struct raw_count n = { 0 };
	char path[1200], line[4096], key[300];
	FILE *f;

	snprintf(path, sizeof(path), "%s/raw.csv", dir);
	f = fopen(path, "r");
	assert_non_null(f);
	snprintf(key, sizeof(key), "m,%s,", c);
	while (fgets(line, sizeof(line), f)) {
		char *p = line, *field[13];
		int k = 0;

		if (strncmp(line, key, strlen(key)) != 0)
			continue;
		while (k < 13 && (field[k++] = strsep(&p, ",\n")))
			;
		if (strcmp(field[10], "status") == 0 && strcmp(field[11], "0") == 0)
			n.ok++;
		else if (strcmp(field[10], "status") == 0) {
			n.failed++;
			n.failed_reps |= 1u << atoi(field[9]);
		} else if (strcmp(field[10], metric) == 0)
			n.metric++;
	}
	fclose(f);
	return n;
}

/* summary.csv's n for case c and metric, or -1 without a row. */
static int summary_n(const char *dir, const char *c, const char *metric)
{
	char path[1200], line[4096], key[300];
	int n = -1;
	FILE *f;

	snprintf(path, sizeof(path), "%s/summary.csv", dir);
	f = fopen(path, "r");
	assert_non_null(f);
	snprintf(key, sizeof(key), "m,%s,", c);
	while (fgets(line, sizeof(line), f)) {
		char *p = line, *field[15];
		int k = 0;

		if (strncmp(line, key, strlen(key)) != 0)
			continue;
		while (k < 15 && (field[k++] = strsep(&p, ",\n")))
			;
		if (k >= 11 && strcmp(field[9], metric) == 0)
			n = atoi(field[10]);
	}
	fclose(f);
	return n;
}

static bool file_has(const char *path, const char *text)
{
	static char buf[1 << 20];
	size_t n;
	FILE *f = fopen(path, "r");

	if (!f)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return strstr(buf, text) != NULL;
}

/* selftest/flaky, REPS repetitions, failing those fail lists (a mask of
 * the same): every repetition recorded, the summary over the others. */
static void flaky(const char *name, const char *fail, unsigned mask, const char *extra)
{
	char env[600], args[600], dir[1024], path[1100];
	int bad = __builtin_popcount(mask);
	struct raw_count n;

	snprintf(env, sizeof(env),
		 "PARBENCH_SELFTEST=flaky PARBENCH_SELFTEST_FAIL=%s PARBENCH_SELFTEST_COUNT=%s/%s.count",
		 fail, tmp, name);
	snprintf(args, sizeof(args),
		 "--filter '^selftest/flaky/' --reps %d --machine m "
		 "--results %s/%s %s",
		 REPS, tmp, name, extra);
	if (strstr(extra, "--interleave")) /* beside an in-process case */
		snprintf(args, sizeof(args),
			 "--filter '^(selftest/flaky|calibration)/' --reps %d "
			 "--machine m --results %s/%s %s",
			 REPS, tmp, name, extra);
	assert_int_equal(run(env, args), 1);
	run_dir(name, dir, sizeof(dir));
	n = count_raw(dir, FLAKY, "answer");
	assert_int_equal(n.failed, bad);
	assert_int_equal(n.failed_reps, mask);
	assert_int_equal(n.ok, REPS - bad);
	assert_int_equal(n.metric, REPS - bad);
	assert_int_equal(summary_n(dir, FLAKY, "answer"), bad == REPS ? -1 : REPS - bad);
	snprintf(path, sizeof(path), "%s/err.txt", tmp);
	assert_true(file_has(path, "1 case(s) failed"));
	snprintf(path, sizeof(path), "%s/gbench.json", dir);
	assert_true(file_has(path, "failing repetition"));
	if (strstr(extra, "--interleave")) {
		n = count_raw(dir, TICK, "iteration_ns");
		assert_int_equal(n.ok, REPS);
		assert_int_equal(n.metric, REPS);
		assert_int_equal(summary_n(dir, TICK, "iteration_ns"), REPS);
	}
	assert_no_children();
}

static void first_fails(void **state)
{
	(void)state;
	flaky("first", "0", 1u, "");
}

static void middle_fails(void **state)
{
	(void)state;
	flaky("middle", "1", 2u, "");
}

static void last_fails(void **state)
{
	(void)state;
	flaky("last", "2", 4u, "");
}

static void first_and_last_fail(void **state)
{
	(void)state;
	flaky("ends", "0,2", 5u, "");
}

static void all_fail(void **state)
{
	(void)state;
	flaky("all", "all", 7u, "");
}

/* --interleave: the repetitions of the flaky case and of calibration (an
 * in-process case) in google-benchmark's shuffled order; the flaky case's
 * own order is still its count file's, and calibration passes throughout. */
static void interleaved(void **state)
{
	(void)state;
	flaky("il-first", "0", 1u, "--interleave");
	flaky("il-middle", "1", 2u, "--interleave");
	flaky("il-ends", "0,2", 5u, "--interleave");
}

/* --resume of a run cut short in the flaky case (its last status row
 * dropped, as a kill would): the case runs again whole, its first
 * repetition fails again, and raw.csv holds each repetition once. */
static void resumed(void **state)
{
	char dir[1024], cmd[2600], env[600], args[1200];
	struct raw_count n;

	(void)state;
	flaky("resume", "0", 1u, "");
	run_dir("resume", dir, sizeof(dir));
	snprintf(cmd, sizeof(cmd),
		 "f=%s/raw.csv; l=$(grep -n ',status,' $f | tail -1 | cut -d: -f1); "
		 "sed -i \"${l}d\" $f; rm -f %s/resume.count",
		 dir, tmp);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(count_raw(dir, FLAKY, "answer").ok, REPS - 2);
	snprintf(env, sizeof(env),
		 "PARBENCH_SELFTEST=flaky PARBENCH_SELFTEST_FAIL=0 "
		 "PARBENCH_SELFTEST_COUNT=%s/resume.count",
		 tmp);
	snprintf(args, sizeof(args), "--resume %s", dir);
	assert_int_equal(run(env, args), 1);
	n = count_raw(dir, FLAKY, "answer");
	assert_int_equal(n.failed_reps, 1u);
	assert_int_equal(n.ok, REPS - 1);
	assert_int_equal(n.metric, REPS - 1);
	assert_int_equal(summary_n(dir, FLAKY, "answer"), REPS - 1);
	assert_no_children();
}

/* The bug as it was found: an unchanged cpython-* case whose interpreter
 * fails its first run of the program and passes the others. */
static void cpython_first_run_fails(void **state)
{
	char path[600], args[1200], dir[1024];
	struct raw_count n;
	FILE *f;

	(void)state;
	if (access("/usr/bin/python3", X_OK) != 0)
		skip();
	snprintf(path, sizeof(path), "%s/python3", tmp);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "#!/bin/sh\n"
		   "case \"$*\" in *ipc.py*) [ -e \"$0.ran\" ] || { : >\"$0.ran\"; "
		   "echo 'fake python: first run fails' >&2; exit 1; } ;; esac\n"
		   "exec /usr/bin/python3 \"$@\"\n");
	fclose(f);
	assert_int_equal(chmod(path, 0755), 0);
	snprintf(args, sizeof(args),
		 "--profile quick --filter '^ipc-latency/cpython-pipe/-/pin:single/' --reps %d "
		 "--python %s --machine m --results %s/py",
		 REPS, path, tmp);
	assert_int_equal(run("", args), 1);
	run_dir("py", dir, sizeof(dir));
	n = count_raw(dir, PIPE, "status");
	assert_int_equal(n.failed_reps, 1u);
	assert_int_equal(n.ok, REPS - 1);
	assert_no_children();
}

static int setup(void **state)
{
	(void)state;
	prctl(PR_SET_CHILD_SUBREAPER, 1); /* any orphan would come to us */
	return mkdtemp(tmp) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	return suite_tmp_remove(tmp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(first_fails), cmocka_unit_test(middle_fails),
		cmocka_unit_test(last_fails),  cmocka_unit_test(first_and_last_fail),
		cmocka_unit_test(all_fail),    cmocka_unit_test(interleaved),
		cmocka_unit_test(resumed),     cmocka_unit_test(cpython_first_run_fails),
	};

	return cmocka_run_group_tests_name("repfail", tests, setup, teardown);
}
