/* SPDX-License-Identifier: MIT */
/* Options: every bad input is exit 2 with a message that names it and says
 * what is allowed; the binary itself behaves the same. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"

static int parse(int argc, char **argv, struct pb_options *o, char *err)
{
	return cli_parse(argc, argv, o, err, 512);
}

static void defaults(void **state)
{
	struct pb_options o;
	char err[512];
	char *argv[] = { "parbench", NULL };

	(void)state;
	assert_int_equal(parse(1, argv, &o, err), 0);
	assert_int_equal(o.profile, PROFILE_DEFAULT);
	assert_int_equal(o.pin, PIN_NONE);
	assert_int_equal(o.reps, 0);
	assert_null(o.filter);
	assert_null(o.exclude);
	assert_false(o.version);
	assert_string_equal(o.results, "results");
	assert_int_equal(cli_default_reps(PROFILE_QUICK), 3);
}

static void good_flags(void **state)
{
	struct pb_options o;
	char err[512];
	char *v[] = { "parbench",
		      "--reps",
		      "4",
		      "--pin=scatter",
		      "--profile",
		      "quick",
		      "--filter",
		      "^tasks/(fork|serial)",
		      "--exclude=/cpu/",
		      "--machine=lab-1",
		      "--csv",
		      "-",
		      "--benchmark_min_time=0.01",
		      "--list",
		      "--topo",
		      "--benchmark_repetitions=4",
		      "--interleave",
		      NULL };

	(void)state;
	assert_int_equal(parse((int)(sizeof(v) / sizeof(v[0])) - 1, v, &o, err), 0);
	assert_int_equal(o.reps, 4); /* the two flags agree */
	assert_true(o.gb_has_reps);
	assert_int_equal(o.pin, PIN_SCATTER);
	assert_int_equal(o.profile, PROFILE_QUICK);
	assert_string_equal(o.filter, "^tasks/(fork|serial)");
	assert_string_equal(o.exclude, "/cpu/");
	assert_string_equal(o.machine, "lab-1");
	assert_string_equal(o.csv, "-");
	assert_true(o.list && o.topo && o.interleave);
	assert_int_equal(o.gb_argc, 3);
	assert_string_equal(o.gb_argv[1], "--benchmark_min_time=0.01");
}

/* Each bad command line, and a word its message must contain. */
static const struct {
	const char *args[3];
	const char *says;
} bad_inputs[] = {
	{ { "--bogus" }, "unknown option '--bogus'" },
	{ { "-x" }, "allowed:" },
	{ { "positional" }, "unknown option 'positional'" },
	{ { "--reps", "0" }, "1 to 1000" },
	{ { "--reps", "abc" }, "'abc'" },
	{ { "--reps", "5x" }, "'5x'" },
	{ { "--reps=1001" }, "1 to 1000" },
	{ { "--reps" }, "needs a value" },
	{ { "--pin", "diagonal" }, "none, compact, scatter, single" },
	{ { "--profile", "huge" }, "quick, default, full" },
	{ { "--filter", "(" }, "regular expression" },
	{ { "--machine", "a/b" }, "letters, digits" },
	{ { "--machine", ".." }, "'..'" },
	{ { "--csv=" }, "file name" },
	{ { "--results=" }, "directory" },
	{ { "--benchmark_repetitions" }, "=N" },
	{ { "--benchmark_repetitions=0" }, "1 to 1000" },
	{ { "--reps", "3", "--benchmark_repetitions=2" }, "differ" },
	{ { "--benchmark_repetitions=2", "--reps=3" }, "differ" },
	{ { "--reps", " 5" }, "' 5'" },
	{ { "--reps", "+5" }, "'+5'" },
	{ { "--benchmark_repetitions=+5" }, "1 to 1000" },
	{ { "--benchmark_filter=x" }, "--filter" },
	{ { "--benchmark_list_tests" }, "--list" },
	{ { "--filter", "x{1,32767}" }, "over 255" },
	{ { "--filter", "((x{1,64}){1,64}){1,64}" }, "over 1000" },
	{ { "--filter", "(a)\\1" }, "back-references" },
	{ { "--filter", "(((((((((((s+)+)+)+)+)+)+)+)+)+)+)+" }, "over 1000" },
	/* found by fuzz_cli: out of memory, and a timeout */
	{ { "--filter", "s++++++++++++" }, "repetition of a repetition" },
	{ { "--filter", "x+????????" }, "repetition of a repetition" },
	{ { "--exclude", "(" }, "--exclude: '(' is not a valid POSIX extended regular expression" },
	{ { "--exclude" }, "needs a value" },
	{ { "--exclude", "x{1,32767}" }, "--exclude: refused" },
	{ { "--resume", "d", "--exclude=x" }, "alone" },
	{ { "--resume", "d", "--reps=3" }, "alone" },
	{ { "--resume", "d", "--summarize=d" }, "alone" },
};

