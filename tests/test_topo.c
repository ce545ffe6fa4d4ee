// SPDX-License-Identifier: MIT
/*
 * Tests for lib/core/topo.c. Synthetic topologies number PUs (OS indexes) in
 * logical order: in "pack:2 core:4 pu:2" core c holds PUs 2c and 2c+1 and
 * package p holds PUs 8p..8p+7. No timing assertions anywhere.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <hwloc.h> /* HWLOC_VERSION only */

#include "topo.h"

#define SYN_SMALL "pack:2 core:4 pu:2"
#define SYN_BIG "pack:4 core:64 pu:2"

static struct topo *load(const char *synthetic)
{
	char err[256] = "";
	struct topo *t = topo_load(synthetic, err, sizeof(err));

	if (!t)
		fail_msg("topo_load(%s): %s", synthetic ? synthetic : "NULL", err);
	return t;
}

static void place(const struct topo *t, enum pin_policy p, int n, struct placement *pl)
{
	char err[256] = "";

	if (topo_place(t, p, n, pl, err, sizeof(err)) != 0)
		fail_msg("topo_place(%s, %d): %s", pin_policy_name(p), n, err);
	assert_int_equal(pl->n, n);
	assert_int_equal(pl->policy, p);
	assert_non_null(pl->pu);
}

/* In SYN_SMALL / SYN_BIG (2 PUs per core), OS index -> core / package. */
static int core_of(int pu)
{
	return pu / 2;
}

static int package_of(int pu, int pus_per_package)
{
	return pu / pus_per_package;
}

static bool all_distinct(const int *v, int n)
{
	int i, j;

	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			if (v[i] == v[j])
				return false;
	return true;
}

/* ------------------------------------------------------------- counts */

static void test_synthetic_counts(void **state)
{
	struct topo *t = load(SYN_SMALL);
	char buf[64];

	(void)state;
	assert_int_equal(topo_packages(t), 2);
	assert_int_equal(topo_cores(t), 8);
	assert_int_equal(topo_pus(t), 16);
	assert_int_equal(topo_numa_nodes(t), 1);
	assert_string_equal(topo_cpu_model(t), "unknown");
	strcpy(buf, "junk");
	topo_caches(t, buf, sizeof(buf));
	assert_string_equal(buf, "");
	topo_free(t);
}

static void test_synthetic_big_counts(void **state)
{
	struct topo *t = load(SYN_BIG);

	(void)state;
	assert_int_equal(topo_packages(t), 4);
	assert_int_equal(topo_cores(t), 256);
	assert_int_equal(topo_pus(t), 512);
	topo_free(t);
}

static void test_synthetic_caches(void **state)
{
	struct topo *t = load("pack:1 l3:1 l2:2 l1d:1 core:1 pu:1");
	char buf[128];

	(void)state;
	topo_caches(t, buf, sizeof(buf));
	/* Sizes are hwloc's synthetic defaults; only check the shape. */
	assert_non_null(strstr(buf, "L1d:"));
	assert_non_null(strstr(buf, " L2:"));
	assert_non_null(strstr(buf, " L3:"));
	assert_true(strstr(buf, "L1d:") < strstr(buf, "L2:"));
	assert_true(strstr(buf, "L2:") < strstr(buf, "L3:"));
	/* A short buffer is truncated, never overrun. */
	topo_caches(t, buf, 5);
	assert_int_equal(strlen(buf), 4);
	topo_free(t);
}

/* ---------------------------------------------------------- placement */

static void test_compact_small(void **state)
{
	struct topo *t = load(SYN_SMALL);
	struct placement pl;
	int i;

	(void)state;
	place(t, PIN_COMPACT, 4, &pl);
	for (i = 0; i < 4; i++)
		assert_int_equal(pl.pu[i], i);
	/* First core's two PUs, then the second core's. */
	assert_int_equal(core_of(pl.pu[0]), core_of(pl.pu[1]));
	assert_int_not_equal(core_of(pl.pu[1]), core_of(pl.pu[2]));
	assert_false(pl.wrapped);
	placement_free(&pl);
	assert_null(pl.pu);
	topo_free(t);
}

static void test_scatter_2_packages(void **state)
{
	struct topo *t = load(SYN_SMALL);
	struct placement pl;

	(void)state;
	place(t, PIN_SCATTER, 2, &pl);
	assert_int_not_equal(package_of(pl.pu[0], 8), package_of(pl.pu[1], 8));
	assert_false(pl.wrapped);
	placement_free(&pl);
	topo_free(t);
}

