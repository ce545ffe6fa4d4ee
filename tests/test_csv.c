/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"

/* Run fn on a memory stream and return what it wrote (caller frees). */
static char *capture(void (*fn)(FILE *f, const void *arg), const void *arg)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	fn(f, arg);
	fclose(f);
	return buf;
}

static void write_field(FILE *f, const void *arg)
{
	csv_field(f, arg);
}

static void write_number(FILE *f, const void *arg)
{
	csv_number(f, *(const double *)arg);
}

static void field_quoting(void **state)
{
	static const char *const cases[][2] = {
		{ "plain", "plain" },
		{ "a,b", "\"a,b\"" },
		{ "say \"hi\"", "\"say \"\"hi\"\"\"" },
		{ "two\nlines", "\"two\nlines\"" },
		{ "cr\r", "\"cr\r\"" },
		{ "", "" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *out = capture(write_field, cases[i][0]);

		assert_string_equal(out, cases[i][1]);
		free(out);
	}
	char *out = capture(write_field, NULL);
	assert_string_equal(out, "");
	free(out);
}

static void numbers_round_trip_shortest(void **state)
{
	double values[] = { 0.2, 200, 1e-9, 123456789.123, 1.0 / 3, -0.5 };
	const char *expect[] = { "0.2", "200", "1e-09", "123456789.123", NULL, "-0.5" };

	(void)state;
	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		char *out = capture(write_number, &values[i]);

		assert_true(strtod(out, NULL) == values[i]);
		if (expect[i])
			assert_string_equal(out, expect[i]);
		free(out);
	}
	double nan = NAN, inf = -INFINITY;
	char *out = capture(write_number, &nan);
	assert_string_equal(out, "nan");
	free(out);
	out = capture(write_number, &inf);
	assert_string_equal(out, "-inf");
	free(out);
}

static void write_meta(FILE *f, const void *arg)
{
	(void)arg;
	csv_meta(f, "cpu_model", "%s", "Fancy\nCPU");
	csv_meta(f, "pus", "%d", 2);
}

static void metadata_lines(void **state)
{
	char *out = capture(write_meta, NULL);

	(void)state;
	assert_string_equal(out, "# cpu_model=Fancy CPU\n# pus=2\n");
	free(out);
}

static void write_one_row(FILE *f, const void *arg)
{
	fprintf(f, "%s\n", CSV_RAW_HEADER);
	csv_row(f, arg);
}

static void row_matches_header(void **state)
{
	struct csv_row r = {
		.machine = "vm",
		.case_name = "tasks/fork/io/n:5/w:2/task_ms:200",
		.experiment = "tasks",
		.model = "fork",
		.workload = "io",
		.workers = 2,
		.param = "task_ms",
		.param_value = 200,
		.pin = "none",
		.rep = 3,
		.metric = "status",
		.value = 1,
		.unit = "task 1 (pid 7) was killed, badly",
	};
	char *out = capture(write_one_row, &r);

	(void)state;
	assert_string_equal(out,
			    "machine,case,experiment,model,workload,workers,param,param_value,pin,"
			    "rep,metric,value,unit\n"
			    "vm,tasks/fork/io/n:5/w:2/task_ms:200,tasks,fork,io,2,task_ms,200,none,"
			    "3,status,1,\"task 1 (pid 7) was killed, badly\"\n");
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(field_quoting),
		cmocka_unit_test(numbers_round_trip_shortest),
		cmocka_unit_test(metadata_lines),
		cmocka_unit_test(row_matches_header),
	};

	return cmocka_run_group_tests_name("csv", tests, NULL, NULL);
}