static void bad_flags_exit_2(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad_inputs) / sizeof(bad_inputs[0]); i++) {
		char *argv[5] = { "parbench" };
		struct pb_options o;
		char err[512];
		int argc = 1;

		for (int k = 0; k < 3 && bad_inputs[i].args[k]; k++)
			argv[argc++] = (char *)bad_inputs[i].args[k];
		argv[argc] = NULL;
		assert_int_equal(parse(argc, argv, &o, err), 2);
		if (!strstr(err, bad_inputs[i].says))
			fail_msg("'%s': message '%s' lacks '%s'", argv[1], err, bad_inputs[i].says);
	}
}

/* --filter keeps, then --exclude drops; either alone works too. */
static void filter_then_exclude(void **state)
{
	static const struct {
		const char *filter, *exclude, *name;
		bool kept;
	} cases[] = {
		{ NULL, NULL, "tasks/fork/io", true },
		{ "^tasks/", NULL, "tasks/fork/io", true },
		{ "^tasks/", NULL, "ipc/pipe", false },
		{ NULL, "/fork/", "tasks/fork/io", false },
		{ NULL, "/fork/", "tasks/serial/io", true },
		{ "^tasks/", "/fork/", "tasks/fork/io", false },
		{ "^tasks/", "/fork/", "tasks/serial/io", true },
		{ "^tasks/", "/fork/", "ipc/fork/x", false },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pb_options o = { .filter = cases[i].filter, .exclude = cases[i].exclude };
		struct cli_select s;

		assert_int_equal(cli_select_init(&s, &o), 0);
		if (cli_select_keep(&s, cases[i].name) != cases[i].kept)
			fail_msg("--filter '%s' --exclude '%s': '%s' should be %s",
				 cases[i].filter ? cases[i].filter : "",
				 cases[i].exclude ? cases[i].exclude : "", cases[i].name,
				 cases[i].kept ? "kept" : "dropped");
		cli_select_free(&s);
	}
}

/* The binary: exit status 2 and the message on stderr. */
static int run_binary(const char *args, char *out, size_t len)
{
	const char *bin = getenv("PARBENCH_BIN");
	char cmd[1024];
	size_t got;
	FILE *p;

	if (!bin)
		bin = "bench/parbench";
	snprintf(cmd, sizeof(cmd), "%s %s 2>&1", bin, args);
	p = popen(cmd, "r");
	assert_non_null(p);
	got = fread(out, 1, len - 1, p);
	out[got] = '\0';
	/* Drain the rest: a long --list must not die of SIGPIPE. */
	while (fread(cmd, 1, sizeof(cmd), p) > 0)
		;
	return WEXITSTATUS(pclose(p));
}