static void test_scatter_4_cores(void **state)
{
	struct topo *t = load(SYN_SMALL);
	struct placement pl;
	int cores[4], per_pkg[2] = { 0, 0 };
	int i;

	(void)state;
	place(t, PIN_SCATTER, 4, &pl);
	for (i = 0; i < 4; i++) {
		cores[i] = core_of(pl.pu[i]);
		per_pkg[package_of(pl.pu[i], 8)]++;
	}
	assert_true(all_distinct(cores, 4));
	assert_int_equal(per_pkg[0], 2);
	assert_int_equal(per_pkg[1], 2);
	placement_free(&pl);
	topo_free(t);
}

static void test_scatter_8_cores(void **state)
{
	struct topo *t = load(SYN_SMALL);
	struct placement pl;
	int cores[8];
	int i;

	(void)state;
	place(t, PIN_SCATTER, 8, &pl);
	for (i = 0; i < 8; i++)
		cores[i] = core_of(pl.pu[i]);
	assert_true(all_distinct(cores, 8));
	assert_false(pl.wrapped);
	placement_free(&pl);
	topo_free(t);
}

static void test_scatter_16_all_pus(void **state)
{
	struct topo *t = load(SYN_SMALL);
	struct placement pl;

	(void)state;
	place(t, PIN_SCATTER, 16, &pl);
	assert_true(all_distinct(pl.pu, 16));
	assert_false(pl.wrapped);
	placement_free(&pl);
	topo_free(t);
}

static void test_wrapped(void **state)
{
	struct topo *t = load(SYN_SMALL);
	struct placement pl;
	int i;

	(void)state;
	place(t, PIN_COMPACT, 20, &pl);
	assert_true(pl.wrapped);
	for (i = 0; i < 20; i++)
		assert_int_equal(pl.pu[i], pl.pu[i % 16]);
	placement_free(&pl);

	place(t, PIN_SCATTER, 20, &pl);
	assert_true(pl.wrapped);
	assert_true(all_distinct(pl.pu, 16));
	for (i = 0; i < 20; i++)
		assert_int_equal(pl.pu[i], pl.pu[i % 16]);
	placement_free(&pl);
	topo_free(t);
}

static void test_single_and_none(void **state)
{
	struct topo *t = load(SYN_SMALL);
	struct placement pl;
	int i;

	(void)state;
	/* More workers than PUs, yet wrapped stays false: deliberate. */
	place(t, PIN_SINGLE, 20, &pl);
	assert_false(pl.wrapped);
	for (i = 0; i < 20; i++)
		assert_int_equal(pl.pu[i], pl.pu[0]);
	assert_int_equal(pl.pu[0], 0);
	placement_free(&pl);

	place(t, PIN_NONE, 20, &pl);
	assert_false(pl.wrapped);
	for (i = 0; i < 20; i++)
		assert_int_equal(pl.pu[i], -1);
	placement_free(&pl);
	topo_free(t);
}

static void test_big_scatter_and_compact(void **state)
{
	struct topo *t = load(SYN_BIG);
	struct placement pl;
	int pkgs[4];
	int i;

	(void)state;
	place(t, PIN_SCATTER, 4, &pl);
	for (i = 0; i < 4; i++)
		pkgs[i] = package_of(pl.pu[i], 128);
	assert_true(all_distinct(pkgs, 4));
	placement_free(&pl);

	place(t, PIN_COMPACT, 3, &pl);
	assert_int_equal(core_of(pl.pu[0]), core_of(pl.pu[1]));
	assert_int_equal(core_of(pl.pu[2]), core_of(pl.pu[0]) + 1);
	placement_free(&pl);
	topo_free(t);
}

static void test_bad_worker_count(void **state)
{
	struct topo *t = load(SYN_SMALL);
	struct placement pl;
	char err[256] = "";

	(void)state;
	assert_int_equal(topo_place(t, PIN_COMPACT, 0, &pl, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "workers must be >= 1"));
	assert_null(pl.pu);
	err[0] = '\0';
	assert_int_equal(topo_place(t, PIN_SCATTER, -3, &pl, err, sizeof(err)), -1);
	assert_true(err[0] != '\0');
	/* A NULL error buffer is allowed. */
	assert_int_equal(topo_place(t, PIN_SCATTER, 0, &pl, NULL, 0), -1);
	topo_free(t);
}

/* ------------------------------------------------------------ policies */

static void test_policy_names(void **state)
{
	static const enum pin_policy all[] = {
		PIN_NONE,
		PIN_COMPACT,
		PIN_SCATTER,
		PIN_SINGLE,
	};
	enum pin_policy p;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		p = (enum pin_policy) - 1;
		assert_true(pin_policy_parse(pin_policy_name(all[i]), &p));
		assert_int_equal(p, all[i]);
	}
	assert_string_equal(pin_policy_name(PIN_NONE), "none");
	assert_string_equal(pin_policy_name(PIN_COMPACT), "compact");
	assert_string_equal(pin_policy_name(PIN_SCATTER), "scatter");
	assert_string_equal(pin_policy_name(PIN_SINGLE), "single");

	p = PIN_SCATTER;
	assert_false(pin_policy_parse("spread", &p));
	assert_false(pin_policy_parse("", &p));
	assert_false(pin_policy_parse("Compact ", &p));
	assert_int_equal(p, PIN_SCATTER); /* untouched on failure */
}

