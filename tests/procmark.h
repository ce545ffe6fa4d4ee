/* SPDX-License-Identifier: MIT */
/*
 * procmark — the suites that run the real binary find every process of a
 * run (parbench, its lifeline guard, case processes and their workers) by
 * a marker in the environment they inherit: PB_FAULT_MARK=<marker>.
 * Include after <cmocka.h>.
 */
#ifndef PB_TESTS_PROCMARK_H
#define PB_TESTS_PROCMARK_H

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Living processes whose environment holds the marker (zombies have none). */
static inline int marked_processes(const char *marker)
{
	char path[300], buf[8192], want[96];
	struct dirent *e;
	DIR *d = opendir("/proc");
	int n = 0;

	assert_non_null(d);
	snprintf(want, sizeof(want), "PB_FAULT_MARK=%s", marker);
	while ((e = readdir(d))) {
		size_t got;
		FILE *f;

		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/environ", e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		got = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		for (size_t i = 0; i < got; i += strlen(buf + i) + 1)
			if (strncmp(buf + i, want, sizeof(buf) - i) == 0) {
				n++;
				break;
			}
	}
	closedir(d);
	return n;
}

/* Wait up to limit_s for every marked process to be gone, reaping the
 * orphans that come to us (a suite that is a subreaper gets them). */
static inline bool marked_gone_within(const char *marker, double limit_s)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		pid_t got;

		while ((got = waitpid(-1, NULL, WNOHANG)) > 0)
			;
		/* no marked process, and no child (a zombie has no environment) */
		if (got < 0 && errno == ECHILD && marked_processes(marker) == 0)
			return true;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((double)(t.tv_sec - t0.tv_sec) + (double)(t.tv_nsec - t0.tv_nsec) / 1e9 >
		    limit_s)
			return false;
		usleep(20000);
	}
}

#endif
