/* SPDX-License-Identifier: MIT */
/*
 * pool_spawn — the process pool's workers are born and die: forking a
 * worker on its PU, and what the parent does when one exits. Mirrors
 * Pool._repopulate_pool and _maintain_pool of CPython's
 * Lib/multiprocessing/pool.py, except that here a death is seen at once
 * (pidfd) and the task the worker died in is known and fails.
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

#include "pool_impl.h"

/* ------------------------------------------------- starting workers */

/* A pidfd for pid, or -1 for the fallback: pidfd_open is missing (Linux <
 * 5.3, valgrind) or PARBENCH_POOL_NO_PIDFD=1 forces it (for the tests).
 * Without a pidfd, pool_worker_exited() asks waitid() instead. -2: a real
 * error (errno set). */
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

/* Has the worker exited? Its pidfd is readable (revents from the poll), or,
 * without one, waitid(WNOWAIT) sees it (it stays to be reaped by pool_reap). */
bool pool_worker_exited(const struct worker *w, short revents)
{
	siginfo_t si = { 0 };

	if (w->pidfd >= 0)
		return revents & POLLIN;
	return waitid(P_PID, (id_t)w->pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 &&
	       si.si_pid == w->pid;
}

int pool_spawn(struct pool *p, int slot, char *err, size_t errlen)
{
	struct worker *w = &p->w[slot];
	struct topo_saved *saved = NULL;
	int task[2], result[2], pidfd;
	pid_t pid;

	if (pipe2(task, O_CLOEXEC) < 0) {
		snprintf(err, errlen, "pipe2: %s", strerror(errno));
		return -1;
	}
	if (pipe2(result, O_CLOEXEC) < 0) {
		snprintf(err, errlen, "pipe2: %s", strerror(errno));
		close(task[0]);
		close(task[1]);
		return -1;
	}
	/* Born on its PU: bind ourselves, fork (the child inherits the
	 * binding), then restore. */
	if (p->opts.topo && p->opts.placement && p->opts.placement->n > 0)
		topo_spawn_begin(p->opts.topo, p->opts.placement, slot % p->opts.placement->n,
				 &saved);
	pid = fork();
	if (pid == 0) {
		close(task[1]);
		close(result[0]);
		pool_worker_main(p, slot, task[0], result[1]);
	}
	if (saved)
		topo_spawn_end(p->opts.topo, saved);
	close(task[0]);
	close(result[1]);
	pidfd = pid < 0 ? -2 : open_pidfd(pid);
	if (pidfd < -1) {
		snprintf(err, errlen, "%s: %s", pid < 0 ? "fork" : "pidfd_open", strerror(errno));
		if (pid > 0) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
		}
		close(task[1]);
		close(result[0]);
		return -1;
	}
	/* The parent never waits on one worker's results: it polls them all. */
	fcntl(result[0], F_SETFL, O_NONBLOCK);
	*w = (struct worker){
		.pid = pid, .task_fd = task[1], .result_fd = result[0], .pidfd = pidfd
	};
	p->stats.workers_started++;
	return 0;
}

/* ------------------------------------------------------------- deaths */

static void describe_exit(char *buf, size_t len, int status)
{
	if (WIFSIGNALED(status))
		snprintf(buf, len, "worker died (signal %d)", WTERMSIG(status));
	else if (WIFEXITED(status))
		snprintf(buf, len, "worker died (exit status %d)", WEXITSTATUS(status));
	else
		snprintf(buf, len, "worker died (status unknown)");
}

void pool_close_worker(struct worker *w)
{
	close(w->task_fd);
	close(w->result_fd);
	if (w->pidfd >= 0)
		close(w->pidfd);
	free(w->in);
	*w = (struct worker){ 0 };
}

int pool_reap(pid_t pid)
{
	int status = 0;

	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return status;
}

/* Put tasks start .. start + count - 1 of job at the front of the queue. */
static void requeue(struct pool *p, struct pool_async *job, size_t start, size_t count)
{
	struct retry *r;

	if (count == 0 || !(r = calloc(1, sizeof(*r))))
		return;
	r->c = (struct chunk){ job, start, count };
	r->next = p->retries;
	p->retries = r;
}

/* The worker in slot died holding a chunk. Its progress word says how far
 * it got: the task it had started and not finished gets the error; tasks
 * it finished whose results had not been sent yet run again, and so do the
 * tasks it never started. True when a task was blamed. */
static bool settle_chunk(struct pool *p, int slot, const char *why)
{
	struct worker *w = &p->w[slot];
	struct chunk c = w->held;
	size_t end = c.start + c.count, sent = c.start + w->got;
	size_t started = c.start + __atomic_load_n(&p->progress[slot].started, __ATOMIC_RELAXED);
	size_t finished = c.start + __atomic_load_n(&p->progress[slot].finished, __ATOMIC_RELAXED);
	bool blamed = started > finished && finished >= sent && finished < end;

	if (blamed) {
		requeue(p, c.job, finished + 1, end - finished - 1);
		requeue(p, c.job, sent, finished - sent);
		if (pool_complete(p, c.job, finished, POOL_EDIED, why, strlen(why)) &&
		    c.job->abandoned)
			pool_job_free(c.job);
	} else {
		requeue(p, c.job, sent, end - sent); /* it died between tasks */
	}
	return blamed;
}

static bool need_worker(struct pool *p)
{
	return !p->broken && (p->state == RUNNING || (p->state == CLOSED && pool_work_left(p)));
}

/* w's pidfd is readable: it has exited. Collect what it sent, reap it,
 * and put a new worker in its slot if there is still work to do. */
void pool_on_exit(struct pool *p, int slot)
{
	struct worker *w = &p->w[slot];
	char why[64], err[128];
	bool expected;
	int status;

	pool_read_worker(p, w); /* everything it sent before dying is there now */
	status = pool_reap(w->pid);
	expected = w->leaving && !w->held.job && WIFEXITED(status) && WEXITSTATUS(status) == 0;
	if (!expected) {
		p->stats.workers_died++;
		describe_exit(why, sizeof(why), status);
		snprintf(p->last_death, sizeof(p->last_death), "%s", why);
		/* Deaths that no task can be blamed for, again and again: the
		 * initializer, or the worker's own code, is broken. */
		if (!(w->held.job && settle_chunk(p, slot, why)) &&
		    ++p->idle_deaths > 2 * p->nworkers)
			p->broken = true;
	}
	pool_close_worker(w);
	if (p->broken) {
		pool_fail_all(p, POOL_ETERMINATED, "pool broken: workers die before taking a task");
		return;
	}
	if (need_worker(p) && pool_spawn(p, slot, err, sizeof(err)) < 0) {
		for (int i = 0; i < p->nworkers; i++)
			if (p->w[i].pid)
				return; /* the others go on */
		p->broken = true;
		pool_fail_all(p, POOL_ETERMINATED, err);
	}
}