static void binary_rejects_bad_input(void **state)
{
	char out[4096];

	(void)state;
	assert_int_equal(run_binary("--pin diagonal", out, sizeof(out)), 2);
	assert_non_null(strstr(out, "--pin: unknown policy 'diagonal'"));
	assert_int_equal(run_binary("--frobnicate", out, sizeof(out)), 2);
	assert_non_null(strstr(out, "unknown option '--frobnicate'"));
	assert_int_equal(run_binary("--filter no-such-case-anywhere", out, sizeof(out)), 2);
	assert_non_null(strstr(out, "no case matches"));
	assert_int_equal(run_binary("--benchmark_frobnicate=1 --filter calibration --csv /dev/null",
				    out, sizeof(out)),
			 2);
	assert_non_null(strstr(out, "--benchmark_frobnicate"));
	assert_int_equal(run_binary("--help", out, sizeof(out)), 0);
	assert_non_null(strstr(out, "--pin POLICY"));
	assert_int_equal(run_binary("--list --cases --profile quick", out, sizeof(out)), 0);
	assert_non_null(strstr(out, "tasks/fork/io/n:5/w:5/task_ms:50"));
	assert_int_equal(run_binary("--list --profile quick --filter '^tasks/'", out, sizeof(out)),
			 0);
	assert_non_null(strstr(out, " cases "));
	assert_non_null(strstr(out, " s  N independent io or cpu tasks"));
	assert_non_null(strstr(out, "estimated time: "));
	assert_null(strstr(out, "tasks/fork/io/n:5/w:1/task_ms:50"));
	assert_int_equal(run_binary("--cases", out, sizeof(out)), 2);
	assert_non_null(strstr(out, "--cases goes with --list"));
}

static void binary_version(void **state)
{
	char out[4096];

	(void)state;
	assert_int_equal(run_binary("--version", out, sizeof(out)), 0);
	assert_non_null(strstr(out, "parbench " PB_VERSION "\n"));
	assert_non_null(strstr(out, "\ngit_rev: "));
	assert_non_null(strstr(out, "\ncompiler: "));
	assert_non_null(strstr(out, "\ngbench_version: "));
	assert_null(strstr(out, "git_rev: \n"));
	assert_null(strstr(out, "gbench_version: \n"));
	assert_int_equal(run_binary("--help", out, sizeof(out)), 0);
	assert_non_null(strstr(out, "--version"));
	assert_non_null(strstr(out, "--exclude REGEX"));
}

/* --list after --filter and --exclude: the tasks cases but fork's and
 * threads' (threads-gil stays: the regex says /threads/). */
static void binary_exclude(void **state)
{
	char out[8192], dir[] = "/tmp/parbench-exclude-XXXXXX", args[256];

	(void)state;
	assert_int_equal(run_binary("--list --cases --profile quick --filter '^tasks/' "
				    "--exclude '/(fork|threads)/'",
				    out, sizeof(out)),
			 0);
	assert_non_null(strstr(out, "tasks/serial/io/n:5/w:1/task_ms:50\n"));
	assert_non_null(strstr(out, "tasks/threads-gil/io/n:5/w:5/task_ms:50\n"));
	assert_non_null(strstr(out, "tasks/cpython-fork/io/n:5/w:5/task_ms:50\n"));
	assert_null(strstr(out, "tasks/fork/"));
	assert_null(strstr(out, "tasks/threads/"));
	assert_null(strstr(out, "ipc-"));
	/* everything excluded: exit 2, the message gives both */
	assert_int_equal(run_binary("--filter '^tasks/' --exclude tasks --csv /dev/null", out,
				    sizeof(out)),
			 2);
	assert_non_null(strstr(out, "no case matches --filter '^tasks/' --exclude 'tasks'"));
	/* a bad regex: exit 2 before anything is written */
	assert_non_null(mkdtemp(dir));
	snprintf(args, sizeof(args), "--profile quick --exclude '(' --results %s/results", dir);
	assert_int_equal(run_binary(args, out, sizeof(out)), 2);
	assert_non_null(strstr(out, "--exclude: '(' is not a valid"));
	snprintf(args, sizeof(args), "%s/results", dir);
	assert_int_equal(access(args, F_OK), -1);
	assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(defaults),
		cmocka_unit_test(good_flags),
		cmocka_unit_test(bad_flags_exit_2),
		cmocka_unit_test(filter_then_exclude),
		cmocka_unit_test(binary_rejects_bad_input),
		cmocka_unit_test(binary_version),
		cmocka_unit_test(binary_exclude),
	};

	return cmocka_run_group_tests_name("cli", tests, NULL, NULL);
}
