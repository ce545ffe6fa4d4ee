/* SPDX-License-Identifier: MIT */
/* The registry carries the lesson: every row (bench/registry.c) says what
 * it teaches, its headline metric with a direction, and the figures it
 * draws or that it is a table only; experiments.csv carries those rows,
 * one per experiment of the plan, into every run directory. */
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

#include "registry.h"
#include "runner.h"
#include "rundir.h"

static size_t registry_rows(void)
{
	size_t n = 0;

	while (pb_registry[n])
		n++;
	return n;
}

static void every_row_is_complete(void **state)
{
	char why[256];

	(void)state;
	assert_true(registry_rows() > 20);
	for (size_t i = 0; pb_registry[i]; i++) {
		const struct pb_experiment *e = pb_registry[i];

		if (!pb_experiment_complete(e, why, sizeof(why)))
			fail_msg("%s", why);
		assert_true(strlen(e->teaches) > 40); /* a sentence, not a placeholder */
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(e->name, pb_registry[j]->name);
	}
}

/* A figure names a plots/<name>.gp that exists. */
static void every_figure_has_its_script(void **state)
{
	(void)state;
	for (size_t i = 0; pb_registry[i]; i++) {
		const char *f = pb_registry[i]->figures;

		if (strcmp(f, PB_TABLE_ONLY) == 0)
			continue;
		while (*f) {
			size_t w = strcspn(f, " ");
			char path[128];
			struct stat st;

			snprintf(path, sizeof(path), "plots/%.*s.gp", (int)w, f);
			if (stat(path, &st) != 0)
				fail_msg("%s: figure %s has no %s", pb_registry[i]->name, f, path);
			f += w + strspn(f + w, " ");
		}
	}
}

/* The check itself fails on a row without each of the three. */
/* Every seed program names experiments of the registry, and each names
 * one; pb_seed_has matches whole names only (ipc-latency is not ipc-lat). */
static void every_seed_names_registered_experiments(void **state)
{
	const struct pb_seed probe = { "p", "", "ipc-latency tasks" };

	(void)state;
	for (const struct pb_seed *s = pb_seeds; s->program; s++) {
		int found = 0, words = 1;

		assert_non_null(s->printed);
		assert_null(strchr(s->program, ';')); /* the column's separator */
		assert_null(strchr(s->printed, ';'));
		for (size_t e = 0; pb_registry[e]; e++)
			found += pb_seed_has(s, pb_registry[e]->name);
		if (found == 0)
			fail_msg("seed '%s' names no experiment of the registry", s->program);
		/* each word a registered name: found counts them */
		for (const char *p = s->experiments; *p; p++)
			words += *p == ' ';
		assert_int_equal(found, words);
	}
	assert_true(pb_seed_has(&probe, "tasks") && pb_seed_has(&probe, "ipc-latency"));
	assert_false(pb_seed_has(&probe, "ipc-lat") || pb_seed_has(&probe, "task"));
}

static void an_incomplete_row_is_refused(void **state)
{
	const struct pb_experiment good = { .name = "x",
					    .summary = "one line",
					    .teaches = "what x teaches",
					    .headline = { "wall_s", "s", PB_LOWER_IS_BETTER },
					    .figures = PB_TABLE_ONLY };
	struct pb_experiment e;
	char why[256];

	(void)state;
	assert_true(pb_experiment_complete(&good, why, sizeof(why)));
	e = good;
	e.teaches = "";
	assert_false(pb_experiment_complete(&e, why, sizeof(why)));
	assert_non_null(strstr(why, "x: no teaches"));
	e = good;
	e.headline.better = PB_DIRECTION_UNSET;
	assert_false(pb_experiment_complete(&e, why, sizeof(why)));
	assert_non_null(strstr(why, "direction"));
	e = good;
	e.headline.metric = NULL;
	assert_false(pb_experiment_complete(&e, why, sizeof(why)));
	e = good;
	e.figures = NULL;
	assert_false(pb_experiment_complete(&e, why, sizeof(why)));
	assert_non_null(strstr(why, "figures"));
	e = good;
	e.figures = "x x-sweep";
	assert_true(pb_experiment_complete(&e, why, sizeof(why)));
	e.figures = "x pool-x";
	assert_false(pb_experiment_complete(&e, why, sizeof(why)));
	assert_non_null(strstr(why, "figure pool-x is not named x"));
	e.figures = "xy";
	assert_false(pb_experiment_complete(&e, why, sizeof(why)));
}

