/* SPDX-License-Identifier: MIT */
/*
 * pool_spawn — the process pool's workers are born and die: forking a
 * worker on its PU, and the worker handler thread (Pool._handle_workers,
 * _maintain_pool and _repopulate_pool of CPython's
 * Lib/multiprocessing/pool.py), which replaces a worker that left.
 *
 * What happens to the chunk a dead worker held depends on opts.on_death:
 * - POOL_HANG, CPython's and the default: nobody knows which chunk it held,
 *   so its tasks never get a result and whoever waits for them waits for
 *   ever; a worker that dies before taking a task (a crashing initializer)
 *   is replaced, again and again, as _maintain_pool does. A test may bound
 *   "for ever" with opts.hang_timeout_s: the lost tasks then fail with
 *   POOL_EDIED, saying that Python would still be waiting.
 * - POOL_RECOVER (a parbench feature, not CPython's): the worker recorded
 *   in shared memory which chunk it took and how far it got, so the task it
 *   died in fails with "worker died (signal N)" and the chunk's other tasks
 *   are sent again; workers that die again and again before taking a task
 *   break the pool (every task fails) instead of being replaced for ever.
 *
 * CPython versions: see pool.h's opening comment.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "pool_impl.h"

#define HANDLER_TICK_MS 100 /* the worker handler looks at lost chunks this often */
#define TERM_GRACE_MS 1000  /* terminate: SIGTERM, then SIGKILL after this */

/* ------------------------------------------------- starting workers */

/* A pidfd for pid; -1 for the fallback without one: pidfd_open is missing
 * (Linux < 5.3, valgrind) or PARBENCH_POOL_NO_PIDFD=1 forces it (tests);
 * -2 on another error (errno says). */
static int open_pidfd(pid_t pid)
{
	const char *force = getenv("PARBENCH_POOL_NO_PIDFD");
	int fd;

	if (force && strcmp(force, "1") == 0)
		return -1;
	fd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (fd < 0 && (errno == ENOSYS || errno == EPERM))
		return -1;
	return fd < 0 ? -2 : fd;
}

/* p->mu held. Fork the worker of slot, born on its PU. */
int pool_spawn(struct pool *p, int slot, char *err, size_t errlen)
{
	struct topo_saved *saved = NULL;
	int pidfd;
	pid_t pid;

	p->sh->slot[slot] = (struct slot_state){ 0 };
	/* Born on its PU: bind ourselves, fork (the child inherits the
	 * binding), then restore. */
	if (p->opts.topo && p->opts.placement && p->opts.placement->n > 0)
		topo_spawn_begin(p->opts.topo, p->opts.placement, slot % p->opts.placement->n,
				 &saved);
	pid = fork();
	if (pid == 0)
		pool_worker_main(p, slot);
	if (saved)
		topo_spawn_end(p->opts.topo, saved);
	pidfd = pid < 0 ? -2 : open_pidfd(pid);
	if (pidfd < -1) {
		snprintf(err, errlen, "%s: %s", pid < 0 ? "fork" : "pidfd_open", strerror(errno));
		if (pid > 0) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
		}
		return -1;
	}
	if (pidfd >= 0)
		fcntl(pidfd, F_SETFD, FD_CLOEXEC);
	p->w[slot] = (struct worker){ .pid = pid, .pidfd = pidfd };
	p->stats.workers_started++;
	return 0;
}

/* ------------------------------------------------------------- deaths */

static int reap(pid_t pid)
{
	int status = 0;

	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return status;
}

static void close_worker(struct worker *w)
{
	if (w->pidfd >= 0)
		close(w->pidfd);
	*w = (struct worker){ 0 };
}

/* Has w exited? Its pidfd polled readable (revents); without a pidfd,
 * waitid(WNOWAIT) sees it (and leaves it for reap). */
