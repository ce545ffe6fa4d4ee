/* SPDX-License-Identifier: MIT */
/*
 * price, like the peer — parbench loops that do what one of stress-ng's
 * bogo ops does (stress-ng 0.15: stress-fork.c, stress-mutex.c), paired
 * with stress-ng, so that a pairing far from 1 can be explained by a test:
 * when the like-for-like loop lands within ±10 % of stress-ng in the same
 * run, the difference between the plain primitive and stress-ng is what
 * the like-for-like loop adds.
 *
 * stress-ng --fork's op: the stressor clears its table of 16000 children
 * (128 KiB) each round; fork from stress-ng's process (its mappings and
 * anonymous memory, read from the running peer's /proc/<pid>/smaps, and its
 * highest file descriptor, 251 here: a child copies a file table that big,
 * as a vfork child does too, since vfork shares memory but not files); the
 * child runs getpid, getpgid, setsid, vhangup, setpgid four times,
 * sched_yield, _exit; the parent waitpids. --vfork's: the same table, vfork,
 * _exit. --mutex's (two threads): set SCHED_FIFO at a random priority, lock
 * (timed by two clock reads), drop to the lowest priority, count,
 * sched_yield, unlock; its threads may run on either of the case's two
 * PUs (stress-ng is bound to both), so ours are too.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "price.h"
#include "price_like.h"

#define FORK_TABLE 16000 /* stress-ng's MAX_FORKS: its table of {pid, errno} */

/* ---- the shape of a process: its mappings and anonymous memory ---- */

int price_shape_read(FILE *f, struct price_shape *s)
{
	char line[512];
	long kib;

	*s = (struct price_shape){ 0 };
	while (fgets(line, sizeof(line), f)) {
		char *sp = strchr(line, ' ');

		if (sp && sp > line && sp[-1] != ':' && strchr(line, '-') < sp)
			s->maps++; /* "55d0c000-55d0d000 r--p ..." */
		else if (sscanf(line, "Anonymous: %ld kB", &kib) == 1 && kib > 0) {
			s->anon_maps++;
			s->anon_kib += kib;
		}
	}
	return s->maps > 0 ? 0 : -1;
}

static int max_fd_of(pid_t pid)
{
	char path[64];
	struct dirent *e;
	DIR *d;
	int max = -1;

	if (pid > 0)
		snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	else
		snprintf(path, sizeof(path), "/proc/self/fd");
	if (!(d = opendir(path)))
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.' && atoi(e->d_name) > max && atoi(e->d_name) != dirfd(d))
			max = atoi(e->d_name);
	closedir(d);
	return max;
}

static int shape_of(pid_t pid, struct price_shape *s)
{
	char path[64];
	FILE *f;
	int rc;

	if (pid > 0)
		snprintf(path, sizeof(path), "/proc/%d/smaps", (int)pid);
	else
		snprintf(path, sizeof(path), "/proc/self/smaps");
	if (!(f = fopen(path, "r")))
		return -1;
	rc = price_shape_read(f, s);
	fclose(f);
	if (rc == 0)
		s->max_fd = max_fd_of(pid);
	return rc;
}

/* stress-ng's stressor is its first child, named stress-ng-<stressor>. */
static pid_t stressor_of(pid_t pid)
{
	char path[96], comm[64] = "";
	long child = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)pid, (int)pid);
	if ((f = fopen(path, "r"))) {
		if (fscanf(f, "%ld", &child) != 1)
			child = 0;
		fclose(f);
	}
	snprintf(path, sizeof(path), "/proc/%ld/comm", child);
	if (child > 0 && (f = fopen(path, "r"))) {
		if (!fgets(comm, sizeof(comm), f))
			comm[0] = '\0';
		fclose(f);
	}
	return strncmp(comm, "stress-ng-", 10) == 0 ? (pid_t)child : 0;
}

static struct price_shape peer_shape; /* the last one seen, this case process */

