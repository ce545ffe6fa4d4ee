/* SPDX-License-Identifier: MIT */
/* ipcname — see ipcname.h. */
#include "ipcname.h"

#include <dirent.h>
#include <fcntl.h>
#include <mqueue.h>
#include <semaphore.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static pid_t ipc_owner;

/* Every name issued, in a page shared with the processes forked after it
 * was made (case processes, workers): message queues can be found and
 * removed by name (mq_unlink) where /dev/mqueue is not mounted. */
#define IPC_REGISTRY_MAX 4096
struct ipc_registry {
	pid_t owner;
	int n; /* atomically incremented; may pass IPC_REGISTRY_MAX */
	char names[IPC_REGISTRY_MAX][48];
};
static struct ipc_registry *registry;
static bool scan_dirs = true;

static void registry_init(void)
{
	struct ipc_registry *r;

	if (registry)
		return;
	r = mmap(NULL, sizeof(*r), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (r == MAP_FAILED)
		return;
	r->owner = ipc_owner ? ipc_owner : getpid();
	registry = r;
}

void ipc_set_owner(pid_t owner)
{
	ipc_owner = owner;
	registry_init();
	if (registry)
		registry->owner = owner;
}

void ipc_scan_dirs(bool on)
{
	scan_dirs = on;
}

void ipc_name(char *buf, size_t len, const char *what)
{
	static int seq;
	pid_t owner = ipc_owner ? ipc_owner : getpid();
	int i;

	snprintf(buf, len, "/parbench.%d.%s.%d.%d", (int)owner, what, (int)getpid(),
		 __atomic_fetch_add(&seq, 1, __ATOMIC_RELAXED));
	registry_init();
	if (!registry || registry->owner != owner)
		return;
	i = __atomic_fetch_add(&registry->n, 1, __ATOMIC_RELAXED);
	if (i < IPC_REGISTRY_MAX)
		snprintf(registry->names[i], sizeof(registry->names[i]), "%s", buf);
}

/* Is the registered name a live object? Only message queues: shared memory
 * and semaphores are files in /dev/shm, which the scan below sees. */
static bool mq_exists(const char *name)
{
	mqd_t q = mq_open(name, O_RDONLY | O_NONBLOCK);

	if (q == (mqd_t)-1)
		return false;
	mq_close(q);
	return true;
}

/* The registry's message queues of run_pid: how many exist (unlinked when
 * asked). -1 when the registry does not know run_pid's names. */
static int registry_mqueues(pid_t run_pid, bool unlink_them)
{
	int n, found = 0;

	if (!registry || registry->owner != run_pid)
		return -1;
	n = __atomic_load_n(&registry->n, __ATOMIC_RELAXED);
	for (int i = 0; i < n && i < IPC_REGISTRY_MAX; i++) {
		if (!strstr(registry->names[i], ".mq."))
			continue;
		if (unlink_them ? mq_unlink(registry->names[i]) == 0 :
				  mq_exists(registry->names[i]))
			found++;
	}
	if (n > IPC_REGISTRY_MAX)
		fprintf(stderr,
			"parbench: note: more than %d IPC names in one case; the "
			"message queues past them cannot be checked\n",
			IPC_REGISTRY_MAX);
	if (unlink_them)
		__atomic_store_n(&registry->n, 0, __ATOMIC_RELAXED);
	return found;
}

/* Visit the named IPC objects of run_pid: shared memory and named
 * semaphores live in /dev/shm ("sem." prefix), message queues in
 * /dev/mqueue when it is mounted, and by name in the registry otherwise. */
static int ipc_scan(pid_t run_pid, bool unlink_them)
{
	static const char *const dirs[] = { "/dev/shm", "/dev/mqueue" };
	char prefix[48], sem_prefix[52], path[512];
	static bool said;
	int found = 0, mq;

	if (!run_pid)
		run_pid = ipc_owner ? ipc_owner : getpid();
	snprintf(prefix, sizeof(prefix), "parbench.%d.", (int)run_pid);
	snprintf(sem_prefix, sizeof(sem_prefix), "sem.%s", prefix);
	/* by name first: what it removes, the directory scan does not count */
	mq = registry_mqueues(run_pid, unlink_them);
	found += mq > 0 ? mq : 0;
	for (size_t d = 0; d < sizeof(dirs) / sizeof(dirs[0]) && scan_dirs; d++) {
		DIR *dir = opendir(dirs[d]);
		struct dirent *e;

		if (!dir) {
			if (d == 1 && mq < 0 && !said)
				fprintf(stderr,
					"parbench: note: /dev/mqueue is not mounted and the "
					"names are unknown: message queues cannot be "
					"checked\n");
			said = said || (d == 1 && mq < 0);
			continue;
		}
		while ((e = readdir(dir))) {
			if (strncmp(e->d_name, prefix, strlen(prefix)) != 0 &&
			    strncmp(e->d_name, sem_prefix, strlen(sem_prefix)) != 0)
				continue;
			snprintf(path, sizeof(path), "%s/%s", dirs[d], e->d_name);
			if (d == 1 && mq >= 0 && !unlink_them)
				continue; /* counted by name already */
			found++;
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