static bool exited_now(const struct worker *w, short revents)
{
	siginfo_t si = { 0 };

	if (w->pidfd >= 0)
		return revents & POLLIN;
	return waitid(P_PID, (id_t)w->pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 &&
	       si.si_pid == w->pid;
}

/* Wait up to timeout_ms for w to exit. */
static bool wait_gone(const struct worker *w, int timeout_ms)
{
	struct pollfd f = { .fd = w->pidfd, .events = POLLIN };

	if (w->pidfd >= 0)
		return poll(&f, 1, timeout_ms) > 0;
	for (int t = 0;; t += 10) {
		if (exited_now(w, 0))
			return true;
		if (t >= timeout_ms)
			return false;
		poll(NULL, 0, 10);
	}
}

/* The death detection, in one place: wait up to timeout_ms for workers to
 * exit. Fills exited with their slots and returns how many, or -1 when the
 * handlers must stop. A pidfd is readable once its process has exited;
 * without pidfds (the fallback) the wait is cut to 10 ms and waitid asks.
 * Only the worker handler changes w[].pid and pidfd while it runs. */
static int wait_exits(struct pool *p, struct pollfd *fds, int *slots, int timeout_ms, int *exited)
{
	bool no_pidfd = false;
	int n = 1, k = 0;

	fds[0] = (struct pollfd){ .fd = p->stop_fd, .events = POLLIN };
	for (int i = 0; i < p->nworkers; i++) {
		if (!p->w[i].pid)
			continue;
		fds[n] = (struct pollfd){ .fd = p->w[i].pidfd, .events = POLLIN };
		no_pidfd = no_pidfd || p->w[i].pidfd < 0;
		slots[n++] = i;
	}
	if (no_pidfd && (timeout_ms < 0 || timeout_ms > 10))
		timeout_ms = 10;
	if (poll(fds, (nfds_t)n, timeout_ms) < 0 && errno != EINTR)
		return -1;
	if (fds[0].revents)
		return -1;
	for (int i = 1; i < n; i++)
		if (exited_now(&p->w[slots[i]], fds[i].revents))
			exited[k++] = slots[i];
	return k;
}

static void describe_exit(char *buf, size_t len, int status)
{
	if (WIFSIGNALED(status))
		snprintf(buf, len, "worker died (signal %d)", WTERMSIG(status));
	else if (WIFEXITED(status))
		snprintf(buf, len, "worker died (exit status %d)", WEXITSTATUS(status));
	else
		snprintf(buf, len, "worker died (status unknown)");
}

/* POOL_RECOVER: the task the worker died in fails; the chunk's other tasks
 * (those before it, whose results died with it, and those after) go back
 * to the front of the queue. */
static void recover_chunk(struct pool *p, struct pool_async *job, const struct slot_state *st,
			  const char *why)
{
	size_t start = st->start, count = st->count;
	size_t started = st->started, finished = st->finished;

	if (started > finished && finished < count) {
		pool_requeue(p, job, start + finished + 1, count - finished - 1);
		pool_requeue(p, job, start, finished);
		pool_fail_range(p, job, start + finished, 1, POOL_EDIED, why, true);
	} else {
		pool_requeue(p, job, start, count); /* it died between tasks */
	}
}

/* POOL_HANG: the chunk is lost, as in CPython. Its tasks wait for ever,
 * or fail at the deadline a test set (hang_timeout_s > 0). */
static void lose_chunk(struct pool *p, const struct slot_state *st, const char *why)
{
	double s = p->opts.hang_timeout_s;
	struct lost *l = s > 0 ? calloc(1, sizeof(*l)) : NULL;

	if (!l)
		return;
	*l = (struct lost){ .job = st->job,
			    .start = st->start,
			    .count = st->count,
			    .deadline_ns = clock_now_ns() + (uint64_t)(s * 1e9),
			    .next = p->lost };
	snprintf(l->why, sizeof(l->why), "%s; Python's pool would wait for ever", why);
	p->lost = l;
}

static void kill_all(struct pool *p, int sig)
{
	for (int i = 0; i < p->nworkers; i++)
		if (p->w[i].pid)
			kill(p->w[i].pid, sig);
}

/* An unexpected exit: settle the chunk the worker held, if any. */
static void on_death(struct pool *p, const struct slot_state *st, int status)
{
	struct pool_async *job = st->job ? pool_job_by_id(p, st->job) : NULL;
	char why[64];

	p->stats.workers_died++;
	describe_exit(why, sizeof(why), status);
	snprintf(p->last_death, sizeof(p->last_death), "%s", why);
	if (st->in_queue) {
		/* Killed while reading the task queue or writing the result
		 * queue: the stream is torn, the pool cannot go on. */
		p->broken = true;
		kill_all(p, SIGTERM);
		pool_fail_all(p, POOL_ETERMINATED, "pool broken: a worker died inside a queue");
	} else if (job && p->opts.on_death == POOL_HANG) {
		lose_chunk(p, st, why);
	} else if (job) {
		recover_chunk(p, job, st, why);
	} else if (!st->job && p->opts.on_death == POOL_RECOVER &&
		   ++p->idle_deaths > 2 * p->nworkers) {
		/* Deaths no task can be blamed for, again and again: the
		 * initializer, or the worker's own code, is broken. */
		p->broken = true;
		pool_fail_all(p, POOL_ETERMINATED, "pool broken: workers die before taking a task");
	}
}

/* p->mu held. The worker in slot has exited: wait until the result handler
 * has read every message it sent, reap it, settle what it held. */
static void on_exit_slot(struct pool *p, int slot)
{
	struct worker *w = &p->w[slot];
	struct slot_state st;
	int status = reap(w->pid);

	while (!p->sh->slot[slot].in_queue && w->got < p->sh->slot[slot].sent && !p->stopping &&
	       !p->broken)
		pthread_cond_wait(&p->change, &p->mu);
	st = p->sh->slot[slot];
	if (st.job || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		on_death(p, &st, status);
	close_worker(w);
	pthread_cond_broadcast(&p->change);
}

/* POOL_HANG: fail the lost chunks whose deadline has passed. */
static void expire_lost(struct pool *p)
{
	uint64_t now = clock_now_ns();
	struct lost **at = &p->lost;

	while (*at) {
		struct lost *l = *at;
		struct pool_async *job;

		if (l->deadline_ns > now) {
			at = &l->next;
			continue;
		}
		*at = l->next;
		if ((job = pool_job_by_id(p, l->job)))
			pool_fail_range(p, job, l->start, l->count, POOL_EDIED, l->why, true);
		free(l);
		at = &p->lost; /* the callback may have run: start again */
	}
}

static bool need_worker(struct pool *p)
{
	return !p->broken && !p->stopping &&
	       (p->state == RUNNING || (p->state == CLOSED && pool_any_job_running(p)));
}

/* _maintain_pool: a new worker in every empty slot while there is work. */
static void maintain(struct pool *p)
{
	char err[128];

	for (int i = 0; i < p->nworkers && need_worker(p); i++) {
		if (p->w[i].pid || pool_spawn(p, i, err, sizeof(err)) == 0)
			continue;
		if (!pool_any_worker(p)) {
			p->broken = true;
			pool_fail_all(p, POOL_ETERMINATED, err);
		}
		return;
	}
}

void *pool_workers_thread(void *arg)
{
	struct pool *p = arg;
	struct pollfd *fds = calloc((size_t)p->nworkers + 1, sizeof(*fds));
	int *slots = calloc((size_t)p->nworkers + 1, sizeof(*slots));
	int *exited = calloc((size_t)p->nworkers, sizeof(*exited)), n = 0;

	while (fds && slots && exited &&
	       (n = wait_exits(p, fds, slots, HANDLER_TICK_MS, exited)) >= 0) {
		pthread_mutex_lock(&p->mu);
		for (int k = 0; k < n; k++)
			on_exit_slot(p, exited[k]);
		expire_lost(p);
		maintain(p);
		pthread_mutex_unlock(&p->mu);
	}
	free(fds);
	free(slots);
	free(exited);
	return NULL;
}

/* The handler threads have stopped. SIGTERM (Python's Process.terminate),
 * then SIGKILL for a worker still there after the grace period. */
void pool_kill_workers(struct pool *p)
{
	uint64_t deadline = clock_now_ns() + TERM_GRACE_MS * 1000000ull;

	pthread_mutex_lock(&p->mu);
	kill_all(p, SIGTERM);
	for (int i = 0; i < p->nworkers; i++) {
		uint64_t now = clock_now_ns();
		int left_ms = now < deadline ? (int)((deadline - now) / 1000000u) : 0;

		if (!p->w[i].pid)
			continue;
		if (!wait_gone(&p->w[i], left_ms))
			kill(p->w[i].pid, SIGKILL);
		reap(p->w[i].pid);
		close_worker(&p->w[i]);
	}
	pthread_mutex_unlock(&p->mu);
}