/* While stress-ng runs: its stressor's shape, once the stressor is there. */
static int watch_shape(struct pb_ctx *ctx, pid_t pid, void *arg)
{
	(void)ctx;
	(void)arg;
	for (int i = 0; i < 20000; i++) {
		pid_t s = stressor_of(pid);
		struct price_shape got;

		if (s > 0 && shape_of(s, &got) == 0) {
			peer_shape = got;
			return 0;
		}
		if (kill(pid, 0) < 0)
			return 0;
		usleep(100);
	}
	return 0;
}

static int stress_ng_shaped(struct pb_ctx *ctx, const struct pb_case *c, long n, double *ns_per_op)
{
	return price_stress_ng_during(ctx, c, n, ns_per_op, watch_shape, NULL);
}

/* Grow this process to the peer's shape: the anonymous mappings it lacks
 * (a touched page each, a PROT_NONE page between), the other mappings
 * (untouched pages, PROT_READ and PROT_NONE in turn), the anonymous memory
 * it lacks (one touched region). Left mapped until the case process ends. */
static int grow_to(struct pb_ctx *ctx, const struct price_shape *want)
{
	static bool grown;
	struct price_shape have;
	long pg = sysconf(_SC_PAGESIZE), anon, other, kib;
	char *m;

	if (grown || shape_of(0, &have) < 0)
		return grown ? 0 : pb_fail(ctx, "reading /proc/self/smaps: %s", strerror(errno));
	anon = want->anon_maps > have.anon_maps ? want->anon_maps - have.anon_maps : 0;
	other = (want->maps - want->anon_maps) - (have.maps - have.anon_maps) - anon;
	kib = want->anon_kib - have.anon_kib - anon * pg / 1024;
	m = mmap(NULL, (size_t)(2 * anon + (other > 0 ? other : 0) + 1) * (size_t)pg,
		 PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return pb_fail(ctx, "mmap: %s", strerror(errno));
	for (long i = 0; i < anon; i++) {
		m[2 * i * pg] = 1;
		mprotect(m + (2 * i + 1) * pg, (size_t)pg, PROT_NONE);
	}
	for (long i = 0; i < other; i++)
		mprotect(m + (2 * anon + i) * pg, (size_t)pg, i % 2 ? PROT_NONE : PROT_READ);
	if (kib > 0) {
		char *a = mmap(NULL, (size_t)kib * 1024, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (a == MAP_FAILED)
			return pb_fail(ctx, "mmap: %s", strerror(errno));
		memset(a, 1, (size_t)kib * 1024);
	}
	grown = true;
	return 0;
}

/* ---- fork and vfork, as stress-ng's loop does them ---- */

struct fork_info {
	pid_t pid;
	int err;
};

static struct fork_info table[FORK_TABLE];

static void child_calls(void)
{
	pid_t me = getpid(), pg = getpgid(me);

	if (setsid() != (pid_t)-1)
		vhangup();
	setpgid(0, 0);
	setpgid(me, pg);
	setpgid(0, -1);
	setpgid(-1, 0);
	sched_yield();
	_exit(0);
}

static __attribute__((noinline)) pid_t vfork_exit(void)
{
	pid_t pid = vfork();

	if (pid == 0)
		_exit(0);
	return pid;
}

static int forks(struct pb_ctx *ctx, double *ns, size_t n, bool use_vfork)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t t0 = clock_now_ns();
		pid_t pid;
		int st;

		memset(table, 0, sizeof(table));
		pid = use_vfork ? vfork_exit() : fork();
		if (pid == 0)
			child_calls();
		if (pid < 0)
			return pb_fail(ctx, "fork: %s", strerror(errno));
		table[0].pid = pid;
		while (waitpid(pid, &st, 0) < 0)
			if (errno != EINTR)
				return pb_fail(ctx, "waitpid: %s", strerror(errno));
		ns[i] = (double)(clock_now_ns() - t0);
	}
	return 0;
}

