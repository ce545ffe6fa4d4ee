/* SPDX-License-Identifier: MIT */
/*
 * suitetmp — the temporary directory of a suite that runs the real binary:
 * made by the group setup, removed with everything in it by the group
 * teardown (what a run left there: run directories, CSVs, logs).
 */
#ifndef PB_TESTS_SUITETMP_H
#define PB_TESTS_SUITETMP_H

#include <stdio.h>
#include <stdlib.h>

/* rm -rf dir; 0, or -1 when it failed. */
static inline int suite_tmp_remove(const char *dir)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

#endif
