/* SPDX-License-Identifier: MIT */
/*
 * scripts/check_layers.sh (run by make lint) on small trees made here: a
 * clean tree passes, and each broken house rule is caught and named: a
 * model including the harness, the core including a model, one bench/
 * group including another's header (or bench/common/ including a group's),
 * a file over 500 lines, a function over 60, a positional case argument.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char root[] = "/tmp/parbench-layers-XXXXXX";
static char out[8192];

static void put(const char *rel, const char *text)
{
	char path[512], dir[600];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	snprintf(dir, sizeof(dir), "mkdir -p \"$(dirname '%s')\"", path);
	assert_int_equal(system(dir), 0);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* The script's exit status; its output in out. */
static int check(void)
{
	char cmd[1024];
	size_t n;
	FILE *p;
	int st;

	snprintf(cmd, sizeof(cmd), "PARBENCH_LINT_ROOT=%s scripts/check_layers.sh 2>&1", root);
	p = popen(cmd, "r");
	assert_non_null(p);
	n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(root))
		return -1;
	put("lib/core/clock.h", "int clock_now(void);\n");
	put("lib/core/clock.c", "#include \"clock.h\"\n#include <time.h>\n");
	put("lib/models/gil.h", "#include \"clock.h\"\n");
	put("lib/models/gil.c", "#include \"gil.h\"\n#include \"clock.h\"\n");
	put("lib/harness/harness.h", "#include \"clock.h\"\n");
	put("lib/harness/run.c", "#include \"harness.h\"\n#include \"gitrev.h\"\n");
	put("bench/g/e.c", "#include \"harness.h\"\n#include \"gil.h\"\n#include \"g.h\"\n"
			   "#include \"shared.h\"\n");
	put("bench/g/g.h", "#include \"harness.h\"\n");
	put("bench/h/h.h", "#include \"shared.h\"\n");
	put("bench/common/shared.h", "#include \"harness.h\"\n");
	put("bench/common/shared.c", "#include \"shared.h\"\n#include \"clock.h\"\n");
	return 0;
}

static int teardown(void **state)
{
	char cmd[600];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	return system(cmd);
}

static void clean_tree_passes(void **state)
{
	(void)state;
	assert_int_equal(check(), 0);
}

static void model_including_the_harness_fails(void **state)
{
	(void)state;
	put("lib/models/bad.c", "#include \"harness.h\"\n");
	assert_int_equal(check(), 1);
	assert_non_null(strstr(out, "lib/models/bad.c:1: includes \"harness.h\""));
	put("lib/models/bad.c", "\n");
	put("lib/core/bad.c", "#include \"gil.h\"\n");
	assert_int_equal(check(), 1);
	assert_non_null(strstr(out, "lib/core/bad.c:1: includes \"gil.h\""));
	put("lib/core/bad.c", "\n");
	put("lib/harness/bad.c", "#include \"gil.h\"\n");
	assert_int_equal(check(), 1);
	assert_non_null(strstr(out, "lib/harness/bad.c:1: includes \"gil.h\""));
	put("lib/harness/bad.c", "\n");
	assert_int_equal(check(), 0);
}

/* bench/<group>/ includes its own, bench/common/'s and lib/'s headers only. */
static void group_including_another_group_fails(void **state)
{
	(void)state;
	put("bench/g/cross.c", "#include \"h.h\"\n");
	assert_int_equal(check(), 1);
	assert_non_null(strstr(out, "bench/g/cross.c:1: includes \"h.h\", which bench/g/ may not"));
	put("bench/g/cross.c", "\n");
	put("bench/common/up.c", "#include \"g.h\"\n");
	assert_int_equal(check(), 1);
	assert_non_null(strstr(out, "bench/common/up.c:1: includes \"g.h\""));
	put("bench/common/up.c", "\n");
	assert_int_equal(check(), 0);
}

static void long_file_and_function_fail(void **state)
{
	char *text = calloc(1, 64 * 1024);
	size_t n = 0;

	(void)state;
	n += (size_t)sprintf(text + n, "static int f(void)\n{\n");
	for (int i = 0; i < 60; i++)
		n += (size_t)sprintf(text + n, "\tx++;\n");
	n += (size_t)sprintf(text + n, "}\n");
	put("bench/g/long.c", text);
	assert_int_equal(check(), 1);
	assert_non_null(strstr(out, "function of 63 lines"));
	for (int i = 0; i < 500; i++)
		n += (size_t)sprintf(text + n, "\n");
	put("lib/core/long.c", text);
	assert_int_equal(check(), 1);
	assert_non_null(strstr(out, "lib/core/long.c: 563 lines"));
	put("bench/g/long.c", "\n");
	put("lib/core/long.c", "\n");
	free(text);
	assert_int_equal(check(), 0);
}

static void positional_argument_fails(void **state)
{
	(void)state;
	put("bench/g/pos.c", "int n = c->arg[1];\n");
	assert_int_equal(check(), 1);
	assert_non_null(strstr(out, "bench/g/pos.c:1:"));
	put("bench/g/pos.c", "int n = 1;\n");
	assert_int_equal(check(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(clean_tree_passes),
		cmocka_unit_test(model_including_the_harness_fails),
		cmocka_unit_test(group_including_another_group_fails),
		cmocka_unit_test(long_file_and_function_fail),
		cmocka_unit_test(positional_argument_fails),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
