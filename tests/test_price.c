/* SPDX-License-Identifier: MIT */
/*
 * price's like-for-like tests (bench/price/like.c, price_report.c): reading
 * a process's shape from its smaps, the ±10 % verdict and the sentence the
 * findings print, one ingredient's share of a pairing's difference, and the
 * like-for-like rows' consistency with the primitives they explain. No
 * case runs, nothing is timed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "price.h"
#include "price_like.h"
#include "price_report.h"

static const char smaps[] =
	"55d0c000-55d0d000 r--p 00000000 08:01 1234                       /usr/bin/stress-ng\n"
	"Size:                  4 kB\n"
	"Anonymous:             0 kB\n"
	"VmFlags: rd mr mw me sd\n"
	"55d0d000-55d0f000 rw-p 00000000 00:00 0                          [heap]\n"
	"Size:                  8 kB\n"
	"Anonymous:             8 kB\n"
	"7ffd1000-7ffd3000 rw-p 00000000 00:00 0                          [stack]\n"
	"Anonymous:            12 kB\n"
	"ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0          [vsyscall]\n"
	"Anonymous:             0 kB\n";

static void shape_counts_mappings_and_anonymous_memory(void **state)
{
	struct price_shape s;
	FILE *f = fmemopen((void *)smaps, sizeof(smaps) - 1, "r");

	(void)state;
	assert_non_null(f);
	assert_int_equal(price_shape_read(f, &s), 0);
	fclose(f);
	assert_int_equal(s.maps, 4);
	assert_int_equal(s.anon_maps, 2);
	assert_int_equal(s.anon_kib, 20);
}

static void shape_of_nothing_is_an_error(void **state)
{
	static const char empty[] = "Anonymous: 4 kB\n";
	struct price_shape s;
	FILE *f = fmemopen((void *)empty, sizeof(empty) - 1, "r");

	(void)state;
	assert_non_null(f);
	assert_int_equal(price_shape_read(f, &s), -1);
	fclose(f);
}

static void within_is_ten_percent_either_way(void **state)
{
	(void)state;
	assert_true(price_within(1.0));
	assert_true(price_within(0.9));
	assert_true(price_within(1.1));
	assert_false(price_within(0.89));
	assert_false(price_within(1.11));
	assert_false(price_within(NAN));
}

static void explain(char *out, double a0, double b0)
{
	double a[3] = { a0, a0 - 0.01, a0 + 0.01 }, b[3] = { b0, b0 - 0.01, b0 + 0.01 };

	price_explain(out, 400, "fork", "stress-ng --fork", a, "fork like stress-ng", b);
}

static void explanation_follows_the_figures(void **state)
{
	char out[400];

	(void)state;
	explain(out, 0.45, 1.02);
	assert_non_null(strstr(out, "0.45× stress-ng --fork's"));
	assert_non_null(strstr(out, "outside ±10 %"));
	assert_non_null(strstr(out, "1.02×"));
	assert_non_null(strstr(out, "what it adds to the primitive is the difference"));
	explain(out, 0.45, 0.80);
	assert_non_null(strstr(out, "explains part of the difference only"));
	explain(out, 0.85, 0.70);
	assert_non_null(strstr(out, "does not explain the difference"));
	explain(out, 0.95, 1.03);
	assert_non_null(strstr(out, "as the primitive is"));
	explain(out, 0.45, NAN);
	assert_non_null(strstr(out, "no test of an explanation"));
	assert_null(strstr(out, "is the difference"));
}

static const struct price_prim *named(const char *model)
{
	const struct price_prim *const fams[] = { price_process, price_thread, price_syscall,
						  price_sync,	 price_memory, NULL };

	for (int f = 0; fams[f]; f++)
		for (const struct price_prim *p = fams[f]; p->model; p++)
			if (strcmp(p->model, model) == 0)
				return p;
	return NULL;
}

/* same_run: the row runs the peer with the primitive's own function (the
 * stress-ng rows wrap it, to read the stressor's shape). */
static int check_like_rows(const struct price_prim *like, bool same_run)
{
	int rows = 0;

	for (const struct price_prim *l = like; l->model; l++, rows++) {
		const struct price_prim *p = named(l->explains);

		assert_non_null(p);
		assert_true(l->pair_only);
		assert_string_equal(l->peer, p->peer);
		if (same_run)
			assert_ptr_equal(l->peer_run, p->peer_run);
		assert_ptr_not_equal(l->ours, p->ours);
		assert_int_equal(l->pins, p->pair_pins ? p->pair_pins : p->pins);
		assert_int_equal(l->workers, p->workers);
		if (p->stressor)
			assert_string_equal(l->stressor, p->stressor);
		assert_string_equal(l->pair_model, l->model);
	}
	return rows;
}

/* Each like-for-like row pairs with the same peer, run the same way, on
 * the same PUs, as the primitive it explains, and only as a pairing. */
static void like_rows_match_what_they_explain(void **state)
{
	(void)state;
	assert_true(check_like_rows(price_like, false) >= 4);
	assert_int_equal(check_like_rows(price_like_tools, true), 2);
}

/* The like-for-like wake loop at 12 µs after perf's idle, 7 µs after the
 * plain loop's, the plain loop 5 µs: the idle time makes 5/7 of the gap.
 * The sign does not matter: posix_spawn at 400 µs, fork in its place 510,
 * the plain fork + exec 530: fork makes 110/130 of it. */
static void share_is_the_part_one_ingredient_makes(void **state)
{
	char out[240];

	(void)state;
	assert_float_equal(price_share(12, 7, 5), 5.0 / 7, 1e-12);
	assert_float_equal(price_share(12, 5, 5), 1, 1e-12);
	assert_float_equal(price_share(400, 510, 530), 110.0 / 130, 1e-12);
	assert_true(isnan(price_share(12, NAN, 5)));
	assert_true(isnan(price_share(5, 5, 5)));
	price_share_verdict(out, sizeof(out), 12, 7, 5, "idle", "a new waiter");
	assert_non_null(strstr(out, "outside ±10 %"));
	assert_non_null(strstr(out, "idle makes 71 % of the difference"));
	assert_non_null(strstr(out, "(a new waiter)"));
	price_share_verdict(out, sizeof(out), 400, 510, 530, "fork", "stdio");
	assert_non_null(strstr(out, "within ±10 % of it: fork is the difference (85 % of it)"));
	price_share_verdict(out, sizeof(out), 12, NAN, 5, "idle", "a new waiter");
	assert_non_null(strstr(out, "not measured"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(shape_counts_mappings_and_anonymous_memory),
		cmocka_unit_test(shape_of_nothing_is_an_error),
		cmocka_unit_test(within_is_ten_percent_either_way),
		cmocka_unit_test(explanation_follows_the_figures),
		cmocka_unit_test(like_rows_match_what_they_explain),
		cmocka_unit_test(share_is_the_part_one_ingredient_makes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
