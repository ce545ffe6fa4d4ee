/* SPDX-License-Identifier: MIT */
/* ipcname — see ipcname.h. */
#include "ipcname.h"

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static pid_t ipc_owner;

void ipc_set_owner(pid_t owner)
{
	ipc_owner = owner;
}

void ipc_name(char *buf, size_t len, const char *what)
{
	static int seq;
	pid_t owner = ipc_owner ? ipc_owner : getpid();

	snprintf(buf, len, "/parbench.%d.%s.%d.%d", (int)owner, what, (int)getpid(),
		 __atomic_fetch_add(&seq, 1, __ATOMIC_RELAXED));
}

/* Visit the named IPC objects of run_pid: shared memory and named
 * semaphores live in /dev/shm ("sem." prefix), message queues in
 * /dev/mqueue (when mounted). */
static int ipc_scan(pid_t run_pid, bool unlink_them)
{
	static const char *const dirs[] = { "/dev/shm", "/dev/mqueue" };
	char prefix[48], sem_prefix[52], path[512];
	int found = 0;

	if (!run_pid)
		run_pid = ipc_owner ? ipc_owner : getpid();
	snprintf(prefix, sizeof(prefix), "parbench.%d.", (int)run_pid);
	snprintf(sem_prefix, sizeof(sem_prefix), "sem.%s", prefix);
	for (size_t d = 0; d < sizeof(dirs) / sizeof(dirs[0]); d++) {
		DIR *dir = opendir(dirs[d]);
		struct dirent *e;

		if (!dir)
			continue;
		while ((e = readdir(dir))) {
			if (strncmp(e->d_name, prefix, strlen(prefix)) != 0 &&
			    strncmp(e->d_name, sem_prefix, strlen(sem_prefix)) != 0)
				continue;
			found++;
			snprintf(path, sizeof(path), "%s/%s", dirs[d], e->d_name);
			if (unlink_them)
				unlink(path);
		}
		closedir(dir);
	}
	return found;
}

int ipc_cleanup(pid_t run_pid)
{
	return ipc_scan(run_pid, true);
}

int ipc_count(pid_t run_pid)
{
	return ipc_scan(run_pid, false);
}
