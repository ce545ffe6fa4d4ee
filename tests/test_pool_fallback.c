/* SPDX-License-Identifier: MIT */
/* The pool without pidfd_open (Linux < 5.3, valgrind), forced with
 * PARBENCH_POOL_NO_PIDFD=1: no pidfd is opened, and a worker's death is
 * still seen (waitid), its task failed with the signal, the pool goes on. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ipcname.h"
#include "leakcheck.h"
#include "pool.h"

struct die_arg {
	int64_t index, victim;
};

static int die_at(const void *arg, size_t len, struct pool_out *out)
{
	struct die_arg a;

	(void)len;
	memcpy(&a, arg, sizeof(a));
	if (a.index == a.victim)
		kill(getpid(), SIGKILL);
	return pool_return(out, &a.index, sizeof(a.index));
}

/* How many of this process's fds are pidfds. */
static int open_pidfds(void)
{
	DIR *d = opendir("/proc/self/fd");
	char path[300], target[64];
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d))) {
		ssize_t len;

		snprintf(path, sizeof(path), "/proc/self/fd/%s", e->d_name);
		len = readlink(path, target, sizeof(target) - 1);
		if (len <= 0)
			continue;
		target[len] = '\0';
		n += strcmp(target, "anon_inode:[pidfd]") == 0;
	}
	closedir(d);
	return n;
}

/* A map in which one worker is killed; how many pidfds were open meanwhile. */
static int map_with_a_death(void)
{
	struct die_arg a[40];
	struct pool_result rs[40];
	char err[256];
	struct pool_opts o = { .on_death = POOL_RECOVER }; /* the death is blamed on task 17 */
	struct pool *p = pool_create(2, &o, err, sizeof(err));
	int pidfds, ok = 0;

	if (!p)
		fail_msg("pool_create: %s", err);
	pidfds = open_pidfds();
	for (int i = 0; i < 40; i++)
		a[i] = (struct die_arg){ i, 17 };
	assert_int_equal(pool_map(p, die_at, a, sizeof(a[0]), 40, 4, rs), POOL_EDIED);
	for (int i = 0; i < 40; i++) {
		if (i == 17) {
			assert_int_equal(rs[i].status, POOL_EDIED);
			assert_string_equal(rs[i].data, "worker died (signal 9)");
		} else {
			ok += rs[i].status == POOL_OK;
		}
	}
	assert_int_equal(ok, 39);
	pool_results_free(rs, 40);
	assert_int_equal(pool_stats(p).workers_died, 1);
	pool_close(p);
	assert_int_equal(pool_join(p), 0);
	pool_destroy(p);
	assert_no_children();
	return pidfds;
}

/* The control: with pidfd_open, the workers' pidfds are open (so the
 * check below can fail). Skipped where the kernel has no pidfd_open. */
static void with_pidfd(void **state)
{
	int fds = count_open_fds(), pidfds;

	(void)state;
	unsetenv("PARBENCH_POOL_NO_PIDFD");
	pidfds = map_with_a_death();
	if (pidfds == 0)
		skip(); /* no pidfd_open here: the fallback is the only way */
	assert_int_equal(pidfds, 2);
	assert_int_equal(count_open_fds(), fds);
}

static void without_pidfd(void **state)
{
	int fds = count_open_fds();

	(void)state;
	setenv("PARBENCH_POOL_NO_PIDFD", "1", 1);
	assert_int_equal(map_with_a_death(), 0);
	unsetenv("PARBENCH_POOL_NO_PIDFD");
	assert_int_equal(count_open_fds(), fds);
	assert_int_equal(ipc_count(0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(with_pidfd),
		cmocka_unit_test(without_pidfd),
	};

	pool_register("die_at", die_at);
	return cmocka_run_group_tests_name("pool_fallback", tests, NULL, NULL);
}
