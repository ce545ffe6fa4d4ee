/* SPDX-License-Identifier: MIT */
/*
 * leakcheck — what every suite checks after a model has run: no child left
 * (running or zombie), no file descriptor and no named IPC object leaked.
 * Include after <cmocka.h>.
 */
#ifndef PB_TESTS_LEAKCHECK_H
#define PB_TESTS_LEAKCHECK_H

#include <dirent.h>
#include <errno.h>
#include <sys/wait.h>

/* Open file descriptors of this process. */
static inline int count_open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n - 1; /* the directory's own fd */
}

/* No child at all: none running, no zombie waiting to be reaped. */
static inline void assert_no_children(void)
{
	errno = 0;
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
}

#endif
