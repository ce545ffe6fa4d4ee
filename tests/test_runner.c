/* SPDX-License-Identifier: MIT */
/* bench/parbench end to end: the run directory and its files, the raw CSV's
 * contract (metadata, exact header, 13 non-empty fields per row), failures
 * recorded as data with a non-zero exit, and Ctrl-C leaving nothing behind. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "csv.h"
#include "leakcheck.h"
#include "rundir.h"
#include "suitetmp.h"

static char tmp[] = "/tmp/parbench-test-XXXXXX";

static const char *bin(void)
{
	return getenv("PARBENCH_BIN") ? getenv("PARBENCH_BIN") : "bench/parbench";
}

/* Run the binary with args through the shell; its exit status. */
static int run(const char *env, const char *args)
{
	char cmd[2048];
	int st;

	snprintf(cmd, sizeof(cmd), "%s %s %s >%s/out.txt 2>%s/err.txt", env, bin(), args, tmp, tmp);
	st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The only run directory below results/<machine>/. */
static void run_dir(const char *machine, char *out, size_t len)
{
	char base[700];

	snprintf(base, sizeof(base), "%s/results/%s", tmp, machine);
	only_run_dir(base, out, len);
}

/* Split one CSV line into fields (RFC 4180 quotes); returns the count. */
static int split(char *line, char **f, int max)
{
	int n = 0;
	char *w = line;

	for (char *p = line; n < max;) {
		f[n++] = w;
		if (*p == '"') {
			for (p++; *p && !(*p == '"' && p[1] != '"'); p++) {
				if (*p == '"')
					p++;
				*w++ = *p;
			}
			p += *p == '"';
		} else {
			while (*p && *p != ',')
				*w++ = *p++;
		}
		if (*p != ',') {
			*w = '\0';
			break;
		}
		*w++ = '\0';
		w = ++p;
	}
	return n;
}

struct csv_check {
	int meta, rows, failed_status, ok_status;
	bool saw_answer, has_machine_meta, has_calibration_meta;
};

static struct csv_check check_raw(const char *path)
{
	struct csv_check c = { 0 };
	char line[4096], *f[16];
	bool header = false;
	FILE *fp = fopen(path, "r");

	assert_non_null(fp);
	while (fgets(line, sizeof(line), fp)) {
		line[strcspn(line, "\n")] = '\0';
		if (!header && line[0] == '#') {
			c.meta++;
			c.has_machine_meta |= strncmp(line, "# machine=", 10) == 0;
			c.has_calibration_meta |=
				strncmp(line, "# calibration_ticks_per_ms=", 27) == 0;
			continue;
		}
		if (!header) {
			assert_string_equal(line, CSV_RAW_HEADER);
			header = true;
			continue;
		}
		assert_int_equal(split(line, f, 16), 13);
		for (int i = 0; i < 13; i++)
			if (!f[i][0])
				fail_msg("empty field %d in a row of %s", i, path);
		c.rows++;
		if (strcmp(f[10], "status") == 0)
			*(strcmp(f[11], "0") == 0 ? &c.ok_status : &c.failed_status) += 1;
		c.saw_answer |= strcmp(f[10], "answer") == 0 && strcmp(f[11], "42") == 0;
	}
	fclose(fp);
	assert_true(header);
	return c;
}

static bool exists(const char *dir, const char *name)
{
	char path[1200];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return stat(path, &st) == 0 && st.st_size > 0;
}

static void assert_nothing_left(void)
{
	usleep(50000);
	assert_no_children();
}

static void failures_are_data(void **state)
{
	char dir[1024], raw[1100], args[512];
	struct csv_check c;

	(void)state;
	snprintf(args, sizeof(args),
		 "--filter '^selftest/' --reps 2 --machine t1 --results %s/results", tmp);
	assert_int_equal(run("PARBENCH_SELFTEST=1", args), 1);
	run_dir("t1", dir, sizeof(dir));
	snprintf(raw, sizeof(raw), "%s/raw.csv", dir);
	c = check_raw(raw);
	assert_true(c.has_machine_meta && c.has_calibration_meta);
	assert_int_equal(c.ok_status, 2);     /* selftest/ok, two repetitions */
	assert_int_equal(c.failed_status, 8); /* crash, hang, error, orphan */
	assert_true(c.saw_answer);
	assert_true(exists(dir, "summary.csv"));
	assert_true(exists(dir, "summary.md"));
	assert_true(exists(dir, "gbench.json"));
	assert_true(exists(dir, "topo.xml"));
	assert_nothing_left();
}

static void csv_to_stdout(void **state)
{
	char path[600];
	struct csv_check c;

	(void)state;
	assert_int_equal(run("", "--profile quick --filter '^tasks/(serial|fork)/io/n:5/w:(1|5)/' "
				 "--reps 2 --csv -"),
			 0);
	snprintf(path, sizeof(path), "%s/out.txt", tmp);
	c = check_raw(path);
	assert_int_equal(c.ok_status, 4); /* serial w1, fork w5; two reps each */
	assert_int_equal(c.failed_status, 0);
	assert_true(c.rows > 4 * 5);
	assert_nothing_left();
}

/* The status rows of raw.csv in order, as "model:rep" (at most max);
 * whether the metadata says interleave_order=rounds. */
static int status_rows(const char *path, char got[][32], int max, bool *rounds)
{
	char line[4096], *f[16];
	int n = 0;
	FILE *fp = fopen(path, "r");

	assert_non_null(fp);
	*rounds = false;
	while (fgets(line, sizeof(line), fp)) {
		line[strcspn(line, "\n")] = '\0';
		*rounds |= strcmp(line, "# interleave_order=rounds") == 0;
		if (line[0] == '#' || split(line, f, 16) != 13 || strcmp(f[10], "status") != 0)
			continue;
		assert_true(n < max);
		snprintf(got[n++], 32, "%s:%s", f[3], f[9]);
	}
	fclose(fp);
	return n;
}

/* raw.csv up to its k-th status row, as if the run had stopped there. */
static void cut_after_status(const char *path, int k)
{
	char cmd[4800];

	snprintf(cmd, sizeof(cmd),
		 "awk -F, '{ print } /,status,/ && ++n == %d { exit }' %s > %s.cut && mv %s.cut %s",
		 k, path, path, path, path);
	assert_int_equal(system(cmd), 0);
}

/* --interleave runs in rounds: round k is repetition k of every case, in
 * plan order, reversed every other round (serial, fork; fork, serial; ...);
 * --resume of a run cut short keeps the repetitions it has and runs the
 * rounds each case lacks, and writes the experiments.csv a run made before
 * that file existed lacks. */
static void interleave_runs_in_rounds(void **state)
{
	const char *want[] = { "serial:0", "fork:0", "fork:1", "serial:1", "serial:2", "fork:2" };
	char dir[1024], raw[1100], args[1200], cmd[3400], got[8][32];
	bool rounds;

	(void)state;
	snprintf(args, sizeof(args),
		 "--profile quick --filter '^tasks/(serial|fork)/io/n:5/w:(1|5)/' --reps 3 "
		 "--interleave --machine t3 --results %s/results",
		 tmp);
	assert_int_equal(run("", args), 0);
	run_dir("t3", dir, sizeof(dir));
	snprintf(raw, sizeof(raw), "%s/raw.csv", dir);
	assert_int_equal(status_rows(raw, got, 8, &rounds), 6);
	assert_true(rounds);
	for (int i = 0; i < 6; i++)
		assert_string_equal(got[i], want[i]);
	cut_after_status(raw, 3); /* serial 0, fork 0 and 1 */
	snprintf(cmd, sizeof(cmd), "grep ,wall_s, %s > %s.kept && rm %s/experiments.csv", raw, raw,
		 dir);
	assert_int_equal(system(cmd), 0);
	snprintf(args, sizeof(args), "--resume %s", dir);
	assert_int_equal(run("", args), 0);
	assert_int_equal(status_rows(raw, got, 8, &rounds), 6);
	for (int i = 0; i < 6; i++)
		assert_string_equal(got[i], want[i]);
	/* the three it had are kept, not measured again */
	snprintf(cmd, sizeof(cmd), "test $(grep -c -x -F -f %s.kept %s) -eq 3", raw, raw);
	assert_int_equal(system(cmd), 0);
	snprintf(cmd, sizeof(cmd), "test $(grep -c '^tasks,' %s/experiments.csv) -eq 1", dir);
	assert_int_equal(system(cmd), 0);
	assert_nothing_left();
}

static void ctrl_c_leaves_nothing(void **state)
{
	char results[600];
	int st;
	pid_t pid;

	(void)state;
	snprintf(results, sizeof(results), "%s/results-int", tmp);
	pid = fork();
	if (pid == 0) {
		execl(bin(), bin(), "--profile", "full", "--filter", "^tasks/fork/io/n:5/w:1/",
		      "--machine", "t2", "--results", results, (char *)NULL);
		_exit(127);
	}
	usleep(1500000); /* past calibration, inside the first 5 s repetition */
	kill(pid, SIGINT);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 130);
	assert_nothing_left();
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
		cmocka_unit_test(failures_are_data),
		cmocka_unit_test(csv_to_stdout),
		cmocka_unit_test(interleave_runs_in_rounds),
		cmocka_unit_test(ctrl_c_leaves_nothing),
	};

	return cmocka_run_group_tests_name("runner", tests, setup, teardown);
}
