/* SPDX-License-Identifier: MIT */
/* The fuzz targets' corpus as a regression test: every input in
 * fuzz/corpus/<target>/ (the seeds from real runs, and every crash `make
 * fuzz` ever found, kept there) goes through the target once. Under
 * `make SANITIZE=address,undefined test` this is the fuzzers' own check. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../fuzz/fuzz_cli.c"
#include "../fuzz/fuzz_rawcsv.c"

/* Run every file of fuzz/corpus/<name>/ through one; how many there were. */
static int run_corpus(const char *name, int (*one)(const uint8_t *, size_t))
{
	char dir[256], path[600];
	struct dirent *e;
	int n = 0;
	DIR *d;

	snprintf(dir, sizeof(dir), "fuzz/corpus/%s", name);
	d = opendir(dir);
	if (!d)
		fail_msg("%s: no corpus (run from the repository's root)", dir);
	while ((e = readdir(d))) {
		static uint8_t buf[1 << 20];
		size_t got;
		FILE *f;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		f = fopen(path, "rb");
		assert_non_null(f);
		got = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		assert_int_equal(one(buf, got), 0);
		n++;
	}
	closedir(d);
	return n;
}

static void cli_corpus(void **state)
{
	(void)state;
	assert_true(run_corpus("cli", fuzz_cli_one) >= 5);
}

static void rawcsv_corpus(void **state)
{
	(void)state;
	assert_true(run_corpus("rawcsv", fuzz_rawcsv_one) >= 4);
}

/* The reader keeps what it promises on the seeds: the real run is read
 * whole, the file cut short is read up to its last whole line. */
static void rawcsv_reads_a_real_run(void **state)
{
	static const struct rawcsv_ops ops = { .meta = fuzz_meta, .row = fuzz_row };
	struct fuzz_seen seen = { 0 };
	char err[300];
	int partial;
	FILE *f = fopen("fuzz/corpus/rawcsv/serial-run.csv", "r");

	(void)state;
	assert_non_null(f);
	assert_int_equal(rawcsv_read(f, &ops, &seen, &partial, err, sizeof(err)), 0);
	fclose(f);
	assert_int_equal(partial, 0);
	assert_true(seen.meta > 20 && seen.rows > 10);
	f = fopen("fuzz/corpus/rawcsv/cut-short.csv", "r");
	assert_non_null(f);
	seen = (struct fuzz_seen){ 0 };
	assert_int_equal(rawcsv_read(f, &ops, &seen, &partial, err, sizeof(err)), 0);
	fclose(f);
	assert_int_equal(partial, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(cli_corpus),
		cmocka_unit_test(rawcsv_corpus),
		cmocka_unit_test(rawcsv_reads_a_real_run),
	};

	return cmocka_run_group_tests_name("fuzz_corpus", tests, NULL, NULL);
}
