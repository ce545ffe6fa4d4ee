/* SPDX-License-Identifier: MIT */
/*
 * fork — one child process per task, like Process(target=task).start() and
 * join() in the seeds: at most W children alive at once, each task's result
 * sent back through a pipe, every child reaped and its exit status checked.
 * It teaches what a process costs and why IO-bound and CPU-bound tasks both
 * scale with processes (up to the number of PUs, for CPU work).
 *
 * CPython versions: a Process per task as 3.11's fork start method; 3.14's
 * default start method on Linux is forkserver (not modelled: this model
 * forks).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "taskmodels.h"

/* What a child sends back: one record, shorter than PIPE_BUF, so records
 * from several children never interleave. */
struct fork_record {
	int32_t task;
	int32_t pu;
	uint64_t value;
};

struct fork_run {
	const struct tasks_spec *s;
	struct tasks_result *r;
	int pipe_rd, pipe_wr;
	pid_t *slot_pid; /* workers: the child in each slot, 0 when free */
	int *slot_task;
	int alive;
	bool *got; /* which tasks have sent their record */
};

/* The child: do the task, send the record, and leave with _exit: exit()
 * would run the parent's atexit handlers and flush its stdio buffers again. */
static void __attribute__((noreturn)) child(struct fork_run *f, int task)
{
	struct fork_record rec = { .task = task };

	close(f->pipe_rd);
	rec.value = tasks_do_one(f->s, task);
	rec.pu = f->s->topo ? topo_last_pu(f->s->topo) : -1;
	if (write(f->pipe_wr, &rec, sizeof(rec)) != (ssize_t)sizeof(rec))
		_exit(4);
	_exit(0);
}

static int spawn(struct fork_run *f, int task)
{
	struct topo_saved *saved = NULL;
	int slot = 0;
	pid_t pid;

	while (f->slot_pid[slot])
		slot++;
	/* Born on its PU: bind ourselves, fork (the child inherits the
	 * binding), then restore. */
	if (f->s->placement && f->s->topo)
		topo_spawn_begin(f->s->topo, f->s->placement, slot, &saved);
	pid = fork();
	if (pid == 0)
		child(f, task);
	if (saved)
		topo_spawn_end(f->s->topo, saved);
	if (pid < 0) {
		snprintf(f->r->error, sizeof(f->r->error), "fork: %s", strerror(errno));
		return -1;
	}
	f->slot_pid[slot] = pid;
	f->slot_task[slot] = task;
	f->alive++;
	return 0;
}

/* Read every record already in the pipe (non-blocking). */
static void drain(struct fork_run *f)
{
	struct fork_record rec;

	while (read(f->pipe_rd, &rec, sizeof(rec)) == (ssize_t)sizeof(rec)) {
		if (rec.task < 0 || rec.task >= f->s->ntasks || f->got[rec.task])
			continue;
		f->got[rec.task] = true;
		f->r->value[rec.task] = rec.value;
		f->r->ran_on[rec.task] = rec.pu;
	}
}

static void describe_death(struct fork_run *f, int task, pid_t pid, int status)
{
	if (f->r->error[0])
		return; /* the first failure is the one to report */
	if (WIFSIGNALED(status))
		snprintf(f->r->error, sizeof(f->r->error),
			 "task %d (pid %d) was killed by signal %d (%s)", task, (int)pid,
			 WTERMSIG(status), strsignal(WTERMSIG(status)));
	else
		snprintf(f->r->error, sizeof(f->r->error), "task %d (pid %d) exited with status %d",
			 task, (int)pid, WEXITSTATUS(status));
}

/* Wait for one of our children; false when it failed. */
static bool reap_one(struct fork_run *f)
{
	int status, slot;
	pid_t pid;

	for (;;) {
		pid = waitpid(-1, &status, 0);
		if (pid < 0 && errno == EINTR)
			continue;
		if (pid < 0) {
			snprintf(f->r->error, sizeof(f->r->error), "waitpid: %s", strerror(errno));
			f->alive = 0;
			return false;
		}
		for (slot = 0; slot < f->s->workers; slot++)
			if (f->slot_pid[slot] == pid)
				break;
		if (slot < f->s->workers)
			break;
		/* not one of ours (a test harness's child): keep waiting */
	}
	f->slot_pid[slot] = 0;
	f->alive--;
	drain(f);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return true;
	describe_death(f, f->slot_task[slot], pid, status);
	return false;
}

int fork_run_tasks(const struct tasks_spec *s, struct tasks_result *r)
{
	struct fork_run f = { .s = s, .r = r };
	int pfd[2], next = 0;
	bool ok = true;

	r->error[0] = '\0';
	if (s->workers < 1 || s->ntasks < 0) {
		snprintf(r->error, sizeof(r->error), "fork: workers must be >= 1 (got %d)",
			 s->workers);
		return -1;
	}
	if (pipe2(pfd, O_CLOEXEC) < 0) {
		snprintf(r->error, sizeof(r->error), "pipe2: %s", strerror(errno));
		return -1;
	}
	f.pipe_rd = pfd[0];
	f.pipe_wr = pfd[1];
	fcntl(f.pipe_rd, F_SETFL, O_NONBLOCK);
	f.slot_pid = calloc((size_t)s->workers, sizeof(*f.slot_pid));
	f.slot_task = calloc((size_t)s->workers, sizeof(*f.slot_task));
	f.got = calloc((size_t)s->ntasks + 1, sizeof(*f.got));
	if (!f.slot_pid || !f.slot_task || !f.got) {
		snprintf(r->error, sizeof(r->error), "calloc: out of memory");
		ok = false;
	}
	/* A failed child stops new spawns, but every child still running is
	 * waited for: the case ends with an error, not a hang or a zombie. */
	while (ok && (next < s->ntasks || f.alive > 0)) {
		while (ok && f.alive < s->workers && next < s->ntasks)
			ok = spawn(&f, next++) == 0;
		if (f.alive > 0)
			ok = reap_one(&f) && ok;
	}
	while (f.alive > 0)
		reap_one(&f);
	for (int i = 0; ok && i < s->ntasks; i++) {
		if (!f.got[i]) {
			snprintf(r->error, sizeof(r->error),
				 "task %d exited without sending its result", i);
			ok = false;
		}
	}
	close(pfd[0]);
	close(pfd[1]);
	free(f.slot_pid);
	free(f.slot_task);
	free(f.got);
	return ok ? 0 : -1;
}