/* Make this case process like stress-ng's stressor (measured from the
 * running peer): its mappings and anonymous memory (kept), its highest file
 * descriptor (a fork copies a file table that large: *fd, to close after). */
static int become_like_peer(struct pb_ctx *ctx, const struct pb_case *c, int *fd)
{
	struct price_shape have;
	double d;

	/* the first round may come before the peer has run: a short run of
	 * it tells the shape */
	if (peer_shape.maps == 0 && stress_ng_shaped(ctx, c, 20, &d) != 0)
		return 1;
	if (peer_shape.maps == 0)
		return pb_fail(ctx, "stress-ng's stressor was not seen in /proc");
	if (grow_to(ctx, &peer_shape) < 0 || shape_of(0, &have) < 0)
		return -1;
	*fd = -1;
	if (peer_shape.max_fd > have.max_fd && peer_shape.max_fd < 4096) {
		int null = open("/dev/null", O_RDONLY | O_CLOEXEC);

		*fd = null < 0 ? -1 : dup3(null, peer_shape.max_fd, O_CLOEXEC);
		if (null >= 0)
			close(null);
		if (*fd < 0)
			return pb_fail(ctx, "dup3 to fd %d: %s", peer_shape.max_fd,
				       strerror(errno));
		have.max_fd = *fd;
	}
	pb_metric(ctx, "peer_maps", peer_shape.maps, "count");
	pb_metric(ctx, "peer_anon_kib", (double)peer_shape.anon_kib, "KiB");
	pb_metric(ctx, "peer_max_fd", peer_shape.max_fd, "count");
	pb_metric(ctx, "ours_maps", have.maps, "count");
	pb_metric(ctx, "ours_anon_kib", (double)have.anon_kib, "KiB");
	pb_metric(ctx, "ours_max_fd", have.max_fd, "count");
	return 0;
}

static int forks_like_peer(struct pb_ctx *ctx, const struct pb_case *c, double *ns, size_t n,
			   bool use_vfork)
{
	int fd = -1, rc = become_like_peer(ctx, c, &fd);

	if (rc == 0)
		rc = forks(ctx, ns, n, use_vfork);
	if (fd >= 0)
		close(fd);
	return rc;
}

static int fork_like_ops(struct pb_ctx *ctx, const struct pb_case *c, double *ns, size_t n)
{
	return forks_like_peer(ctx, c, ns, n, false);
}

static int vfork_like_ops(struct pb_ctx *ctx, const struct pb_case *c, double *ns, size_t n)
{
	return forks_like_peer(ctx, c, ns, n, true);
}

/* ---- the mutex, as stress-ng's two threads take it ---- */

struct mx {
	pthread_mutex_t m;
	long left; /* operations still to do, both threads */
	long count;
	int prio_min, max;
	cpu_set_t pus; /* both threads may run on either PU, as stress-ng's do */
};

static void *mutex_like_thread(void *arg)
{
	struct mx *x = arg;
	unsigned seed = (unsigned)clock_now_ns() | 1u;
	struct sched_param sp;
	struct timeval tv;

	pthread_setaffinity_np(pthread_self(), sizeof(x->pus), &x->pus);
	while (__atomic_sub_fetch(&x->left, 1, __ATOMIC_RELAXED) >= 0) {
		sp.sched_priority = x->max > 0 ? (int)(rand_r(&seed) % (unsigned)x->max) : x->max;
		pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp);
		gettimeofday(&tv, NULL);
		pthread_mutex_lock(&x->m);
		gettimeofday(&tv, NULL);
		sp.sched_priority = x->prio_min;
		pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp);
		x->count++;
		sched_yield();
		pthread_mutex_unlock(&x->m);
	}
	return NULL;
}

