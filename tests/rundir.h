/* SPDX-License-Identifier: MIT */
/*
 * rundir — the end-to-end suites' one run directory: a run writes
 * <results>/<machine>/<UTC stamp>/, and a suite that made one run there finds
 * it here. Include after <cmocka.h>.
 */
#ifndef PB_TESTS_RUNDIR_H
#define PB_TESTS_RUNDIR_H

#include <dirent.h>
#include <stdio.h>

/* The only entry of base (a machine's results), into out; fails the test
 * when there is none or more than one. */
static inline void only_run_dir(const char *base, char *out, size_t len)
{
	struct dirent *e;
	DIR *d = opendir(base);
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		if (e->d_name[0] != '.') {
			snprintf(out, len, "%s/%s", base, e->d_name);
			n++;
		}
	closedir(d);
	assert_int_equal(n, 1);
}

#endif
