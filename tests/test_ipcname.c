/* SPDX-License-Identifier: MIT */
/* ipcname: every named IPC object a run makes is found and removed, message
 * queues included where /dev/mqueue is not mounted (found by the names the
 * run issued), and none is counted twice. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <stdbool.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ipcname.h"

static void make_mq(char *name, size_t len)
{
	struct mq_attr a = { .mq_maxmsg = 1, .mq_msgsize = 8 };
	mqd_t q;

	ipc_name(name, len, "mq");
	q = mq_open(name, O_CREAT | O_EXCL | O_RDWR, 0600, &a);
	assert_true(q != (mqd_t)-1);
	mq_close(q);
}

static void mq_found_by_name(bool dirs)
{
	char name[64];

	ipc_scan_dirs(dirs);
	assert_int_equal(ipc_count(0), 0);
	make_mq(name, sizeof(name));
	assert_int_equal(ipc_count(0), 1);
	assert_int_equal(ipc_cleanup(0), 1);
	assert_int_equal(ipc_count(0), 0);
	errno = 0;
	assert_true(mq_open(name, O_RDONLY) == (mqd_t)-1);
	assert_int_equal(errno, ENOENT);
	ipc_scan_dirs(true);
}

/* Without the directories (as on a machine without /dev/mqueue). */
static void mqueue_without_dev_mqueue(void **state)
{
	(void)state;
	mq_found_by_name(false);
}

/* With them: counted once, whether /dev/mqueue is mounted or not. */
static void mqueue_counted_once(void **state)
{
	(void)state;
	mq_found_by_name(true);
}

/* A queue made by a forked child (a worker) and left behind. */
static void mqueue_of_a_child(void **state)
{
	char name[64];
	int st;
	pid_t pid;

	(void)state;
	pid = fork();
	if (pid == 0) {
		make_mq(name, sizeof(name));
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_int_equal(ipc_count(0), 1);
	assert_int_equal(ipc_cleanup(0), 1);
	assert_int_equal(ipc_count(0), 0);
}

static void shm_found(void **state)
{
	char name[64];
	int fd;

	(void)state;
	ipc_name(name, sizeof(name), "shm");
	fd = shm_open(name, O_CREAT | O_EXCL | O_RDWR, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(ipc_count(0), 1);
	assert_int_equal(ipc_cleanup(0), 1);
	assert_int_equal(ipc_count(0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(mqueue_without_dev_mqueue),
		cmocka_unit_test(mqueue_counted_once),
		cmocka_unit_test(mqueue_of_a_child),
		cmocka_unit_test(shm_found),
	};

	ipc_set_owner(getpid()); /* the registry, before any fork */
	return cmocka_run_group_tests_name("ipcname", tests, NULL, NULL);
}