static int mutex_like_ops(struct pb_ctx *ctx, const struct pb_case *c, double *ns, size_t n)
{
	struct mx x = { .left = (long)n,
			.prio_min = sched_get_priority_min(SCHED_FIFO),
			.max = sched_get_priority_max(SCHED_FIFO) * 7 / 8 };
	const struct placement *pl = pb_placement(ctx);
	pthread_t t[2];
	uint64_t t0 = clock_now_ns();
	int rc = 0, started = 0;

	(void)c;
	CPU_ZERO(&x.pus);
	for (int i = 0; i < 2 && i < pl->n; i++)
		if (pl->pu[i] >= 0 && pl->pu[i] < CPU_SETSIZE)
			CPU_SET(pl->pu[i], &x.pus);
	if (CPU_COUNT(&x.pus) == 0)
		sched_getaffinity(0, sizeof(x.pus), &x.pus);
	pthread_mutex_init(&x.m, NULL);
	for (; started < 2 && rc == 0; started++)
		rc = price_thread_on(ctx, started, &t[started], mutex_like_thread, &x);
	for (int i = 0; i < started - (rc != 0); i++)
		pthread_join(t[i], NULL);
	for (size_t i = 0; i < n; i++)
		ns[i] = (double)(clock_now_ns() - t0) / (double)n;
	pthread_mutex_destroy(&x.m);
	if (rc == 0 && x.count != (long)n)
		return pb_fail(ctx, "%ld lock holds counted, %zu made", x.count, n);
	return rc;
}

// clang-format off
const struct price_prim price_like[] = {
	{ .model = "fork-like-stress-ng", .explains = "fork",
	  .what = "fork as stress-ng does it (its process's mappings and file table, its child's calls)",
	  .ours = fork_like_ops, .pins = PRICE_ONE, .workers = 1, .pair_only = true,
	  .peer = "stress-ng --fork", .pair_model = "fork-like-stress-ng",
	  .peer_run = stress_ng_shaped, .stressor = "fork", .pair_ops = { 100, 50, 200 },
	  .op_ns = 400e3, .peer_fixed_s = 0.2, .peer_op_ns = 400e3 },
	{ .model = "vfork-like-stress-ng", .explains = "vfork",
	  .what = "vfork as stress-ng does it (its process's file table, its 128 KiB table cleared each round)",
	  .ours = vfork_like_ops, .pins = PRICE_ONE, .workers = 1, .pair_only = true,
	  .peer = "stress-ng --vfork", .pair_model = "vfork-like-stress-ng",
	  .peer_run = stress_ng_shaped, .stressor = "vfork", .pair_ops = { 2000, 1000, 2000 },
	  .op_ns = 30e3, .peer_fixed_s = 0.05, .peer_op_ns = 50e3 },
	{ .model = "pthread-create-like-stress-ng", .explains = "pthread-create",
	  .what = "pthread_create as stress-ng does it (its thread's calls, among them a robust list the kernel walks 2048 entries of at exit; handshake, join)",
	  .ours = price_pthread_like_ops, .pins = PRICE_ONE, .workers = 1, .pair_only = true,
	  .peer = "stress-ng --pthread", .pair_model = "pthread-create-like-stress-ng",
	  .peer_run = price_stress_ng, .stressor = "pthread --pthread-max 1",
	  .pair_ops = { 200, 150, 300 }, .op_ns = 260e3, .peer_fixed_s = 0.02,
	  .peer_op_ns = 260e3 },
	{ .model = "mutex-handoff-like-stress-ng", .explains = "mutex-handoff",
	  .what = "mutex hand-off as stress-ng does it (SCHED_FIFO priority changes, "
		  "clock reads, sched_yield while holding)",
	  .ours = mutex_like_ops, .pins = PRICE_CROSS, .workers = 2, .pair_only = true,
	  .peer = "stress-ng --mutex", .pair_model = "mutex-handoff-like-stress-ng",
	  .peer_run = price_stress_ng, .stressor = "mutex --mutex-procs 2",
	  .pair_ops = { 10000, 10000, 20000 }, .op_ns = 6e3, .peer_fixed_s = 0.1,
	  .peer_op_ns = 6e3 },
	{ .model = NULL },
};
// clang-format on
