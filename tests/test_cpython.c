/* SPDX-License-Identifier: MIT */
/* The CPython cases through the real binary: a fast one delivers the
 * program's metrics, and with no interpreter the case is skipped, not
 * failed, and the run exits 0. No timing is asserted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#define CASE "'^counter-contention/cpython-value/unlocked/w:2$'"
/* its C twin, which times CPython's window before it counts */
#define TWIN "'^counter-contention/counter-procs/value-unlocked/window:cpython/w:2$'"

/* Run parbench with env (a "NAME=value " prefix) on the case filter; the
 * CSV in out, the exit status returned. */
static int run_case(const char *filter, const char *env, char *out, size_t len, const char *args)
{
	const char *bin = getenv("PARBENCH_BIN");
	char cmd[1024];
	size_t n;
	FILE *p;
	int st;

	if (!bin)
		bin = "bench/parbench";
	snprintf(cmd, sizeof(cmd),
		 "%s %s --profile quick --reps 1 --filter %s %s --csv - 2>/dev/null", env, bin,
		 filter, args);
	p = popen(cmd, "r");
	assert_non_null(p);
	n = fread(out, 1, len - 1, p);
	out[n] = '\0';
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int run(const char *env, char *out, size_t len, const char *args)
{
	return run_case(CASE, env, out, len, args);
}

static void metrics_arrive(void **state)
{
	static char out[1 << 16];

	(void)state;
	if (system("command -v python3 >/dev/null 2>&1") != 0)
		skip();
	assert_int_equal(run("", out, sizeof(out), ""), 0);
	assert_non_null(strstr(out, ",lost_pct,"));
	assert_non_null(strstr(out, ",expected_count,100000,")); /* quick: 2 x 50,000 */
	assert_non_null(strstr(out, ",py_startup_s,"));
	assert_non_null(strstr(out, ",python_version,"));
	assert_non_null(strstr(out, ",status,0,ok"));
	assert_null(strstr(out, "skipped"));
}

static void missing_python_is_skipped(void **state)
{
	static char out[1 << 16];

	(void)state;
	assert_int_equal(run("PARBENCH_PYTHON=/nonexistent", out, sizeof(out), ""), 0);
	assert_non_null(strstr(out, ",status,0,skipped: python3 not found"));
	assert_null(strstr(out, ",status,0,ok"));
	assert_null(strstr(out, ",lost_pct,"));
	/* --python names the interpreter; a missing one skips the same way */
	assert_int_equal(run("", out, sizeof(out), "--python /nonexistent/python9"), 0);
	assert_non_null(strstr(out, ",status,0,skipped: /nonexistent/python9 not found"));
	assert_non_null(strstr(out, "# python=/nonexistent/python9"));
}

static void bad_argument_is_a_failure_with_its_reason(void **state)
{
	static char out[1 << 16];

	(void)state;
	if (system("command -v python3 >/dev/null 2>&1") != 0)
		skip();
	/* the program's stderr's last line becomes the status reason */
	assert_int_equal(run("PARBENCH_CPYTHON_DIR=/nonexistent", out, sizeof(out), ""), 1);
	assert_non_null(strstr(out, ",status,1,python exited with status 2"));
}

/* value-unlocked/window:cpython: CPython's times arrive as metrics, the C
 * loop took the lock twice per increment; with no interpreter, skipped. */
static void twin_calibrates_or_skips(void **state)
{
	static char out[1 << 16];

	(void)state;
	assert_int_equal(run_case(TWIN, "PARBENCH_PYTHON=/nonexistent", out, sizeof(out), ""), 0);
	assert_non_null(strstr(out, ",status,0,skipped: python3 not found"));
	assert_null(strstr(out, ",lost_pct,"));
	if (system("command -v python3 >/dev/null 2>&1") != 0)
		skip();
	assert_int_equal(run_case(TWIN, "", out, sizeof(out), ""), 0);
	assert_non_null(strstr(out, ",status,0,ok"));
	assert_non_null(strstr(out, ",py_window_ns,"));
	assert_non_null(strstr(out, ",py_gap_ns,"));
	assert_non_null(strstr(out, ",py_hold_ns,"));
	assert_non_null(strstr(out, ",lock_takes_per_increment,2,"));
	assert_non_null(strstr(out, ",expected_count,100000,")); /* quick: 2 x 50,000 */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(metrics_arrive),
		cmocka_unit_test(missing_python_is_skipped),
		cmocka_unit_test(bad_argument_is_a_failure_with_its_reason),
		cmocka_unit_test(twin_calibrates_or_skips),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