/* The fields of one CSV line (RFC 4180 quotes), in place; the count. */
static int split(char *line, char **f, int max)
{
	int n = 0;
	char *w = line, *p = line;

	line[strcspn(line, "\n")] = '\0';
	while (n < max) {
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

/* experiments.csv's rows, the names in names[] (at most max); the count. */
static int read_rows(FILE *f, char names[][64], int max)
{
	char line[4096], *fld[16];
	int n = 0;

	assert_non_null(fgets(line, sizeof(line), f));
	assert_int_equal(atoi(line + strlen("# schema_version=")), REGISTRY_SCHEMA_VERSION);
	assert_non_null(fgets(line, sizeof(line), f));
	assert_string_equal(line, REGISTRY_CSV_HEADER "\n");
	while (fgets(line, sizeof(line), f) && n < max) {
		assert_int_equal(split(line, fld, 16), 9);
		assert_true(strcmp(fld[5], "lower") == 0 || strcmp(fld[5], "higher") == 0);
		assert_true(fld[2][0] && fld[3][0] && fld[6][0] && fld[7][0] && fld[8][0]);
		snprintf(names[n++], 64, "%s", fld[0]);
	}
	return n;
}

/* The plan's rows only, every field back as written (commas quoted). */
static void csv_holds_the_plans_rows(void **state)
{
	size_t n = registry_rows(), *ncases = calloc(n, sizeof(*ncases));
	char names[64][64];
	FILE *f = tmpfile();

	(void)state;
	assert_non_null(ncases);
	assert_non_null(f);
	ncases[1] = 3;
	ncases[n - 2] = 1;
	assert_int_equal(registry_write_csv(f, pb_registry, ncases), 0);
	rewind(f);
	assert_int_equal(read_rows(f, names, 64), 2);
	assert_string_equal(names[0], pb_registry[1]->name);
	assert_string_equal(names[1], pb_registry[n - 2]->name);
	rewind(f);
	assert_int_equal(registry_write_csv(f, pb_registry, NULL), 0);
	rewind(f);
	assert_int_equal(read_rows(f, names, 64), (int)n);
	fclose(f);
	free(ncases);
}

/* A real run: experiments.csv is in its directory with one row per
 * experiment that ran, and --list prints the new fields. */
static void run_dir_gets_experiments_csv(void **state)
{
	char tmp[] = "/tmp/parbench-registry-XXXXXX", cmd[1600], dir[1400], path[1000];
	char names[64][64];
	const char *bin = getenv("PARBENCH_BIN") ? getenv("PARBENCH_BIN") : "bench/parbench";
	FILE *f;
	int st;

	(void)state;
	assert_non_null(mkdtemp(tmp));
	snprintf(cmd, sizeof(cmd),
		 "%s --profile quick --reps 1 --filter '^(calibration/|switch/coroutine/)' "
		 "--machine reg --results %s >%s/out.txt 2>&1",
		 bin, tmp, tmp);
	st = system(cmd);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	snprintf(path, sizeof(path), "%s/reg", tmp);
	only_run_dir(path, dir, sizeof(dir));
	snprintf(cmd, sizeof(cmd), "%s/experiments.csv", dir);
	f = fopen(cmd, "r");
	assert_non_null(f);
	assert_int_equal(read_rows(f, names, 64), 2);
	assert_string_equal(names[0], "calibration");
	assert_string_equal(names[1], "switch");
	fclose(f);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	assert_int_equal(system(cmd), 0);
}

static void list_prints_the_row(void **state)
{
	char cmd[512], out[8192] = "";
	const char *bin = getenv("PARBENCH_BIN") ? getenv("PARBENCH_BIN") : "bench/parbench";
	size_t len;
	FILE *p;

	(void)state;
	snprintf(cmd, sizeof(cmd), "%s --list --profile quick --filter '^switch/'", bin);
	p = popen(cmd, "r");
	assert_non_null(p);
	len = fread(out, 1, sizeof(out) - 1, p);
	out[len] = '\0';
	assert_int_equal(pclose(p), 0);
	assert_non_null(strstr(out, "teaches: What one switch costs"));
	assert_non_null(strstr(out, "headline: switch_ns (ns), lower is better; figures: switch"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_row_is_complete),
		cmocka_unit_test(every_figure_has_its_script),
		cmocka_unit_test(every_seed_names_registered_experiments),
		cmocka_unit_test(an_incomplete_row_is_refused),
		cmocka_unit_test(csv_holds_the_plans_rows),
		cmocka_unit_test(run_dir_gets_experiments_csv),
		cmocka_unit_test(list_prints_the_row),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