/* ------------------------------------------------------- this machine */

static bool same_affinity(const cpu_set_t *a)
{
	cpu_set_t now;

	assert_int_equal(sched_getaffinity(0, sizeof(now), &now), 0);
	return CPU_EQUAL(a, &now);
}

/* Enough work for the scheduler to have run us; not a timing check. */
static unsigned long spin(void)
{
	volatile unsigned long x = 0;
	unsigned long i;

	for (i = 0; i < 1000000; i++)
		x += i;
	return x;
}

static void test_machine_load(void **state)
{
	struct topo *t = load(NULL);
	char buf[256];
	unsigned maj, min, rel;

	(void)state;
	assert_true(topo_pus(t) >= 1);
	assert_true(topo_cores(t) <= topo_pus(t));
	assert_true(topo_numa_nodes(t) >= 1);
	assert_non_null(topo_cpu_model(t));
	assert_true(topo_cpu_model(t)[0] != '\0');
	topo_caches(t, buf, sizeof(buf));
	topo_hwloc_version(buf, sizeof(buf));
	assert_int_equal(sscanf(buf, "%u.%u.%u", &maj, &min, &rel), 3);
	assert_int_equal(maj, 2);
	/* The release, not the API version (2.9.0 has API 0x20800); headers
	 * and library come from the same package here. */
	assert_string_equal(buf, HWLOC_VERSION);
	topo_free(t);
}

static void test_machine_spawn_compact(void **state)
{
	struct topo *t = load(NULL);
	struct topo_saved *saved = NULL;
	struct placement pl;
	cpu_set_t before;

	(void)state;
	assert_int_equal(sched_getaffinity(0, sizeof(before), &before), 0);
	place(t, PIN_COMPACT, 1, &pl);
	assert_true(pl.pu[0] >= 0);

	assert_int_equal(topo_spawn_begin(t, &pl, 0, &saved), 0);
	assert_non_null(saved);
	spin();
	assert_int_equal(topo_last_pu(t), pl.pu[0]);
	topo_spawn_end(t, saved);

	assert_true(same_affinity(&before));
	placement_free(&pl);
	topo_free(t);
}

static void test_machine_spawn_none(void **state)
{
	struct topo *t = load(NULL);
	struct topo_saved *saved = NULL;
	struct placement pl;
	cpu_set_t before;

	(void)state;
	assert_int_equal(sched_getaffinity(0, sizeof(before), &before), 0);
	place(t, PIN_NONE, 2, &pl);
	assert_int_equal(topo_spawn_begin(t, &pl, 1, &saved), 0);
	assert_true(same_affinity(&before));
	topo_spawn_end(t, saved);
	assert_true(same_affinity(&before));
	topo_spawn_end(t, NULL); /* harmless */

	assert_int_equal(topo_spawn_begin(t, &pl, 2, &saved), -1);
	assert_null(saved);
	placement_free(&pl);
	topo_free(t);
}

/* The reason spawn_begin exists: a child forked while the spawner is bound
 * starts life on the worker's PU. */
static void test_machine_spawn_fork(void **state)
{
	struct topo *t = load(NULL);
	int last = topo_pus(t) - 1;
	struct topo_saved *saved = NULL;
	struct placement pl;
	cpu_set_t before;
	int status;
	pid_t pid;

	(void)state;
	assert_int_equal(sched_getaffinity(0, sizeof(before), &before), 0);
	/* The last compact slot: not where an unbound process would
	 * necessarily be, so the check means something on >1 PU. */
	place(t, PIN_COMPACT, last + 1, &pl);
	assert_int_equal(topo_spawn_begin(t, &pl, last, &saved), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		cpu_set_t mine;

		spin();
		if (sched_getaffinity(0, sizeof(mine), &mine) != 0)
			_exit(2);
		if (CPU_COUNT(&mine) != 1 || !CPU_ISSET(pl.pu[last], &mine))
			_exit(3);
		_exit(topo_last_pu(t) == pl.pu[last] ? 0 : 4);
	}
	topo_spawn_end(t, saved);
	assert_true(same_affinity(&before));
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	placement_free(&pl);
	topo_free(t);
}

struct thread_arg {
	const struct topo *t;
	const struct placement *pl;
	int last_pu;
	int ok;
};

static void *thread_body(void *p)
{
	struct thread_arg *a = p;
	struct topo_saved *saved;

	a->ok = topo_spawn_begin(a->t, a->pl, 0, &saved) == 0;
	spin();
	a->last_pu = topo_last_pu(a->t);
	topo_spawn_end(a->t, saved);
	return NULL;
}

/* Binding is per thread: a spawner thread must not move the main one. */
static void test_machine_spawn_thread(void **state)
{
	struct topo *t = load(NULL);
	struct placement pl;
	struct thread_arg a = { 0 };
	cpu_set_t before;
	pthread_t th;

	(void)state;
	assert_int_equal(sched_getaffinity(0, sizeof(before), &before), 0);
	place(t, PIN_SINGLE, 1, &pl);
	a.t = t;
	a.pl = &pl;
	assert_int_equal(pthread_create(&th, NULL, thread_body, &a), 0);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_true(a.ok);
	assert_int_equal(a.last_pu, pl.pu[0]);
	assert_true(same_affinity(&before));
	placement_free(&pl);
	topo_free(t);
}

static void test_machine_bind_thread(void **state)
{
	struct topo *t = load(NULL);
	struct placement pl;
	cpu_set_t before;

	(void)state;
	assert_int_equal(sched_getaffinity(0, sizeof(before), &before), 0);
	place(t, PIN_COMPACT, 1, &pl);
	assert_int_equal(topo_bind_thread(t, pl.pu[0]), 0);
	spin();
	assert_int_equal(topo_last_pu(t), pl.pu[0]);
	assert_int_equal(topo_bind_thread(t, -1), -1);
	assert_int_equal(topo_bind_thread(t, 1 << 20), -1);
	assert_int_equal(sched_setaffinity(0, sizeof(before), &before), 0);
	placement_free(&pl);
	topo_free(t);
}

/* --------------------------------------------------------------- misc */

static void test_bad_synthetic(void **state)
{
	char err[256] = "";

	(void)state;
	assert_null(topo_load("pack:2 bogus:x", err, sizeof(err)));
	assert_true(err[0] != '\0');
	assert_null(topo_load("pack:2 bogus:x", NULL, 0));
}

static void test_describe(void **state)
{
	struct topo *t = load(SYN_SMALL);
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	(void)state;
	assert_non_null(f);
	topo_describe(t, f);
	assert_int_equal(fclose(f), 0);
	assert_non_null(strstr(text, "CPU model:  unknown"));
	assert_non_null(strstr(text, "packages:   2\n"));
	assert_non_null(strstr(text, "cores:      8\n"));
	assert_non_null(strstr(text, "PUs:        16\n"));
	assert_non_null(strstr(text, "NUMA nodes: 1\n"));
	assert_non_null(strstr(text, "hwloc:      2."));
	assert_non_null(strstr(text, "core 0: PU 0,1\n"));
	assert_non_null(strstr(text, "core 7: PU 14,15\n"));
	free(text);
	topo_free(t);
}

static void test_export_xml(void **state)
{
	struct topo *t = load(SYN_SMALL);
	char path[] = "/tmp/test_topo_XXXXXX";
	char head[64] = "";
	int fd = mkstemp(path);
	FILE *f;

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(topo_export_xml(t, path), 0);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(fgets(head, sizeof(head), f));
	fclose(f);
	unlink(path);
	assert_non_null(strstr(head, "<?xml"));
	assert_int_equal(topo_export_xml(t, "/nonexistent-dir/x.xml"), -1);
	topo_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_synthetic_counts),
		cmocka_unit_test(test_synthetic_big_counts),
		cmocka_unit_test(test_synthetic_caches),
		cmocka_unit_test(test_compact_small),
		cmocka_unit_test(test_scatter_2_packages),
		cmocka_unit_test(test_scatter_4_cores),
		cmocka_unit_test(test_scatter_8_cores),
		cmocka_unit_test(test_scatter_16_all_pus),
		cmocka_unit_test(test_wrapped),
		cmocka_unit_test(test_single_and_none),
		cmocka_unit_test(test_big_scatter_and_compact),
		cmocka_unit_test(test_bad_worker_count),
		cmocka_unit_test(test_policy_names),
		cmocka_unit_test(test_machine_load),
		cmocka_unit_test(test_machine_spawn_compact),
		cmocka_unit_test(test_machine_spawn_none),
		cmocka_unit_test(test_machine_spawn_fork),
		cmocka_unit_test(test_machine_spawn_thread),
		cmocka_unit_test(test_machine_bind_thread),
		cmocka_unit_test(test_bad_synthetic),
		cmocka_unit_test(test_describe),
		cmocka_unit_test(test_export_xml),
	};

	return cmocka_run_group_tests_name("topo", tests, NULL, NULL);
}
